"""The code suggester: nearest coded neighbours, codebook prototypes and a linear channel, blended and calibrated.

An estimator in the scikit-learn manner: the constructor only stores parameters, ``fit`` returns self,
learned state ends in ``_``. It works on vectors (and texts) only; reading the project is
:mod:`suggest.project_suggester`' job.

Each channel's score, and their fixed blend, are computed in :mod:`suggest.channels` (how a code gets its score,
channel by channel); :mod:`suggest.evidence` applies the coder's rejections.

Scores are then calibrated (Platt scaling fitted on out-of-fold scores) so that 0.7 means "right about
70% of the time"; with ``learned_blend`` one logistic regression over every channel's out-of-fold scores
replaces the fixed blend and Platt scaling (:mod:`suggest.stacking`). Each code has a threshold chosen
by cross-validation to maximise its F1 (one global threshold for codes with few examples), shrunk toward
the global one by ``threshold_shrinkage`` pseudo-examples (default 10): one chosen from 5 out-of-fold
scores is mostly noise (NHS, 5 examples per code: micro-F1 0.269 → 0.42). A segment whose best score is
under its threshold gets no confident suggestion.

``punctuation`` (off by default: no gain measured) lets the linear channel see '?' and '!' as words.

``solver`` is how the fit is computed (``benchmarks/fit_speed.py``). ``"newton"`` (default): the linear channel's
SVMs for all codes in one Newton solve (:mod:`suggest.squared_hinge`); calibration folds reuse the fit's TF-IDF
rows (vocabulary and idf from the texts alone) and stop once :data:`suggest.out_of_fold.CALIBRATION_ENOUGH`
examples have out-of-fold scores. ``"liblinear"``: the fit before, one ``LinearSVC`` per code and a vocabulary per
fold, every fold scored.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from suggest.calibration import choose_thresholds
from suggest.channels import fade_in, nearest_carrier, prototype_softmax, vote_share, with_linear
from suggest.evidence import evidence, rejected_for, rejection_factor
from suggest.example_stats import ExampleStats
from suggest.linear import LinearChannel
from suggest.neighbours import Neighbours
from suggest.out_of_fold import grouped_folds, out_of_fold_scores
from suggest.prototypes import prototype_similarity
from suggest.rows import append_row
from suggest.stacking import FEATURES, Channels, LearnedBlend, fit_calibration
from suggest.suggestion import Suggestion

neighbour_searches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per suggester, built on use; not state
example_stats: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # likewise (suggest/example_stats.py)
VERSION = "codeseed-suggester/4"  # 3: the learned blend by default; 4: from 20 out-of-fold positives per weight


@dataclass(frozen=True)
class Example:
    """A coded segment the suggester learns from: its codes, and who applied each.

    Here, not in :mod:`suggest.suggestion`: a saved model's state names this class by its path
    (``suggest.estimator.Example``, :mod:`suggest.saved_state`), so moving it would refuse every saved model."""

    segment_id: int
    codes: dict[str, str | None]  # code id -> coder
    group: str | int | None = None  # document or participant: cross-validation never splits a group


class CodeSuggester:
    def __init__(
        self,
        *,
        k: int = 15,
        power: float = 4.0,
        knn_weight: float = 0.2,
        linear: bool = True,
        linear_C: float = 0.5,
        min_linear_examples: int = 3,
        prototype_strength: float = 3.0,
        temperature: float = 0.05,
        negative_power: float = 8.0,
        calibration_folds: int = 5,
        min_threshold_examples: int = 5,
        default_threshold: float = 0.5,
        evidence_per_code: int = 3,
        example_prototypes: bool = True,
        punctuation: bool = False,
        threshold_shrinkage: float = 10.0,
        learned_blend: bool = True,
        solver: str = "newton",
    ) -> None:
        self.k = k
        self.power = power
        self.knn_weight = knn_weight
        self.linear = linear
        self.linear_C = linear_C
        self.min_linear_examples = min_linear_examples
        self.prototype_strength = prototype_strength
        self.temperature = temperature
        self.negative_power = negative_power
        self.calibration_folds = calibration_folds
        self.min_threshold_examples = min_threshold_examples
        self.default_threshold = default_threshold
        self.evidence_per_code = evidence_per_code
        self.example_prototypes = example_prototypes
        self.punctuation = punctuation
        self.threshold_shrinkage = threshold_shrinkage
        self.learned_blend = learned_blend
        self.solver = solver

    # -- parameters and version --------------------------------------------------------------------
    def get_params(self) -> dict:
        return {name: getattr(self, name) for name in (
            "k", "power", "knn_weight", "linear", "linear_C", "min_linear_examples", "prototype_strength",
            "temperature", "negative_power", "calibration_folds", "min_threshold_examples",
            "default_threshold", "evidence_per_code", "example_prototypes", "punctuation", "threshold_shrinkage",
            "learned_blend", "solver")}

    @property
    def version(self) -> str:
        """What produced a suggestion: the algorithm version, its parameters, and how many examples it saw."""
        params = json.dumps(self.get_params(), sort_keys=True)
        digest = hashlib.sha256(params.encode()).hexdigest()[:8]
        n = len(self.examples_) if hasattr(self, "examples_") else 0
        return f"{VERSION} params={digest} examples={n}"

    # -- fitting -----------------------------------------------------------------------------------
    def fit(
        self,
        vectors: np.ndarray,
        examples: Sequence[Example],
        *,
        codes: Sequence[str],
        texts: Sequence[str] | None = None,
        prototypes: np.ndarray | None = None,
        calibrate: bool = True,
    ) -> "CodeSuggester":
        """Learn from coded segments.

        ``vectors[i]`` (and ``texts[i]``) belong to ``examples[i]``; ``codes`` are the codes that may be
        suggested (their order is the order of ``prototypes``' rows, if given: one normalised vector per code).
        """
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-d array (one row per example)")
        if len(vectors) != len(examples) or (texts is not None and len(texts) != len(examples)):
            raise ValueError("vectors, texts and examples must be the same length")
        if prototypes is not None and len(prototypes) != len(codes):
            raise ValueError("prototypes must have one row per code")
        self.codes_ = list(codes)
        self._column = {c: i for i, c in enumerate(self.codes_)}
        self.prototypes_ = None if prototypes is None else np.asarray(prototypes, dtype=np.float32)
        self._set_examples(vectors, examples, list(texts) if texts is not None else None)
        self._fit_linear()
        self._uncalibrated()
        if calibrate:
            self._calibrate(vectors, examples, texts)
        if self.linear_ is not None:
            self.linear_.release()
        return self

    def _uncalibrated(self) -> None:
        self.rejections_: dict[str, list[tuple[int, np.ndarray]]] = {}
        self.platt_ = (1.0, 0.0)
        self.stack_: LearnedBlend | None = None
        self.thresholds_ = np.full(len(self.codes_), self.default_threshold)
        self.calibrated_ = False

    def _set_examples(self, vectors: np.ndarray, examples: Sequence[Example], texts: list[str] | None) -> None:
        self.examples_ = [Example(e.segment_id, dict(e.codes), e.group) for e in examples]
        self.vectors_ = vectors
        neighbour_searches.pop(self, None)
        example_stats.pop(self, None)
        self.texts_ = texts
        self.Y_ = np.zeros((len(examples), len(self.codes_)), dtype=np.int8)
        for row, example in enumerate(examples):
            for code in example.codes:
                if code in self._column:
                    self.Y_[row, self._column[code]] = 1
        self._row_of = {e.segment_id: i for i, e in enumerate(self.examples_)}

    def _fit_linear(self, parent: LinearChannel | None = None, rows: np.ndarray | None = None) -> None:
        """The linear channel; with ``parent``, refitted on its ``rows`` (a calibration fold) from its features."""
        self.linear_ = None
        if self.linear and self.texts_ is not None and len(self.examples_) >= 2 * self.min_linear_examples:
            if parent is not None:
                self.linear_ = parent.refit(rows, self.vectors_, self.Y_)
            else:
                channel = LinearChannel(C=self.linear_C, min_positives=self.min_linear_examples,
                                        punctuation=self.punctuation, solver=self.solver)
                self.linear_ = channel.fit(self.texts_, self.vectors_, self.Y_)
            if not self.linear_.fitted_.any():
                self.linear_ = None

    def _fold_model(self, vectors: np.ndarray, examples: Sequence[Example], texts: Sequence[str] | None,
                    train: np.ndarray) -> "CodeSuggester":
        """An uncalibrated suggester of the same parameters taught the ``train`` rows only (one calibration fold).

        With the Newton solver its linear channel reuses this fit's TF-IDF rows (vocabulary and idf come from
        the texts, never from codes) instead of learning a vocabulary per fold, as ``solver="liblinear"`` does.
        """
        subset = [texts[i] for i in train] if texts is not None else None
        if self.solver == "liblinear" or self.linear_ is None:
            return CodeSuggester(**self.get_params()).fit(
                vectors[train], [examples[i] for i in train], codes=self.codes_, texts=subset,
                prototypes=self.prototypes_, calibrate=False)
        inner = CodeSuggester(**self.get_params())
        inner.codes_, inner._column, inner.prototypes_ = self.codes_, self._column, self.prototypes_
        inner._set_examples(vectors[train], [examples[i] for i in train], subset)
        inner._fit_linear(self.linear_, train)
        inner._uncalibrated()
        return inner

    def _calibrate(self, vectors: np.ndarray, examples: Sequence[Example], texts: Sequence[str] | None) -> None:
        """Out-of-fold scores → Platt scaling and per-code thresholds. Needs a few examples and groups."""
        folds = grouped_folds([e.group if e.group is not None else e.segment_id for e in examples],
                              self.calibration_folds)
        if len(folds) < 2 or self.Y_.sum() == 0:
            return
        oof, scored = out_of_fold_scores(
            folds, (*self.Y_.shape, len(FEATURES) if self.learned_blend else 1),
            fit=lambda train: self._fold_model(vectors, examples, texts, train),
            score=lambda inner, rows: inner.channel_scores(vectors[rows],
                                                           [texts[i] for i in rows] if texts is not None else None),
            stop_early=self.solver != "liblinear")
        self.platt_, self.stack_, probabilities = fit_calibration(oof, self.Y_, learned=self.learned_blend)
        self.thresholds_, self.global_threshold_ = choose_thresholds(
            probabilities[scored], self.Y_[scored], min_positives=self.min_threshold_examples,
            shrinkage=self.threshold_shrinkage)
        self.calibrated_ = True

    def calibration(self) -> dict | None:
        """What calibration chose, as plain JSON-able values (None when the suggester could not calibrate)."""
        if not self.calibrated_:
            return None
        return {"platt": list(self.platt_), "stack": self.stack_.to_json() if self.stack_ is not None else None,
                "thresholds": [float(t) for t in self.thresholds_],
                "global_threshold": float(self.global_threshold_)}

    def set_calibration(self, calibration: dict) -> "CodeSuggester":
        """Reuse a calibration made earlier on exactly the same examples (see ``calibration()``)."""
        if len(calibration["thresholds"]) != len(self.codes_):
            raise ValueError("the calibration is for another set of codes")
        self.platt_ = tuple(calibration["platt"])
        self.stack_ = LearnedBlend.from_json(calibration.get("stack"))
        self.thresholds_ = np.array(calibration["thresholds"], dtype=np.float64)
        self.global_threshold_ = calibration["global_threshold"]
        self.calibrated_ = True
        return self

    # -- learning from decisions (no refit) ----------------------------------------------------------
    def add_example(self, segment_id: int, vector: np.ndarray, code: str, coder: str | None,
                    text: str | None = None) -> None:
        """An accepted suggestion (or a new human coding): evidence for the next query at once."""
        if code not in self._column:
            return
        row = self._row_of.get(segment_id)
        if row is None:
            self.examples_.append(Example(segment_id, {code: coder}))
            self.vectors_ = append_row(self, "vectors", self.vectors_, vector)  # one row written, not all copied
            self.Y_ = append_row(self, "Y", self.Y_, np.zeros(len(self.codes_), dtype=np.int8))
            if self.texts_ is not None:
                self.texts_.append(text or "")
            row = self._row_of[segment_id] = len(self.examples_) - 1
        else:
            self.examples_[row].codes[code] = coder
        self._set_label(row, self._column[code], 1)

    def add_rejection(self, segment_id: int, vector: np.ndarray, code: str) -> None:
        """A rejected suggestion: never again for this segment, and weaker for segments like it."""
        self.rejections_.setdefault(code, []).append((segment_id, np.asarray(vector, dtype=np.float32).ravel()))

    def forget(self, segment_id: int, code: str) -> None:
        """Take back an accepted or rejected decision (undo): the segment no longer counts for or against the code."""
        items = self.rejections_.get(code, [])
        self.rejections_[code] = [(s, v) for s, v in items if s != segment_id]
        row = self._row_of.get(segment_id)
        if row is not None and code in self._column:
            self._set_label(row, self._column[code], 0)
            self.examples_[row].codes.pop(code, None)

    def _set_label(self, row: int, column: int, value: int) -> None:
        stats = example_stats.get(self)
        if stats is not None:  # kept up to date rather than rebuilt: a rebuild reads every example
            stats.set(row, column, self.vectors_[row], value, int(self.Y_[row, column]))
        self.Y_[row, column] = value

    def _stats(self) -> ExampleStats:
        stats = example_stats.get(self)
        if stats is None or stats.rows != len(self.Y_):
            stats = example_stats[self] = ExampleStats(self.vectors_, self.Y_)
        return stats

    # -- scoring -----------------------------------------------------------------------------------
    def _neighbours(self, vectors: np.ndarray, exclude_ids: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray]:
        """Top-k example rows and their similarities per query, leaving out each query's own segment
        (:mod:`suggest.neighbours`: exact below a size, FAISS above; padding is row 0 with similarity -inf)."""
        n = len(self.examples_)
        if n == 0:
            return np.zeros((len(vectors), 0), dtype=int), np.zeros((len(vectors), 0))
        search = neighbour_searches.get(self)
        if search is None or len(search) > n or search.dimension != self.vectors_.shape[1]:
            search = neighbour_searches[self] = Neighbours(self.vectors_)
        elif len(search) < n:  # examples added since (accepted suggestions): appended, not rebuilt
            search.add(self.vectors_[len(search):])
        skip = [self._row_of.get(own) if own is not None else None for own in exclude_ids]
        # a segment whose codings were all undone no longer votes
        rows, sims = search.search(vectors, min(self.k, n), skip=skip, active=self._stats().active())
        return np.where(rows < 0, 0, rows), sims

    def raw_scores(self, vectors: np.ndarray, texts: Sequence[str] | None = None,
                   segment_ids: Sequence[int | None] | None = None) -> np.ndarray:
        """(n, n_codes) fixed-blend scores before calibration and rejections."""
        channels, _, _ = self._score(np.asarray(vectors, dtype=np.float32), texts, segment_ids)
        return channels.blend

    def channel_scores(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """What calibration is fitted on: (n, n_codes, F) with the learned blend's features, else (n, n_codes, 1)
        holding the fixed blend."""
        channels, _, _ = self._score(np.asarray(vectors, dtype=np.float32), texts, None)
        return channels.features() if self.learned_blend else channels.blend[..., None]

    def _score(self, vectors, texts, segment_ids) -> tuple[Channels, np.ndarray, np.ndarray]:
        segment_ids = list(segment_ids) if segment_ids is not None else [None] * len(vectors)
        rows, sims = self._neighbours(vectors, segment_ids)
        votes = self.Y_[rows] if rows.size else np.zeros((len(vectors), 0, len(self.codes_)))
        knn = vote_share(sims, votes, self.power)
        channels = Channels(blend=knn, knn=knn, counts=self._stats().counts)
        if self.learned_blend:
            channels.nearest = nearest_carrier(sims, votes)
        if self.linear_ is not None and texts is not None:
            channels.linear = self.linear_.decision(list(texts), vectors)
            channels.blend = with_linear(knn, channels.linear, self.knn_weight)
        if self.prototypes_ is not None:
            channels.codebook = vectors @ self.prototypes_.T
            mean, with_examples = self._example_similarity(vectors, segment_ids)
            similarity = channels.codebook
            if mean is not None:
                channels.examples = np.where(with_examples > 0, mean, np.nan)
                if self.example_prototypes:
                    similarity = prototype_similarity(vectors, self.prototypes_, mean, with_examples)
            channels.prototype = prototype_softmax(similarity, self.temperature)
            channels.blend = fade_in(channels.blend, channels.prototype, channels.counts, self.prototype_strength)
        return channels, rows, sims

    def _example_similarity(self, vectors: np.ndarray, segment_ids: list[int | None]) -> tuple:
        """Mean cosine to each code's examples and how many examples each mean is over (a query's own example left
        out): ``(None, None)`` when neither example prototypes nor the learned blend use it."""
        if not (self.example_prototypes or self.learned_blend) or not len(self.examples_):
            return None, None
        own = [self._row_of.get(i) if i is not None else None for i in segment_ids]
        return self._stats().mean_similarity(vectors, self.vectors_, self.Y_, own)

    def scores(self, vectors: np.ndarray, texts: Sequence[str] | None = None, *,
               segment_ids: Sequence[int | None] | None = None) -> np.ndarray:
        """(n, n_codes) calibrated scores in [0, 1], rejections applied; columns in the order of ``codes_``.

        A code is a confident suggestion where its score is at least ``thresholds_`` of that code.
        """
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        ids = list(segment_ids) if segment_ids is not None else [None] * len(vectors)
        channels, _, _ = self._score(vectors, texts, ids)
        return self._finish(channels, vectors, ids)

    def _finish(self, channels: Channels, vectors: np.ndarray, ids: list[int | None]) -> np.ndarray:
        scores = channels.probabilities(self.platt_, self.stack_) if self.calibrated_ else channels.blend
        factor = rejection_factor(vectors, self.rejections_, self._column, len(self.codes_), ids, self.negative_power)
        return np.clip(scores * factor, 0.0, 1.0)  # float32 sums can pass 1 by 1e-7

    def suggest(self, vectors: np.ndarray, texts: Sequence[str] | None = None, *,
                segment_ids: Sequence[int | None] | None = None, exclude: Sequence[set[str]] | None = None,
                top: int = 5) -> list[list[Suggestion]]:
        """Ranked suggestions per segment (best first, at most ``top``), each with score, confidence and evidence.

        ``segment_ids`` lets the suggester skip a segment's own coding and apply rejections made for it;
        ``exclude`` names codes not to propose per segment (e.g. already applied).
        """
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim == 1:
            vectors = vectors.reshape(1, -1)
        ids = list(segment_ids) if segment_ids is not None else [None] * len(vectors)
        channels, rows, sims = self._score(vectors, texts, ids)
        scores = self._finish(channels, vectors, ids)
        results = []
        for q in range(len(vectors)):
            banned = set(exclude[q]) if exclude is not None else set()
            banned |= rejected_for(self.rejections_, ids[q])
            order = [c for c in np.argsort(-scores[q], kind="stable") if self.codes_[c] not in banned]
            ranked = []
            for rank, c in enumerate(order[:top], start=1):
                code = self.codes_[c]
                ranked.append(Suggestion(
                    code=code, score=float(scores[q, c]), rank=rank,
                    confident=bool(scores[q, c] >= self.thresholds_[c]),
                    evidence=evidence(code, vectors[q], rows[q], sims[q], self.Y_[:, c], self.examples_,
                                      self.rejections_, ids[q], per_code=self.evidence_per_code,
                                      negative_power=self.negative_power),
                ))
            results.append(ranked)
        return results
