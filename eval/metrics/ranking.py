"""Scores of ranked suggestions: hit@k, reciprocal rank / MRR, coverage and accuracy of confident top-1."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np


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
