"""Import time against document length: linear means 4 MB takes ~4× and 16 MB ~16× the 1 MB time.

Run:  python benchmarks/import_scaling.py [--sizes 1 4 16] [--rows 200000] [--runs 3]

Each case imports one synthetic document into a fresh project (`Project.import_documents`, the same call as
`codeseed import`) and then reads its segments back (`project.segments()`, what indexing and the app do first):

* transcripts of 1, 4 and 16 MB: speaker-labelled interview text (``Interviewer:`` / ``P01:`` turns of one to
  twenty sentences, a few long enough to be split at sentences), made with a fixed seed;
* segments CSVs of ``--rows`` rows (200,000 by default) and of a sixteenth of that, imported without a document
  column, so all the rows of a table are one document (the worst case: one document as long as the whole table).

``locked s`` is how long the import held the project's write lock (its final write), during which a coder's
decision in the app waits. Figures are medians over ``--runs`` rounds (each round imports every case once, so a busy machine slows every
case alike), in seconds, with their ratio to the first transcript (1 MB) and, for the large CSV, to the small
CSV, from the same run. Linear growth shows as ratios near the size ratios (4×, 16×).
No model is loaded: importing does not embed.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.project import Project  # noqa: E402

WORDS = ("the a we I felt really support staff team service waiting time care nurse doctor ward people stigma "
         "mental health help because when then it was not always good bad difficult listened clinic").split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(5, 25))]
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def transcript(megabytes: float, seed: int = 0) -> str:
    """Speaker-labelled interview text of about ``megabytes`` MB."""
    rng, lines, size, turn = random.Random(seed), [], 0, 0
    while size < megabytes * 1_000_000:
        speaker = "Interviewer" if turn % 2 == 0 else "P01"
        line = f"{speaker}: {' '.join(_sentence(rng) for _ in range(rng.choice([1, 2, 3, 5, 8, 20])))}\n"
        lines.append(line)
        size += len(line)
        turn += 1
    return "".join(lines)


def segments_csv(path: Path, rows: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "site"])
        for i in range(rows):
            writer.writerow([" ".join(_sentence(rng) for _ in range(rng.randint(1, 3))), f"S{i % 9}"])
    return path


def _time_import(file: Path, work: Path) -> tuple[float, float, float, int]:
    """Seconds to import ``file`` into a fresh project, of which the write lock was held, to read it back; segments."""
    folder = Path(tempfile.mkdtemp(dir=work)) / "project"
    with Project.init(folder) as project:
        held: list[float] = []
        write = project.store.transaction

        @contextmanager
        def timed_write():  # the outermost transaction is the time the project is locked for writing
            began = time.perf_counter()
            with write() as db:
                yield db
            held.append(time.perf_counter() - began)

        project.store.transaction = timed_write
        began = time.perf_counter()
        project.import_documents([file])
        imported = time.perf_counter() - began
        began = time.perf_counter()
        count = len(project.segments())
        return imported, max(held), time.perf_counter() - began, count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 16], help="transcript sizes in MB (1 first)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the segments CSV (0: leave it out)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases = []
        for size in args.sizes:
            path = work / f"transcript_{size:g}MB.txt"
            path.write_text(transcript(size), encoding="utf-8")
            cases.append((f"transcript {size:g} MB", path))
        for rows in ([args.rows // 16, args.rows] if args.rows else []):
            cases.append((f"segments CSV, {rows:,} rows", segments_csv(work / f"segments_{rows}.csv", rows)))
        import pandas  # noqa: F401 - CSV reading imports it once per process; not part of any one import

        runs: dict[str, list[tuple[float, float, float, int]]] = {label: [] for label, _ in cases}
        for _ in range(args.runs):  # rounds over every case, so a busy machine slows all cases alike
            for label, path in cases:
                runs[label].append(_time_import(path, work))
        results = [(label, path.stat().st_size / 1e6, *(statistics.median(r[k] for r in runs[label]) for k in range(3)),
                    runs[label][0][3]) for label, path in cases]
    _print(results, csv_base=len(args.sizes) if args.rows else None)


def _print(results: list[tuple[str, float, float, float, float, int]], csv_base: int | None) -> None:
    base = results[0][2]
    print(f"{'case':<28} {'MB':>6} {'segments':>9} {'import s':>9} {'× first':>8} {'× small CSV':>12} "
          f"{'locked s':>9} {'read back s':>12}")
    for i, (label, megabytes, imported, held, read, count) in enumerate(results):
        own = f"{imported / results[csv_base][2]:.1f}×" if csv_base is not None and i > csv_base else ""
        print(f"{label:<28} {megabytes:>6.1f} {count:>9,} {imported:>9.2f} {imported / base:>7.1f}× {own:>12} "
              f"{held:>9.2f} {read:>12.2f}")


if __name__ == "__main__":
    main()
