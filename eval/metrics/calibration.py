"""Calibration of probability-like scores: reliability curve and expected calibration error."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class ReliabilityBin(NamedTuple):
    """One equal-width bin ``[lower, upper)`` (the last bin includes 1.0)."""

    lower: float
    upper: float
    mean_score: float  # NaN for an empty bin
    accuracy: float  # NaN for an empty bin
    count: int


def _calibration_inputs(scores: Any, correct: Any, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    c = np.asarray(correct)
    if s.ndim != 1 or c.ndim != 1:
        raise ValueError("scores and correct must be one-dimensional")
    if s.shape != c.shape:
        raise ValueError(f"scores and correct differ in length: {s.shape[0]} vs {c.shape[0]}")
    if s.size == 0:
        raise ValueError("need at least one prediction; got empty input")
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    if np.isnan(s).any() or (s < 0).any() or (s > 1).any():
        raise ValueError("scores must be probabilities in [0, 1] (no NaN)")
    if not np.isin(c, (0, 1)).all():
        raise ValueError("correct must contain only 0/1 or booleans")
    n_bins = int(n_bins)
    idx = np.minimum(np.floor(s * n_bins).astype(np.int64), n_bins - 1)
    return s, c.astype(float), idx


def reliability_curve(scores: Any, correct: Any, n_bins: int = 10) -> list[ReliabilityBin]:
    """Reliability diagram data with ``n_bins`` equal-width bins on [0, 1].

    A score ``s`` falls in bin ``min(floor(s * n_bins), n_bins - 1)``, i.e. bin
    ``b`` is ``[b/n_bins, (b+1)/n_bins)`` and 1.0 goes to the last bin.
    ``correct`` holds 0/1 (or bool) per prediction. Returns all ``n_bins``
    bins in order, each ``ReliabilityBin(lower, upper, mean_score, accuracy,
    count)``; empty bins have ``count == 0`` and NaN mean_score/accuracy.
    """
    s, c, idx = _calibration_inputs(scores, correct, n_bins)
    n_bins = int(n_bins)
    counts = np.bincount(idx, minlength=n_bins)
    ssum = np.bincount(idx, weights=s, minlength=n_bins)
    csum = np.bincount(idx, weights=c, minlength=n_bins)
    out = []
    for b in range(n_bins):
        n = int(counts[b])
        out.append(
            ReliabilityBin(
                lower=b / n_bins,
                upper=(b + 1) / n_bins,
                mean_score=float(ssum[b] / n) if n else float("nan"),
                accuracy=float(csum[b] / n) if n else float("nan"),
                count=n,
            )
        )
    return out


def expected_calibration_error(scores: Any, correct: Any, n_bins: int = 10) -> float:
    """Expected calibration error with equal-width bins weighted by bin size.

    ``ECE = sum_b (n_b / N) * |accuracy_b - mean_score_b|`` over non-empty
    bins, binning as in :func:`reliability_curve`.
    """
    bins = reliability_curve(scores, correct, n_bins)
    total = sum(b.count for b in bins)
    return float(
        sum(b.count / total * abs(b.accuracy - b.mean_score) for b in bins if b.count)
    )
