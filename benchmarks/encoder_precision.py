"""Compare fp32 and bf16 encoding: throughput and how far the vectors drift.

Run:  python benchmarks/encoder_precision.py [--n 500] [--batch-size 64] [--repeats 2]

Prints segments/s for each precision (best of ``--repeats`` after a warm-up)
and the mean/min cosine between the fp32 and bf16 vector of each sentence. The
result decides what ``precision="auto"`` does in index/encoder.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.encoder import Encoder, cpu_has_native_bf16  # noqa: E402

_OPENERS = [
    "Honestly, I think",
    "When I first started here,",
    "My manager always said",
    "To be fair,",
    "What really struck me was that",
    "I remember when",
    "If I'm being honest,",
    "Most days",
    "The thing nobody tells you is that",
    "Looking back,",
]
_BODIES = [
    "the night shifts were the hardest part because you never really sleep properly",
    "we didn't have enough staff to cover the ward, so everyone just stayed late",
    "my family didn't understand why I kept going back to a job that paid so little",
    "the training was fine but nothing prepares you for the first time a patient dies",
    "I felt like nobody listened to the nurses when decisions were being made",
    "the rent went up again and we had to move further out of the city",
    "I started volunteering at the food bank after I lost my job",
    "the kids' school closed for months and I was trying to work from the kitchen table",
    "there was a lot of pressure to meet targets, even when it made no sense for the clients",
    "my colleagues were the only reason I stayed as long as I did",
    "the bus only comes twice an hour, so getting to appointments is a whole day out",
    "I never told my doctor how anxious I was because I thought it would go on my record",
    "we organised a petition and, surprisingly, the council actually changed the plan",
    "the app was supposed to make things easier but half of us couldn't log in",
    "I was the first person in my family to go to university and I felt like an impostor",
]
_CLOSERS = [
    "",
    " It still bothers me.",
    " I don't know, maybe that's just how it is.",
    " That's when I decided something had to change.",
    " You just get on with it, don't you?",
    " I think about it a lot, actually, more than I'd like to admit to anyone at work.",
]


def sentences(n: int, seed: int = 7) -> list[str]:
    """Deterministic interview-style segments of varied length (one to three sentences)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [f"{rng.choice(_OPENERS)} {rng.choice(_BODIES)}.{rng.choice(_CLOSERS)}"]
        if rng.random() < 0.35:
            parts.append(f"{rng.choice(_OPENERS)} {rng.choice(_BODIES)}.")
        out.append(" ".join(parts))
    return out


def measure(texts: list[str], batch_size: int, repeats: int) -> dict[str, tuple[np.ndarray, float]]:
    """Best-of-``repeats`` throughput per precision, alternating the two so a busy machine hurts both alike."""
    encoders = {p: Encoder(precision=p, batch_size=batch_size) for p in ("fp32", "bf16")}
    for encoder in encoders.values():
        encoder.encode(texts[:batch_size])  # warm-up: load the model, first-call allocations
    best = {p: float("inf") for p in encoders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for precision, encoder in encoders.items():
            start = time.perf_counter()
            vectors[precision] = encoder.encode(texts)
            best[precision] = min(best[precision], time.perf_counter() - start)
    return {p: (vectors[p], len(texts) / best[p]) for p in encoders}


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import torch

    texts = sentences(args.n)
    print(f"{args.n} segments, mean {np.mean([len(t) for t in texts]):.0f} chars, batch {args.batch_size}")
    print(f"load average before run: {_load_average()}")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, native bf16 CPU: {cpu_has_native_bf16()}")
    results = measure(texts, args.batch_size, args.repeats)
    (fp32, fp32_rate), (bf16, bf16_rate) = results["fp32"], results["bf16"]
    print(f"fp32: {fp32_rate:8.1f} segments/s")
    print(f"bf16: {bf16_rate:8.1f} segments/s  ({bf16_rate / fp32_rate:.2f}x fp32)")
    print(f"load average after run: {_load_average()}  (other work on the machine skews absolute figures)")
    cosines = np.sum(fp32 * bf16, axis=1)
    print(f"cosine(fp32, bf16): mean {cosines.mean():.5f}  min {cosines.min():.5f}")
    # Does bf16 change who the neighbours are? Top-10 overlap per query, self excluded.
    k = 10
    sims32, sims16 = fp32 @ fp32.T, bf16 @ bf16.T
    np.fill_diagonal(sims32, -np.inf)
    np.fill_diagonal(sims16, -np.inf)
    top32 = np.argsort(-sims32, axis=1)[:, :k]
    top16 = np.argsort(-sims16, axis=1)[:, :k]
    overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(top32, top16)])
    print(f"top-{k} neighbour overlap fp32 vs bf16: {overlap:.3f}")


if __name__ == "__main__":
    main()
