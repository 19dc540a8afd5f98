"""Ask at scale: index build time, ask p50/p95, resident memory and recall, exact index vs IVF (8-bit), same run.

Run:  python benchmarks/ask_scale.py [DATA_DIR] --n 1000000 [--rounds 3] [--keep FOLDER] [--kinds exact,ivf-sq8]

The segments are synthetic but not random: a sample of real texts (NHS Friends and Family Test comments
from ``DATA_DIR/nhs-pxtextmining/v6framework_230831.csv``, else generated interview sentences) is encoded
with the real model, then each synthetic segment is one of those texts with two words dropped and the
text's vector plus Gaussian noise (per-dimension sigma 0.02-0.05, a cosine of about 0.93-0.70 to the
original), renormalised. Texts longer than :data:`LONGEST` characters are left out, so no segment is split
by segmentation (a split segment has no cached vector and would be encoded). So the vectors have the cluster structure of real comments (many near-ties, the
hard case for an approximate index) and BM25 sees real words. The vectors are written to the project's
vector cache, so ``build_index`` reads them instead of encoding a million texts. 100 interviews with a
participant each (gender, role, setting) and 10% of the segments coded, as in ``ask_latency.py``.

For each index kind (``exact``: the baseline; ``ivf-sq8``) the index is built (timed) and a fresh process
opens the project and asks ten questions (with and without filters) ``rounds`` times after a warm-up,
reporting the first question's time (a new process: corpus, BM25, index and model loaded), p50/p95 latency and
its resident memory (VmRSS after the run, VmHWM peak). The build's phases (import, vector cache, each index)
are timed and kept in the folder, so a run reusing it (``--keep``) reports them too. Recall@10 against the exact
index, a segment whose exact cosine ties the exact tenth counting as found (short texts repeat: which of 300
equal "Staff" vectors is tenth is arbitrary): of Ask's dense top 10 (IVF: after Ask's exact re-scoring of its
best 100), of the IVF index's own top 10, and of Ask's final ten quotes by text (and by segment id).
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
from index import text_hash  # noqa: E402
from index.vectors import EXACT, IVF_SQ8, choose_kind  # noqa: E402

BASES = 6000  # distinct real texts encoded with the model
LONGEST = 1000  # characters: longer texts would be split into several segments (max_segment_chars 1200)


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
    bases = [t for t in dict.fromkeys(texts_for(BASES, data_dir)) if len(t) <= LONGEST]
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
    phases = {"import": time.perf_counter() - began}
    print(f"imported {len(ids)} segments in {phases['import']:.0f} s", file=sys.stderr)
    from index import VectorCache, codeseed_home, encode_with_cache

    with VectorCache(codeseed_home() / "bench-cache.db") as cache:  # shared by runs at other sizes
        base_vectors, _ = encode_with_cache(project.encoder, bases, cache, progress=True)
    began = time.perf_counter()
    fill_cache(project, texts, which, np.asarray(base_vectors, dtype=np.float32))
    phases["vector cache"] = time.perf_counter() - began
    print(f"vector cache filled in {phases['vector cache']:.0f} s", file=sys.stderr)
    (folder / "bench-phases.json").write_text(json.dumps(phases))
    return project


def build_kinds(folder: Path, kinds: list[str]) -> dict[str, float]:
    """Build each kind of index once (timed) and keep its files in ``index-<kind>/``."""
    for kind in kinds:
        target = folder / f"index-{kind}"
        if target.exists():
            continue
        project = Project.open(folder)
        began = time.perf_counter()
        report = project.build_index(rebuild=True, kind=kind)
        seconds = time.perf_counter() - began
        project.close()
        print(f"{kind} index built in {seconds:.0f} s ({report.encoded} segments encoded)", file=sys.stderr)
        shutil.move(str(folder / "index"), str(target))
        (target / "build-seconds").write_text(f"{seconds:.3f}")
    return {kind: float((folder / f"index-{kind}" / "build-seconds").read_text()) for kind in kinds}


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
    corpus_for(project).bm25()  # what the first question builds: the corpus and its BM25 index
    built = time.perf_counter() - began
    ask(project, QUESTIONS[0])  # ... and loads: the vector index and the model
    cold = time.perf_counter() - began
    results = {q: ask(project, q) for q in QUESTIONS}
    timings, cpu = [], []
    for _ in range(rounds):
        for question in QUESTIONS:
            began, used = time.perf_counter(), time.process_time()
            ask(project, question)
            timings.append(time.perf_counter() - began)
            cpu.append(time.process_time() - used)  # CPU time of all this process's threads: not the queue for a core
    resident = memory()  # before the recall checks below load the index a second time
    corpus = corpus_for(project)
    index = project.load_index()
    dense, raw = {}, {}
    for q, result in results.items():
        if not result.understood.topic_terms:
            continue
        vector = np.asarray(project.encoder.encode([result.understood.topic]), dtype=np.float32)[0]
        raw[q] = exact_cosines(project, corpus, [i for i, _ in index.search(vector, 10)[0]], vector)
        scores = dense_scores(project, corpus, vector)
        top = np.argsort(-np.nan_to_num(scores, nan=-2.0), kind="stable")[:10]
        dense[q] = exact_cosines(project, corpus, corpus.ids[top].tolist(), vector)
    quotes = {q: [[c.segment_id, text_hash(corpus.text(corpus.row[c.segment_id]))] for c in r.quotes]
              for q, r in results.items()}
    out = {"cold": cold, "corpus": built, "timings": timings, "cpu": cpu, "memory": resident, "segments": len(corpus.segments),
           "quotes": quotes, "dense": dense, "raw": raw}
    project.close()
    return out


def exact_cosines(project: Project, corpus, segment_ids: list[int], vector: np.ndarray) -> list[list]:
    """``[segment id, exact cosine to the query]`` for each id (the vectors from the project's cache)."""
    vectors, _ = project.embed([corpus.text(corpus.row[i]) for i in segment_ids])
    return [[int(i), float(c)] for i, c in zip(segment_ids, np.asarray(vectors, dtype=np.float32) @ vector)]


def run_kind(folder: Path, kind: str, rounds: int) -> dict:
    live = folder / "index"
    if live.exists():
        shutil.rmtree(live)
    shutil.copytree(folder / f"index-{kind}", live)
    done = subprocess.run([sys.executable, __file__, "--measure", str(folder), "--rounds", str(rounds)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def overlap(a: dict[str, list], b: dict[str, list], column: int = 0) -> float:
    """Mean share of ``a``'s items per question also in ``b`` (by id, or by text hash with ``column=1``)."""
    shared = [q for q in a if q in b and a[q]]
    return float(np.mean([len({x[column] for x in a[q]} & {x[column] for x in b[q]}) / len({x[column] for x in a[q]})
                          for q in shared])) if shared else float("nan")


def tie_recall(exact: dict[str, list], found: dict[str, list]) -> float:
    """Recall@10 that counts a tie as a hit: a found segment whose exact cosine reaches the exact tenth best. Many
    synthetic segments repeat a short text ("Staff"), so which of 300 equal vectors is "the" tenth is arbitrary."""
    shared = [q for q in exact if q in found and exact[q]]
    hits = [np.mean([c >= min(e for _, e in exact[q]) - 1e-5 for _, c in found[q]]) if found[q] else 0.0
            for q in shared]
    return float(np.mean(hits)) if hits else float("nan")


def report(folder: Path, source: str, seconds: dict[str, float], runs: dict[str, dict]) -> None:
    exact = runs.get(EXACT, {"dense": {}, "raw": {}, "quotes": {}})
    segments = next(iter(runs.values()))["segments"]
    phases = json.loads((folder / "bench-phases.json").read_text()) if (folder / "bench-phases.json").exists() else {}
    print(f"ask at scale: {segments} synthetic segments ({source}); {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; automatic choice at this size: {choose_kind(segments)}")
    if phases:
        print("project built: " + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items()))
    print(f"{'index':8} {'build s':>8} {'first ask s':>11} {'(corpus+BM25)':>13} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'CPU p50/p95':>11} {'RSS MB':>7} {'peak MB':>8} {'dense@10':>8} {'search@10':>9} {'quotes@10':>9} "
          f"{'same ids':>8}")
    for kind, run in runs.items():
        t, cpu = np.array(run["timings"]) * 1000, np.array(run["cpu"]) * 1000
        print(f"{kind:8} {seconds[kind]:8.1f} {run['cold']:11.1f} {run['corpus']:13.1f} {np.percentile(t, 50):7.0f} "
              f"{np.percentile(t, 95):7.0f} {np.percentile(cpu, 50):5.0f}/{np.percentile(cpu, 95):5.0f} "
              f"{run['memory']['VmRSS']:7.0f} {run['memory']['VmHWM']:8.0f} "
              f"{tie_recall(exact['dense'], run['dense']):8.3f} {tie_recall(exact['dense'], run['raw']):9.3f} "
              f"{overlap(exact['quotes'], run['quotes'], 1):9.3f} {overlap(exact['quotes'], run['quotes']):8.3f}")
    print(f"{len(next(iter(runs.values()))['timings'])} timed questions per kind (ms; CPU: the process's CPU time per "
          "question, what a core of its own would take); RSS after them, peak during the run")
    print("recall@10 vs the exact index, a tie with the exact tenth counting as a hit: dense@10 = Ask's dense list "
          "(IVF: after exact re-scoring of its best 100); search@10 = the index's own top 10; quotes@10 = Ask's final "
          "ten quotes, by text (same ids: by segment id)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, nargs="?")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project in this folder, outside the repo")
    parser.add_argument("--kinds", default=f"{EXACT},{IVF_SQ8}",
                        help="index kinds to build and measure, comma-separated (the first is the baseline)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: one fresh measuring process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.rounds)))
        return 0
    with tempfile.TemporaryDirectory(prefix="codeseed-ask-scale-") as tmp:
        folder = args.keep or Path(tmp) / "scale"
        if not (folder / "project.db").exists():
            create(folder, args.n, args.data_dir).close()
        kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
        seconds = build_kinds(folder, kinds)
        runs = {kind: run_kind(folder, kind, args.rounds) for kind in kinds}
        report(folder, "NHS comments" if args.data_dir else "generated sentences", seconds, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
