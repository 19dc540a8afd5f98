"""Evaluation: cross-validation on a project's codings, and benchmarks on coded CSVs."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import registry
from .registry import command, progress


def print_eval(result: dict, out: str) -> None:
    from eval.report import summary_table

    print(summary_table(result))
    for note in result.get("notes") or []:
        print(f"  note: {note}")
    lc = result.get("learning_curve")
    if lc:
        print("Learning curve (suggester): " + "; ".join(
            f"{p['examples_per_code']}/code: micro-F1 {p['micro_f1']:.3f}, hit@1 {p['hit@1']:.3f}" for p in lc["points"]))
    for row in result.get("suggester_vs_coders") or []:
        nominal = (f"; label κ humans {row['nominal_kappa_humans']:.3f} vs suggester {row['nominal_kappa_suggester']:.3f}"
                   f"; matches the others' majority: coder {row['majority_of_others_human']:.3f}, "
                   f"suggester {row['majority_of_others_suggester']:.3f}"
                   if "nominal_kappa_suggester" in row else "")
        print(f"  coder {row['coder']} ({row['units']} segments): κ with other coders {row['kappa_humans']:.3f}, "
              f"with the suggester {row['kappa_suggester']:.3f}{nominal}")
    print(f"Report: {Path(out) / 'report.md'} (with results.json and plots); {result['seconds']:.0f} s.")


def _eval_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default: 5)")
    p.add_argument("--group-by", choices=("document", "participant"), default="document",
                   help="what a fold keeps whole (default: document)")
    p.add_argument("--out", metavar="DIR", help="report folder (default: PROJECT/eval)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap replicates for the 95%% intervals (default: 1000; 0 for none)")
    p.add_argument("--no-learning-curve", action="store_true", help="skip the learning curve (faster)")


@command("eval", _eval_options, help="cross-validate the suggester on the project's human codings",
         description="Cross-validate the suggester on the project's own human codings (grouped folds: "
                     "a document or participant is never both taught and tested), beside baselines "
                     "on the same folds; human-human agreement where segments have several coders; "
                     "acceptance rates from the decision log. Writes report.md, results.json and plots.")
def cmd_eval(args: argparse.Namespace) -> int:
    from eval.project_eval import run_project_eval

    with registry.open_project(args.project) as project:
        out = args.out or str(Path(args.project) / "eval")
        result = run_project_eval(project, folds=args.folds, group_by=args.group_by, out=out,
                                  progress=progress(), n_boot=args.bootstrap,
                                  learning_curve=not args.no_learning_curve)
    print_eval(result, out)
    return 0


def _bench_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="benchmark spec (.yaml)")
    p.add_argument("data_dir", help="folder the spec's data paths are relative to")
    p.add_argument("--out", metavar="DIR", help="report folder (default: bench-out/SPEC_NAME)")
    p.add_argument("--folds", type=int, help="number of folds for a k-fold spec (default: the spec's)")
    p.add_argument("--split", choices=("kfold", "loo", "logo", "train_test"),
                   help="override the spec's split (logo: leave one group out)")
    p.add_argument("--bootstrap", type=int, metavar="N",
                   help="bootstrap replicates for the 95%% intervals (default: the spec's, else 1000)")
    p.add_argument("--no-learning-curve", action="store_true", help="skip the learning curve (faster)")


@command("bench", _bench_options, help="benchmark the suggester on coded data described by a YAML spec",
         description="Run the evaluation on a coded CSV outside a project, as a YAML spec describes "
                     "it (see benchmarks/*.yaml and eval/bench.py). Vectors are cached in "
                     "$CODESEED_HOME/bench-cache.db, so a second run only evaluates.")
def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_bench

    out = args.out or str(Path("bench-out") / Path(args.spec).stem)
    result = run_bench(args.spec, args.data_dir, out=out, folds=args.folds, split=args.split,
                       progress=progress(), n_boot=args.bootstrap, learning_curve=not args.no_learning_curve)
    print_eval(result, out)
    timing = result["timing"]
    print(f"Embedding {timing['embedding_seconds']:.1f} s ({timing['segments_encoded']} segments newly encoded, "
          f"the rest from the cache); total {timing['total_seconds']:.0f} s.")
    return 0
