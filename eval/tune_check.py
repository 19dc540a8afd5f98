"""Does tuning the encoder help *this* project? A held-out comparison, made before a tuned encoder is installed.

Fine-tuning helped on one benchmark and hurt on another (docs/benchmarks.md, "Fine-tuning the encoder": AnnoMI
κ +0.06, NHS micro-F1 −0.02 and macro-F1 −0.06), so ``codeseed tune`` does not assume it helps. It keeps a fifth
of the coded segments aside (whole documents: one fold of :func:`eval.splits.grouped_kfold`), tunes a copy of
the encoder on the rest only, fits the shipped suggester on the rest twice, once on the base encoder's vectors
and once on the tuned encoder's (the codebook prototypes re-embedded too), and compares them on the held-out
segments: micro- and macro-F1 of the codes the suggester would apply, hit@1 of its ranking, and the micro-F1
gain's 95% interval from a paired bootstrap over documents.

:func:`decide` keeps the tuned encoder only when the micro-F1 gain's interval lies above zero and macro-F1
(rare codes) falls by no more than :data:`MACRO_TOLERANCE`: a coder pays for a worse encoder on every segment,
so a gain must be shown, not merely not ruled out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .methods import CodedData, Prediction, SuggesterMethod
from .metrics import bootstrap_statistics, macro_f1, micro_f1
from .splits import grouped_kfold

MACRO_TOLERANCE = 0.01
HELD_OUT_FOLDS = 5  # one fold of five is held out
Tuner = Callable[[list[str], np.ndarray], Callable[[list[str]], np.ndarray]]


@dataclass
class TuneCheck:
    frozen: dict[str, float]
    tuned: dict[str, float]
    micro_gain: float
    micro_interval: tuple[float, float]
    macro_gain: float
    keep: bool
    reason: str
    trained_on: int
    held_out: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["micro_interval"] = list(self.micro_interval)
        return out


def decide(micro_gain: float, micro_interval: tuple[float, float], macro_gain: float) -> tuple[bool, str]:
    """Keep the tuned encoder? (pure: the rule in the module's docstring)"""
    low, high = micro_interval
    shown = f"micro-F1 {micro_gain:+.3f} [{low:+.3f}, {high:+.3f}], macro-F1 {macro_gain:+.3f}"
    if not np.isfinite(low) or low <= 0:
        return False, f"no gain shown on the held-out segments ({shown}): the base encoder stays"
    if macro_gain < -MACRO_TOLERANCE:
        return False, f"rare codes lose on the held-out segments ({shown}): the base encoder stays"
    return True, f"better on the held-out segments ({shown})"


def held_out_split(data: CodedData) -> tuple[np.ndarray, np.ndarray]:
    """(train, held out): the first of five grouped folds; refuses data from a single document."""
    if len(set(data.groups)) < 2:
        raise ValueError("the held-out check needs coded segments from at least two documents")
    folds = grouped_kfold(data.groups, HELD_OUT_FOLDS)
    train, test = folds[0]
    return np.asarray(train), np.asarray(test)


def _figures(data: CodedData, train: np.ndarray, test: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    prediction = SuggesterMethod().predict(data, train, test)
    T, P = data.Y[test], prediction.predicted.astype(np.int8)
    has_truth = T.sum(axis=1) > 0
    top = np.argmax(prediction.scores, axis=1)
    hit1 = float(np.mean(T[np.arange(len(test)), top][has_truth])) if has_truth.any() else float("nan")
    return {"micro_f1": float(micro_f1(T, P)), "macro_f1": float(macro_f1(T, P)), "hit@1": hit1}, P


def paired_interval(data: CodedData, test: np.ndarray, frozen_P: np.ndarray, tuned_P: np.ndarray, *,
                    n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of tuned minus frozen micro-F1, resampling held-out documents in pairs."""
    positions: dict[Any, list[int]] = {}
    for k, i in enumerate(test):
        positions.setdefault(data.groups[i], []).append(k)
    T = data.Y[test]

    def gain(ks: list[int]) -> float:
        return float(micro_f1(T[ks], tuned_P[ks]) - micro_f1(T[ks], frozen_P[ks]))

    values = bootstrap_statistics(positions, gain, n_boot, seed=seed)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def check_tuning(data: CodedData, prototype_texts: Sequence[str], tune: Tuner, *, n_boot: int = 1000) -> TuneCheck:
    """Tune on four fifths of ``data`` (``tune(texts, Y)`` returns a function embedding texts with the tuned copy)
    and compare the suggester on the held-out fifth, base encoder against tuned; see :func:`decide`.
    ``tune`` never sees a held-out text."""
    if len(prototype_texts) != len(data.codes):
        raise ValueError("one prototype text per code")
    began = time.perf_counter()
    train, test = held_out_split(data)
    frozen, frozen_P = _figures(data, train, test)
    embed = tune([data.texts[i] for i in train], data.Y[train])
    tuned_data = CodedData(name=data.name, texts=data.texts, vectors=embed(list(data.texts)), Y=data.Y,
                           groups=data.groups, codes=data.codes, names=data.names,
                           prototypes=embed(list(prototype_texts)) if data.prototypes is not None else None,
                           unit_ids=data.unit_ids)
    tuned, tuned_P = _figures(tuned_data, train, test)
    interval = paired_interval(data, test, frozen_P, tuned_P, n_boot=n_boot)
    micro_gain = tuned["micro_f1"] - frozen["micro_f1"]
    macro_gain = tuned["macro_f1"] - frozen["macro_f1"]
    keep, reason = decide(micro_gain, interval, macro_gain)
    return TuneCheck(frozen=frozen, tuned=tuned, micro_gain=micro_gain, micro_interval=interval,
                     macro_gain=macro_gain, keep=keep, reason=reason, trained_on=len(train), held_out=len(test),
                     seconds=time.perf_counter() - began)


class TunedSuggesterMethod:
    """``suggester_tuned``: the suggester on the encoder ``codeseed tune`` would install, decided and tuned inside
    each training fold: :func:`check_tuning` on the training fold alone, and when it keeps, the encoder tuned on the
    whole training fold and every segment of the fold and the prototypes embedded again; otherwise the base
    vectors. The test fold is never seen by the tuning or the check. ``notes`` says what each fold decided."""

    name, label, probabilistic = "suggester_tuned", "codeseed suggester, encoder as `codeseed tune` decides", True

    def __init__(self, base_folder: Any, settings: Any = None, *, check: bool = True, progress: bool = False) -> None:
        from index.tuning import TuneSettings

        self.base_folder = base_folder
        self.settings = settings if settings is not None else TuneSettings()
        self.check = check
        self.progress = progress
        self.notes: list[str] = []

    def _tune(self, texts: list[str], Y: np.ndarray):
        from index.tuning import embedder, fine_tune

        return embedder(fine_tune(self.base_folder, texts, Y, self.settings, progress=self.progress))

    def predict(self, data: CodedData, train: np.ndarray, test: np.ndarray) -> Prediction:
        if data.prototype_texts is None and data.prototypes is not None:
            raise ValueError("suggester_tuned needs the prototypes' texts (CodedData.prototype_texts)")
        fold = len(self.notes) + 1
        texts = data.prototype_texts or []
        if self.check:
            result = check_tuning(data.subset(train), texts, self._tune)
            if not result.keep:
                self.notes.append(f"suggester_tuned, fold {fold}: {result.reason}")
                return SuggesterMethod().predict(data, train, test)
            self.notes.append(f"suggester_tuned, fold {fold}: tuned ({result.reason})")
        else:
            self.notes.append(f"suggester_tuned, fold {fold}: tuned (no check)")
        embed = self._tune([data.texts[i] for i in train], data.Y[train])
        rows = np.concatenate([train, test])
        vectors = data.vectors.copy()
        vectors[rows] = embed([data.texts[i] for i in rows])
        tuned = CodedData(name=data.name, texts=data.texts, vectors=vectors, Y=data.Y, groups=data.groups,
                          codes=data.codes, names=data.names, unit_ids=data.unit_ids, prototype_texts=texts or None,
                          prototypes=embed(texts) if data.prototypes is not None else None)
        return SuggesterMethod().predict(tuned, train, test)
