"""How long the suggester's fit takes, calibration included, at 10,000 and 100,000 coded examples: the Newton
solver (default) beside the way before (``solver="liblinear"``: one LinearSVC per code, each calibration fold
learning its own vocabulary) in the same run.

    python benchmarks/fit_speed.py                                  # synthetic texts and vectors
    python benchmarks/fit_speed.py --data DATA_DIR                  # NHS comments (repeated with noise past 6k)
    python benchmarks/fit_speed.py --data DATA_DIR --examples 10000 --runs 3 --baseline-runs 3

Each fit is timed whole (TF-IDF, linear channel, calibration folds, neighbour and prototype scores, Platt
scaling, thresholds) and split into the fit without calibration and the calibration. The baseline takes
many minutes past 10,000 examples, so by default it runs only up to ``--baseline-up-to`` examples. Beside the
times: how far the two fits' linear weights and calibrated scores are apart on the same examples.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from suggest.estimator import CodeSuggester, Example  # noqa: E402
from suggest_latency import nhs, synthetic  # noqa: E402


def timed_fit(solver: str, vectors, examples, codes, texts, bare: bool) -> tuple[CodeSuggester, float, float]:
    """The fit with calibration (seconds), and the fit without (seconds; NaN unless ``bare``), as the app and CLI
    run them."""
    began = time.perf_counter()
    model = CodeSuggester(solver=solver).fit(vectors, examples, codes=codes, texts=texts)
    whole = time.perf_counter() - began
    if not bare:
        return model, whole, float("nan")
    began = time.perf_counter()
    CodeSuggester(solver=solver).fit(vectors, examples, codes=codes, texts=texts, calibrate=False)
    return model, whole, time.perf_counter() - began


def summary(values: list[float]) -> str:
    if all(np.isnan(values)):
        return "not timed"
    if len(values) == 1:
        return f"{values[0]:.1f} s"
    return f"median {statistics.median(values):.1f} s (range {min(values):.1f}–{max(values):.1f}, {len(values)} runs)"


def compare(new: CodeSuggester, old: CodeSuggester, vectors: np.ndarray, texts: list[str]) -> None:
    """Weights and calibrated scores of the two fits on (up to) 2,000 of the examples."""
    rows = np.arange(min(2000, len(texts)))
    a = new.scores(vectors[rows], [texts[i] for i in rows])
    b = old.scores(vectors[rows], [texts[i] for i in rows])
    same_top = np.mean(a.argmax(axis=1) == b.argmax(axis=1))
    confident_a, confident_b = a >= new.thresholds_, b >= old.thresholds_
    agree = np.mean(confident_a == confident_b)
    scale = np.abs(old.linear_.coef_).max() if old.linear_ is not None else 1.0
    gap = np.abs(new.linear_.coef_[:, -vectors.shape[1]:] - old.linear_.coef_[:, -vectors.shape[1]:]).max() / scale
    print(f"  newton vs liblinear on {len(rows)} examples: same top code {same_top:.4f}, same confident "
          f"(segment, code) decisions {agree:.4f}, largest embedding-weight gap {gap:.3f} of the largest weight, "
          f"Platt a/b {new.platt_[0]:.3f}/{new.platt_[1]:.3f} vs {old.platt_[0]:.3f}/{old.platt_[1]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="data folder holding nhs-pxtextmining/ (else synthetic data)")
    parser.add_argument("--examples", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3, help="fits per size with the Newton solver")
    parser.add_argument("--baseline-runs", type=int, default=1, help="fits per size the way before")
    parser.add_argument("--baseline-up-to", type=int, default=10_000,
                        help="run the baseline only at sizes up to this many examples")
    parser.add_argument("--with-calibration-only", action="store_true",
                        help="skip timing the fit without calibration (halves a run at 100,000)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    for n in args.examples:
        vectors, texts, labels, codes = nhs(args.data, n) if args.data else synthetic(n, 40)
        examples = [Example(i, {c: "bench" for c in labs}, group=i // 3) for i, labs in enumerate(labels)]
        source = "NHS comments" if args.data else "synthetic"
        print(f"\n{n} examples ({source}), {len(codes)} codes, 5 calibration folds asked")
        models, medians = {}, {}
        runs = {"newton": args.runs, "liblinear": args.baseline_runs if n <= args.baseline_up_to else 0}
        for solver, count in runs.items():
            if not count:
                print(f"  {solver:9}  not run (--baseline-runs {args.baseline_runs}, "
                      f"--baseline-up-to {args.baseline_up_to})")
                continue
            wholes, bares = [], []
            for _ in range(count):
                models[solver], whole, bare = timed_fit(solver, vectors, examples, codes, texts,
                                                        not args.with_calibration_only)
                wholes.append(whole)
                bares.append(bare)
            medians[solver] = statistics.median(wholes)
            print(f"  {solver:9}  fit with calibration {summary(wholes)};  without calibration {summary(bares)};"
                  f"  load average {os.getloadavg()[0]:.2f}")
        if len(models) == 2:
            print(f"  speed-up of the fit with calibration: {medians['liblinear'] / medians['newton']:.1f}x")
            compare(models["newton"], models["liblinear"], vectors, list(texts))


if __name__ == "__main__":
    main()
