"""How coded segments are split for evaluation. Pure functions of labels and groups; no I/O.

A *fold* is a pair ``(train, test)`` of sorted integer index arrays into the data set. Every splitter
here keeps a *group* (a document, an interview, a participant, a respondent) whole: a group's segments are
all in ``train`` or all in ``test``, because segments of one interview resemble each other far more than
segments of different interviews, and a suggester tested on the neighbours of its own examples looks better
than it will be on a new interview.

* :func:`grouped_kfold` — K folds that never split a group (wraps :func:`suggest.out_of_fold.grouped_folds`,
  the splitter the suggester's own calibration uses: groups dealt largest first, round robin; deterministic).
* :func:`leave_one_out` — one segment per fold (the classic small-sample design; groups are *not* kept
  whole, so other segments of the same participant stay in training — say so when reporting it).
* :func:`leave_one_group_out` — one group per fold.
* :func:`train_test_by_column` — one fold: the rows whose value in some column is listed are the test set.
* :func:`examples_per_code` — a training subset with ``n`` examples of each code, for learning curves.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from suggest.out_of_fold import grouped_folds

Fold = tuple[np.ndarray, np.ndarray]

__all__ = [
    "Fold",
    "grouped_kfold",
    "leave_one_out",
    "leave_one_group_out",
    "train_test_by_column",
    "examples_per_code",
    "check_folds",
]


def grouped_kfold(groups: Sequence[Hashable], n_folds: int) -> list[Fold]:
    """``n_folds`` folds that never put one group in both train and test.

    Groups are dealt largest first to the currently smallest fold, so folds have similar sizes.
    Deterministic (no seed). With fewer groups than folds, there is one fold per group.

    Raises ``ValueError`` for ``n_folds < 2``, empty input, or fewer than two groups.
    """
    if int(n_folds) != n_folds or n_folds < 2:
        raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    groups = list(groups)
    if not groups:
        raise ValueError("no segments to split")
    if len(set(groups)) < 2:
        raise ValueError("grouped cross-validation needs at least two groups (documents or participants); "
                         f"found {len(set(groups))}")
    return [(np.asarray(train, dtype=int), np.asarray(test, dtype=int))
            for train, test in grouped_folds(groups, int(n_folds))]


def leave_one_out(n: int) -> list[Fold]:
    """``n`` folds, each testing one segment on all the others (groups are not kept whole)."""
    if int(n) != n or n < 2:
        raise ValueError(f"leave-one-out needs at least two segments, got {n!r}")
    everything = np.arange(int(n))
    return [(np.delete(everything, i), np.array([i])) for i in range(int(n))]


def leave_one_group_out(groups: Sequence[Hashable]) -> list[Fold]:
    """One fold per group (in order of first appearance): test on the group, train on all others."""
    groups = list(groups)
    order = list(dict.fromkeys(groups))
    if len(order) < 2:
        raise ValueError(f"leave-one-group-out needs at least two groups; found {len(order)}")
    g = _codes(groups, order)
    return [(np.flatnonzero(g != k), np.flatnonzero(g == k)) for k in range(len(order))]


def _codes(groups: list, order: list) -> np.ndarray:
    position = {x: i for i, x in enumerate(order)}
    return np.array([position[x] for x in groups])


def train_test_by_column(values: Sequence[Hashable], test_values: Sequence[Hashable],
                         groups: Sequence[Hashable] | None = None) -> list[Fold]:
    """A single fold: rows whose value is in ``test_values`` are tested, the others train.

    Values are compared as strings, so ``7`` in a spec matches ``"7"`` read from a CSV. If ``groups`` is
    given, a group found on both sides raises ``ValueError`` (the split would leak).
    """
    wanted = {str(v) for v in test_values}
    if not wanted:
        raise ValueError("train/test split: no test values given")
    is_test = np.array([str(v) in wanted for v in values], dtype=bool)
    if not is_test.any():
        raise ValueError(f"train/test split: no row has one of the test values {sorted(wanted)}")
    if is_test.all():
        raise ValueError("train/test split: every row is in the test set; nothing left to train on")
    if groups is not None:
        groups = list(groups)
        shared = {groups[i] for i in np.flatnonzero(is_test)} & {groups[i] for i in np.flatnonzero(~is_test)}
        if shared:
            raise ValueError(f"train/test split puts group {sorted(map(str, shared))[0]!r} on both sides")
    return [(np.flatnonzero(~is_test), np.flatnonzero(is_test))]


def examples_per_code(Y: np.ndarray, n: int | None, *, seed: int = 0,
                      candidates: Sequence[int] | None = None) -> np.ndarray:
    """Indices of a training subset holding (at least) ``n`` examples of every code, where available.

    For each code in turn (columns in a seeded random order) rows carrying the code are drawn at random
    until the subset holds ``n`` of them (or all there are); a row drawn for one code also counts for
    the other codes it carries, so a frequent code that co-occurs with others may end with more than
    ``n``. ``n=None`` means all candidates. ``candidates`` restricts the pool (default: every row).
    Rows without any code are not drawn (they are no example of anything). Sorted, deterministic per seed.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError("Y must be a 2-D indicator matrix (segments x codes)")
    pool = np.arange(len(Y)) if candidates is None else np.asarray(sorted(candidates), dtype=int)
    if n is None:
        return pool
    if int(n) != n or n < 1:
        raise ValueError(f"examples per code must be a positive integer or None, got {n!r}")
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(Y), dtype=bool)
    sub = Y[pool] > 0
    for c in rng.permutation(Y.shape[1]):
        have = int((chosen[pool] & sub[:, c]).sum())
        if have >= n:
            continue
        available = pool[sub[:, c] & ~chosen[pool]]
        take = rng.permutation(available)[: int(n) - have]
        chosen[take] = True
    return np.flatnonzero(chosen)


def check_folds(folds: Sequence[Fold], groups: Sequence[Hashable] | None = None) -> None:
    """Raise ``ValueError`` if a fold overlaps train and test, is empty, or (given groups) splits a group."""
    if not folds:
        raise ValueError("no folds")
    groups = list(groups) if groups is not None else None
    for k, (train, test) in enumerate(folds):
        if len(test) == 0 or len(train) == 0:
            raise ValueError(f"fold {k} has an empty train or test set")
        if np.intersect1d(train, test).size:
            raise ValueError(f"fold {k} has segments in both train and test")
        if groups is not None:
            shared = {groups[i] for i in train} & {groups[i] for i in test}
            if shared:
                raise ValueError(f"fold {k} puts group {sorted(map(str, shared))[0]!r} in both train and test")
