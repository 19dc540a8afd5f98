"""Checking and shaping the inputs of the metrics: labels, indicator matrices, units x coders ratings."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np


def is_missing(value: Any) -> bool:
    """True for ``None`` and float NaN (python or numpy)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def label_list(x: Any, name: str) -> list:
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {x.shape}")
        return x.tolist()
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of labels, not a string")
    return list(x)


def indicator_matrix(y: Any, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D indicator matrix of shape (n_segments, n_codes), "
            f"got array with shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: need at least one segment (row)")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: need at least one code (column)")
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must contain only 0/1 (or booleans)")
    return arr.astype(np.int64)


def indicator_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = indicator_matrix(y_true, "y_true")
    p = indicator_matrix(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred shapes differ: {t.shape} vs {p.shape}")
    return t, p


def cell_counts(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tp = (t & p).sum(axis=0)
    fp = ((1 - t) & p).sum(axis=0)
    fn = (t & (1 - p)).sum(axis=0)
    tn = ((1 - t) & (1 - p)).sum(axis=0)
    return tp, fp, fn, tn


def safe_div(num: float, den: float, zero_division: float) -> float:
    return float(num) / float(den) if den != 0 else float(zero_division)


def checked_zero_division(zero_division: float) -> float:
    zd = float(zero_division)
    if not (zd in (0.0, 1.0) or math.isnan(zd)):
        raise ValueError("zero_division must be 0, 1 or nan")
    return zd


def ratings_rows(ratings: Any, name: str = "ratings") -> list[list]:
    """Validate a units x coders matrix; return it as a list of row lists."""
    if isinstance(ratings, np.ndarray):
        if ratings.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (n_units, n_coders), got shape {ratings.shape}"
            )
        rows = ratings.tolist()
    else:
        rows = [list(r) for r in ratings]
    if len(rows) == 0:
        raise ValueError(f"{name} is empty: need at least one unit (row)")
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError(f"{name} must be rectangular (every unit has one entry per coder)")
    if width == 0:
        raise ValueError(f"{name} has no coders (columns)")
    return rows


def unit_category_counts(
    rows: list[list], categories: Sequence[Hashable] | None = None
) -> tuple[np.ndarray, list]:
    """Count, per unit, how many coders chose each category (missing skipped).

    Returns ``(counts, categories)`` with ``counts`` of shape
    ``(n_units, n_categories)``.
    """
    index: dict[Hashable, int] = {}
    if categories is not None:
        for c in categories:
            if is_missing(c):
                raise ValueError("categories must not contain None/NaN")
            index.setdefault(c, len(index))
    fixed = categories is not None
    coded: list[list[int]] = []
    for row in rows:
        idxs = []
        for v in row:
            if is_missing(v):
                continue
            if v not in index:
                if fixed:
                    raise ValueError(f"rating {v!r} is not one of the given categories")
                index[v] = len(index)
            idxs.append(index[v])
        coded.append(idxs)
    counts = np.zeros((len(rows), len(index)), dtype=np.int64)
    for i, idxs in enumerate(coded):
        for j in idxs:
            counts[i, j] += 1
    return counts, list(index)

