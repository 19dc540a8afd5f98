"""Ready-made segments in a .csv or .xlsx table: one row, one turn.

* The text column (``TableOptions.text_column``, default ``"text"``) is required; column names are
  matched exactly, else case-insensitively. Rows with an empty text cell are skipped; those with other cells
  filled in are named in a warning.
* With a document column, rows are grouped into documents by its value (in order of first
  appearance; a row with text but no document name is an error). Without one, all rows form a single
  document named after the file (or the ``name`` argument).
* A document's text is its rows' texts (stripped, line endings normalised) joined by a blank line.
* The speaker column, if given, fills ``Turn.speaker``. The id column, if given, is stored as
  ``Turn.attributes["id"]`` (winning over a column named ``id``) and must be unique in the file.
  Every other column with a header becomes a string attribute under its header; empty cells are
  left out. Columns without a header are ignored.
* CSV files are decoded like text files (UTF-8, UTF-8 with BOM, cp1252); the delimiter is the most
  frequent of ``,`` ``;`` and tab in the header line. Of a workbook, the first sheet is read.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from index.errors import InputFileError
from index.ingest.archives import check_office_package
from index.types import ParsedDocument, Turn
from index.ingest.readers.text import decode_bytes, normalize_newlines, read_bytes


@dataclass(frozen=True)
class TableOptions:
    """Which columns of a segment table hold what."""

    text_column: str = "text"
    document_column: str | None = None
    speaker_column: str | None = None
    id_column: str | None = None


def _load_csv(path: Path):
    import pandas as pd

    text, encoding = decode_bytes(read_bytes(path), str(path))
    body = text.lstrip("\r\n")
    header_row = text[: len(text) - len(body)].count("\n") + 1  # blank lines above the header
    header = body.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=header.count)
    try:
        # blank lines are kept (as empty rows, skipped later) so row numbers are the ones a spreadsheet shows
        frame = pd.read_csv(io.StringIO(body), sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                            skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise InputFileError("the CSV file has no header row and no data", file=str(path),
                             fix="put the column names in the first row") from None
    except (pd.errors.ParserError, ValueError) as error:
        raise InputFileError(f"not a readable CSV file ({error})", file=str(path),
                             fix="check the quoting near that line, or save the sheet again as CSV") from None
    return frame, encoding, header_row


def _load_xlsx(path: Path):
    import pandas as pd

    check_office_package(path, "an Excel workbook")
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl",
                              keep_default_na=False, na_values=[""])
    except Exception as error:  # openpyxl/zipfile raise many types for files that are not workbooks
        raise InputFileError(f"not a readable Excel .xlsx workbook ({type(error).__name__}: {error})",
                             file=str(path), fix="open it in Excel or LibreOffice and save it as .xlsx") from None
    return frame, None, 1


def _cell(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = normalize_newlines(str(value)).strip()
    return text or None


def _column(columns: list[str], wanted: str | None, role: str, path: Path) -> str | None:
    """The column named ``wanted`` (exactly, else case-insensitively), or an error listing the columns."""
    if wanted is None:
        return None
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    present = ", ".join(f"'{c}'" for c in columns) or "none"
    raise InputFileError(f"the {role} column '{wanted}' is missing; the columns present are: {present}",
                         file=str(path), field=wanted,
                         fix=f"rename the column that holds the {role} to '{wanted}', or choose that column "
                             f"as the {role} column when importing")


def read_table(path: Path, *, name: str | None = None, options: TableOptions | None = None) -> list[ParsedDocument]:
    """Read a .csv/.xlsx segment table into one :class:`ParsedDocument` per document (see module doc)."""
    options = options or TableOptions()
    frame, encoding, header_row = _load_xlsx(path) if path.suffix.lower() == ".xlsx" else _load_csv(path)
    columns = [str(c).strip() for c in frame.columns]
    text_col = _column(columns, options.text_column, "text", path)
    doc_col = _column(columns, options.document_column, "document", path)
    speaker_col = _column(columns, options.speaker_column, "speaker", path)
    id_col = _column(columns, options.id_column, "id", path)
    extras = [c for c in columns if c not in {text_col, doc_col, speaker_col, id_col}
              and not re.fullmatch(r"Unnamed: \d+(?:\.\d+)?", c)]

    documents: dict[str, list[tuple[str, str | None, dict[str, str]]]] = {}
    seen_ids: dict[str, int] = {}
    no_text: list[int] = []  # rows with other cells filled but no text: skipped, and said
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        row_number = header_row + 1 + index  # as a spreadsheet shows it (the header is row 1 unless blank lines precede it)
        cells = dict(zip(columns, map(_cell, values)))
        text = cells[text_col]
        if text is None:
            if any(value is not None for value in cells.values()):
                no_text.append(row_number)
            continue
        document = cells[doc_col] if doc_col else (name or path.stem)
        if document is None:
            raise InputFileError(f"this row has text but no document name in column '{doc_col}'", file=str(path),
                                 row=row_number, field=doc_col, fix="fill in the document name for every row")
        attributes = {c: cells[c] for c in extras if cells[c] is not None}
        if id_col:
            row_id = cells[id_col]
            if row_id is None:
                raise InputFileError(f"this row has no id in column '{id_col}'", file=str(path), row=row_number,
                                     field=id_col, fix="give every row a unique id, or do not choose an id column")
            if row_id in seen_ids:
                raise InputFileError(f"the id '{row_id}' is also used in row {seen_ids[row_id]}", file=str(path),
                                     row=row_number, field=id_col, fix="make the ids in the id column unique")
            seen_ids[row_id] = row_number
            attributes["id"] = row_id
        documents.setdefault(document, []).append((text, cells[speaker_col] if speaker_col else None, attributes))

    if not documents:
        raise InputFileError(f"no row has text in column '{text_col}'", file=str(path), field=text_col,
                             fix="check that the text column is the one holding the segments")
    parsed = [_document(doc_name, rows, path, encoding) for doc_name, rows in documents.items()]
    if no_text:
        shown = ", ".join(map(str, no_text[:10])) + (f" and {len(no_text) - 10} more" if len(no_text) > 10 else "")
        parsed[0].warnings.append(f"{len(no_text)} row(s) with an empty '{text_col}' cell skipped: row(s) {shown}")
    return parsed


def _document(name: str, rows, path: Path, encoding: str | None) -> ParsedDocument:
    parts, turns, length = [], [], 0
    for row_text, speaker, attributes in rows:
        if parts:
            parts.append("\n\n")
            length += 2
        turns.append(Turn(length, length + len(row_text), speaker=speaker, attributes=attributes))
        parts.append(row_text)
        length += len(row_text)
    return ParsedDocument(name=name, source=str(path), text="".join(parts), turns=turns, encoding=encoding)
