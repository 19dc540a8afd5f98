"""Cross-validation of the code suggester beside simple baselines, on the same folds, with honest intervals.

The runner works on arrays: texts, their vectors, a label matrix ``Y`` (segments x codes, 0/1) and a
group per segment. Where they come from (a project, a benchmark CSV) is :mod:`eval.datasets`' business.

Methods, each fitted on the training segments of a fold and asked about the test segments only:

``suggester``       the product: :class:`suggest.estimator.CodeSuggester` with default parameters, fitted on
                    the training segments with the codebook prototypes (:func:`suggest.project_suggester.prototype_text`
                    embedded). Predicted codes: ``scores >= thresholds_`` (it may abstain); ranking: scores.
``most_frequent``   every segment gets the m codes most frequent in training, m = the mean number of codes
                    per training segment, rounded, at least 1. Ranking and score: training frequency.
``tfidf_svm``       TF-IDF of word 1-2-grams (sublinear tf) + one linear SVM per code (one-vs-rest, C=1).
                    Predicted: every code with decision >= 0, and the top-1 code when none is >= 0 (so it
                    never abstains; its *coverage* counts only segments with a decision >= 0).
                    Scores are margins, not probabilities: no calibration figures.
``zero_shot``       codebook matching without any example: cosine of the segment to each code's prototype
                    (name + description embedded); predicted: the top-1 code. Score: softmax over codes of
                    cosine / 0.05 (the suggester's prototype channel), uncalibrated.
``knn``             plain k nearest neighbours (k=15) among all training segments, votes weighted by
                    max(0, cosine)^4; score: weighted vote share per code; predicted: share >= 0.5 (fixed,
                    not tuned; it may abstain).

Figures per method (all from :mod:`eval.metrics`): per-code precision/recall/F1/kappa/support, micro- and
macro-F1, mean kappa; hit@1/3/5 and MRR of the ranking (over segments with at least one true code);
coverage = share of those segments with at least one confident (predicted) code, and hit@1 among them;
for probabilistic scores, ECE and the reliability curve of the top-1 score against "the top-1 code is
right"; and 95% percentile bootstrap intervals for micro-F1, hit@1 and hit@3 that resample *groups*
(documents / respondents), never single segments (1000 replicates, seed 0).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from suggest.estimator import CodeSuggester, Example

from . import metrics
from .agreement import human_agreement, suggester_vs_coders
from .splits import Fold, check_folds, examples_per_code

__all__ = [
    "CodedData", "Prediction", "SuggesterMethod", "MostFrequentMethod", "TfidfSvmMethod", "ZeroShotMethod",
    "KnnMethod", "default_methods", "cross_validate", "method_metrics", "learning_curve", "evaluate",
    "HEADLINE_KEYS", "LEARNING_CURVE_SIZES",
]

HEADLINE_KEYS = ("micro_f1", "macro_f1", "mean_kappa", "hit@1", "hit@3", "hit@5", "mrr", "coverage",
                 "hit@1_covered", "ece")
LEARNING_CURVE_SIZES: tuple[int | None, ...] = (1, 2, 5, 10, 20, None)  # None: every training segment


@dataclass
class CodedData:
    """Coded segments ready for evaluation.

    ``Y[i, j] == 1`` when code ``codes[j]`` applies to segment ``i`` (for several coders: the training
    truth chosen by the loader, e.g. the union or the majority). ``codings`` (optional) holds what each
    human coder did, ``{coder: {unit_id: set of codes}}`` with ``unit_ids[i]`` naming segment ``i``,
    for the human–human comparison.
    """

    name: str
    texts: list[str]
    vectors: np.ndarray
    Y: np.ndarray
    groups: list[Hashable]
    codes: list[str]
    names: list[str]
    prototypes: np.ndarray | None = None
    unit_ids: list[Hashable] | None = None
    codings: dict[Hashable, dict[Hashable, set[str]]] | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.Y = np.asarray(self.Y, dtype=np.int8)
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        n = len(self.texts)
        if self.Y.ndim != 2 or self.Y.shape != (n, len(self.codes)):
            raise ValueError(f"Y must have shape (segments, codes) = ({n}, {len(self.codes)}), got {self.Y.shape}")
        if len(self.vectors) != n or len(self.groups) != n:
            raise ValueError("texts, vectors and groups must have one entry per segment")
        if len(self.names) != len(self.codes):
            raise ValueError("names must have one entry per code")
        if self.prototypes is not None and len(self.prototypes) != len(self.codes):
            raise ValueError("prototypes must have one row per code")
        if self.unit_ids is not None and len(self.unit_ids) != n:
            raise ValueError("unit_ids must have one entry per segment")


@dataclass
class Prediction:
    """What a method says about the test segments of a fold."""

    scores: np.ndarray  # (m, n_codes): ranking scores, higher is more likely
    predicted: np.ndarray  # (m, n_codes) bool: the codes it would apply
    confident: np.ndarray  # (m,) bool: it made at least one confident suggestion (did not abstain)


# -- methods ---------------------------------------------------------------------------------------
class SuggesterMethod:
    name, label, probabilistic = "suggester", "codeseed suggester", True

    def __init__(self, **params: Any) -> None:
        self.params = params

    def predict(self, data: CodedData, train: np.ndarray, test: np.ndarray) -> Prediction:
        model = self.fit(data, train)
        scores = np.clip(model.scores(data.vectors[test], [data.texts[i] for i in test]), 0.0, 1.0)
        predicted = scores >= model.thresholds_[None, :]
        return Prediction(scores, predicted, predicted.any(axis=1))

    def fit(self, data: CodedData, train: np.ndarray) -> CodeSuggester:
        examples = [Example(int(i), {data.codes[j]: None for j in np.flatnonzero(data.Y[i])}, data.groups[i])
                    for i in train]
        return CodeSuggester(**self.params).fit(
            data.vectors[train], examples, codes=data.codes, texts=[data.texts[i] for i in train],
            prototypes=data.prototypes)


class MostFrequentMethod:
    name, label, probabilistic = "most_frequent", "most frequent code(s)", True

    def predict(self, data: CodedData, train: np.ndarray, test: np.ndarray) -> Prediction:
        Y = data.Y[train].astype(float)
        frequency = Y.mean(axis=0)
        m = max(1, int(round(float(Y.sum(axis=1).mean()))))
        top = np.argsort(-frequency, kind="stable")[:m]
        predicted = np.zeros((len(test), len(data.codes)), dtype=bool)
        predicted[:, top] = True
        return Prediction(np.tile(frequency, (len(test), 1)), predicted, np.ones(len(test), dtype=bool))


class TfidfSvmMethod:
    name, label, probabilistic = "tfidf_svm", "TF-IDF + linear SVM", False

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def predict(self, data: CodedData, train: np.ndarray, test: np.ndarray) -> Prediction:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        X = vectorizer.fit_transform([data.texts[i] for i in train])
        Xt = vectorizer.transform([data.texts[i] for i in test])
        Y = data.Y[train]
        decision = np.full((len(test), len(data.codes)), -np.inf)
        for c in range(len(data.codes)):
            positives = int(Y[:, c].sum())
            if positives == 0:
                continue  # never seen in training: never predicted
            if positives == len(Y):
                decision[:, c] = np.inf
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                decision[:, c] = LinearSVC(C=self.C).fit(X, Y[:, c]).decision_function(Xt)
        predicted = decision >= 0
        confident = predicted.any(axis=1)
        best = np.argmax(decision, axis=1)
        predicted[np.flatnonzero(~confident), best[~confident]] = True
        return Prediction(decision, predicted, confident)


class ZeroShotMethod:
    name, label, probabilistic = "zero_shot", "codebook matching (zero-shot)", True

    def __init__(self, temperature: float = 0.05) -> None:
        self.temperature = temperature

    def predict(self, data: CodedData, train: np.ndarray, test: np.ndarray) -> Prediction:
        if data.prototypes is None:
            raise ValueError("zero-shot matching needs code prototypes")
        logits = data.vectors[test] @ data.prototypes.T / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        scores = np.exp(logits)
        scores /= scores.sum(axis=1, keepdims=True)
        predicted = np.zeros_like(scores, dtype=bool)
        predicted[np.arange(len(test)), np.argmax(scores, axis=1)] = True
        return Prediction(scores, predicted, np.ones(len(test), dtype=bool))


class KnnMethod:
    name, label, probabilistic = "knn", "plain kNN (k=15)", True

    def __init__(self, k: int = 15, power: float = 4.0, threshold: float = 0.5) -> None:
        self.k, self.power, self.threshold = k, power, threshold

    def predict(self, data: CodedData, train: np.ndarray, test: np.ndarray) -> Prediction:
        sims = data.vectors[test] @ data.vectors[train].T
        k = min(self.k, len(train))
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.clip(np.take_along_axis(sims, top, axis=1).astype(np.float64), 0, None) ** self.power
        votes = data.Y[train][top].astype(np.float64)  # (m, k, codes)
        total = weights.sum(axis=1, keepdims=True)
        share = np.clip(np.einsum("mk,mkc->mc", weights, votes) / np.where(total > 0, total, 1.0), 0.0, 1.0)
        predicted = share >= self.threshold
        return Prediction(share, predicted, predicted.any(axis=1))


def default_methods(*, prototypes: bool = True) -> list[Any]:
    methods: list[Any] = [SuggesterMethod(), MostFrequentMethod(), TfidfSvmMethod()]
    if prototypes:
        methods.append(ZeroShotMethod())
    methods.append(KnnMethod())
    return methods


# -- cross-validation --------------------------------------------------------------------------------
@dataclass
class MethodRun:
    """Out-of-fold results of one method: rows not tested (train/test splits) hold NaN / False."""

    name: str
    label: str
    probabilistic: bool
    scores: np.ndarray
    predicted: np.ndarray
    confident: np.ndarray
    seconds: list[float] = field(default_factory=list)


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


def _ranked(scores: np.ndarray, codes: Sequence[str]) -> list[list[str]]:
    order = np.argsort(-scores, axis=1, kind="stable")  # ties: codebook order
    return [[codes[j] for j in row] for row in order]


def _truth(Y: np.ndarray, codes: Sequence[str]) -> list[set[str]]:
    return [{codes[j] for j in np.flatnonzero(row)} for row in Y]


def _by_group(indices: Sequence[int], groups: Sequence[Hashable]) -> dict[Hashable, list[int]]:
    out: dict[Hashable, list[int]] = {}
    for i in indices:
        out.setdefault(groups[i], []).append(int(i))
    return out


def _ci(stats: np.ndarray, alpha: float = 0.05) -> list[float | None]:
    """Percentile interval of bootstrap replicates (NaN replicates dropped), as eval.metrics.bootstrap_ci."""
    stats = np.asarray(stats, dtype=float)
    stats = stats[~np.isnan(stats)]
    if stats.size == 0:
        return [None, None]
    low, high = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return [float(low), float(high)]


def method_metrics(data: CodedData, run: MethodRun, tested: np.ndarray, *, n_boot: int = 1000, seed: int = 0,
                   per_code_ci: bool = False, confusion: bool = False) -> dict[str, Any]:
    """Every figure for one method's out-of-fold predictions on the ``tested`` segments."""
    T = data.Y[tested]
    P = run.predicted[tested].astype(np.int8)
    S = run.scores[tested]
    ranked = _ranked(S, data.codes)
    truth = _truth(T, data.codes)
    has_truth = T.sum(axis=1) > 0
    out: dict[str, Any] = {"label": run.label, "probabilistic": run.probabilistic}
    out["per_code"] = metrics.per_code_scores(T, P, data.codes)
    for row, name in zip(out["per_code"], data.names):
        row["name"] = name
    out["micro_f1"] = metrics.micro_f1(T, P)
    out["macro_f1"] = metrics.macro_f1(T, P)
    out["mean_kappa"] = metrics.mean_kappa(T, P)
    ranked_t = [r for r, h in zip(ranked, has_truth) if h]
    truth_t = [t for t, h in zip(truth, has_truth) if h]
    out["ranked_segments"] = len(ranked_t)
    if ranked_t:
        for k in (1, 3, 5):
            out[f"hit@{k}"] = metrics.hit_at_k(ranked_t, truth_t, k)
        out["mrr"] = metrics.mrr(ranked_t, truth_t)
        confident_t = run.confident[tested][has_truth]
        out["coverage"], out["hit@1_covered"] = metrics.coverage_and_accuracy(
            confident_t.astype(float), 0.5, ranked_t, truth_t)
    else:
        for key in ("hit@1", "hit@3", "hit@5", "mrr", "coverage", "hit@1_covered"):
            out[key] = float("nan")
    uncoded = ~has_truth
    out["uncoded_segments"] = int(uncoded.sum())
    out["abstained_on_uncoded"] = float((~run.confident[tested][uncoded]).mean()) if uncoded.any() else None
    hits1 = metrics.hits_at_k(ranked, truth, 1)  # per tested segment; empty truth counts as a miss
    hits3 = metrics.hits_at_k(ranked, truth, 3)
    if run.probabilistic and ranked_t:
        top = np.clip(S.max(axis=1), 0.0, 1.0)[has_truth]
        out["ece"] = metrics.expected_calibration_error(top, hits1[has_truth], 10)
        out["reliability"] = [b._asdict() for b in metrics.reliability_curve(top, hits1[has_truth], 10)]
    else:
        out["ece"], out["reliability"] = None, None
    # 95% cluster-bootstrap intervals: items are positions into the tested arrays, grouped by group
    groups = [data.groups[i] for i in tested]
    positions = _by_group(range(len(tested)), groups)
    ranked_positions = _by_group(np.flatnonzero(has_truth), groups)
    recorded: list[list[dict[str, Any]]] = []
    # Micro-F1 pools (segment, code) cells and cells true in neither T nor P add nothing to it, so each
    # replicate scores only the resampled segments' non-empty cells (one column): the same number as
    # micro_f1(T[idx], P[idx]), some 30 times faster on a 50-code framework.
    # (boolean arrays spare eval.metrics its 0/1 check on every replicate)
    Tb, Pb = T.astype(bool), P.astype(bool)
    cell_segment, cell_code = np.nonzero(Tb | Pb)
    cell_t, cell_p = Tb[cell_segment, cell_code][:, None], Pb[cell_segment, cell_code][:, None]

    def micro(sample: list[int]) -> float:
        idx = np.asarray(sample, dtype=int)
        if per_code_ci:
            recorded.append(metrics.per_code_scores(Tb[idx], Pb[idx], data.codes))
        cells = np.repeat(np.arange(len(cell_segment)), np.bincount(idx, minlength=len(T))[cell_segment])
        return metrics.micro_f1(cell_t[cells], cell_p[cells]) if cells.size else 0.0

    def mean_of(values: np.ndarray) -> Callable[[list[int]], float]:
        return lambda sample: float(values[np.asarray(sample, dtype=int)].mean()) if sample else float("nan")

    out["n_boot"] = n_boot
    out["bootstrap_groups"] = len(positions)
    if len(positions) >= 2 and n_boot > 0:
        out["micro_f1_ci"] = list(metrics.bootstrap_ci(positions, micro, n_boot, seed=seed))
        if ranked_t:
            out["hit@1_ci"] = list(metrics.bootstrap_ci(ranked_positions, mean_of(hits1), n_boot, seed=seed))
            out["hit@3_ci"] = list(metrics.bootstrap_ci(ranked_positions, mean_of(hits3), n_boot, seed=seed))
    for key in ("micro_f1_ci", "hit@1_ci", "hit@3_ci"):
        out.setdefault(key, [None, None])
        out[key] = [None if v is None or np.isnan(v) else float(v) for v in out[key]]
    if recorded:
        for j, row in enumerate(out["per_code"]):
            row["f1_ci"] = _ci(np.array([r[j]["f1"] for r in recorded]))
            row["kappa_ci"] = _ci(np.array([r[j]["kappa"] for r in recorded]))
    if confusion:
        out["confusion"] = _confusion(T, S, data.codes)
    out["seconds_per_fold"] = [round(s, 3) for s in run.seconds]
    out["seconds"] = round(float(sum(run.seconds)), 3)
    return out


def _confusion(T: np.ndarray, S: np.ndarray, codes: Sequence[str]) -> dict[str, Any]:
    """Rows: true code; columns: predicted top-1 code. A segment whose top-1 is one of its codes adds 1 to
    that diagonal cell; otherwise it adds 1/|true codes| to (each true code, top-1). Uncoded segments skip."""
    C = len(codes)
    matrix = np.zeros((C, C))
    top = np.argmax(S, axis=1)
    for row, p in zip(T, top):
        true = np.flatnonzero(row)
        if true.size == 0:
            continue
        if row[p]:
            matrix[p, p] += 1
        else:
            matrix[true, p] += 1.0 / true.size
    return {"codes": list(codes), "matrix": matrix.round(4).tolist()}


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
    has_truth = T.sum(axis=1) > 0
    truth = _truth(T, data.codes)
    truth_t = [t for t, h in zip(truth, has_truth) if h]
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
    points = []
    for n in sizes:
        values: dict[str, list[float]] = {"micro_f1": [], "hit@1": [], "hit@3": []}
        for predictions in results[n].values():
            predicted = np.concatenate([p.predicted for p in predictions]).astype(np.int8)
            ranked = _ranked(np.concatenate([p.scores for p in predictions]), data.codes)
            ranked_t = [x for x, h in zip(ranked, has_truth) if h]
            values["micro_f1"].append(metrics.micro_f1(T, predicted))
            values["hit@1"].append(metrics.hit_at_k(ranked_t, truth_t, 1) if ranked_t else float("nan"))
            values["hit@3"].append(metrics.hit_at_k(ranked_t, truth_t, 3) if ranked_t else float("nan"))
        point: dict[str, Any] = {"examples_per_code": "all" if n is None else int(n),
                                 "training_segments": float(np.mean(train_sizes[n])),
                                 "repeats": len(results[n])}
        for key, vals in values.items():
            point[key] = float(np.mean(vals))
            point[f"{key}_range"] = [float(np.min(vals)), float(np.max(vals))]
        points.append(point)
    return {"method": method.name, "folds": fold_indices, "test_segments": int(len(test_all)), "seed": seed,
            "repeats": repeats, "points": points}


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
    result: dict[str, Any] = {
        "dataset": {
            "name": data.name, "segments": len(data.texts), "tested_segments": int(len(tested)),
            "codes": len(data.codes), "groups": len(set(data.groups)), "split": split, "folds": len(folds),
            "codes_per_segment": float(data.Y.sum(axis=1).mean()),
            "uncoded_segments": int((data.Y.sum(axis=1) == 0).sum()),
            "prototypes": data.prototypes is not None,
        },
        "methods": {},
        "notes": list(data.notes),
    }
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
    result["human"] = None
    result["suggester_vs_coders"] = None
    if data.codings and data.unit_ids is not None and "suggester" in runs:
        result["human"] = human_agreement(data.codings, data.codes)
        run = runs["suggester"]
        tested_set = set(tested.tolist())
        predicted = {data.unit_ids[i]: {data.codes[j] for j in np.flatnonzero(run.predicted[i])}
                     for i in tested_set}
        top1 = {data.unit_ids[i]: data.codes[int(np.argmax(run.scores[i]))] for i in tested_set}
        result["suggester_vs_coders"] = suggester_vs_coders(data.codings, predicted, data.codes, top1=top1)
    result["seconds"] = round(time.perf_counter() - began, 2)
    result["seconds_by_step"] = {"cross_validation": round(cv_seconds, 2), "metrics_and_bootstrap": round(metrics_seconds, 2),
                                 "learning_curve": round(curve_seconds, 2)}
    return result
