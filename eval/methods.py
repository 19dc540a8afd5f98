"""The methods the evaluation compares on the same folds, the data they work on and what they return.

The methods work on arrays: texts, their vectors, a label matrix ``Y`` (segments x codes, 0/1) and a
group per segment (:class:`CodedData`). Where they come from (a project, a benchmark CSV) is
:mod:`eval.project_eval`'s and :mod:`eval.bench`'s business.

Methods, each fitted on the training segments of a fold and asked about the test segments only:

``suggester``       the product: :class:`suggest.estimator.CodeSuggester` with default parameters, fitted on
                    the training segments with the codebook prototypes (:func:`suggest.project_suggester.prototype_text`
                    embedded). Predicted codes: ``scores >= thresholds_`` (it may abstain); ranking: scores.
                    ``SuggesterMethod(no_code=True)`` (``suggester_no_code``) also takes every training segment
                    without a code as a "no code applies" decision: a rejection of every code, as in a project.
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
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from suggest.estimator import CodeSuggester, Example

__all__ = [
    "CodedData", "Prediction", "MethodRun", "SuggesterMethod", "MostFrequentMethod", "TfidfSvmMethod",
    "ZeroShotMethod", "KnnMethod", "default_methods",
]


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
    prototype_texts: list[str] | None = None  # the texts behind ``prototypes`` (to embed them with another encoder)

    def subset(self, rows: Any) -> "CodedData":
        """The segments ``rows`` (a training fold, say); codes and prototypes unchanged, no human codings."""
        rows = np.asarray(rows)
        return CodedData(name=self.name, texts=[self.texts[i] for i in rows], vectors=self.vectors[rows],
                         Y=self.Y[rows], groups=[self.groups[i] for i in rows], codes=self.codes, names=self.names,
                         prototypes=self.prototypes, prototype_texts=self.prototype_texts,
                         unit_ids=[self.unit_ids[i] for i in rows] if self.unit_ids is not None else None)

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
        if self.prototype_texts is not None and len(self.prototype_texts) != len(self.codes):
            raise ValueError("prototype_texts must have one entry per code")
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

    def __init__(self, *, no_code: bool = False, **params: Any) -> None:
        self.params = params
        self.no_code = no_code
        if no_code:
            self.name, self.label = "suggester_no_code", "codeseed suggester + no-code decisions"

    def predict(self, data: CodedData, train: np.ndarray, test: np.ndarray) -> Prediction:
        model = self.fit(data, train)
        scores = np.clip(model.scores(data.vectors[test], [data.texts[i] for i in test]), 0.0, 1.0)
        predicted = scores >= model.thresholds_[None, :]
        return Prediction(scores, predicted, predicted.any(axis=1))

    def fit(self, data: CodedData, train: np.ndarray) -> CodeSuggester:
        examples = [Example(int(i), {data.codes[j]: None for j in np.flatnonzero(data.Y[i])}, data.groups[i])
                    for i in train]
        model = CodeSuggester(**self.params).fit(
            data.vectors[train], examples, codes=data.codes, texts=[data.texts[i] for i in train],
            prototypes=data.prototypes)
        if self.no_code:  # as ProjectSuggester does with a coder's "no code applies"
            for i in train:
                if not data.Y[i].any():
                    for code in data.codes:
                        model.add_rejection(int(i), data.vectors[i], code)
        return model


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
