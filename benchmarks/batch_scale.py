"""Batch throughput: the local engine against the Ray engine with 1 and 2 workers, on the same rows, same run.

    python benchmarks/batch_scale.py --data DATA_DIR --rows 2000     # NHS comments repeated with variation
    python benchmarks/batch_scale.py --rows 2000                     # synthetic feedback comments

The suggester is fitted on NHS coded comments (``--data``; else on synthetic ones), saved, and run over
``--rows`` comments in shards of ``--shard-rows``. Each configuration runs in its own process, one after the
other; figures are wall-clock (start-up included: loading the model, starting Ray and its actors), rows per
second, and peak resident memory (VmHWM) of the process doing the work — the local process, or each Ray
actor. The local engine is the baseline; the Ray figures are also given as its ratio. Finally a paper
projection to 1M and 10M comments from the measured per-worker rate.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXTRAS = ["", " Thank you.", " Overall a good experience.", " Could be better.", " The wait was long though.",
          " Staff were lovely.", " Parking was difficult."]


def nhs_examples(data: Path, n: int):
    import pandas as pd

    frame = pd.read_csv(data / "nhs-pxtextmining" / "v6framework_230831.csv", dtype=str, keep_default_na=False)
    codes = [c for c in frame.columns[11:] if c != "Labelling not possible"]
    frame = frame[(frame["Labelling not possible"] != "1") & (frame["FFT answer"].str.strip() != "")]
    frame = frame[(frame[codes] == "1").any(axis=1)].head(n)
    labels = [{c for c in codes if row[c] == "1"} for _, row in frame.iterrows()]
    return frame["FFT answer"].tolist(), labels, codes, frame["Respondent ID"].tolist()


def synthetic_examples(n: int):
    sys.path.insert(0, str(ROOT / "tests"))
    from batch_files import QUALITIES, feedback

    texts = feedback(n, 0)
    labels = [{f"q{i}" for i, q in enumerate(QUALITIES) if q in t} for t in texts]
    return texts, labels, [f"q{i}" for i in range(len(QUALITIES))], list(range(n))


def prepare(args, work: Path) -> tuple[Path, Path]:
    """Fit and save the suggester; write the input shards (comments repeated with variation)."""
    import pandas as pd

    from index import Encoder, VectorCache, codeseed_home, encode_with_cache
    from suggest.estimator import CodeSuggester, Example
    from suggest.saved_model import save_suggester

    texts, labels, codes, groups = nhs_examples(args.data, args.examples) if args.data else \
        synthetic_examples(args.examples)
    encoder = Encoder(backend=args.backend)
    with VectorCache(codeseed_home() / "bench-cache.db") as cache:
        vectors, _ = encode_with_cache(encoder, texts, cache, progress=True)
    examples = [Example(i, {c: "bench" for c in labs}, group=g) for i, (labs, g) in enumerate(zip(labels, groups))]
    model = CodeSuggester().fit(vectors, examples, codes=codes, texts=texts)
    model_dir = save_suggester(model, work / "model", encoder=encoder)
    rng = np.random.default_rng(1)
    pool = texts if args.data else texts * 3
    rows = [pool[i] + EXTRAS[j] for i, j in zip(rng.integers(0, len(pool), args.rows),
                                                 rng.integers(0, len(EXTRAS), args.rows))]
    source = work / "input"
    source.mkdir()
    for k, start in enumerate(range(0, args.rows, args.shard_rows)):
        chunk = rows[start:start + args.shard_rows]
        pd.DataFrame({"id": range(start, start + len(chunk)), "text": chunk}).to_parquet(source / f"{k:04d}.parquet")
    print(f"model: {len(examples)} examples, {len(codes)} codes; input: {args.rows} rows, mean "
          f"{np.mean([len(r) for r in rows]):.0f} characters, shards of {args.shard_rows}", flush=True)
    return model_dir, source


def actor_peaks(stop: threading.Event, peaks: dict[int, int]) -> None:
    """Peak RSS (VmHWM, kB) of every Ray map worker process, sampled until ``stop``."""
    while not stop.wait(0.5):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                if b"MapWorker" not in cmdline and b"SuggestActor" not in cmdline:
                    continue
                status = (entry / "status").read_text()
            except OSError:
                continue
            hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0)
            peaks[int(entry.name)] = max(peaks.get(int(entry.name), 0), hwm)


def run_one(engine: str, workers: int, model_dir: str, source: str, out: str) -> dict:
    """One configuration, in this (child) process; prints its figures as JSON."""
    from batch.runner import run_batch

    began = time.perf_counter()
    peaks: dict[int, int] = {}
    stop = threading.Event()
    if engine == "ray":
        from batch.ray_engine import start_local_ray

        start_local_ray(workers)
        threading.Thread(target=actor_peaks, args=(stop, peaks), daemon=True).start()
    ray_started = time.perf_counter() - began
    report = run_batch(model_dir, source, out, engine=engine, workers=workers)
    stop.set()
    seconds = time.perf_counter() - began
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return {"engine": engine, "workers": workers, "rows": report.rows, "seconds": seconds,
            "ray_start_seconds": ray_started if engine == "ray" else 0.0, "rows_per_second": report.rows / seconds,
            "peak_mb_per_worker": (max(peaks.values()) if peaks else own) / 1024, "driver_peak_mb": own / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="data folder holding nhs-pxtextmining/ (else synthetic comments)")
    parser.add_argument("--rows", type=int, default=2000, help="comments per configuration")
    parser.add_argument("--shard-rows", type=int, default=500)
    parser.add_argument("--examples", type=int, default=5000, help="coded examples the suggester is fitted on")
    parser.add_argument("--backend", default="auto", help="encoder backend of the saved model (default: auto)")
    parser.add_argument("--configs", default="local:1,ray:1,ray:2", help="engine:workers, comma separated")
    parser.add_argument("--child", nargs=5, metavar=("ENGINE", "WORKERS", "MODEL", "INPUT", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, workers, model_dir, source, out = args.child
        print(json.dumps(run_one(engine, int(workers), model_dir, source, out)))
        return
    with tempfile.TemporaryDirectory(prefix="batch-scale-") as tmp:
        model_dir, source = prepare(args, Path(tmp))
        results = []
        for config in args.configs.split(","):
            engine, workers = config.split(":")
            command = [sys.executable, __file__, "--child", engine, workers, str(model_dir), str(source),
                       str(Path(tmp) / f"out-{engine}-{workers}")]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode:
                sys.exit(f"{config} failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
        report(results)


def report(results: list[dict]) -> None:
    base = results[0]
    print(f"\n{'engine':<8}{'workers':>8}{'rows':>8}{'seconds':>9}{'rows/s':>8}{'x base':>8}"
          f"{'peak MB/worker':>16}{'Ray start s':>12}")
    for r in results:
        print(f"{r['engine']:<8}{r['workers']:>8}{r['rows']:>8}{r['seconds']:>9.1f}{r['rows_per_second']:>8.1f}"
              f"{r['rows_per_second'] / base['rows_per_second']:>8.2f}{r['peak_mb_per_worker']:>16.0f}"
              f"{r['ray_start_seconds']:>12.1f}")
    per_worker = max(r["rows_per_second"] / r["workers"] for r in results if r["engine"] == "ray")
    print(f"\nbest measured rate per Ray worker (one CPU): {per_worker:.1f} rows/s (start-up included)")
    for rows in (1_000_000, 10_000_000):
        for nodes, cores in ((1, 2), (4, 16), (16, 16)):
            hours = rows / (per_worker * nodes * cores) / 3600
            print(f"  {rows:>10,} comments on {nodes:>2} node(s) x {cores:>2} cores: {hours:7.1f} h (paper)")


if __name__ == "__main__":
    main()
