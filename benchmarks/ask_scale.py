"""Ask at scale: index build time, ask p50/p95, resident memory and recall, exact index vs IVF (8-bit), same run.

Run:  python benchmarks/ask_scale.py [DATA_DIR] --n 1000000 [--rounds 3] [--keep FOLDER]

The segments are synthetic but not random: a sample of real texts (NHS Friends and Family Test comments
from ``DATA_DIR/nhs-pxtextmining/v6framework_230831.csv``, else generated interview sentences) is encoded
with the real model, then each synthetic segment is one of those texts with two words dropped and the
text's vector plus Gaussian noise (per-dimension sigma 0.02-0.05, a cosine of about 0.93-0.70 to the
original), renormalised. So the vectors have the cluster structure of real comments (many near-ties, the
hard case for an approximate index) and BM25 sees real words. The vectors are written to the project's
vector cache, so ``build_index`` reads them instead of encoding a million texts. 100 interviews with a
participant each (gender, role, setting) and 10% of the segments coded, as in ``ask_latency.py``.

For each index kind (``exact``: the baseline; ``ivf-sq8``) the index is built (timed) and a fresh process
opens the project and asks ten questions (with and without filters) ``rounds`` times after a warm-up,
reporting p50/p95 latency and its resident memory (VmRSS after the run, VmHWM peak). Recall: of the exact
index's dense top 10 per question (what the IVF index's search returns, before and after Ask's exact
re-scoring of its best 100), and the overlap of Ask's final ten quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_latency import QUESTIONS, ROLES, SETTINGS, texts_for  # noqa: E402
from index.demo import sample_dir  # noqa: E402
from index.ingest.readers.table import TableOptions  # noqa: E402
from index.project import Project  # noqa: E402
from index.vectors import EXACT, IVF_SQ8, choose_kind  # noqa: E402

BASES = 6000  # distinct real texts encoded with the model


def variants(bases: list[str], n: int, seed: int = 7) -> tuple[list[str], np.ndarray]:
    """``n`` texts, each a base text with two words dropped, and which base each came from."""
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(bases), size=n)
    texts = []
    for i, b in enumerate(which):
        words = bases[b].split()
        if len(words) > 4:
            drop = set(rng.choice(len(words), size=2, replace=False).tolist())
            words = [w for j, w in enumerate(words) if j not in drop]
        texts.append(" ".join(words) if words else f"comment {i}")
    return texts, which


def fill_cache(project: Project, texts: list[str], which: np.ndarray, base_vectors: np.ndarray) -> None:
    """Each distinct text gets its base's vector plus noise, written to the project's vector cache."""
    from index import text_hash

    rng = np.random.default_rng(11)
    seen: dict[str, int] = {}
    for t, b in zip(texts, which):
        seen.setdefault(text_hash(t), int(b))
    hashes = list(seen)
    cache = project.vector_cache()
    try:
        for start in range(0, len(hashes), 50_000):
            chunk = hashes[start:start + 50_000]
            base = base_vectors[[seen[h] for h in chunk]]
            sigma = rng.uniform(0.02, 0.05, size=(len(chunk), 1))
            noisy = base + rng.normal(size=base.shape) * sigma
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            cache.put_many(project.encoder.identifier, chunk, noisy.astype(np.float32))
    finally:
        cache.close()


def create(folder: Path, n: int, data_dir: Path | None) -> Project:
    import pandas as pd

    rng = random.Random(6)
    bases = list(dict.fromkeys(texts_for(BASES, data_dir)))
    texts, which = variants(bases, n)
    per = max(1, n // 100)
    staging = Path(tempfile.mkdtemp(prefix="codeseed-ask-scale-"))
    pd.DataFrame({"text": texts, "document": [f"interview{i // per:03d}" for i in range(n)],
                  "speaker": [f"P{i // per:03d}" for i in range(n)]}).to_csv(staging / "turns.csv", index=False)
    people = [f"P{i:03d}" for i in range(100)]
    pd.DataFrame({"participant_id": people, "gender": [rng.choice(["female", "male"]) for _ in people],
                  "role": [rng.choice(ROLES) for _ in people],
                  "setting": [rng.choice(SETTINGS) for _ in people]}).to_csv(staging / "people.csv", index=False)
    project = Project.init(folder)
    began = time.perf_counter()
    project.import_documents([staging / "turns.csv"], attributes=staging / "people.csv",
                             table_options=TableOptions(text_column="text", document_column="document",
                                                        speaker_column="speaker"))
    shutil.rmtree(staging)
    project.import_codebook(sample_dir() / "codebook.csv")
    codes = [c.id for c in project.codes() if c.parent]
    ids = sorted(project.store.segment_ids())
    with project.store.transaction():
        project.store.add_codings((s, rng.choice(codes), "bench", "human") for s in rng.sample(ids, len(ids) // 10))
    print(f"imported {len(ids)} segments in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    from index import VectorCache, codeseed_home, encode_with_cache

    with VectorCache(codeseed_home() / "bench-cache.db") as cache:  # shared by runs at other sizes
        base_vectors, _ = encode_with_cache(project.encoder, bases, cache, progress=True)
    fill_cache(project, texts, which, np.asarray(base_vectors, dtype=np.float32))
    return project


def build_kinds(folder: Path) -> dict[str, float]:
    """Build each kind of index once (timed) and keep its files in ``index-<kind>/``."""
    seconds = {}
    for kind in (EXACT, IVF_SQ8):
        target = folder / f"index-{kind}"
        if target.exists():
            continue
        project = Project.open(folder)
        began = time.perf_counter()
        project.build_index(rebuild=True, kind=kind)
        seconds[kind] = time.perf_counter() - began
        project.close()
        shutil.move(str(folder / "index"), str(target))
        (target / "build-seconds").write_text(f"{seconds[kind]:.3f}")
    return {kind: float((folder / f"index-{kind}" / "build-seconds").read_text()) for kind in (EXACT, IVF_SQ8)}


def memory() -> dict[str, float]:
    """VmRSS and VmHWM of this process, MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}


def measure(folder: Path, rounds: int) -> dict:
    """In this (fresh) process: open the project, ask every question, time ``rounds`` passes; dense top 10s."""
    from suggest.ask.answer import ask
    from suggest.ask.retrieval import corpus_for, dense_scores

    project = Project.open(folder)
    began = time.perf_counter()
    ask(project, QUESTIONS[0])
    cold = time.perf_counter() - began
    results = {q: ask(project, q) for q in QUESTIONS}
    timings = []
    for _ in range(rounds):
        for question in QUESTIONS:
            began = time.perf_counter()
            ask(project, question)
            timings.append(time.perf_counter() - began)
    corpus = corpus_for(project)
    index = project.load_index()
    dense, raw = {}, {}
    for q, result in results.items():
        if not result.understood.topic_terms:
            continue
        vector = np.asarray(project.encoder.encode([result.understood.topic]), dtype=np.float32)[0]
        raw[q] = [i for i, _ in index.search(vector, 10)[0]]
        scores = dense_scores(project, corpus, vector)
        top = np.argsort(-np.nan_to_num(scores, nan=-2.0), kind="stable")[:10]
        dense[q] = corpus.ids[top].tolist()
    out = {"cold": cold, "timings": timings, "memory": memory(), "segments": len(corpus.segments),
           "quotes": {q: [c.segment_id for c in r.quotes] for q, r in results.items()}, "dense": dense, "raw": raw}
    project.close()
    return out


def run_kind(folder: Path, kind: str, rounds: int) -> dict:
    live = folder / "index"
    if live.exists():
        shutil.rmtree(live)
    shutil.copytree(folder / f"index-{kind}", live)
    done = subprocess.run([sys.executable, __file__, "--measure", str(folder), "--rounds", str(rounds)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def overlap(a: dict[str, list[int]], b: dict[str, list[int]]) -> float:
    shared = [q for q in a if q in b and a[q]]
    return float(np.mean([len(set(a[q]) & set(b[q])) / len(a[q]) for q in shared])) if shared else float("nan")


def report(n: int, source: str, seconds: dict[str, float], runs: dict[str, dict]) -> None:
    exact = runs[EXACT]
    print(f"ask at scale: {exact['segments']} synthetic segments ({source}); {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; automatic choice at this size: {choose_kind(exact['segments'])}")
    print(f"{'index':8} {'build s':>8} {'first ask s':>11} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7} {'peak MB':>8} "
          f"{'dense@10':>8} {'search@10':>9} {'quotes@10':>9}")
    for kind, run in runs.items():
        t = np.array(run["timings"]) * 1000
        print(f"{kind:8} {seconds[kind]:8.1f} {run['cold']:11.1f} {np.percentile(t, 50):7.0f} "
              f"{np.percentile(t, 95):7.0f} {run['memory']['VmRSS']:7.0f} {run['memory']['VmHWM']:8.0f} "
              f"{overlap(exact['dense'], run['dense']):8.3f} {overlap(exact['raw'], run['raw']):9.3f} "
              f"{overlap(exact['quotes'], run['quotes']):9.3f}")
    print("recall vs the exact index: dense@10 = Ask's dense list (IVF: after exact re-scoring of its best 100); "
          "search@10 = the index's own top 10; quotes@10 = Ask's final ten quotes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, nargs="?")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project in this folder, outside the repo")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: one fresh measuring process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.rounds)))
        return 0
    with tempfile.TemporaryDirectory(prefix="codeseed-ask-scale-") as tmp:
        folder = args.keep or Path(tmp) / "scale"
        if not (folder / "project.db").exists():
            create(folder, args.n, args.data_dir).close()
        seconds = build_kinds(folder)
        runs = {kind: run_kind(folder, kind, args.rounds) for kind in (EXACT, IVF_SQ8)}
        report(args.n, "NHS comments" if args.data_dir else "generated sentences", seconds, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
