"""Turning raw suggester scores into probabilities and choosing per-code thresholds. Pure numpy.

Both are fitted on *out-of-fold* scores (each example scored by a suggester that did not see it), so the
thresholds reflect how the suggester does on segments it has not been taught with.
"""

from __future__ import annotations

import numpy as np


def fit_platt(scores: np.ndarray, labels: np.ndarray, *, iterations: int = 200) -> tuple[float, float]:
    """Fit p = sigmoid(a * score + b) by Newton's method on the log-loss (Platt 1999, with his target smoothing).

    Returns (a, b). With one class only, returns the identity-like (1, 0) map left unfitted.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels, dtype=np.float64).ravel()
    positives, negatives = labels.sum(), len(labels) - labels.sum()
    if positives == 0 or negatives == 0:
        return 1.0, 0.0
    # Platt's smoothed targets keep the fit finite when the classes separate perfectly.
    target = np.where(labels > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a * scores + b)))
        w = np.maximum(p * (1 - p), 1e-12)
        g = np.array([np.sum((p - target) * scores), np.sum(p - target)])
        h = np.array([[np.sum(w * scores * scores), np.sum(w * scores)], [np.sum(w * scores), np.sum(w)]])
        h += 1e-9 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return float(a), float(b)


def apply_platt(scores: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(a * np.asarray(scores, dtype=np.float64) + b)))


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The threshold t maximising F1 of (scores >= t) against labels, and that F1.

    Candidates are the observed scores; ties go to the higher threshold (fewer, surer suggestions).
    With no positive label the threshold is +inf (never suggest) and F1 is 0.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels, dtype=bool).ravel()
    total_pos = int(labels.sum())
    if total_pos == 0:
        return float("inf"), 0.0
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    tp = np.cumsum(y)
    predicted = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (predicted + total_pos)
    # only cut where the next score differs, so a threshold never splits tied scores
    last_of_run = np.r_[s[1:] != s[:-1], True]
    f1 = np.where(last_of_run, f1, -1.0)
    best = int(np.argmax(f1))
    return float(s[best]), float(f1[best])


def choose_thresholds(scores: np.ndarray, Y: np.ndarray, *, min_positives: int = 5,
                      shrinkage: float = 0.0) -> tuple[np.ndarray, float]:
    """Per-code thresholds maximising each code's F1 where the code has ``min_positives`` examples or more;
    the others share one global threshold maximising micro-F1 over all codes. Returns (per-code, global).

    ``shrinkage`` m > 0 pulls a code's own threshold toward the global one in proportion to how few
    examples chose it: ``(n_c * t_c + m * t_global) / (n_c + m)``. A threshold picked from 5 out-of-fold
    scores is mostly noise; with hundreds of examples the code's own threshold stands.
    """
    scores, Y = np.asarray(scores, dtype=np.float64), np.asarray(Y, dtype=bool)
    valid = ~np.isnan(scores)
    global_t, _ = best_f1_threshold(scores[valid], Y[valid])
    thresholds = np.full(Y.shape[1], global_t)
    for c in range(Y.shape[1]):
        positives = int(Y[:, c].sum())
        if positives >= min_positives:
            t, _ = best_f1_threshold(scores[:, c], Y[:, c])
            if shrinkage > 0 and np.isfinite(t) and np.isfinite(global_t):
                t = (positives * t + shrinkage * global_t) / (positives + shrinkage)
            thresholds[c] = t
    return thresholds, global_t
