"""Cross-validation of the code suggester beside simple baselines, on the same folds, with honest intervals.

:func:`evaluate` runs everything: every method of :mod:`eval.methods` on every fold
(:func:`cross_validate`), every figure of :mod:`eval.scoring` per method, the suggester's learning curve
(:func:`learning_curve`) and, with several human coders, the human–human comparison of
:mod:`eval.agreement`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import metrics
from .agreement import human_agreement, suggester_vs_coders
from .methods import (CodedData, KnnMethod, MethodRun, MostFrequentMethod, Prediction, SuggesterMethod,
                      TfidfSvmMethod, ZeroShotMethod, default_methods)
from .scoring import HEADLINE_KEYS, method_metrics, ranked_codes, true_code_sets
from .splits import Fold, check_folds, examples_per_code

__all__ = [
    "cross_validate", "learning_curve", "default_learning_curve_folds", "evaluate", "LEARNING_CURVE_SIZES",
    # re-exported for callers that knew them here before the methods and the scoring got their own rooms
    "CodedData", "Prediction", "MethodRun", "SuggesterMethod", "MostFrequentMethod", "TfidfSvmMethod",
    "ZeroShotMethod", "KnnMethod", "default_methods", "method_metrics", "HEADLINE_KEYS",
]

LEARNING_CURVE_SIZES: tuple[int | None, ...] = (1, 2, 5, 10, 20, None)  # None: every training segment


def cross_validate(data: CodedData, folds: Sequence[Fold], methods: Sequence[Any], *,
                   progress: bool = False, check_groups: bool = True) -> tuple[dict[str, MethodRun], np.ndarray]:
    """Run every method on every fold. Returns ``({name: MethodRun}, tested)`` where ``tested`` is the
    sorted array of segments that were in some test set. A segment tested twice raises ``ValueError``."""
    check_folds(folds, data.groups if check_groups else None)
    n, C = data.Y.shape
    runs = {m.name: MethodRun(m.name, m.label, m.probabilistic, np.full((n, C), np.nan),
                              np.zeros((n, C), dtype=bool), np.zeros(n, dtype=bool)) for m in methods}
    seen = np.zeros(n, dtype=int)
    iterator: Any = list(enumerate(folds))
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc=f"{data.name}: folds", unit="fold")
    for _, (train, test) in iterator:
        seen[test] += 1
        for method in methods:
            if progress:
                iterator.set_postfix_str(method.name)
            began = time.perf_counter()
            out = method.predict(data, np.asarray(train), np.asarray(test))
            run = runs[method.name]
            run.seconds.append(time.perf_counter() - began)
            run.scores[test] = out.scores
            run.predicted[test] = out.predicted
            run.confident[test] = out.confident
    if (seen > 1).any():
        raise ValueError("a segment is in the test set of more than one fold")
    return runs, np.flatnonzero(seen > 0)


# -- learning curve ----------------------------------------------------------------------------------
def learning_curve(data: CodedData, folds: Sequence[Fold], *, sizes: Sequence[int | None] = LEARNING_CURVE_SIZES,
                   fold_indices: Sequence[int] | None = None, seed: int = 0, repeats: int = 3,
                   method: Any | None = None, progress: bool = False) -> dict[str, Any]:
    """Agreement of the suggester trained on ``n`` examples per code (see :func:`eval.splits.examples_per_code`)
    with the truth on the full test set of the chosen folds (default: the first), predictions pooled over
    those folds. ``None`` in ``sizes`` means the whole training set (uncoded segments included). Each
    subsampled size is drawn ``repeats`` times (seeds ``seed``, ``seed + 1``, ...): the point is the mean,
    ``*_range`` the lowest and highest of the repeats."""
    method = method or SuggesterMethod()
    fold_indices = list(fold_indices) if fold_indices is not None else [0]
    chosen = [folds[i] for i in fold_indices]
    test_all = np.concatenate([test for _, test in chosen])
    T = data.Y[test_all]
    most = int(min(data.Y[train].sum(axis=0).max() for train, _ in chosen))
    sizes = [n for n in sizes if n is None or n < most] or [None]  # larger n: every example, i.e. 'all'
    steps: Any = [(n, r, k) for n in sizes for r in range(1 if n is None else repeats) for k in range(len(chosen))]
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc=f"{data.name}: learning curve", unit="fit")
    results: dict[Any, dict[int, list[Prediction]]] = {}
    train_sizes: dict[Any, list[int]] = {}
    for n, r, k in steps:
        train, test = chosen[k]
        subset = examples_per_code(data.Y, n, seed=seed + r, candidates=train)
        results.setdefault(n, {}).setdefault(r, []).append(method.predict(data, subset, test))
        train_sizes.setdefault(n, []).append(len(subset))
    points = [_curve_point(data, T, n, results[n], train_sizes[n]) for n in sizes]
    return {"method": method.name, "folds": fold_indices, "test_segments": int(len(test_all)), "seed": seed,
            "repeats": repeats, "points": points}


def _curve_point(data: CodedData, T: np.ndarray, n: int | None, repeats: dict[int, list[Prediction]],
                 train_sizes: list[int]) -> dict[str, Any]:
    """One learning-curve point: mean and range over the repeats of micro-F1, hit@1 and hit@3."""
    has_truth = T.sum(axis=1) > 0
    truth_t = [t for t, h in zip(true_code_sets(T, data.codes), has_truth) if h]
    values: dict[str, list[float]] = {"micro_f1": [], "hit@1": [], "hit@3": []}
    for predictions in repeats.values():
        predicted = np.concatenate([p.predicted for p in predictions]).astype(np.int8)
        ranked = ranked_codes(np.concatenate([p.scores for p in predictions]), data.codes)
        ranked_t = [x for x, h in zip(ranked, has_truth) if h]
        values["micro_f1"].append(metrics.micro_f1(T, predicted))
        values["hit@1"].append(metrics.hit_at_k(ranked_t, truth_t, 1) if ranked_t else float("nan"))
        values["hit@3"].append(metrics.hit_at_k(ranked_t, truth_t, 3) if ranked_t else float("nan"))
    point: dict[str, Any] = {"examples_per_code": "all" if n is None else int(n),
                             "training_segments": float(np.mean(train_sizes)), "repeats": len(repeats)}
    for key, vals in values.items():
        point[key] = float(np.mean(vals))
        point[f"{key}_range"] = [float(np.min(vals)), float(np.max(vals))]
    return point


def default_learning_curve_folds(folds: Sequence[Fold], *, share: float = 0.2, minimum: int = 30) -> list[int]:
    """The first folds whose test sets together hold at least ``share`` of all tested segments and at least
    ``minimum`` segments (all folds if that is never reached): the first of 5 folds; every fold of a
    leave-one-out on a small set."""
    total = sum(len(test) for _, test in folds)
    chosen, count = [], 0
    for k, (_, test) in enumerate(folds):
        chosen.append(k)
        count += len(test)
        if count >= share * total and count >= minimum:
            break
    return chosen


# -- everything ----------------------------------------------------------------------------------------
def evaluate(data: CodedData, folds: Sequence[Fold], *, split: str, methods: Sequence[Any] | None = None,
             n_boot: int = 1000, seed: int = 0, learning_curve_sizes: Sequence[int | None] | None = LEARNING_CURVE_SIZES,
             learning_curve_folds: Sequence[int] | None = None, progress: bool = False,
             check_groups: bool = True) -> dict[str, Any]:
    """Cross-validate every method, compute every figure, the learning curve and the human comparisons.

    Returns a JSON-ready dict (NaN as float; :mod:`eval.report` writes it out)."""
    began = time.perf_counter()
    methods = list(methods) if methods is not None else default_methods(prototypes=data.prototypes is not None)
    runs, tested = cross_validate(data, folds, methods, progress=progress, check_groups=check_groups)
    cv_seconds = time.perf_counter() - began
    result: dict[str, Any] = {"dataset": _dataset_summary(data, tested, split, len(folds)), "methods": {},
                              "notes": list(data.notes)}
    metrics_began = time.perf_counter()
    for method in methods:
        is_suggester = method.name == "suggester"
        result["methods"][method.name] = method_metrics(
            data, runs[method.name], tested, n_boot=n_boot, seed=seed, per_code_ci=is_suggester,
            confusion=is_suggester)
    metrics_seconds = time.perf_counter() - metrics_began
    curve_began = time.perf_counter()
    result["learning_curve"] = None
    if learning_curve_sizes and any(m.name == "suggester" for m in methods):
        suggester = next(m for m in methods if m.name == "suggester")
        if learning_curve_folds is None:
            learning_curve_folds = default_learning_curve_folds(folds)
        result["learning_curve"] = learning_curve(data, folds, sizes=learning_curve_sizes,
                                                  fold_indices=learning_curve_folds, seed=seed,
                                                  method=suggester, progress=progress)
    curve_seconds = time.perf_counter() - curve_began
    result.update(_human_comparisons(data, runs, tested))
    result["seconds"] = round(time.perf_counter() - began, 2)
    result["seconds_by_step"] = {"cross_validation": round(cv_seconds, 2), "metrics_and_bootstrap": round(metrics_seconds, 2),
                                 "learning_curve": round(curve_seconds, 2)}
    return result


def _dataset_summary(data: CodedData, tested: np.ndarray, split: str, folds: int) -> dict[str, Any]:
    return {
        "name": data.name, "segments": len(data.texts), "tested_segments": int(len(tested)),
        "codes": len(data.codes), "groups": len(set(data.groups)), "split": split, "folds": folds,
        "codes_per_segment": float(data.Y.sum(axis=1).mean()),
        "uncoded_segments": int((data.Y.sum(axis=1) == 0).sum()),
        "prototypes": data.prototypes is not None,
    }


def _human_comparisons(data: CodedData, runs: dict[str, MethodRun], tested: np.ndarray) -> dict[str, Any]:
    """Human–human agreement and the suggester beside each coder (None without several coders' codings)."""
    out: dict[str, Any] = {"human": None, "suggester_vs_coders": None}
    if data.codings and data.unit_ids is not None and "suggester" in runs:
        out["human"] = human_agreement(data.codings, data.codes)
        run = runs["suggester"]
        tested_set = set(tested.tolist())
        predicted = {data.unit_ids[i]: {data.codes[j] for j in np.flatnonzero(run.predicted[i])}
                     for i in tested_set}
        top1 = {data.unit_ids[i]: data.codes[int(np.argmax(run.scores[i]))] for i in tested_set}
        out["suggester_vs_coders"] = suggester_vs_coders(data.codings, predicted, data.codes, top1=top1)
    return out
