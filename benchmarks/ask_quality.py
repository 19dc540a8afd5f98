"""How well Ask finds quotes for a code: precision@10 on the NHS patient-experience benchmark.

Run:  python benchmarks/ask_quality.py DATA_DIR [--k 10] [--min-examples 20] [--keep FOLDER]

DATA_DIR holds ``nhs-pxtextmining/v6framework_230831.csv`` (7,908 Friends and Family Test comments, one
human coder, 50 one-hot code columns after column 11). Rows coded "Labelling not possible" and rows with empty text
are dropped (6,211 comments remain). The comments go into a temporary codeseed project through the table reader,
with the 49 remaining code names as the codebook and **no codings**: this measures pure retrieval
(query parsing, dense + BM25 fusion, folding), not code boosting, which would only echo the human codes.

For every code with at least ``--min-examples`` comments (except "Not assigned") we ask
"comments about {code name}" and count how many of the quotes returned carry that code in the human
coding: precision@10 = hits / 10. The same question is also ranked by the dense and the BM25 half alone,
to show what the fusion adds. The data never enters the repository; ``--keep`` keeps the built project
(outside the repository) so a second run skips the ~2 minutes of encoding.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suggest.ask.answer import ask  # noqa: E402
from index.project import Project  # noqa: E402
from index.ingest.readers.table import TableOptions  # noqa: E402
from suggest.ask.retrieval import corpus_for, dense_scores, lexical_scores, ranked  # noqa: E402

NHS_FILE = "nhs-pxtextmining/v6framework_230831.csv"
TEXT_COLUMN = "FFT answer"
DROP = "Labelling not possible"
SKIP_QUESTIONS = {"Not assigned"}


def load(data_dir: Path):
    """The comments (id, text) and their human codes; rows that could not be labelled are dropped."""
    import pandas as pd

    frame = pd.read_csv(data_dir / NHS_FILE, dtype=str, keep_default_na=False)
    code_columns = list(frame.columns[11:])
    assert len(code_columns) == 50, f"expected 50 code columns after column 11, found {len(code_columns)}"
    frame = frame[(frame[DROP] != "1") & (frame[TEXT_COLUMN].str.strip() != "")].copy()
    frame["comment_id"] = [f"c{i}" for i in range(len(frame))]
    codes = [c for c in code_columns if c != DROP]
    labels = {cid: {c for c in codes if row[c] == "1"} for cid, (_, row) in zip(frame["comment_id"], frame.iterrows())}
    return frame[["comment_id", TEXT_COLUMN, "Trust"]].rename(columns={TEXT_COLUMN: "text"}), codes, labels


def build_project(folder: Path, comments, codes: list[str]) -> Project:
    if (folder / "project.db").exists():
        project = Project.open(folder)
        project.build_index(progress=True)
        return project
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="codeseed-nhs-"))
    table = staging / "nhs_comments.csv"
    comments.to_csv(table, index=False)
    codebook = staging / "codebook.csv"
    import pandas as pd

    pd.DataFrame({"code": [f"C{i:02d}" for i in range(1, len(codes) + 1)], "parent": "", "name": codes,
                  "description": ""}).to_csv(codebook, index=False)
    project = Project.init(folder)
    project.import_documents([table], table_options=TableOptions(text_column="text", id_column="comment_id"))
    project.import_codebook(codebook)
    began = time.perf_counter()
    report = project.build_index(progress=True)
    print(f"indexed {report.segments} segments in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return project


def precision(returned_ids: list[str], code: str, labels: dict[str, set[str]], k: int) -> float:
    return sum(code in labels[c] for c in returned_ids[:k]) / k


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--min-examples", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the project in this folder, outside the repo")
    args = parser.parse_args(argv)

    comments, codes, labels = load(args.data_dir)
    counts = {c: sum(c in v for v in labels.values()) for c in codes}
    asked = [c for c in codes if counts[c] >= args.min_examples and c not in SKIP_QUESTIONS]
    with tempfile.TemporaryDirectory(prefix="codeseed-ask-quality-") as tmp:
        folder = args.keep or Path(tmp) / "nhs"
        project = build_project(folder, comments, codes)
        corpus = corpus_for(project)
        comment_of = [s.attributes.get("id") for s in corpus.segments]
        ask(project, "warm up")
        rows = []
        for code in asked:
            question = f"comments about {code.lower()}"
            result = ask(project, question, args.k)
            hybrid = [q.attributes["id"] for q in result.quotes]
            # The two halves alone, over the same topic (without folding near-duplicates, which flatters them a little).
            vector = np.asarray(project.encoder.encode([result.understood.topic]), dtype=np.float32)[0]
            everything = np.arange(len(corpus.segments))
            dense = [comment_of[r] for r in ranked(dense_scores(project, corpus, vector), everything)[:args.k]]
            key, bm25 = lexical_scores(corpus, result.understood.topic_terms)
            lexical = [comment_of[r] for r in ranked(key, everything[bm25 > 0])[:args.k]]
            rows.append((code, counts[code], precision(hybrid, code, labels, args.k),
                         precision(dense, code, labels, args.k), precision(lexical, code, labels, args.k),
                         result.seconds))
        project.close()

    print(f"precision@{args.k} on {len(comments)} NHS comments, {len(asked)} codes with >= {args.min_examples} "
          f"comments, question 'comments about <code name>', no codings (pure retrieval)\n")
    print(f"{'code':58} {'n':>5} {'ask':>6} {'dense':>6} {'bm25':>6}")
    for code, n, p_ask, p_dense, p_bm25, _ in sorted(rows, key=lambda r: -r[1]):
        print(f"{code[:58]:58} {n:5d} {p_ask:6.2f} {p_dense:6.2f} {p_bm25:6.2f}")
    means = np.mean([[r[2], r[3], r[4]] for r in rows], axis=0)
    print(f"{'mean':58} {'':5} {means[0]:6.3f} {means[1]:6.3f} {means[2]:6.3f}")
    base = np.mean([counts[c] / len(comments) for c in asked])
    print(f"\n(chance: a random comment carries the asked code with probability {base:.3f} on average)")
    print(f"median ask latency {1000 * float(np.median([r[5] for r in rows])):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
