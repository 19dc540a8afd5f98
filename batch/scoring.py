"""Texts → suggestion columns, with a saved suggester and its encoder: the one piece of work both engines run.

:class:`Scorer` is built once per process (the local engine) or once per Ray actor (the Ray engine): loading
the saved model and the encoder is the expensive part, scoring a batch is the cheap repeated one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from suggest.saved_model import SavedSuggester, load_suggester

ENCODE_CHUNK = 1024  # texts embedded and suggested at a time: bounds memory, whatever the shard size


class Scorer:
    def __init__(self, model: str | Path | SavedSuggester, *, top: int = 5, encoder: Any = None) -> None:
        self.saved = model if isinstance(model, SavedSuggester) else load_suggester(model)
        self.top = top
        if encoder is not None:
            self.saved.check_encoder(encoder)
            self.encoder = encoder
        else:
            self.encoder = self.saved.load_encoder()

    def columns(self, texts: list[str]) -> dict[str, list]:
        """Per text: codes (best first), scores, confident flags, confident codes, evidence ids per code."""
        out: dict[str, list] = {"codes": [], "scores": [], "confident": [], "confident_codes": [],
                                "evidence_ids": []}
        for start in range(0, len(texts), ENCODE_CHUNK):
            chunk = texts[start:start + ENCODE_CHUNK]
            vectors = np.asarray(self.encoder.encode(chunk), dtype=np.float32)
            for ranked in self.saved.suggest(vectors, chunk, top=self.top):
                out["codes"].append([s.code for s in ranked])
                out["scores"].append([s.score for s in ranked])
                out["confident"].append([s.confident for s in ranked])
                out["confident_codes"].append([s.code for s in ranked if s.confident])
                out["evidence_ids"].append([[e.segment_id for e in s.evidence if e.polarity > 0] for s in ranked])
        return out
