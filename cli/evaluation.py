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


def print_simulation(result: dict, out: str) -> None:
    from eval.simulate_report import summary_table, write_simulation_report

    paths = write_simulation_report(result, out)
    print(summary_table(result))
    for note in result.get("notes") or []:
        print(f"  note: {note}")
    print(f"Report: {paths['markdown']} (with simulation.json and simulation.png).")


TUNE_HELP = ("also run `suggester_tuned`: the suggester on the encoder `codeseed tune` would install, with its held-out "
             "check and tuning done inside each training fold (the test fold never seen); minutes per fold")


def _simulation_options(p: argparse.ArgumentParser, *, bench: bool) -> None:
    g = p.add_argument_group("effort simulation (docs/benchmarks.md, Effort simulation)")
    g.add_argument("--simulate", action="store_true",
                   help="instead of cross-validating, replay a coder going through the review queue (document order "
                        "and least confident first) after the first coded segments, the suggester learning from "
                        "each decision as in the app: keys and decisions per segment against coding by hand")
    g.add_argument("--seed-coded", type=int, default=10, metavar="N",
                   help="with --simulate: the first N coded segments are coded before the pass (default: 10)")
    g.add_argument("--shown", choices=("confident", "listed"), default="confident",
                   help="with --simulate: the lines the coder acts on, the confident ones (default) or the whole list")
    g.add_argument("--refit-every", type=int, metavar="N",
                   help="with --simulate: fit the suggester again every N segments, as restarting the app or its "
                        "background refit does (default: never, as `codeseed app --refit-every 0`)")
    if bench:
        g.add_argument("--limit", type=int, metavar="N", help="with --simulate: only the first N segments of the data")
    else:
        g.add_argument("--include-uncoded", action="store_true",
                       help="with --simulate: segments without a human coding count as 'no code applies' (a fully "
                            "coded project); by default they are passed over")


def _eval_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default: 5)")
    p.add_argument("--group-by", choices=("document", "participant"), default="document",
                   help="what a fold keeps whole (default: document)")
    p.add_argument("--out", metavar="DIR", help="report folder (default: PROJECT/eval)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap replicates for the 95%% intervals (default: 1000; 0 for none)")
    p.add_argument("--no-learning-curve", action="store_true", help="skip the learning curve (faster)")
    p.add_argument("--tune", action="store_true", help=TUNE_HELP)
    _simulation_options(p, bench=False)


@command("eval", _eval_options, help="cross-validate the suggester on the project's human codings",
         description="Cross-validate the suggester on the project's own human codings (grouped folds: "
                     "a document or participant is never both taught and tested), beside baselines "
                     "on the same folds; human-human agreement where segments have several coders; "
                     "acceptance rates from the decision log. Writes report.md, results.json and plots.")
def cmd_eval(args: argparse.Namespace) -> int:
    from eval.project_eval import run_project_eval

    with registry.open_project(args.project) as project:
        out = args.out or str(Path(args.project) / "eval")
        if args.simulate:
            from eval.simulate_sources import simulate_project

            result = simulate_project(project, seed_coded=args.seed_coded, shown=args.shown,
                                      include_uncoded=args.include_uncoded, refit_every=args.refit_every,
                                      progress=progress())
            print_simulation(result, out)
            return 0
        result = run_project_eval(project, folds=args.folds, group_by=args.group_by, out=out,
                                  progress=progress(), n_boot=args.bootstrap,
                                  learning_curve=not args.no_learning_curve, tune=args.tune)
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
    p.add_argument("--variants", action="store_true",
                   help="also run the suggester before its cold-start additions and with each addition switched "
                        "(see eval/variants.py; slower)")
    p.add_argument("--tune", action="store_true", help=TUNE_HELP)
    _simulation_options(p, bench=True)


@command("bench", _bench_options, help="benchmark the suggester on coded data described by a YAML spec",
         description="Run the evaluation on a coded CSV outside a project, as a YAML spec describes "
                     "it (see benchmarks/*.yaml and eval/bench.py). Vectors are cached in "
                     "$CODESEED_HOME/bench-cache.db, so a second run only evaluates.")
def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_bench

    out = args.out or str(Path("bench-out") / Path(args.spec).stem)
    if args.simulate:
        from eval.simulate_sources import simulate_bench

        print_simulation(simulate_bench(args.spec, args.data_dir, seed_coded=args.seed_coded, limit=args.limit,
                                        shown=args.shown, refit_every=args.refit_every, progress=progress()), out)
        return 0
    result = run_bench(args.spec, args.data_dir, out=out, folds=args.folds, split=args.split,
                       progress=progress(), n_boot=args.bootstrap, learning_curve=not args.no_learning_curve,
                       variants=args.variants, tune=args.tune)
    print_eval(result, out)
    timing = result["timing"]
    print(f"Embedding {timing['embedding_seconds']:.1f} s ({timing['segments_encoded']} segments newly encoded, "
          f"the rest from the cache); total {timing['total_seconds']:.0f} s.")
    return 0
