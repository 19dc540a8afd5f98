"""Office files made by the tests: a small .docx and .xlsx, and the same packages with one part rewritten
(a malformed sheet, a DOCTYPE with an external entity), so hostile-file tests need nothing from elsewhere."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path


def rewrite_part(source: Path, target: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """A copy of the zip package ``source`` with member ``part`` changed."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, change(data) if info.filename == part else data)
    return target


def docx_file(path: Path, lines: list[str]) -> Path:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(path)
    return path


def xlsx_file(path: Path, rows: list[list[str]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


SHEET = "xl/worksheets/sheet1.xml"
BODY = "word/document.xml"


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def with_entity(root: bytes, entity: str = '<!ENTITY xxe SYSTEM "file:///etc/hostname">') -> Callable[[bytes], bytes]:
    """Declare ``entity`` in a DOCTYPE before the part's root element ``root`` (e.g. ``b"w:document"``)."""
    def change(data: bytes) -> bytes:
        return data.replace(b"<" + root, f"<!DOCTYPE x [{entity}]>".encode() + b"<" + root, 1)
    return change
