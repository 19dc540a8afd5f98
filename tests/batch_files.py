"""Input shards and output reading shared by the batch tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq


def write_shards(folder: Path, sizes: list[int], texts: Callable[[int, int], list[str]], *, fmt: str = "csv",
                 seed: int = 1, id_column: str = "comment_id", text_column: str = "text") -> Path:
    """One shard per size, named 00.csv, 01.csv, ... (or .parquet), with ids ``c{shard}-{row}``."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, n in enumerate(sizes):
        frame = pd.DataFrame({id_column: [f"c{k}-{i}" for i in range(n)], text_column: texts(n, seed + k)})
        if fmt == "csv":
            frame.to_csv(folder / f"{k:02d}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{k:02d}.parquet")
    return folder


def read_output(folder: Path) -> pd.DataFrame:
    return pd.concat([pq.read_table(p).to_pandas() for p in sorted(folder.glob("*.parquet"))], ignore_index=True)


OPENINGS = ["The staff on the ward were", "My mother's nurse was", "Reception was", "The doctor I saw was",
            "Getting an appointment was", "The care coordinator was", "Since the referral, everyone has been"]
QUALITIES = ["kind and patient, they listened to what I needed", "rushed and did not explain the medication",
             "helpful, but the waiting list was months long", "respectful of my diagnosis and my history",
             "hard to reach by phone, nobody called back", "brilliant at keeping in touch with my family",
             "dismissive when I said I was in crisis"]
ENDINGS = ["", " I would recommend the service.", " Parking cost a fortune.", " It made a real difference to me.",
           " The food was cold.", " I felt like a number, not a person."]


def feedback(n: int, seed: int) -> list[str]:
    """Patient-feedback-like comments of realistic length (one to three sentences)."""
    rng = np.random.default_rng(seed)
    return [f"{rng.choice(OPENINGS)} {rng.choice(QUALITIES)}.{rng.choice(ENDINGS)}" for _ in range(n)]
