"""How long one segment's suggestions take against 10,000 coded examples (p50 / p95), and how long a fit takes.

    python benchmarks/suggest_latency.py                      # synthetic texts and vectors
    python benchmarks/suggest_latency.py --data DATA_DIR      # NHS comments, embedded with MiniLM (cached)

Measures the estimator itself (neighbour votes, linear channel, prototypes, calibration map, evidence),
which is what the app calls after every decision; embedding the segment is cached at index time.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="data folder holding nhs-pxtextmining/ (else synthetic data)")
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    vectors, texts, labels, codes = nhs(args.data, args.examples) if args.data else synthetic(args.examples, 40)
    examples = [Example(i, {c: "bench" for c in labs}, group=i // 3) for i, labs in enumerate(labels)]
    began = time.perf_counter()
    model = CodeSuggester().fit(vectors, examples, codes=codes, texts=texts)
    fit_seconds = time.perf_counter() - began
    began = time.perf_counter()
    CodeSuggester().fit(vectors, examples, codes=codes, texts=texts, calibrate=False)
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
