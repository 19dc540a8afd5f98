"""Pure evaluation metrics for codeseed.

Everything here is a pure function of numpy arrays / Python sequences: no I/O,
no global state, no dependency on the rest of codeseed, and only numpy at
runtime (scikit-learn, ``krippendorff`` and statsmodels are used by the tests
as reference implementations only).

Conventions used throughout
---------------------------
Indicator matrices
    ``y_true`` / ``y_pred`` are binary indicator matrices of shape
    ``(n_segments, n_codes)`` with entries 0/1 (bool accepted). Column ``j``
    answers "is code ``j`` applied to this segment?".

Raw rating matrices (agreement between coders)
    **Always units x coders**: shape ``(n_units, n_coders)``, one row per
    segment, one column per coder, the same orientation as the indicator
    matrices and as ``statsmodels.stats.inter_rater.aggregate_raters``.
    NOTE: the ``krippendorff`` PyPI package uses the opposite orientation
    (coders x units); transpose before comparing. Entries are arbitrary
    hashable labels (nominal scale). Missing ratings are ``None`` or a float
    NaN (``float('nan')`` / ``np.nan``); which functions accept missing values
    is stated per function.

Undefined values (NaN)
    A chance-corrected coefficient is undefined when the expected disagreement
    is zero, i.e. every rating is the same single category. Following
    scikit-learn's ``cohen_kappa_score`` (which returns NaN there), the
    coefficients in this module return ``float('nan')`` in that case instead of
    raising. No warning is emitted. Aggregates over codes (:func:`mean_kappa`)
    skip NaN values and return NaN only when every per-code value is NaN.

Zero division (precision / recall / F1)
    Like scikit-learn's ``zero_division=0``: a ratio whose denominator is 0 is
    reported as ``zero_division`` (default 0.0). F1 is computed as
    ``2*tp / (2*tp + fp + fn)`` (scikit-learn >= 1.3 semantics), so it is
    ``zero_division`` only when ``tp == fp == fn == 0`` (code neither used nor
    predicted). Macro-F1 averages over *all* codes, so a code that is never
    used and never predicted contributes ``zero_division`` (0 by default) --
    exactly like scikit-learn. With ``zero_division=nan`` such codes are
    excluded from the macro average (again like scikit-learn).

Empty input
    Every function raises ``ValueError`` with an explanatory message for empty
    input (zero segments / units / groups) and for mismatched lengths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "cohen_kappa",
    "per_code_scores",
    "micro_f1",
    "macro_f1",
    "mean_kappa",
    "krippendorff_alpha_nominal",
    "gwet_ac1",
    "fleiss_kappa",
    "ratings_to_table",
    "hits_at_k",
    "hit_at_k",
    "reciprocal_ranks",
    "mrr",
    "coverage_and_accuracy",
    "ReliabilityBin",
    "reliability_curve",
    "expected_calibration_error",
    "bootstrap_statistics",
    "bootstrap_ci",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    """True for ``None`` and float NaN (python or numpy)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def _as_label_list(x: Any, name: str) -> list:
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {x.shape}")
        return x.tolist()
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of labels, not a string")
    return list(x)


def _indicator(y: Any, name: str) -> np.ndarray:
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


def _pair_indicators(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = _indicator(y_true, "y_true")
    p = _indicator(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred shapes differ: {t.shape} vs {p.shape}")
    return t, p


def _counts(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tp = (t & p).sum(axis=0)
    fp = ((1 - t) & p).sum(axis=0)
    fn = (t & (1 - p)).sum(axis=0)
    tn = ((1 - t) & (1 - p)).sum(axis=0)
    return tp, fp, fn, tn


def _safe_div(num: float, den: float, zero_division: float) -> float:
    return float(num) / float(den) if den != 0 else float(zero_division)


def _check_zero_division(zero_division: float) -> float:
    zd = float(zero_division)
    if not (zd in (0.0, 1.0) or math.isnan(zd)):
        raise ValueError("zero_division must be 0, 1 or nan")
    return zd


def _kappa_from_confusion(conf: np.ndarray) -> float:
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


def _binary_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    return _kappa_from_confusion(np.array([[tn, fp], [fn, tp]], dtype=object))


def _ratings_matrix(ratings: Any, name: str = "ratings") -> list[list]:
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


def _unit_category_counts(
    rows: list[list], categories: Sequence[Hashable] | None = None
) -> tuple[np.ndarray, list]:
    """Count, per unit, how many coders chose each category (missing skipped).

    Returns ``(counts, categories)`` with ``counts`` of shape
    ``(n_units, n_categories)``.
    """
    index: dict[Hashable, int] = {}
    if categories is not None:
        for c in categories:
            if _is_missing(c):
                raise ValueError("categories must not contain None/NaN")
            index.setdefault(c, len(index))
    fixed = categories is not None
    coded: list[list[int]] = []
    for row in rows:
        idxs = []
        for v in row:
            if _is_missing(v):
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


# ---------------------------------------------------------------------------
# per-code presence / absence
# ---------------------------------------------------------------------------


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
    la = _as_label_list(a, "a")
    lb = _as_label_list(b, "b")
    if len(la) != len(lb):
        raise ValueError(f"a and b must have the same length, got {len(la)} and {len(lb)}")
    if len(la) == 0:
        raise ValueError("cohen_kappa needs at least one rated item; got empty input")
    if any(_is_missing(v) for v in la) or any(_is_missing(v) for v in lb):
        raise ValueError("cohen_kappa does not support missing values (None/NaN)")
    index: dict[Hashable, int] = {}
    for v in la + lb:
        index.setdefault(v, len(index))
    q = len(index)
    conf = np.zeros((q, q), dtype=np.int64)
    ia = np.fromiter((index[v] for v in la), dtype=np.int64, count=len(la))
    ib = np.fromiter((index[v] for v in lb), dtype=np.int64, count=len(lb))
    np.add.at(conf, (ia, ib), 1)
    return _kappa_from_confusion(conf)


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
    t, p = _pair_indicators(y_true, y_pred)
    codes = list(codes)
    if len(codes) != t.shape[1]:
        raise ValueError(f"got {len(codes)} codes for {t.shape[1]} indicator columns")
    zd = _check_zero_division(zero_division)
    tp, fp, fn, tn = _counts(t, p)
    out = []
    for j, code in enumerate(codes):
        a, b, c, d = int(tp[j]), int(fp[j]), int(fn[j]), int(tn[j])
        out.append(
            {
                "code": code,
                "precision": _safe_div(a, a + b, zd),
                "recall": _safe_div(a, a + c, zd),
                "f1": _safe_div(2 * a, 2 * a + b + c, zd),
                "kappa": _binary_kappa(a, b, c, d),
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
    t, p = _pair_indicators(y_true, y_pred)
    zd = _check_zero_division(zero_division)
    tp, fp, fn, _ = _counts(t, p)
    TP, FP, FN = int(tp.sum()), int(fp.sum()), int(fn.sum())
    return _safe_div(2 * TP, 2 * TP + FP + FN, zd)


def macro_f1(y_true: Any, y_pred: Any, *, zero_division: float = 0.0) -> float:
    """Unweighted mean of per-code F1 over **all** codes (columns).

    A code with tp=fp=fn=0 (never used, never predicted) scores
    ``zero_division`` (0 by default) and is included in the mean, exactly like
    ``sklearn.metrics.f1_score(..., average="macro", zero_division=0)``. With
    ``zero_division=nan`` those codes are skipped (NaN if all are skipped).
    """
    t, p = _pair_indicators(y_true, y_pred)
    zd = _check_zero_division(zero_division)
    tp, fp, fn, _ = _counts(t, p)
    f1s = np.array(
        [_safe_div(2 * a, 2 * a + b + c, zd) for a, b, c in zip(tp, fp, fn)], dtype=float
    )
    if np.isnan(f1s).all():
        return float("nan")
    return float(np.nanmean(f1s))


def mean_kappa(y_true: Any, y_pred: Any) -> float:
    """Mean over codes of the per-code Cohen's kappa, **skipping NaN**.

    Codes whose kappa is undefined (both columns constant and equal) are left
    out of the mean. Returns NaN if every code's kappa is undefined.
    """
    t, p = _pair_indicators(y_true, y_pred)
    tp, fp, fn, tn = _counts(t, p)
    ks = np.array(
        [_binary_kappa(int(a), int(b), int(c), int(d)) for a, b, c, d in zip(tp, fp, fn, tn)],
        dtype=float,
    )
    if np.isnan(ks).all():
        return float("nan")
    return float(np.nanmean(ks))


# ---------------------------------------------------------------------------
# multi-coder agreement
# ---------------------------------------------------------------------------


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
    rows = _ratings_matrix(reliability_data, "reliability_data")
    counts, _ = _unit_category_counts(rows)
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
    rows = _ratings_matrix(ratings, "ratings")
    if len(rows[0]) < 2:
        raise ValueError("gwet_ac1 needs at least two raters (columns)")
    counts, cats = _unit_category_counts(rows, categories)
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
    rows = _ratings_matrix(ratings, "ratings")
    return _unit_category_counts(rows, categories)


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
        rows = _ratings_matrix(ratings, "ratings")
        if any(_is_missing(v) for row in rows for v in row):
            raise ValueError(
                "fleiss_kappa requires every rater to rate every unit; found None/NaN "
                "(use krippendorff_alpha_nominal or gwet_ac1 for missing data)"
            )
        counts, _ = _unit_category_counts(rows)
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


# ---------------------------------------------------------------------------
# ranked suggestions
# ---------------------------------------------------------------------------


def _check_ranked(ranked: Sequence[Sequence[Hashable]], truth: Sequence[Iterable[Hashable]]) -> tuple[list[list], list[set]]:
    ranked_l = [list(r) for r in ranked]
    truth_l = [set(t) for t in truth]
    if len(ranked_l) != len(truth_l):
        raise ValueError(
            f"ranked suggestions and truth differ in length: {len(ranked_l)} vs {len(truth_l)}"
        )
    if len(ranked_l) == 0:
        raise ValueError("need at least one segment; got empty input")
    return ranked_l, truth_l


def _finish(values: list[float], truth_l: list[set], empty_truth: str) -> np.ndarray:
    if empty_truth not in ("miss", "skip"):
        raise ValueError("empty_truth must be 'miss' or 'skip'")
    arr = np.asarray(values, dtype=float)
    if empty_truth == "skip":
        arr = arr[np.array([len(t) > 0 for t in truth_l], dtype=bool)]
    return arr


def hits_at_k(
    ranked_codes_per_segment: Sequence[Sequence[Hashable]],
    true_code_sets: Sequence[Iterable[Hashable]],
    k: int,
    *,
    empty_truth: str = "miss",
) -> np.ndarray:
    """Per-segment hit@k indicators (float array of 0.0 / 1.0).

    Segment ``i`` scores 1 if any of the first ``k`` entries of
    ``ranked_codes_per_segment[i]`` (best first) is in ``true_code_sets[i]``.
    Segments with an empty truth set count as misses (``empty_truth="miss"``,
    default) or are dropped from the output (``"skip"``).
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    ranked_l, truth_l = _check_ranked(ranked_codes_per_segment, true_code_sets)
    vals = [1.0 if any(c in t for c in r[: int(k)]) else 0.0 for r, t in zip(ranked_l, truth_l)]
    return _finish(vals, truth_l, empty_truth)


def hit_at_k(
    ranked_codes_per_segment: Sequence[Sequence[Hashable]],
    true_code_sets: Sequence[Iterable[Hashable]],
    k: int,
    *,
    empty_truth: str = "miss",
) -> float:
    """Share of segments with at least one true code among the top ``k``.

    See :func:`hits_at_k`. NaN if ``empty_truth="skip"`` leaves no segment.
    """
    arr = hits_at_k(ranked_codes_per_segment, true_code_sets, k, empty_truth=empty_truth)
    return float(arr.mean()) if arr.size else float("nan")


def reciprocal_ranks(
    ranked_codes_per_segment: Sequence[Sequence[Hashable]],
    true_code_sets: Sequence[Iterable[Hashable]],
    *,
    k: int | None = None,
    empty_truth: str = "miss",
) -> np.ndarray:
    """Per-segment reciprocal rank ``1 / rank`` of the first true code.

    Ranks are 1-based positions in the ranked list; 0.0 when no true code
    appears (within the first ``k`` entries if ``k`` is given). Empty truth
    sets: see :func:`hits_at_k`.
    """
    if k is not None and (int(k) != k or k < 1):
        raise ValueError(f"k must be a positive integer or None, got {k!r}")
    ranked_l, truth_l = _check_ranked(ranked_codes_per_segment, true_code_sets)
    vals = []
    for r, t in zip(ranked_l, truth_l):
        rr = 0.0
        for pos, c in enumerate(r if k is None else r[: int(k)], start=1):
            if c in t:
                rr = 1.0 / pos
                break
        vals.append(rr)
    return _finish(vals, truth_l, empty_truth)


def mrr(
    ranked_codes_per_segment: Sequence[Sequence[Hashable]],
    true_code_sets: Sequence[Iterable[Hashable]],
    *,
    k: int | None = None,
    empty_truth: str = "miss",
) -> float:
    """Mean reciprocal rank of the first true code (0 for a segment with none).

    See :func:`reciprocal_ranks`. NaN if ``empty_truth="skip"`` leaves no segment.
    """
    arr = reciprocal_ranks(ranked_codes_per_segment, true_code_sets, k=k, empty_truth=empty_truth)
    return float(arr.mean()) if arr.size else float("nan")


def coverage_and_accuracy(
    top_scores: Sequence[float],
    thresholds_or_threshold: float | Sequence[float],
    ranked: Sequence[Sequence[Hashable]],
    truth: Sequence[Iterable[Hashable]],
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    """Coverage / selective accuracy of "confident" top-1 suggestions.

    Parameters
    ----------
    top_scores
        Per-segment score of the top-ranked suggestion (NaN = no suggestion,
        never covered).
    thresholds_or_threshold
        A scalar threshold, or a 1-D sequence of thresholds. A segment is
        *covered* at threshold ``t`` when ``top_score >= t``.
    ranked, truth
        Ranked codes and true code sets per segment (as for :func:`hit_at_k`).

    Returns
    -------
    ``(coverage, accuracy)``
        ``coverage`` = share of all segments that are covered; ``accuracy`` =
        hit@1 among covered segments (NaN when nothing is covered). Segments
        with an empty truth set count as misses. Floats for a scalar
        threshold, arrays aligned with the thresholds for a sequence.
    """
    scores = np.asarray(top_scores, dtype=float)
    if scores.ndim != 1:
        raise ValueError("top_scores must be one-dimensional")
    hits = hits_at_k(ranked, truth, 1)
    if scores.shape[0] != hits.shape[0]:
        raise ValueError(
            f"top_scores has {scores.shape[0]} entries but there are {hits.shape[0]} segments"
        )
    thr = np.asarray(thresholds_or_threshold, dtype=float)
    scalar = thr.ndim == 0
    thr1 = np.atleast_1d(thr)
    if thr1.ndim != 1:
        raise ValueError("thresholds must be a scalar or 1-D")
    if thr1.size == 0:
        raise ValueError("need at least one threshold")
    covered = scores[None, :] >= thr1[:, None]  # NaN scores compare False
    n_cov = covered.sum(axis=1)
    coverage = n_cov / scores.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(n_cov > 0, (covered * hits[None, :]).sum(axis=1) / np.maximum(n_cov, 1), np.nan)
    if scalar:
        return float(coverage[0]), float(accuracy[0])
    return coverage.astype(float), accuracy.astype(float)


# ---------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# cluster bootstrap
# ---------------------------------------------------------------------------


def bootstrap_statistics(
    values_by_group: Mapping[Hashable, Sequence[Any]],
    statistic: Callable[[list[Any]], float],
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> np.ndarray:
    """Bootstrap distribution of ``statistic`` under cluster (group) resampling.

    Each replicate draws ``len(values_by_group)`` group keys uniformly **with
    replacement** (groups = documents / interviews), concatenates the drawn
    groups' per-segment items (a group drawn twice contributes its items
    twice, whole and in order) and calls ``statistic`` on the resulting flat
    list. Groups are taken in the mapping's iteration order, so a given seed
    and mapping always give the same result. Returns an array of
    ``n_resamples`` floats (NaN where the statistic was NaN).
    """
    if int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    keys = list(values_by_group.keys())
    if not keys:
        raise ValueError("bootstrap needs at least one group; got an empty mapping")
    groups = [list(values_by_group[k]) for k in keys]
    rng = np.random.default_rng(seed)
    G = len(groups)
    draws = rng.integers(0, G, size=(int(n_resamples), G))
    out = np.empty(int(n_resamples), dtype=float)
    for r in range(int(n_resamples)):
        sample: list[Any] = []
        for g in draws[r]:
            sample.extend(groups[g])
        out[r] = float(statistic(sample))
    return out


def bootstrap_ci(
    values_by_group: Mapping[Hashable, Sequence[Any]],
    statistic: Callable[[list[Any]], float],
    n_resamples: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 0,
) -> tuple[float, float]:
    """Percentile cluster-bootstrap confidence interval.

    Parameters
    ----------
    values_by_group
        ``{group_id: [per-segment item, ...]}``; items are whatever the
        statistic needs (e.g. ``(true_row, pred_row)`` tuples, a hit flag,
        ``(score, correct)``...). Resampling is over groups, never over
        individual segments.
    statistic
        Callable mapping a flat list of items to a float.
    n_resamples, alpha, seed
        Number of replicates; the interval is the ``alpha/2`` and
        ``1 - alpha/2`` percentiles (linear interpolation, ``np.percentile``);
        ``seed`` for ``np.random.default_rng`` -- same seed, same interval.

    Returns
    -------
    ``(low, high)``. Replicates whose statistic is NaN (e.g. kappa undefined
    in that resample) are dropped before taking percentiles; if all are NaN,
    returns ``(nan, nan)``.
    """
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    stats = bootstrap_statistics(values_by_group, statistic, n_resamples, seed)
    stats = stats[~np.isnan(stats)]
    if stats.size == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(stats, [100.0 * alpha / 2.0, 100.0 * (1.0 - alpha / 2.0)])
    return float(low), float(high)
