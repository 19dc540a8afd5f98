"""Word .docx transcripts.

The document text is the body's paragraphs, one per line, in document order; tables in the body are
included in place, one line per paragraph of each cell (row by row, merged cells once). Headers,
footers, footnotes, comments and text boxes are ignored. Line breaks inside a paragraph stay line
breaks. Speaker turns are then found exactly as for .txt files (:func:`index.ingest.readers.text.parse_turns`).

Before python-docx opens it, the package is checked like any archive from elsewhere
(:func:`index.ingest.archives.check_office_package`): a part that declares a DOCTYPE or entities (an XML external
entity, say) is refused, never silently dropped; so are zip bombs and members outside the package.
"""

from __future__ import annotations

from pathlib import Path

from index.errors import InputFileError
from index.ingest.archives import check_office_package
from index.types import ParsedDocument
from index.ingest.readers.text import normalize_newlines, parse_turns

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def _open(path: Path):
    import docx  # python-docx; imported here so the other readers work without it

    check_office_package(path, "a Word document")
    try:
        return docx.Document(str(path))
    except Exception as error:  # python-docx raises zip, key, value and XML errors for broken files
        with path.open("rb") as handle:
            head = handle.read(4)
        if head == _OLE_MAGIC:
            problem = "this is an old Word 97-2003 .doc file or a password-protected document, not a .docx"
            fix = "open it in Word, remove any password, and save it as 'Word Document (.docx)'"
        elif not head.startswith(b"PK"):
            problem = "this is not a Word .docx file (a .docx is a zip package; this file is not)"
            fix = "open it in Word or LibreOffice and save it as 'Word Document (.docx)'"
        else:
            problem = f"this .docx file is damaged or not a Word document ({type(error).__name__}: {error})"
            fix = "open it in Word or LibreOffice and save it again as .docx"
        raise InputFileError(problem, file=str(path), fix=fix) from None


def _table_lines(table) -> list[str]:
    lines, seen = [], set()
    for row in table.rows:
        for cell in row.cells:
            if cell._tc in seen:  # a merged cell is returned once per grid column/row it spans
                continue
            seen.add(cell._tc)
            lines.extend(paragraph.text for paragraph in cell.paragraphs)
    return lines


def read_docx(path: Path, *, name: str | None = None) -> list[ParsedDocument]:
    """Read a .docx transcript into one :class:`ParsedDocument` (encoding None)."""
    from docx.table import Table

    document = _open(path)
    lines: list[str] = []
    for block in document.iter_inner_content():
        lines.extend(_table_lines(block) if isinstance(block, Table) else [block.text])
    text = normalize_newlines("\n".join(lines))
    if not text.strip():
        raise InputFileError("the Word document contains no text", file=str(path),
                             fix="check that you picked the transcript file (text in text boxes is not read)")
    return [ParsedDocument(name=name or path.stem, source=str(path), text=text, turns=parse_turns(text))]
