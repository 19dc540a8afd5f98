"""How long one segment's suggestions take against 10,000 coded examples (p50 / p95), and how long a fit takes.

    python benchmarks/suggest_latency.py                      # synthetic texts and vectors
    python benchmarks/suggest_latency.py --data DATA_DIR      # NHS comments, embedded with MiniLM (cached)
    python benchmarks/suggest_latency.py --data DATA_DIR --examples 100000 --neighbours-only

The neighbour search (``suggest/neighbours.py``) is measured on its own against the exact search in the same
run: one segment p50/p95, a batch of segments per second, recall@k of the FAISS path against the exact one,
and the peak memory of a batch. ``--neighbours-only`` skips the estimator's fit (minutes at 100,000).

Measures the estimator itself (neighbour votes, linear channel, prototypes, calibration map, evidence),
which is what the app calls after every decision; embedding the segment is cached at index time.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from suggest.estimator import CodeSuggester, Example


def synthetic(n: int, n_codes: int, dim: int = 384, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_codes, dim))
    words = [f"w{i}" for i in range(2000)]
    labels = rng.integers(0, n_codes, size=n)
    vectors = centres[labels] + rng.normal(scale=2.0, size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [" ".join(rng.choice(words, size=12)) + f" topic{lab}" for lab in labels]
    return vectors.astype(np.float32), texts, [{f"c{lab}"} for lab in labels], [f"c{i}" for i in range(n_codes)]


def nhs(data: Path, n: int):
    import pandas as pd

    from index import Encoder, VectorCache, codeseed_home, encode_with_cache

    frame = pd.read_csv(data / "nhs-pxtextmining" / "v6framework_230831.csv", dtype=str, keep_default_na=False)
    codes = [c for c in frame.columns[11:] if c != "Labelling not possible"]
    frame = frame[(frame["Labelling not possible"] != "1") & (frame["FFT answer"].str.strip() != "")]
    frame = frame[(frame[codes] == "1").any(axis=1)]
    texts = frame["FFT answer"].tolist()
    labels = [{c for c in codes if row[c] == "1"} for _, row in frame.iterrows()]
    with VectorCache(codeseed_home() / "bench-cache.db") as cache:
        vectors, _ = encode_with_cache(Encoder(), texts, cache, progress=True)
    reps = int(np.ceil(n / len(texts)))  # reuse comments to reach n examples
    rng = np.random.default_rng(0)
    noise = rng.normal(scale=0.01, size=(len(texts) * reps, vectors.shape[1]))
    big = np.tile(vectors, (reps, 1)) + noise
    big /= np.linalg.norm(big, axis=1, keepdims=True)
    return big[:n].astype(np.float32), (texts * reps)[:n], (labels * reps)[:n], codes


def stand_in_prototypes(vectors: np.ndarray, labels: list[set[str]], codes: list[str]) -> np.ndarray:
    """One unit vector per code, as a codebook gives the suggester (its prototype channel and example
    prototypes run on every suggestion): here the mean of the code's examples, normalised."""
    column = {c: i for i, c in enumerate(codes)}
    sums = np.zeros((len(codes), vectors.shape[1]))
    for vector, labs in zip(vectors, labels):
        for c in labs:
            sums[column[c]] += vector
    sums[~sums.any(axis=1), 0] = 1.0
    return (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)


def timed_neighbours(index, vectors: np.ndarray, picks: np.ndarray, k: int, batch: int) -> dict:
    """p50/p95 of one query, and segments per second for ``batch`` queries at once (each query skips itself)."""
    import tracemalloc

    for i in picks[:10]:
        index.search(vectors[i], k, skip=[int(i)])
    single = []
    for i in picks:
        start = time.perf_counter()
        index.search(vectors[i], k, skip=[int(i)])
        single.append((time.perf_counter() - start) * 1000)
    rows = np.arange(batch) % len(vectors)
    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    found, _ = index.search(vectors[rows], k, skip=rows.tolist())
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"p50": float(np.percentile(single, 50)), "p95": float(np.percentile(single, 95)),
            "rate": batch / seconds, "cpu_rate": batch / cpu, "peak_mb": peak, "found": found}


def compare_neighbours(vectors: np.ndarray, k: int, queries: int, batch: int) -> None:
    """The neighbour search as the suggester will use it: exact (baseline) and automatic, same run."""
    from suggest.neighbours import EXACT_BELOW, Neighbours

    picks = np.random.default_rng(2).integers(0, len(vectors), size=queries)
    began = time.perf_counter()
    auto = Neighbours(vectors)
    built = time.perf_counter() - began
    exact = timed_neighbours(Neighbours(vectors, exact_below=len(vectors) + 1), vectors, picks, k, batch)
    fast = timed_neighbours(auto, vectors, picks, k, batch)
    recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(exact["found"].tolist(), fast["found"].tolist())])
    way = "exact" if auto.exact else f"FAISS IVF (built in {built:.1f} s)"
    print(f"neighbours (k={k}) among {len(vectors)} examples; automatic choice: {way} (exact below {EXACT_BELOW}); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for name, run in (("exact", exact), ("automatic", fast)):
        print(f"  {name:9}  one segment p50 {run['p50']:.2f} ms, p95 {run['p95']:.2f} ms;  batch of {batch}: "
              f"{run['rate']:.0f} segments/s ({run['cpu_rate']:.0f} per CPU-second), "
              f"peak {run['peak_mb']:.0f} MB")
    print(f"  recall@{k} of the automatic search against the exact one: {recall:.4f} over {batch} segments")


def compare_suggest(model: CodeSuggester, vectors: np.ndarray, texts: list[str], queries: int, batch: int) -> None:
    """The fitted suggester's suggest() with the exact neighbour search (baseline) and the automatic one."""
    import suggest.neighbours as neighbours
    from suggest.estimator import neighbour_searches

    picks = np.random.default_rng(1).integers(0, len(texts), size=queries)
    rows = np.arange(batch) % len(texts)
    automatic, answers = neighbours.EXACT_BELOW, {}
    for name, threshold in (("exact", len(texts) + 1), ("automatic", automatic)):
        neighbours.EXACT_BELOW = threshold
        neighbour_searches.pop(model, None)  # rebuilt on first use with this threshold
        model.suggest(vectors[picks[:10]], [texts[i] for i in picks[:10]])  # warm-up (and the index build)
        timings = []
        for i in picks:
            start = time.perf_counter()
            model.suggest(vectors[i], [texts[i]], segment_ids=[int(i)])
            timings.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        answers[name] = model.suggest(vectors[rows], [texts[i] for i in rows], segment_ids=rows.tolist())
        rate = batch / (time.perf_counter() - start)
        print(f"  suggest() {name:9}  one segment p50 {np.percentile(timings, 50):.1f} ms, "
              f"p95 {np.percentile(timings, 95):.1f} ms;  batch of {batch}: {rate:.0f} segments/s")
    neighbours.EXACT_BELOW = automatic
    same = np.mean([[s.code for s in a] == [s.code for s in b] for a, b in zip(answers["exact"], answers["automatic"])])
    print(f"  same ranked codes as with the exact search: {same:.4f} of {batch} segments")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="data folder holding nhs-pxtextmining/ (else synthetic data)")
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--batch", type=int, default=5000, help="segments in the batch measurement")
    parser.add_argument("--neighbours-only", action="store_true", help="measure the neighbour search only")
    parser.add_argument("--suggest-only", action="store_true",
                        help="fit without calibration, then time suggest() with the exact and the automatic search")
    args = parser.parse_args()
    vectors, texts, labels, codes = nhs(args.data, args.examples) if args.data else synthetic(args.examples, 40)
    compare_neighbours(vectors, CodeSuggester().k, args.queries, args.batch)
    if args.neighbours_only:
        return
    examples = [Example(i, {c: "bench" for c in labs}, group=i // 3) for i, labs in enumerate(labels)]
    prototypes = stand_in_prototypes(vectors, labels, codes)
    if args.suggest_only:
        began = time.perf_counter()
        model = CodeSuggester().fit(vectors, examples, codes=codes, texts=texts, prototypes=prototypes,
                                    calibrate=False)
        print(f"examples: {len(examples)}, codes: {len(codes)}; fit without calibration {time.perf_counter() - began:.0f} s")
        compare_suggest(model, vectors, list(texts), args.queries, args.batch)
        return
    began = time.perf_counter()
    model = CodeSuggester().fit(vectors, examples, codes=codes, texts=texts, prototypes=prototypes)
    fit_seconds = time.perf_counter() - began
    began = time.perf_counter()
    CodeSuggester().fit(vectors, examples, codes=codes, texts=texts, prototypes=prototypes, calibrate=False)
    refit_seconds = time.perf_counter() - began
    rng = np.random.default_rng(1)
    picks = rng.integers(0, len(texts), size=args.queries)
    for i in picks[:10]:  # warm-up
        model.suggest(vectors[i], [texts[i]])
    timings = []
    for i in picks:
        start = time.perf_counter()
        model.suggest(vectors[i], [texts[i]])
        timings.append((time.perf_counter() - start) * 1000)
    p50, p95 = np.percentile(timings, [50, 95])
    source = "NHS comments" if args.data else "synthetic"
    print(f"examples: {len(examples)} ({source}), codes: {len(codes)}")
    print(f"fit (with 5-fold calibration): {fit_seconds:.1f} s")
    print(f"fit reusing a stored calibration (same examples as a previous run): {refit_seconds:.1f} s")
    print(f"suggest, one segment: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.queries} segments")


if __name__ == "__main__":
    main()
