"""Writing suggestions as a CSV a researcher can open in a spreadsheet (and import back as codings)."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from index.errors import CodeseedError
from index.project import Project
from suggest.suggestion import Suggestion
from index.types import Segment

SUGGESTION_COLUMNS = ["document", "segment_id", "start", "end", "speaker", "participant", "text", "code",
                      "code_name", "score", "rank", "confident", "evidence_segment_ids"]


def write_suggestions_csv(path: str | Path, project: Project, segments: list[Segment],
                          results: dict[int, list[Suggestion]], *, include_all: bool = False) -> int:
    """One row per suggested code, in document order; written to a temporary file first, then moved into place."""
    path = Path(path)
    if not path.parent.exists():
        raise CodeseedError("the folder for the output file does not exist", file=str(path),
                            fix="create the folder first, or choose another --out path")
    names = {c.id: c.name for c in project.codes()}
    count = 0
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".suggestions-", suffix=".csv")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(SUGGESTION_COLUMNS)
            for segment in segments:
                for s in results.get(segment.id, []):
                    if not (s.confident or include_all):
                        continue
                    writer.writerow([
                        segment.document, segment.id, segment.start, segment.end, segment.speaker or "",
                        segment.participant or "", segment.text, s.code, names.get(s.code, ""), f"{s.score:.4f}",
                        s.rank, "yes" if s.confident else "no",
                        " ".join(str(e.segment_id) for e in s.evidence if e.polarity > 0),
                    ])
                    count += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
