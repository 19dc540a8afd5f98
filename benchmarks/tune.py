"""`codeseed tune` measured: the encoder tuned inside the training fold, with and without its held-out check.

    CODESEED_ENCODER_BACKEND=torch-fp32 OMP_NUM_THREADS=1 python benchmarks/tune.py DATA_DIR
    python benchmarks/tune.py DATA_DIR --only annomi --epochs 2 --lr 3e-5

For AnnoMI therapist (its one fold: 126 single-coded transcripts train, the 7 coded by 10 annotators test) and
NHS v6 fold 1 (grouped by respondent; all examples), exactly what ``codeseed tune`` does, on the **training fold
only**: the held-out check (:func:`eval.tune_check.check_tuning`: tune on four fifths of the training fold's
groups, compare the suggester on the other fifth, keep or not by :func:`eval.tune_check.decide`), then the
tuning on the whole training fold (:func:`index.tuning.fine_tune`, the product's recipe and defaults). Every text
and code prototype is embedded again with the tuned encoder and the shipped suggester
(``eval.methods.SuggesterMethod``) is fitted on the training fold's tuned vectors, exactly as on the frozen ones.

Printed per benchmark: the frozen row; the check's figures and decision; the tuned row; "codeseed tune" (the tuned
row if the check kept it, else the frozen row); tuned-minus-frozen with a paired 95% bootstrap interval over
groups (respondents; AnnoMI transcripts); tuning times. In brackets after each row, micro-F1 with one threshold
for every code chosen on the test fold itself: not a figure a user gets, but the ranking's quality with the
calibration taken out (does tuning rank better, or only calibrate differently?). Frozen vectors come from the
bench cache; tuned ones are never cached. With more than one torch thread on a busy machine each training step
ran ~5x slower: set OMP_NUM_THREADS=1 there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import coldstart  # noqa: E402  (same loaders and vectors as the cold-start bars)

from eval.agreement import suggester_vs_coders  # noqa: E402
from eval.metrics import bootstrap_statistics, cohen_kappa, macro_f1, micro_f1  # noqa: E402
from eval.methods import CodedData, SuggesterMethod  # noqa: E402
from eval.runner import cross_validate  # noqa: E402
from eval.scoring import method_metrics  # noqa: E402
from eval.tune_check import check_tuning  # noqa: E402
from index import Encoder  # noqa: E402
from index.tuning import PRECISIONS, TuneSettings, embedder, fine_tune  # noqa: E402

BENCHES = {"annomi": "annomi", "nhs": "nhs_v6"}


def subset(data: CodedData, rows: np.ndarray) -> CodedData:
    """The segments ``rows`` of ``data`` (the training fold), codes and prototypes unchanged."""
    return CodedData(name=data.name, texts=[data.texts[i] for i in rows], vectors=data.vectors[rows], Y=data.Y[rows],
                     groups=[data.groups[i] for i in rows], codes=data.codes, names=data.names,
                     prototypes=data.prototypes, unit_ids=[data.unit_ids[i] for i in rows] if data.unit_ids else None)


def tuned_data(data: CodedData, prototype_texts: list[str], embed) -> tuple[CodedData, float]:
    """``data`` with every text and code prototype re-embedded by the tuned encoder (fp32, not cached)."""
    began = time.perf_counter()
    vectors, prototypes = embed(data.texts), embed(prototype_texts)
    tuned = CodedData(name=data.name, texts=data.texts, vectors=vectors, Y=data.Y, groups=data.groups,
                      codes=data.codes, names=data.names, prototypes=prototypes, unit_ids=data.unit_ids,
                      codings=data.codings, notes=data.notes)
    return tuned, time.perf_counter() - began


def measure(data: CodedData, fold, grouped: bool) -> dict:
    """The shipped suggester on one fold: its figures, predictions and top-1 codes on the test segments."""
    method = SuggesterMethod()
    runs, tested = cross_validate(data, [fold], [method], check_groups=grouped)
    run = runs[method.name]
    figures = method_metrics(data, run, tested, n_boot=0)
    top1 = {data.unit_ids[i]: data.codes[int(np.argmax(run.scores[i]))] for i in tested}
    T, S = data.Y[tested], run.scores[tested]
    best = max(micro_f1(T, (S >= t).astype(np.int8)) for t in np.arange(0.05, 0.95, 0.01))
    out = {"micro_f1": figures["micro_f1"], "macro_f1": figures["macro_f1"], "hit@1": figures["hit@1"],
           "ece": figures.get("ece"), "best_threshold_micro_f1": float(best),
           "tested": tested, "P": run.predicted[tested].astype(np.int8), "top1": top1}
    if data.codings:
        predicted = {data.unit_ids[i]: {data.codes[j] for j in np.flatnonzero(run.predicted[i])} for i in tested}
        rows = suggester_vs_coders(data.codings, predicted, data.codes, top1=top1) or []
        out["kappa"] = float(np.mean([r["nominal_kappa_suggester"] for r in rows]))
    return out


def _annotator_kappa(data: CodedData, units: list, top1: dict) -> float:
    """Mean over annotators of Cohen's κ between the annotator's single label and the top-1 code."""
    kappas = []
    for coder, coded in data.codings.items():
        mine = [u for u in units if len(coded.get(u, ())) == 1]
        if mine:
            kappas.append(cohen_kappa([next(iter(coded[u])) for u in mine], [top1[u] for u in mine]))
    return float(np.nanmean(kappas))


def paired_intervals(data: CodedData, frozen: dict, tuned: dict, n: int = 1000) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of tuned minus frozen, resampling groups (respondents, transcripts) in pairs."""
    tested = frozen["tested"]
    positions: dict = {}
    for k, i in enumerate(tested):
        positions.setdefault(data.groups[i], []).append(k)
    T = data.Y[tested]
    statistics = {name: (lambda ks, fn=fn: fn(T[ks], tuned["P"][ks]) - fn(T[ks], frozen["P"][ks]))
                  for name, fn in (("micro_f1", micro_f1), ("macro_f1", macro_f1))}
    if "kappa" in frozen:
        units = [data.unit_ids[i] for i in tested]
        statistics["kappa"] = lambda ks: (_annotator_kappa(data, [units[k] for k in ks], tuned["top1"])
                                          - _annotator_kappa(data, [units[k] for k in ks], frozen["top1"]))
    out = {}
    for name, statistic in statistics.items():
        values = bootstrap_statistics(positions, statistic, n, seed=0)
        values = values[~np.isnan(values)]
        out[name] = (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))
    return out


def _row(label: str, r: dict) -> str:
    kappa = f"  κ with each annotator {r['kappa']:.3f}" if "kappa" in r else ""
    ece = f"  ECE {r['ece']:.3f}" if r.get("ece") is not None else ""
    return (f"  {label:<22} micro-F1 {r['micro_f1']:.3f}  macro-F1 {r['macro_f1']:.3f}  hit@1 {r['hit@1']:.3f}"
            f"{ece}{kappa}  (micro-F1 at the test fold's best single threshold {r['best_threshold_micro_f1']:.3f})")


def _gain_lines(data: CodedData, frozen: dict, result: dict, minutes: float) -> None:
    for name, (low, high) in paired_intervals(data, frozen, result).items():
        gain = result[name] - frozen[name]
        per = f"; {gain / minutes:+.4f} per minute of tuning" if minutes else ""
        print(f"    {name} tuned - frozen {gain:+.3f} [{low:+.3f}, {high:+.3f}]{per}", flush=True)


def run(key: str, data_dir: Path, args: argparse.Namespace) -> None:
    data, folds, grouped = coldstart.load(BENCHES[key], data_dir)
    prototype_texts = coldstart.load_bench(coldstart.load_spec(coldstart.SPECS / f"{BENCHES[key]}.yaml"),
                                           data_dir).prototype_texts
    fold = folds[0]
    train = np.asarray(fold[0])
    settings = TuneSettings(epochs=args.epochs, lr=args.lr, head_lr=args.head_lr, batch=args.batch, seed=args.seed,
                            balanced=args.balanced, precision=args.precision)
    base = Encoder().resolved.path
    print(f"\n{data.name}: {len(train)} training, {len(fold[1])} test segments (fold 1); {settings}", flush=True)
    frozen = measure(data, fold, grouped)
    print(_row("frozen MiniLM", frozen), flush=True)
    timings: dict[str, float] = {}

    def tune(texts, Y):
        began = time.perf_counter()
        model = fine_tune(base, texts, Y, settings, progress=True, desc="check: tuning")
        timings["check tuning"] = time.perf_counter() - began
        return embedder(model)

    check = None
    if not args.no_check:
        check = check_tuning(subset(data, train), prototype_texts, tune)
        print(f"  held-out check inside the training fold ({check.trained_on} tuned on, {check.held_out} held out, "
              f"{check.seconds:.0f} s): frozen micro {check.frozen['micro_f1']:.3f} macro {check.frozen['macro_f1']:.3f}"
              f" -> tuned micro {check.tuned['micro_f1']:.3f} macro {check.tuned['macro_f1']:.3f}; "
              f"{'KEEP' if check.keep else 'NOT KEPT'}: {check.reason}", flush=True)
    began = time.perf_counter()
    ran: dict = {}
    model = fine_tune(base, [data.texts[i] for i in train], data.Y[train], settings, progress=True, desc="tuning",
                      record=ran)
    timings["tuning"] = time.perf_counter() - began
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in ran.get("step_seconds", {}).items())
    print(f"  tuned in {ran['precision']}" + (f" (one step measured: {steps})" if steps else ""), flush=True)
    tuned, embed_seconds = tuned_data(data, prototype_texts, embedder(model))
    result = measure(tuned, fold, grouped)
    print(_row(f"tuned, {settings.epochs} epoch(s)", result), flush=True)
    _gain_lines(data, frozen, result, timings["tuning"] / 60)
    if check is not None:
        shipped = result if check.keep else frozen
        print(_row("codeseed tune (checked)", shipped), flush=True)
    print("    " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + f", re-embedding {embed_seconds:.0f} s",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--only", choices=sorted(BENCHES))
    d = TuneSettings()  # codeseed tune's defaults
    parser.add_argument("--epochs", type=int, default=d.epochs)
    parser.add_argument("--lr", type=float, default=d.lr, help=f"the encoder's learning rate (default {d.lr:g})")
    parser.add_argument("--head-lr", type=float, default=d.head_lr, help=f"the head's learning rate (default {d.head_lr:g})")
    parser.add_argument("--batch", type=int, default=d.batch)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--unweighted", dest="balanced", action="store_false",
                        help="the loss without class weights (before rare codes were weighted up)")
    parser.add_argument("--no-check", action="store_true", help="skip the held-out check (half the time)")
    parser.add_argument("--precision", choices=PRECISIONS, default=d.precision,
                        help=f"the forward pass's precision while tuning (default {d.precision}: measured)")
    args = parser.parse_args()
    if "OMP_NUM_THREADS" not in os.environ:
        print("note: set OMP_NUM_THREADS=1 on a busy machine (see the docstring)", file=sys.stderr)
    for key in BENCHES:
        if not args.only or key == args.only:
            run(key, args.data_dir, args)


if __name__ == "__main__":
    main()
