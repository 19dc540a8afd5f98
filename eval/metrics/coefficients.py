"""Chance-corrected agreement coefficients: Cohen's kappa, Krippendorff's alpha (nominal), Gwet's AC1,
Fleiss' kappa, and the count table they share."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from .inputs import is_missing, label_list, ratings_rows, unit_category_counts


def kappa_from_confusion(conf: np.ndarray) -> float:
    """Cohen's kappa from a square confusion matrix of integer counts.

    Computed with exact integer arithmetic so the "undefined" test
    (expected agreement == 1) is exact.
    """
    conf = np.asarray(conf, dtype=object)  # python ints: no overflow
    n = int(conf.sum())
    rows = conf.sum(axis=1)
    cols = conf.sum(axis=0)
    chance = int(np.dot(rows, cols))  # n^2 * p_e
    num = n * int(np.trace(conf)) - chance  # n^2 * (p_o - p_e)
    den = n * n - chance  # n^2 * (1 - p_e)
    if den == 0:
        return float("nan")
    return num / den


def binary_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    return kappa_from_confusion(np.array([[tn, fp], [fn, tp]], dtype=object))


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa between two coders on a nominal scale.

    Parameters
    ----------
    a, b
        Equal-length, non-empty 1-D sequences of hashable labels (any types;
        e.g. 0/1 presence of one code, or code names). Missing values are not
        supported: ``None``/NaN raise ``ValueError``.

    Returns
    -------
    float
        ``(p_o - p_e) / (1 - p_e)`` with ``p_e`` from the two coders' own
        marginals. Identical to ``sklearn.metrics.cohen_kappa_score(a, b)``
        (unweighted). Returns NaN when ``p_e == 1``, which happens exactly when
        both coders used one and the same label for every item (then
        ``p_o == 1`` too; scikit-learn also returns NaN there). If both coders
        are constant but with *different* labels, kappa is 0.0 (as sklearn).
    """
    la = label_list(a, "a")
    lb = label_list(b, "b")
    if len(la) != len(lb):
        raise ValueError(f"a and b must have the same length, got {len(la)} and {len(lb)}")
    if len(la) == 0:
        raise ValueError("cohen_kappa needs at least one rated item; got empty input")
    if any(is_missing(v) for v in la) or any(is_missing(v) for v in lb):
        raise ValueError("cohen_kappa does not support missing values (None/NaN)")
    index: dict[Hashable, int] = {}
    for v in la + lb:
        index.setdefault(v, len(index))
    q = len(index)
    conf = np.zeros((q, q), dtype=np.int64)
    ia = np.fromiter((index[v] for v in la), dtype=np.int64, count=len(la))
    ib = np.fromiter((index[v] for v in lb), dtype=np.int64, count=len(lb))
    np.add.at(conf, (ia, ib), 1)
    return kappa_from_confusion(conf)


def krippendorff_alpha_nominal(reliability_data: Any) -> float:
    """Krippendorff's alpha for nominal data, with missing values.

    Parameters
    ----------
    reliability_data
        **Units x coders** matrix, shape ``(n_units, n_coders)``: row ``i`` holds
        every coder's label for unit (segment) ``i``. Labels are arbitrary
        hashables; ``None`` / NaN mark a missing rating. (The ``krippendorff``
        package expects coders x units -- pass ``data.T`` there.)

    Returns
    -------
    float
        ``1 - D_o / D_e`` computed from the coincidence matrix. Units with
        fewer than two ratings are not pairable and are ignored. A coder with
        no ratings at all simply contributes nothing. Returns NaN when the
        pairable values contain only one category (``D_e == 0``; the
        ``krippendorff`` package raises instead).

    Raises
    ------
    ValueError
        Empty input, or no unit with at least two ratings.
    """
    rows = ratings_rows(reliability_data, "reliability_data")
    counts, _ = unit_category_counts(rows)
    m = counts.sum(axis=1)
    pairable = m >= 2
    if not pairable.any():
        raise ValueError(
            "krippendorff_alpha_nominal: no unit has two or more ratings, alpha is not computable"
        )
    U = counts[pairable].astype(float)
    w = 1.0 / (m[pairable] - 1.0)
    # coincidence matrix o_ck = sum_u (n_uc n_uk - [c==k] n_uc) / (m_u - 1)
    o = (U * w[:, None]).T @ U - np.diag((U * w[:, None]).sum(axis=0))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    de = n * n - float((n_c**2).sum())
    if de <= 1e-12 * max(n * n, 1.0):
        return float("nan")
    do = n - float(np.trace(o))
    return float(1.0 - (n - 1.0) * do / de)


def gwet_ac1(
    ratings: Any, *, categories: Sequence[Hashable] | None = None
) -> float:
    """Gwet's AC1 for two or more raters on a nominal scale (Gwet 2008).

    Parameters
    ----------
    ratings
        **Units x raters** matrix ``(n_units, n_raters)`` of hashable labels,
        ``n_raters >= 2``; ``None`` / NaN mark missing ratings.
    categories
        The full category set ``q``. Defaults to the categories observed in
        ``ratings``. Matters because the chance term divides by ``q - 1``:
        for per-code presence/absence pass ``categories=[0, 1]``.

    Returns
    -------
    float
        ``(p_a - p_e) / (1 - p_e)`` where, with ``r_i`` raters on unit ``i``
        and ``r_ik`` of them choosing category ``k``,

        * ``p_a = mean over units with r_i >= 2 of
          sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))``
        * ``pi_k = mean over units with r_i >= 1 of r_ik / r_i``
        * ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``.

        For two raters and complete data this is Gwet's two-rater formula.
        Returns NaN when ``q < 2`` (only one category observed and no
        ``categories`` given), where ``p_e`` is undefined. If ``q >= 2`` but all
        ratings fall in one category, ``p_e = 0`` and AC1 = ``p_a`` = 1.

    Raises
    ------
    ValueError
        Empty input, fewer than two raters, or no unit with two ratings.
    """
    rows = ratings_rows(ratings, "ratings")
    if len(rows[0]) < 2:
        raise ValueError("gwet_ac1 needs at least two raters (columns)")
    counts, cats = unit_category_counts(rows, categories)
    r = counts.sum(axis=1)
    two = r >= 2
    if not two.any():
        raise ValueError("gwet_ac1: no unit was rated by two or more raters")
    rr = r[two].astype(float)
    c2 = counts[two].astype(float)
    pa = float(np.mean((c2 * (c2 - 1)).sum(axis=1) / (rr * (rr - 1))))
    q = len(cats)
    if q < 2:
        return float("nan")
    one = r >= 1
    pi = (counts[one] / r[one][:, None]).mean(axis=0)
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    return (pa - pe) / (1.0 - pe)


def ratings_to_table(
    ratings: Any, categories: Sequence[Hashable] | None = None
) -> tuple[np.ndarray, list]:
    """Convert raw units x raters labels to a Fleiss count table.

    Returns ``(table, categories)`` where ``table[i, k]`` is the number of
    raters who put unit ``i`` in ``categories[k]`` (missing ratings skipped).
    Categories are in order of first appearance unless given. Equivalent to
    ``statsmodels.stats.inter_rater.aggregate_raters`` up to column order.
    """
    rows = ratings_rows(ratings, "ratings")
    return unit_category_counts(rows, categories)


def fleiss_kappa(ratings: Any, *, table: bool = False) -> float:
    """Fleiss' kappa for a fixed number of raters per unit (intended for >= 3).

    Parameters
    ----------
    ratings
        Either raw labels, **units x raters** ``(n_units, n_raters)`` with no
        missing values (default), or -- with ``table=True`` -- a count table
        ``(n_units, n_categories)`` of non-negative integers whose rows all sum
        to the same number of raters ``n >= 2`` (the format of
        ``statsmodels.stats.inter_rater.fleiss_kappa``).

    Returns
    -------
    float
        ``(P_bar - P_e) / (1 - P_e)``; NaN when ``P_e == 1`` (all ratings in one
        category). Matches statsmodels ``fleiss_kappa(table, method="fleiss")``.
        With two raters it reduces to Scott's pi.

    Raises
    ------
    ValueError
        Empty input, missing raw ratings, unequal raters per unit, fewer than
        two raters.
    """
    if table:
        t = np.asarray(ratings)
        if t.ndim != 2 or t.shape[0] == 0 or t.shape[1] == 0:
            raise ValueError("fleiss_kappa: table must be a non-empty 2-D (n_units, n_categories) array")
        if not np.issubdtype(t.dtype, np.number) or (t < 0).any() or (t != np.round(t)).any():
            raise ValueError("fleiss_kappa: table must contain non-negative integer counts")
        counts = t.astype(np.int64)
    else:
        rows = ratings_rows(ratings, "ratings")
        if any(is_missing(v) for row in rows for v in row):
            raise ValueError(
                "fleiss_kappa requires every rater to rate every unit; found None/NaN "
                "(use krippendorff_alpha_nominal or gwet_ac1 for missing data)"
            )
        counts, _ = unit_category_counts(rows)
    n_per = counts.sum(axis=1)
    if not (n_per == n_per[0]).all():
        raise ValueError("fleiss_kappa: every unit must have the same number of ratings")
    n = int(n_per[0])
    if n < 2:
        raise ValueError("fleiss_kappa needs at least two raters per unit")
    N = counts.shape[0]
    c = counts.astype(float)
    p_j = c.sum(axis=0) / (N * n)
    P_i = ((c * c).sum(axis=1) - n) / (n * (n - 1))
    P_bar = float(P_i.mean())
    P_e = float((p_j**2).sum())
    if abs(1.0 - P_e) < 1e-12:
        return float("nan")
    return (P_bar - P_e) / (1.0 - P_e)
