"""Reading small user tables (codebooks, codings, attributes) as rows of strings, with spreadsheet row numbers.

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from index.errors import InputFileError
from index.ingest.archives import check_office_package
from index.ingest.readers.text import decode_bytes


@dataclass(frozen=True)
class Table:
    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, {column: stripped cell text})

    def require(self, *alternatives: str, what: str) -> str:
        """The first of ``alternatives`` present as a column (case-insensitive), or a specific error."""
        lowered = {c.lower(): c for c in self.columns}
        for name in alternatives:
            if name.lower() in lowered:
                return lowered[name.lower()]
        raise InputFileError(
            f"missing column for {what}: expected one of {', '.join(alternatives)}; "
            f"the file has {', '.join(self.columns) or 'no columns'}",
            file=self.file,
            field=alternatives[0],
            fix=f"add a column named '{alternatives[0]}' (or rename the column that holds {what})",
        )

    def optional(self, *alternatives: str) -> str | None:
        lowered = {c.lower(): c for c in self.columns}
        return next((lowered[n.lower()] for n in alternatives if n.lower() in lowered), None)


def read_table(path: Path | str) -> Table:
    """Read a .csv (any of UTF-8, UTF-8 with BOM, cp1252) or .xlsx file into a :class:`Table`."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError("file not found", file=str(path), fix="check the path")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, _encoding = decode_bytes(path.read_bytes(), str(path))
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            raw = list(reader)
        except csv.Error as error:
            raise InputFileError(f"not a readable CSV file ({error})", file=str(path),
                                 fix="save the sheet again as CSV (comma-separated)") from None
    elif suffix == ".xlsx":
        raw = _xlsx_rows(path)
    else:
        raise InputFileError(f"unsupported table format '{suffix}'", file=str(path),
                             fix="save the table as .csv or .xlsx")
    if not raw or not any(cell.strip() for cell in raw[0]):
        raise InputFileError("the table is empty (no header row)", file=str(path),
                             fix="put the column names in the first row")
    columns = [c.strip() for c in raw[0]]
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise InputFileError(f"column names appear twice: {', '.join(duplicated)}", file=str(path), row=1,
                             fix="give every column a distinct name")
    rows = []
    for number, cells in enumerate(raw[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
            raise InputFileError(f"the row has {len(cells)} cells but the header names {len(columns)} columns",
                                 file=str(path), row=number,
                                 fix="quote cells that contain commas, or add the missing column names")
        rows.append((number, {c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(columns) if c}))
    return Table(file=str(path), columns=[c for c in columns if c], rows=rows)


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first sheet's cells as text. A workbook openpyxl cannot read (a damaged zip, a malformed sheet's XML,
    no sheet at all) is an error naming the file, whatever openpyxl raised; an unsafe package is refused first."""
    from openpyxl import load_workbook

    check_office_package(path, "an Excel workbook")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                raise InputFileError("the workbook has no worksheet", file=str(path),
                                     fix="put the table on the first sheet and save the workbook again")
            sheet = workbook.worksheets[0]
            return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    except InputFileError:
        raise
    except Exception as error:  # zipfile, XML ParseError, KeyError, ValueError...: openpyxl raises them all
        raise InputFileError(f"not a readable .xlsx workbook ({type(error).__name__}: {error})", file=str(path),
                             fix="open it in a spreadsheet program and save it again as .xlsx") from None


def split_codes(cell: str) -> list[str]:
    """Codes in one cell, separated by ';' or '|' (commas belong to code names)."""
    parts = [cell]
    for separator in (";", "|"):
        parts = [p for part in parts for p in part.split(separator)]
    return [p.strip() for p in parts if p.strip()]
