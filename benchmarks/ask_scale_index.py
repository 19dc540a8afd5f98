"""The vector index alone at up to a million segments: exact (baseline) vs IVF with 8-bit codes, same run.

Run:  python benchmarks/ask_scale_index.py --n 1000000 [--queries 200] [--before-lists 1000 --before-nprobe 128]

What ``benchmarks/ask_scale.py`` measures through Ask, without the project around it (a million-segment
project takes longer to import and cache than one sitting allows on two shared cores). Vectors: 6,000 random
unit "topics", each segment a topic plus Gaussian noise (per-dimension sigma 0.02-0.06: a cosine of about
0.93-0.6 to its topic), renormalised: clusters with many near-ties, the hard case for an approximate index.
Queries: 200 segments, perturbed again. For each kind: build seconds (training included), search p50/p95 for
one query (the 1,000 nearest, as Ask asks; one thread, as Ask searches), resident memory the index added, and
recall@10 against the exact index: of the index's own top 10, and after re-scoring its best ``RERANK``
exactly, as Ask does from the vector cache (here from the vectors in memory: the cache read is timed in
``ask_scale.py``). ``--before-lists/--before-nprobe`` also measure an IVF index with other settings in the
same run (the defaults: the settings before the lists were made finer, about sqrt(n) lists and 128 scanned).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.vectors import EXACT, IVF_SQ8, TRAIN_PER_LIST, VectorIndex, choose_kind  # noqa: E402
from suggest.ask.dense import RERANK  # noqa: E402


def clustered(n: int, d: int = 384, topics: int = 6000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, d)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        sigma = rng.uniform(0.02, 0.06, size=(m, 1)).astype(np.float32)
        out[start:start + m] = centres[rng.integers(0, topics, m)] + rng.normal(size=(m, d)).astype(np.float32) * sigma
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(kind: str, vectors: np.ndarray, queries: np.ndarray, lists: int | None = None,
            nprobe: int | None = None) -> dict:
    before = rss_mb()
    began = time.perf_counter()
    if lists is None:
        index = VectorIndex.for_count(vectors.shape[1], "synthetic", len(vectors), kind)
    else:
        index = VectorIndex(vectors.shape[1], "synthetic", kind=kind, lists=lists)
        index.nprobe = min(int(nprobe or index.nprobe), index.lists)
    if not index.is_trained:
        sample = np.random.default_rng(1).permutation(len(vectors))[: TRAIN_PER_LIST * index.lists]
        index.train(vectors[np.sort(sample)])
    for start in range(0, len(vectors), 100_000):
        index.add(vectors[start:start + 100_000], np.arange(start, min(start + 100_000, len(vectors))))
    build = time.perf_counter() - began
    added = rss_mb() - before
    timings, top, rescored = [], [], []
    for query in queries:
        began = time.perf_counter()
        found = index.search(query, 1000)[0]
        timings.append((time.perf_counter() - began) * 1000)
        top.append([i for i, _ in found[:10]])
        best = np.array([i for i, _ in found[:RERANK]], dtype=np.int64)
        rescored.append(best[np.argsort(-(vectors[best] @ query), kind="stable")[:10]].tolist())
    shape = (index.lists, index.nprobe)
    del index
    return {"build": build, "memory": added, "p50": float(np.percentile(timings, 50)), "shape": shape,
            "p95": float(np.percentile(timings, 95)), "top": top, "rescored": rescored}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--before-lists", type=int, default=0, help="also measure an IVF index with this many lists")
    parser.add_argument("--before-nprobe", type=int, default=128, help="... scanning this many of them")
    args = parser.parse_args(argv)
    vectors = clustered(args.n)
    rng = np.random.default_rng(2)
    queries = vectors[rng.integers(0, args.n, args.queries)] + rng.normal(scale=0.03, size=(args.queries, 384))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    runs = {EXACT: measure(EXACT, vectors, queries)}
    if args.before_lists:
        runs["before"] = measure(IVF_SQ8, vectors, queries, args.before_lists, args.before_nprobe)
    runs[IVF_SQ8] = measure(IVF_SQ8, vectors, queries)
    print(f"vector index alone: {args.n} clustered synthetic vectors (384-d), {args.queries} queries of k=1000; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; automatic choice: {choose_kind(args.n)}")
    print(f"{'index':8} {'lists':>6} {'scanned':>7} {'build s':>8} {'memory MB':>9} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'recall@10':>9} {f're-scored {RERANK}':>14}")
    truth = runs[EXACT]["top"]
    for kind, run in runs.items():
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, run["top"])])
        rescored = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, run["rescored"])])
        lists, nprobe = run["shape"]
        print(f"{kind:8} {lists:6} {nprobe:7} {run['build']:8.1f} {run['memory']:9.0f} {run['p50']:7.1f} "
              f"{run['p95']:7.1f} {recall:9.3f} {rescored:14.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
