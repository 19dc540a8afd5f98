"""Presence/absence scores of coded segments: per-code precision, recall, F1 and kappa; micro- and macro-F1;
mean kappa over codes."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from .coefficients import binary_kappa
from .inputs import cell_counts, checked_zero_division, indicator_pair, safe_div


def per_code_scores(
    y_true: Any,
    y_pred: Any,
    codes: Sequence[Hashable],
    *,
    zero_division: float = 0.0,
) -> list[dict[str, Any]]:
    """Per-code precision / recall / F1 / kappa for presence-absence coding.

    Parameters
    ----------
    y_true, y_pred
        Indicator matrices of shape ``(n_segments, n_codes)`` (0/1).
    codes
        ``n_codes`` code identifiers, in column order.
    zero_division
        Value for 0/0 ratios (0, 1 or nan), like scikit-learn.

    Returns
    -------
    list of dict, one per code in column order, with keys

    ``code``       the code identifier;
    ``precision``  tp / (tp + fp), ``zero_division`` if never predicted;
    ``recall``     tp / (tp + fn), ``zero_division`` if never used in truth;
    ``f1``         2tp / (2tp + fp + fn), ``zero_division`` if tp=fp=fn=0;
    ``kappa``      Cohen's kappa of the two 0/1 columns (NaN if both columns
                   are constant and equal, e.g. a code never used and never
                   predicted, or used everywhere and predicted everywhere);
    ``support``    number of segments with the code in ``y_true`` (int);
    ``predicted``  number of segments with the code in ``y_pred`` (int).
    """
    t, p = indicator_pair(y_true, y_pred)
    codes = list(codes)
    if len(codes) != t.shape[1]:
        raise ValueError(f"got {len(codes)} codes for {t.shape[1]} indicator columns")
    zd = checked_zero_division(zero_division)
    tp, fp, fn, tn = cell_counts(t, p)
    out = []
    for j, code in enumerate(codes):
        a, b, c, d = int(tp[j]), int(fp[j]), int(fn[j]), int(tn[j])
        out.append(
            {
                "code": code,
                "precision": safe_div(a, a + b, zd),
                "recall": safe_div(a, a + c, zd),
                "f1": safe_div(2 * a, 2 * a + b + c, zd),
                "kappa": binary_kappa(a, b, c, d),
                "support": a + c,
                "predicted": a + b,
            }
        )
    return out


def micro_f1(y_true: Any, y_pred: Any, *, zero_division: float = 0.0) -> float:
    """Micro-averaged F1 over all (segment, code) cells.

    ``2*TP / (2*TP + FP + FN)`` with counts pooled over codes; returns
    ``zero_division`` when nothing is true and nothing is predicted. Equals
    ``sklearn.metrics.f1_score(y_true, y_pred, average="micro")``.
    """
    t, p = indicator_pair(y_true, y_pred)
    zd = checked_zero_division(zero_division)
    tp, fp, fn, _ = cell_counts(t, p)
    TP, FP, FN = int(tp.sum()), int(fp.sum()), int(fn.sum())
    return safe_div(2 * TP, 2 * TP + FP + FN, zd)


def macro_f1(y_true: Any, y_pred: Any, *, zero_division: float = 0.0) -> float:
    """Unweighted mean of per-code F1 over **all** codes (columns).

    A code with tp=fp=fn=0 (never used, never predicted) scores
    ``zero_division`` (0 by default) and is included in the mean, exactly like
    ``sklearn.metrics.f1_score(..., average="macro", zero_division=0)``. With
    ``zero_division=nan`` those codes are skipped (NaN if all are skipped).
    """
    t, p = indicator_pair(y_true, y_pred)
    zd = checked_zero_division(zero_division)
    tp, fp, fn, _ = cell_counts(t, p)
    f1s = np.array(
        [safe_div(2 * a, 2 * a + b + c, zd) for a, b, c in zip(tp, fp, fn)], dtype=float
    )
    if np.isnan(f1s).all():
        return float("nan")
    return float(np.nanmean(f1s))


def mean_kappa(y_true: Any, y_pred: Any) -> float:
    """Mean over codes of the per-code Cohen's kappa, **skipping NaN**.

    Codes whose kappa is undefined (both columns constant and equal) are left
    out of the mean. Returns NaN if every code's kappa is undefined.
    """
    t, p = indicator_pair(y_true, y_pred)
    tp, fp, fn, tn = cell_counts(t, p)
    ks = np.array(
        [binary_kappa(int(a), int(b), int(c), int(d)) for a, b, c, d in zip(tp, fp, fn, tn)],
        dtype=float,
    )
    if np.isnan(ks).all():
        return float("nan")
    return float(np.nanmean(ks))
