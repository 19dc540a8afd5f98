"""The suggester's cold-start bars, for the shipped suggester beside its earlier release and each addition flipped.

    python benchmarks/coldstart.py DATA_DIR                 # Foye LOO, NHS learning curve at 5/10, AnnoMI
    python benchmarks/coldstart.py DATA_DIR --only foye     # one of: foye, nhs_curve, annomi, nhs_all
    python benchmarks/coldstart.py DATA_DIR --only nhs_all --methods suggester_with_learned_blend

Same splits and seeds as ``codeseed bench`` (benchmarks/*.yaml): Foye leave-one-out hit@1/hit@3; the NHS
learning curve (fold 1, each size drawn 3 times, mean micro-F1); AnnoMI therapist, mean Cohen's κ of the
suggester's top-1 label with each of the 10 annotators. ``nhs_all`` (only when asked: ~15 minutes a method) is the
NHS bench's own figure: grouped 5-fold with every example, micro-/macro-F1 and hit@1 with cluster-bootstrap 95%
intervals (200 resamples, as ``codeseed bench ... --bootstrap 200``). Methods: ``suggester`` (the shipped defaults) and
``eval.variants.variant_methods()``. Vectors come from the bench cache (embedded on first use).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from eval.agreement import suggester_vs_coders
from eval.bench import bench_cache_path, make_folds
from eval.bench_data import load_bench
from eval.bench_spec import load_spec
from eval.methods import CodedData, SuggesterMethod
from eval.runner import cross_validate, learning_curve
from eval.scoring import method_metrics
from eval.variants import variant_methods

SPECS = Path(__file__).resolve().parent


def load(name: str, data_dir: Path):
    from index import Encoder, VectorCache, encode_with_cache

    spec = load_spec(SPECS / f"{name}.yaml")
    bench = load_bench(spec, data_dir)
    cache = VectorCache(bench_cache_path())
    try:
        encoder = Encoder()
        vectors, _ = encode_with_cache(encoder, bench.texts, cache)
        prototypes, _ = encode_with_cache(encoder, bench.prototype_texts, cache)
    finally:
        cache.close()
    data = CodedData(name=spec.name, texts=bench.texts, vectors=vectors, Y=bench.Y, groups=bench.groups,
                     codes=bench.codes, names=bench.names, prototypes=prototypes, unit_ids=bench.unit_ids,
                     codings=bench.codings, notes=bench.notes)
    folds, _, grouped = make_folds(spec, bench)
    return data, folds, grouped


def foye(data, folds, grouped, method) -> str:
    runs, tested = cross_validate(data, folds, [method], check_groups=grouped)
    m = method_metrics(data, runs[method.name], tested, n_boot=0)
    return f"hit@1 {m['hit@1']:.3f}  hit@3 {m['hit@3']:.3f}  micro-F1 {m['micro_f1']:.3f}"


def nhs_all(data, folds, grouped, method) -> str:
    runs, tested = cross_validate(data, folds, [method], check_groups=grouped)
    m = method_metrics(data, runs[method.name], tested, n_boot=200)
    low, high = m["micro_f1_ci"]
    low1, high1 = m["hit@1_ci"]
    return (f"micro-F1 {m['micro_f1']:.3f} [{low:.3f}, {high:.3f}]  macro-F1 {m['macro_f1']:.3f}  "
            f"hit@1 {m['hit@1']:.3f} [{low1:.3f}, {high1:.3f}]  hit@3 {m['hit@3']:.3f}")


def nhs_curve(data, folds, grouped, method) -> str:
    curve = learning_curve(data, folds, sizes=(5, 10), method=method)
    return "  ".join(f"{p['examples_per_code']}/code: micro-F1 {p['micro_f1']:.3f} hit@1 {p['hit@1']:.3f}"
                     for p in curve["points"])


def annomi(data, folds, grouped, method) -> str:
    runs, tested = cross_validate(data, folds, [method], check_groups=grouped)
    run = runs[method.name]
    top1 = {data.unit_ids[i]: data.codes[int(np.argmax(run.scores[i]))] for i in tested}
    predicted = {data.unit_ids[i]: {data.codes[j] for j in np.flatnonzero(run.predicted[i])} for i in tested}
    rows = suggester_vs_coders(data.codings, predicted, data.codes, top1=top1) or []
    kappa = np.mean([r["nominal_kappa_suggester"] for r in rows])
    m = method_metrics(data, run, tested, n_boot=0)
    return f"mean κ with each annotator {kappa:.3f}  hit@1 {m['hit@1']:.3f}"


BARS = {"foye": ("foye2022", foye), "nhs_curve": ("nhs_v6", nhs_curve), "annomi": ("annomi", annomi),
        "nhs_all": ("nhs_v6", nhs_all)}
DEFAULT_BARS = ("foye", "nhs_curve", "annomi")  # nhs_all takes long: only with --only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--only", choices=sorted(BARS))
    parser.add_argument("--methods", help="comma-separated method names (default: the shipped suggester and "
                                          "every variant)")
    args = parser.parse_args()
    methods = [SuggesterMethod(), *variant_methods()]
    if args.methods:
        wanted = args.methods.split(",")
        unknown = sorted(set(wanted) - {m.name for m in methods})
        if unknown:
            parser.error(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(m.name for m in methods)}")
        methods = [m for m in methods if m.name in wanted]
    for key in [args.only] if args.only else DEFAULT_BARS:
        spec, measure = BARS[key]
        data, folds, grouped = load(spec, args.data_dir)
        print(f"\n{data.name}")
        for method in methods:
            began = time.perf_counter()
            figures = measure(data, folds, grouped, method)
            print(f"  {method.name:<34} {figures}  ({time.perf_counter() - began:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
