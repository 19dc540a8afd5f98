"""Cluster (group) bootstrap: replicates of a statistic and its percentile interval."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np


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
