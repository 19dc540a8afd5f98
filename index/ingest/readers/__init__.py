"""Transcript readers: turn a file into :class:`~index.types.ParsedDocument` objects.

Use :func:`read_document`; it picks the reader by file extension:

========  ==========================================================
.txt      :func:`index.ingest.readers.text.read_text` (speaker labels, else paragraphs)
.docx     :func:`index.ingest.readers.docx.read_docx`
.vtt/.srt :func:`index.ingest.readers.subtitles.read_subtitles`
.csv      :func:`index.ingest.readers.table.read_table` (one row per segment)
.xlsx     :func:`index.ingest.readers.table.read_table`
========  ==========================================================
"""

from __future__ import annotations

from pathlib import Path

from index.errors import InputFileError
from index.types import ParsedDocument
from index.ingest.readers.docx import read_docx
from index.ingest.readers.subtitles import read_subtitles
from index.ingest.readers.table import TableOptions, read_table
from index.ingest.readers.text import read_text

SUPPORTED_EXTENSIONS = (".txt", ".docx", ".vtt", ".srt", ".csv", ".xlsx")

_CONVERT_HINTS = {
    ".doc": "open it in Word and save it as 'Word Document (.docx)'",
    ".rtf": "open it in Word and save it as .docx, or save it as plain text (.txt)",
    ".odt": "open it in LibreOffice and save it as .docx",
    ".pdf": "export the transcript from its source program as .docx or .txt, or copy its text into a .txt file",
    ".xls": "open it in Excel and save it as .xlsx",
    ".ods": "open it in LibreOffice and save it as .xlsx",
    ".tsv": "rename it to .csv (tab-separated CSV files are read too)",
    ".md": "rename it to .txt",
    ".text": "rename it to .txt",
}

__all__ = ["SUPPORTED_EXTENSIONS", "TableOptions", "read_document"]


def read_document(path: Path | str, *, name: str | None = None,
                  table_options: TableOptions | None = None) -> list[ParsedDocument]:
    """Read one transcript file into its documents (one, except for tables with a document column).

    ``name`` overrides the document name (default: the file name without extension); for tables with
    a document column the names come from that column. ``table_options`` applies to .csv/.xlsx only.
    Raises :class:`InputFileError` naming the file for anything the user can fix.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError("file not found", file=str(path), fix="check the path and the file name")
    if path.is_dir():
        raise InputFileError("this is a folder, not a file", file=str(path), fix="name the transcript files inside it")
    extension = path.suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        shown = f"'{extension}'" if extension else "(no extension)"
        raise InputFileError(
            f"unsupported file type {shown}; supported types are {', '.join(SUPPORTED_EXTENSIONS)}",
            file=str(path),
            fix=_CONVERT_HINTS.get(extension, "save the transcript in one of the supported formats"),
        )
    if path.stat().st_size == 0:
        raise InputFileError("the file is empty (0 bytes)", file=str(path),
                             fix="check that you picked the right file and that it was saved completely")
    if extension == ".txt":
        return read_text(path, name=name)
    if extension == ".docx":
        return read_docx(path, name=name)
    if extension in (".vtt", ".srt"):
        return read_subtitles(path, name=name)
    return read_table(path, name=name, options=table_options)
