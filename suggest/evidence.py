"""What the coder's decisions near a query do to a suggestion: the coded neighbours and nearby rejections shown as
its evidence, how much a rejection lowers a score, and the codes never proposed again for a segment. Pure numpy.

Apart from :mod:`suggest.estimator` so that the rejection rule lives in one place: a code rejected for a segment
near the query is lowered by ``1 - max(0, cos)^negative_power`` (near-duplicates strongly, loosely related
segments hardly), shown as evidence against where that weight is at least 0.05, and a code rejected for the
query itself is banned rather than lowered.

``rejections`` maps a code to the ``(segment id, vector)`` of each segment it was rejected for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from suggest.suggestion import Evidence

Rejections = Mapping[str, Sequence[tuple[int, np.ndarray]]]


def rejection_factor(vectors: np.ndarray, rejections: Rejections, column: Mapping[str, int], n_codes: int,
                     ids: Sequence[int | None], negative_power: float) -> np.ndarray:
    """(n, n_codes) factor each score is multiplied by: ``1 - max(0, cos)^negative_power`` to the nearest segment
    the code was rejected for (1 where none; a query's own rejections left out: they ban the code instead)."""
    factor = np.ones((len(vectors), n_codes))
    for code, items in rejections.items():
        c = column.get(code)
        if c is None or not items:
            continue
        rejected = np.stack([v for _, v in items])
        sims = np.clip(vectors @ rejected.T, 0, 1)
        for q, own in enumerate(ids):
            sims[q, [i for i, (s, _) in enumerate(items) if s == own]] = 0  # handled by banning
        factor[:, c] = 1 - sims.max(axis=1) ** negative_power
    return factor


def rejected_for(rejections: Rejections, own_id: int | None) -> set[str]:
    """The codes rejected for the segment ``own_id``: never proposed for it again."""
    return {code for code, items in rejections.items() if any(s == own_id for s, _ in items)}


def evidence(code: str, vector: np.ndarray, rows: np.ndarray, sims: np.ndarray, carries: np.ndarray,
             examples: Sequence[Any], rejections: Rejections, own_id: int | None, *, per_code: int,
             negative_power: float) -> tuple[Evidence, ...]:
    """What stands behind suggesting ``code`` for the query ``vector``: the first ``per_code`` of its neighbours
    (example ``rows`` with similarities ``sims``, best first) whose example carries the code (``carries[row]``),
    then every other segment the code was rejected for whose weight ``cos^negative_power`` is at least 0.05.
    ``examples[row]`` has the example's ``segment_id`` and ``codes`` (code -> coder)."""
    found = [
        Evidence(examples[r].segment_id, round(float(s), 4), examples[r].codes.get(code), +1)
        for r, s in zip(rows, sims) if np.isfinite(s) and carries[r]
    ][:per_code]
    for segment_id, rejected in rejections.get(code, []):
        similarity = float(vector @ rejected)
        if segment_id != own_id and similarity ** negative_power >= 0.05:
            found.append(Evidence(segment_id, round(similarity, 4), None, -1))
    return tuple(found)
