"""tune: fine-tune a copy of the encoder on the project's codings, installed only if a held-out check shows a gain."""

from __future__ import annotations

import argparse

from . import registry
from .registry import command, progress


def _tune_options(p: argparse.ArgumentParser) -> None:
    from eval.project_tune import MIN_SEGMENTS
    from index.tuning import PRECISIONS, TuneSettings

    d = TuneSettings()
    p.add_argument("project")
    p.add_argument("--off", action="store_true",
                   help="return to the base encoder and rebuild the index (quick: its vectors are still cached); "
                        "the tuned copy stays in PROJECT/encoders/")
    p.add_argument("--no-check", action="store_true",
                   help="install the tuned encoder without the held-out comparison (only when you know tuning "
                        "helps your data: it hurt on one of our two benchmarks)")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"passes over the coded segments (default: {d.epochs})")
    p.add_argument("--lr", type=float, default=d.lr, help=f"the encoder's learning rate (default: {d.lr:g})")
    p.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default: {d.seed})")
    p.add_argument("--precision", choices=PRECISIONS, default=d.precision,
                   help="the forward pass's number format while tuning: bf16 is faster on CPUs that do it "
                        "natively and slower on others; auto (the default) times one step each way and takes "
                        "bf16 only if it is clearly faster")
    p.epilog = (f"Needs at least {MIN_SEGMENTS} human-coded segments. Takes minutes: about a second per 32 "
                "segments per epoch on two cores, twice with the check. " + (p.epilog or ""))


@command("tune", _tune_options, help="fine-tune the encoder on the project's codings (kept only if it helps)",
         description="Fine-tune a copy of the embedding model on the project's human codings, on the CPU. First a "
                     "check: tune on four fifths of the coded documents and compare the suggester on the rest, base "
                     "encoder against tuned; only if the tuned one is better (micro-F1's 95% interval above zero, "
                     "macro-F1 not down by more than 0.01) is it tuned on every coded segment, saved in "
                     "PROJECT/encoders/ (safetensors, hash-checked at every load) and installed, and the index "
                     "rebuilt. --off returns to the base encoder.")
def cmd_tune(args: argparse.Namespace) -> int:
    from eval.project_tune import tune_project, untune_project
    from index.errors import CodeseedError
    from index.tuning import TuneSettings

    with registry.open_project(args.project) as project:
        if args.off:
            was, index = untune_project(project, progress=progress())
            what = f"Returned from the tuned encoder ({was}) to" if was else "No tuned encoder was installed; using"
            print(f"{what} the base encoder {project.settings['model']}. Index: {index.segments} segments, "
                  f"{index.encoded} newly encoded.")
            return 0
        try:
            settings = TuneSettings(epochs=args.epochs, lr=args.lr, seed=args.seed, precision=args.precision)
        except ValueError as exc:
            raise CodeseedError(str(exc), field="--epochs/--lr", fix="see codeseed tune --help") from exc
        report = tune_project(project, settings, check=not args.no_check, progress=progress())
        if report.training:
            print(_training_line(report.training))
        if report.check is not None:
            c = report.check
            print(f"Held-out check ({c.trained_on} segments tuned on, {c.held_out} held out, {c.seconds:.0f} s):")
            for label, figures in (("base encoder", c.frozen), ("tuned encoder", c.tuned)):
                print(f"  {label:<14} micro-F1 {figures['micro_f1']:.3f}  macro-F1 {figures['macro_f1']:.3f}  "
                      f"hit@1 {figures['hit@1']:.3f}")
            print(f"  {c.reason}")
        if not report.installed:
            print("Nothing was installed; the project is as it was.")
            return 0
        print(f"Installed the encoder tuned on {report.segments} segments and {report.codes} codes: {report.folder} "
              f"({report.seconds:.0f} s in all). Index rebuilt with {report.index.model}.")
        print(f"Return to the base encoder with: codeseed tune {args.project} --off")
    return 0


def _training_line(training: dict) -> str:
    """``Tuned in bf16 (one step took 0.33 s; 0.55 s in fp32).`` from ``fine_tune``'s record."""
    measured = training.get("step_seconds")
    if not measured:
        return f"Tuned in {training['precision']}."
    other = "fp32" if training["precision"] == "bf16" else "bf16"
    return (f"Tuned in {training['precision']} (one step took {measured[training['precision']]:.2f} s; "
            f"{measured[other]:.2f} s in {other}).")
