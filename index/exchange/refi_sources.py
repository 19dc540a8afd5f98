"""A REFI-QDA text source: where its text comes from (only ever inside the archive), and its selections.

Where a source's text comes from (the REFI-QDA rule, then what real exporters do):

1. ``PlainTextContent`` in the XML, else ``plainTextPath``: ``internal://x.txt`` is ``sources/x.txt`` in the
   archive; a relative path is looked up in ``sources/`` and then at the archive root (one exporter writes
   ``plainTextPath="board.txt"``).
2. If that text is missing or blank (NVivo writes a 1-byte .txt for some sources), the ``richTextPath`` .docx,
   read like any .docx transcript. Selections then cannot be placed (their offsets count characters of the
   plain text) and are reported, not guessed.

**Nothing outside the archive is ever read.** A source kept outside the project (a ``file://`` URL, an absolute
path, a relative path the archive does not hold) is skipped and reported with its path; a path that climbs out
of the archive (``..``, ``internal:///etc/...``) makes the whole file refused. A project file from a stranger
thus cannot pull a file of this computer into the project, nor out again through ``export``.

Offsets: ``startPosition``/``endPosition`` count characters (Unicode code points) of the plain text, from 0,
end-exclusive. Plain text is decoded like a .txt transcript (UTF-8, BOM, Windows-1252) and its ``\\r\\n`` become
``\\n``; the offsets are moved accordingly, so they point into the text codeseed stores.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from bisect import bisect_left
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from index.errors import InputFileError
from index.exchange.refi_model import LeftOut, QdaCoding, QdaSelection, QdaSource, QdaVariable
from index.exchange.refi_xml import child, children, guid, normalise_guid, variable_values
from index.ingest.archives import Limits, read_member, unsafe_member_name
from index.ingest.readers.text import decode_bytes, normalize_newlines

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")  # two letters at least: "C:" is a drive, not a scheme


class SourceLoader:
    """Finds a source's file by its REFI-QDA path, inside the archive only."""

    def __init__(self, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], path: Path,
                 limits: Limits) -> None:
        self.archive, self.members, self.path, self.limits = archive, members, path, limits
        self.folded: dict[str, zipfile.ZipInfo] = {}  # some exporters differ in case between XML and archive
        for name, info in members.items():
            self.folded.setdefault(name.casefold(), info)

    def load(self, ref: str, attribute: str, source: str) -> tuple[bytes | None, str]:
        """``(bytes, member name)``, or ``(None, why not)``; raises for a path that climbs out of the archive."""
        ref = ref.strip()
        if ref.lower().startswith("internal://"):
            name = unquote(ref[len("internal://"):]).replace("\\", "/")
            self._refuse_climbing(name, ref, attribute, source)
            return self._member(["sources/" + ref[len("internal://"):], "sources/" + name], ref)
        outside = f"its {attribute} {ref!r} is a file outside the .qdpx"
        scheme = _SCHEME.match(ref)
        if scheme or unsafe_member_name(ref) == "is an absolute path":
            return None, f"{outside}; codeseed reads only files inside the archive, never others on this computer"
        name = unquote(ref).replace("\\", "/")
        self._refuse_climbing(name, ref, attribute, source)
        found = self._member(["sources/" + name, name, "sources/" + ref, ref], ref)
        if found[0] is None:
            return None, f"{outside} (the archive does not hold it); codeseed reads only files inside the archive"
        return found

    def _refuse_climbing(self, name: str, ref: str, attribute: str, source: str) -> None:
        why = unsafe_member_name(name)
        if why:
            raise InputFileError(
                f"refused: text source {source!r} has {attribute}={ref!r}, which {why}", file=str(self.path),
                field=attribute, fix="a .qdpx from a QDA program names its sources inside the archive "
                                     "(internal://...); this one reaches for files of this computer, so check "
                                     "where it came from and export the project again")

    def _member(self, names: list[str], ref: str) -> tuple[bytes | None, str]:
        for name in names:
            info = self.members.get(name) or self.folded.get(name.casefold())
            if info is not None:
                return read_member(self.archive, info, str(self.path), self.limits), info.filename
        return None, f"the archive has no file for {ref!r}"


def _normalised(raw: str) -> tuple[str, Callable[[int], int]]:
    """Text with line ends as codeseed stores them, and a map from offsets in ``raw`` to offsets in it."""
    dropped = [m.start() for m in re.finditer("\r\n", raw)]  # the \r of each \r\n goes
    return normalize_newlines(raw), (lambda offset: offset - bisect_left(dropped, offset))


def _source_name(element: Element, guid_: str) -> str:
    name = (element.get("name") or "").strip()
    if name:
        return name
    for attribute in ("plainTextPath", "richTextPath"):
        ref = (element.get(attribute) or "").strip()
        if ref:
            stem = PurePosixPath(unquote(ref.split("://", 1)[-1]).replace("\\", "/")).stem
            if stem:
                return stem
    return guid_


def _plain_text(element: Element, source: QdaSource, loader: SourceLoader,
                problems: list[str]) -> tuple[str | None, Callable[[int], int]]:
    """The source's plain text (from the XML or the archive) and the offset map, or None with a problem noted."""
    content = child(element, "PlainTextContent")
    if content is not None and content.text and content.text.strip():
        source.origin = "PlainTextContent"
        return _normalised(content.text)
    if not element.get("plainTextPath"):
        problems.append("no plain text")
        return None, lambda offset: offset
    data, where = loader.load(element.get("plainTextPath"), "plainTextPath", source.name)
    if data is None:
        problems.append(f"plain text: {where}")
        return None, lambda offset: offset
    raw, source.encoding = decode_bytes(data, f"{loader.path}: {where}")
    if not raw.strip():
        problems.append(f"plain text {where} is blank")
        return None, lambda offset: offset
    source.origin = where
    return _normalised(raw)


def _rich_text(element: Element, source: QdaSource, loader: SourceLoader, problems: list[str]) -> None:
    """Fill ``source.text`` from the richTextPath .docx, or note why not."""
    if not element.get("richTextPath"):
        return
    data, where = loader.load(element.get("richTextPath"), "richTextPath", source.name)
    if data is None:
        problems.append(f"rich text: {where}")
        return
    text = _docx_text(data, f"{loader.path}: {where}")
    if text:
        source.text, source.origin, source.encoding = text, f"{where} (rich text)", None
    else:
        problems.append(f"rich text {where} is blank")


def text_source(element: Element, file: str, loader: SourceLoader, variables: dict[str, QdaVariable],
                left_out: LeftOut) -> QdaSource:
    """A TextSource element as a :class:`QdaSource` with its text and placed selections (see module doc)."""
    source_guid = guid(element, file, "text source")
    source = QdaSource(guid=source_guid, name=_source_name(element, source_guid), text=None)
    source.variables = variable_values(element, variables, left_out)
    problems: list[str] = []
    plain_text, shift = _plain_text(element, source, loader, problems)
    if plain_text is not None:
        source.text = plain_text
    else:
        _rich_text(element, source, loader, problems)
    selections = children(element, "PlainTextSelection")
    if source.text is None:
        codings = sum(len(children(s, "Coding")) for s in selections)
        source.problem = "; ".join(problems) + (
            f"; its {len(selections)} selections ({codings} codings) go with it" if selections else "")
        return source
    for selection in selections:
        placed = _selection(selection, file, source, element.get("creatingUser"), shift, plain_text, left_out)
        if placed is not None:
            source.selections.append(placed)
    for _ in children(element, "Coding"):
        left_out.add("codings of whole sources, not imported: codeseed codes passages of a text", source.name)
    return source


def _positions(element: Element, file: str, selection_guid: str, source: QdaSource) -> tuple[int, int]:
    positions = []
    for attribute in ("startPosition", "endPosition"):
        value = element.get(attribute)
        try:
            positions.append(int((value or "").strip()))
        except ValueError:
            raise InputFileError(f"selection {selection_guid} in source {source.name!r} has {attribute}={value!r}, "
                                 "not a whole number", file=file, field=attribute,
                                 fix="export the project again; selection positions are character offsets") from None
    return positions[0], positions[1]


def _selection(element: Element, file: str, source: QdaSource, source_user: str | None,
               shift: Callable[[int], int], plain_text: str | None, left_out: LeftOut) -> QdaSelection | None:
    selection_guid = guid(element, file, "selection")
    raw_start, raw_end = _positions(element, file, selection_guid, source)
    user = normalise_guid(element.get("creatingUser")) or normalise_guid(source_user)
    where = f"{source.name} {raw_start}-{raw_end}"
    codings = []
    for coding in children(element, "Coding"):
        ref = child(coding, "CodeRef")
        code = normalise_guid(ref.get("targetGUID")) if ref is not None else None
        if code is None:
            left_out.add("codings without a code reference, not imported", where)
            continue
        codings.append(QdaCoding(guid=normalise_guid(coding.get("guid")) or selection_guid, code=code,
                                 user=normalise_guid(coding.get("creatingUser")) or user,
                                 created=coding.get("creationDateTime")))
    if plain_text is None:
        left_out.add("selections in sources read from their rich text, not imported: their offsets count "
                     "characters of a plain text the file does not hold", where)
        return None
    start, end = shift(raw_start), shift(raw_end)
    if not 0 <= start < end <= len(plain_text):
        left_out.add("selections outside their source's text (past its end, or ending before they start), "
                     "not imported", where)
        return None
    return QdaSelection(guid=selection_guid, start=start, end=end, codings=codings, name=element.get("name"))


def _docx_text(data: bytes, file: str) -> str:
    """The text of a .docx held in memory, read by codeseed's .docx reader (which checks the package first)."""
    from index.ingest.readers.docx import read_docx

    with tempfile.TemporaryDirectory(prefix="codeseed-refi-") as folder:
        target = Path(folder) / "source.docx"
        target.write_bytes(data)
        try:
            parsed = read_docx(target)
        except InputFileError as error:
            if "contains no text" in error.message:
                return ""
            raise InputFileError(error.message, file=file, fix=error.fix) from None
    return parsed[0].text if parsed[0].text.strip() else ""
