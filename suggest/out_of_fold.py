"""Out-of-fold scores for calibration: folds that never split a group, and each fold scored by a model taught the
other folds. Pure numpy; the estimator supplies how a fold's model is fitted and how it scores.

Apart from :mod:`suggest.estimator` because the loop is the costly half of a fit and has its own knobs: each fold
costs a fit on the rest, so scoring stops once :data:`CALIBRATION_ENOUGH` examples have out-of-fold scores, and a
fold is scored in blocks of at most :data:`SCORING_CELLS` query × example pairs so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# Calibration scores folds until this many examples have out-of-fold scores (each fold costs a fit on the rest):
# with 5 folds, every fold below 2,500 examples, two of five at 5,000, one of five from 10,000 on (2,000 or more
# scored examples then). Not with solver="liblinear" (the fit before: every fold scored).
CALIBRATION_ENOUGH = 2_000
SCORING_CELLS = 32_000_000  # queries x examples scored at once in calibration (128 MB of float32 similarities)


def grouped_folds(groups: Sequence, n_folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split example indices into folds that never split a group; groups dealt largest first, round robin.

    Deterministic. Fewer folds than asked when there are fewer groups; none when there is one group.
    """
    by_group: dict = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    n = min(n_folds, len(by_group))
    if n < 2:
        return []
    buckets: list[list[int]] = [[] for _ in range(n)]
    for members in sorted(by_group.values(), key=lambda m: (-len(m), m[0])):
        min(buckets, key=len).extend(members)
    everything = np.arange(len(groups))
    folds = []
    for bucket in buckets:
        test = np.array(sorted(bucket), dtype=int)
        folds.append((np.setdiff1d(everything, test), test))
    return folds


def out_of_fold_scores(folds: Sequence[tuple[np.ndarray, np.ndarray]], shape: tuple[int, ...],
                       fit: Callable[[np.ndarray], Any], score: Callable[[Any, np.ndarray], np.ndarray], *,
                       stop_early: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each fold's test rows scored by ``score(fit(train), rows)``: (scores of ``shape``, NaN where unscored; which
    rows were scored). With ``stop_early``, folds after :data:`CALIBRATION_ENOUGH` scored rows are skipped."""
    oof = np.full(shape, np.nan)
    scored = np.zeros(len(oof), dtype=bool)
    for train, test in folds:
        if stop_early and scored.sum() >= CALIBRATION_ENOUGH:
            break  # enough out-of-fold scores: the other folds' fits would cost minutes and add little
        model = fit(train)
        # in blocks: memory stays bounded even where a channel compares every query with every example
        for block in np.array_split(test, int(np.ceil(len(test) * len(train) / SCORING_CELLS))):
            oof[block] = score(model, block)
        scored[test] = True
    return oof, scored
