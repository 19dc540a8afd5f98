"""Latency of Ask on a 10,000-segment project: p50/p95 of ``ask(project, question)`` after warm-up.

Run:  python benchmarks/ask_latency.py [DATA_DIR] [--n 10000] [--rounds 5] [--keep FOLDER]

The project: 100 interviews of ``n / 100`` turns each, one participant per interview with a gender, a
role and a setting, the sample's codebook, and 10% of the segments coded. The turns are NHS Friends and
Family Test comments (``DATA_DIR/nhs-pxtextmining/v6framework_230831.csv``, reused in order until there
are ``n``) when DATA_DIR is given, else generated interview-style sentences. Building it encodes every
distinct text once (minutes); ``--keep`` keeps it (outside the repository) for the next run.

Measured: the first call (loads the model, builds the BM25 index and the caches), then ``rounds`` passes
over ten questions (with and without filters, one naming a code, one whose filter matches nothing).
Set OMP_NUM_THREADS=1 to see what a busy two-core machine gains from a single torch thread.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from suggest.ask.answer import ask  # noqa: E402
from index.demo import sample_dir  # noqa: E402
from index.project import Project  # noqa: E402
from index.ingest.readers.table import TableOptions  # noqa: E402

QUESTIONS = [
    "show quotes about stigma in generic services",
    "comments about waiting times",
    "what did women say about the staff",
    "quotes from nurses about parking",
    "The challenge of working in a culture of stigma and labelling",
    "quotes from social workers in specialist services about training",
    "rude receptionist",
    "quotes about food from men",
    "quotes from surgeons about risk",
    "felt listened to and respected",
]
ROLES = ["nurse", "social worker", "clinical psychologist", "occupational therapist", "peer support worker",
         "psychiatrist", "receptionist", "third sector support worker"]
SETTINGS = ["generic", "specialist", "third sector"]


def texts_for(n: int, data_dir: Path | None) -> list[str]:
    if data_dir is not None:
        import pandas as pd

        frame = pd.read_csv(data_dir / "nhs-pxtextmining/v6framework_230831.csv", dtype=str, keep_default_na=False)
        comments = [t.strip() for t in frame["FFT answer"] if t.strip() and t.strip().lower() != "did not answer"]
        return [comments[i % len(comments)] for i in range(n)]
    from encoder_speed import sentences

    return sentences(n)


def build(folder: Path, n: int, data_dir: Path | None) -> Project:
    if (folder / "project.db").exists():
        return Project.open(folder)
    import pandas as pd

    rng = random.Random(6)
    texts = texts_for(n, data_dir)
    per = max(1, n // 100)
    rows = [{"text": t, "document": f"interview{i // per:03d}", "speaker": f"P{i // per:03d}"}
            for i, t in enumerate(texts)]
    staging = Path(tempfile.mkdtemp(prefix="codeseed-latency-"))
    pd.DataFrame(rows).to_csv(staging / "turns.csv", index=False)
    people = sorted({r["speaker"] for r in rows})
    pd.DataFrame({"participant_id": people, "gender": [rng.choice(["female", "male"]) for _ in people],
                  "role": [rng.choice(ROLES) for _ in people],
                  "setting": [rng.choice(SETTINGS) for _ in people]}).to_csv(staging / "people.csv", index=False)
    project = Project.init(folder)
    project.import_documents([staging / "turns.csv"], attributes=staging / "people.csv",
                             table_options=TableOptions(text_column="text", document_column="document",
                                                        speaker_column="speaker"))
    project.import_codebook(sample_dir() / "codebook.csv")
    codes = [c.id for c in project.codes() if c.parent]
    segments = project.segments()
    with project.store.transaction():
        project.store.add_codings((s.id, rng.choice(codes), "bench", "human")
                                  for s in rng.sample(segments, len(segments) // 10))
    began = time.perf_counter()
    report = project.build_index(progress=True)
    print(f"indexed {report.segments} segments ({report.encoded} encoded) in {time.perf_counter() - began:.0f} s",
          file=sys.stderr)
    return project


def arguments(argv: list[str] | None, doc: str) -> argparse.Namespace:
    """The options of the 10,000-segment benchmarks (this one and chat_latency.py)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, nargs="?")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project in this folder, outside the repo")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv, __doc__)

    with tempfile.TemporaryDirectory(prefix="codeseed-ask-latency-") as tmp:
        project = build(args.keep or Path(tmp) / "latency", args.n, args.data_dir)
        segments = project.status()["segments"]
        began = time.perf_counter()
        ask(project, QUESTIONS[0])
        cold = time.perf_counter() - began
        for question in QUESTIONS:  # warm-up: every code path once
            ask(project, question)
        timings: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        for _ in range(args.rounds):
            for question in QUESTIONS:
                began = time.perf_counter()
                result = ask(project, question)
                timings[question].append(time.perf_counter() - began)
                assert result.quotes or result.empty_reason
        project.close()

    import torch

    every = np.array([t for ts in timings.values() for t in ts]) * 1000
    source = "NHS comments" if args.data_dir else "generated sentences"
    threads = os.environ.get("OMP_NUM_THREADS", f"default ({torch.get_num_threads()})")
    print(f"ask() on {segments} segments ({source}); {len(every)} timed calls after warm-up; "
          f"torch threads: {threads}; {os.cpu_count()} CPUs")
    print(f"first call (model load, BM25 build, caches): {cold:.1f} s")
    print(f"p50 {np.percentile(every, 50):.0f} ms   p95 {np.percentile(every, 95):.0f} ms   "
          f"max {every.max():.0f} ms")
    for question, ts in timings.items():
        print(f"  {1000 * float(np.median(ts)):6.0f} ms  {question}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
