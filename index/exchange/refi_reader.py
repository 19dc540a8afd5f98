"""Read REFI-QDA files (.qdpx projects, .qdc codebooks) into :mod:`.model`, safely. Writes nothing.

A .qdpx is a zip archive holding ``project.qde`` (XML) and the source files under ``sources/``. Files come
from other people's computers, so the reader trusts nothing in them:

* XML is parsed with defusedxml: entity declarations (billion laughs) and external references (XXE) are
  refused before anything is expanded or fetched.
* The archive is checked before any member is read: member names must be relative paths inside the archive
  (no ``/abs``, ``C:\\``, ``..``), no name twice, nothing encrypted, at most ``Limits.max_members`` members and
  ``Limits.max_bytes`` (default 2 GiB, ``CODESEED_MAX_QDPX_BYTES``) uncompressed in all; a member of more than
  1 MiB that expands more than ``Limits.max_ratio`` (100) times its compressed size is refused as a zip bomb.
  A .docx inside the archive is checked the same way before python-docx opens it.
* Nothing is extracted to disk except a .docx handed to the .docx reader (into a private temporary folder).

Where a source's text comes from (the REFI-QDA rule, then what real exporters do):

1. ``PlainTextContent`` in the XML, else ``plainTextPath``: ``internal://x.txt`` is ``sources/x.txt`` in the
   archive; a relative path is looked up in ``sources/`` and then at the archive root (one exporter writes
   ``plainTextPath="board.txt"``), then beside the .qdpx (or under ``basePath``); ``file://`` URLs and absolute
   paths are read from this computer. Files outside the archive are read only when they are .txt/.docx.
2. If that text is missing or blank (NVivo writes a 1-byte .txt for some sources), the ``richTextPath`` .docx,
   read like any .docx transcript. Selections then cannot be placed (their offsets count characters of the
   plain text) and are reported, not guessed.

Offsets: ``startPosition``/``endPosition`` count characters (Unicode code points) of the plain text, from 0,
end-exclusive; on the demo.qdpx in shared/refi-qda, ``text[start:end]`` is exactly the coded line. Plain text is
decoded like a .txt transcript (UTF-8, BOM, Windows-1252) and its ``\\r\\n`` become ``\\n``; the offsets are
moved accordingly, so they point into the text codeseed stores.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from index.errors import InputFileError
from index.ingest.readers.text import decode_bytes, normalize_newlines
from index.exchange.refi_model import LeftOut, QdaCase, QdaCode, QdaCoding, QdaProject, QdaSelection, QdaSource, QdaUser, QdaVariable

MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """How much a REFI-QDA archive may hold; anything beyond is refused before it is read."""

    max_bytes: int = 2 * GIB  # uncompressed, all members together (and any one external or .qdc file)
    max_ratio: float = 100.0  # uncompressed / compressed, for members larger than ratio_floor
    ratio_floor: int = MIB
    max_members: int = 100_000

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults, with ``CODESEED_MAX_QDPX_BYTES`` (a number of bytes) overriding ``max_bytes``."""
        value = os.environ.get("CODESEED_MAX_QDPX_BYTES")
        if not value:
            return cls()
        try:
            return cls(max_bytes=int(value))
        except ValueError:
            raise InputFileError(f"CODESEED_MAX_QDPX_BYTES={value!r} is not a whole number of bytes",
                                 fix="set it to a number such as 4294967296 (4 GiB), or unset it") from None


# -- entry points --------------------------------------------------------------------------------------------
def read_qdpx(path: Path | str, *, limits: Limits | None = None) -> QdaProject:
    """A .qdpx project: users, codebook, text sources with their texts and selections, variables and cases."""
    path = Path(path)
    limits = limits or Limits.from_env()
    _check_file(path)
    with _open_zip(path, limits) as archive:
        members = _check_members(archive, str(path), limits)
        qde = members.get("project.qde") or _casefolded(members).get("project.qde")
        if qde is None:
            others = ", ".join(sorted(members)[:5]) or "nothing"
            raise InputFileError(f"the archive has no project.qde (it holds {others})", file=str(path),
                                 fix="export the project again from NVivo/ATLAS.ti/MAXQDA as a REFI-QDA project (.qdpx)")
        root = parse_xml(_read_member(archive, qde, str(path), limits), f"{path}: {qde.filename}")
        loader = _SourceLoader(archive, members, path, limits, root.get("basePath") or "")
        return _project(root, f"{path}: {qde.filename}", loader)


def read_qdc(path: Path | str, *, limits: Limits | None = None) -> QdaProject:
    """A .qdc codebook: the code tree only (as a :class:`QdaProject` without users or sources)."""
    path = Path(path)
    limits = limits or Limits.from_env()
    _check_file(path)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise InputFileError(f"the codebook is {size:,} bytes, more than the limit of {limits.max_bytes:,}",
                             file=str(path), fix="check that this is a REFI-QDA codebook, or raise CODESEED_MAX_QDPX_BYTES")
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise InputFileError("this is a zip archive (a .qdpx project?), not a .qdc codebook", file=str(path),
                             fix="rename it to .qdpx: `codeseed import PROJECT --codebook file.qdpx` reads its codebook")
    root = parse_xml(data, str(path))
    if _local(root.tag) != "CodeBook":
        raise InputFileError(f"the XML root is <{_local(root.tag)}>, not <CodeBook>", file=str(path),
                             fix="export the codebook from your QDA program as a REFI-QDA codebook (.qdc)")
    left_out = LeftOut()
    project = QdaProject(name=path.stem, origin=root.get("origin"))
    project.codes = _codes(_child(root, "Codes"), str(path))
    _count_unused(root, {"Sets": "sets"}, left_out)
    project.left_out = left_out.messages()
    return project


def parse_xml(data: bytes, file: str) -> Element:
    """Parse XML refusing DTD entities and external references; errors say which and why."""
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as error:
        if error.sysid or error.pubid:
            problem = (f"the XML declares an external entity {error.name!r} pointing at {error.sysid or error.pubid!r}; "
                       "refused, since reading it could reveal files of this computer (XXE)")
        else:
            problem = (f"the XML declares an entity {error.name!r}; refused, since entity expansion can blow a small "
                       "file up to gigabytes (billion laughs)")
        raise InputFileError(problem, file=file,
                             fix="REFI-QDA files never declare entities: export the file again from its program") from None
    except (ExternalReferenceForbidden, DTDForbidden) as error:
        raise InputFileError(f"the XML refers to an external resource {error.sysid!r}; refused (XXE)", file=file,
                             fix="REFI-QDA files never refer to external resources: export the file again") from None
    except ParseError as error:
        line, column = error.position
        raise InputFileError(f"not well-formed XML at line {line}, column {column} ({error.msg})", file=file,
                             fix="the file is damaged or not REFI-QDA XML: export it again from its program") from None


# -- the archive ---------------------------------------------------------------------------------------------
def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError("file not found", file=str(path), fix="check the path and the file name")
    if not path.is_file():
        raise InputFileError("this is a folder, not a file", file=str(path), fix="name the .qdpx or .qdc file")
    if path.stat().st_size == 0:
        raise InputFileError("the file is empty (0 bytes)", file=str(path),
                             fix="export the project again; the file was not saved completely")


def _open_zip(path: Path, limits: Limits) -> zipfile.ZipFile:
    with path.open("rb") as handle:
        head = handle.read(8)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
        if head.startswith(b"PK"):
            problem = f"the zip archive is truncated or damaged ({error})"
            fix = "copy or download the file again, or export it again from its program"
        elif head.lstrip().startswith(b"<"):
            problem = "this is an XML file, not a .qdpx zip archive"
            fix = ("a REFI-QDA codebook is imported with --codebook FILE.qdc; a bare project.qde must be zipped "
                   "with its sources/ folder into a .qdpx")
        else:
            problem = "this is not a REFI-QDA project: a .qdpx is a zip archive and this file is not one"
            fix = "export the project from NVivo/ATLAS.ti/MAXQDA as 'REFI-QDA project (.qdpx)'"
        raise InputFileError(problem, file=str(path), fix=fix) from None


_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_member_name(name: str) -> str | None:
    """Why a zip member name is unsafe (absolute, drive, ``..``, NUL), or None when it is a plain relative path."""
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "climbs out of the archive with '..'"
    return None


def _check_members(archive: zipfile.ZipFile, file: str, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise InputFileError(f"the archive holds {len(infos):,} files, more than the limit of {limits.max_members:,}",
                             file=file, fix="this is not a plausible REFI-QDA project; check where it came from")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        why = unsafe_member_name(info.filename)
        if why:
            raise InputFileError(f"refused: the archive member {info.filename!r} {why}", file=file,
                                 fix="a REFI-QDA project only holds project.qde and sources/...; this archive was "
                                     "made to write outside its folder, so do not unpack it either")
        if info.filename in members:
            raise InputFileError(f"refused: the archive holds {info.filename!r} twice", file=file,
                                 fix="export the project again; a genuine export names each file once")
        if info.flag_bits & 0x1:
            raise InputFileError(f"the archive member {info.filename!r} is encrypted", file=file,
                                 fix="export the project again without a password")
        total += info.file_size
        if total > limits.max_bytes:
            raise InputFileError(f"refused: the archive unpacks to more than {limits.max_bytes:,} bytes", file=file,
                                 fix="if this really is your project, raise the limit with the environment variable "
                                     "CODESEED_MAX_QDPX_BYTES (bytes)")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise InputFileError(
                f"refused: the archive member {info.filename!r} expands {info.file_size / max(info.compress_size, 1):,.0f} "
                f"times (from {info.compress_size:,} to {info.file_size:,} bytes), like a zip bomb", file=file,
                fix="transcripts compress perhaps 3 to 10 times; check where this file came from",
            )
        members[info.filename] = info
    return members


def _casefolded(members: dict[str, zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    folded: dict[str, zipfile.ZipInfo] = {}
    for name, info in members.items():
        folded.setdefault(name.casefold(), info)
    return folded


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, limits: Limits) -> bytes:
    """The member's bytes; never more than its declared size (zipfile stops there and checks the CRC)."""
    try:
        with archive.open(info) as handle:
            data = handle.read(min(info.file_size, limits.max_bytes) + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        raise InputFileError(f"the archive member {info.filename!r} cannot be read: the archive is truncated or "
                             f"damaged ({error})", file=file,
                             fix="copy or download the file again, or export it again from its program") from None
    if len(data) > info.file_size:
        raise InputFileError(f"the archive member {info.filename!r} is larger than the archive says", file=file,
                             fix="the archive is damaged; export it again")
    return data


class _SourceLoader:
    """Finds a source's file by its REFI-QDA path: in the archive, or (for .txt/.docx only) on this computer."""

    def __init__(self, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], path: Path, limits: Limits,
                 base_path: str) -> None:
        self.archive, self.members, self.path, self.limits = archive, members, path, limits
        self.folded = _casefolded(members)  # some exporters differ in case between XML and archive
        self.base_path = base_path

    def load(self, ref: str, allowed_suffix: str) -> tuple[bytes | None, str]:
        """``(bytes, where)``, or ``(None, why not)``."""
        ref = ref.strip()
        if ref.lower().startswith("internal://"):
            name = ref[len("internal://"):]
            return self._member(["sources/" + name, "sources/" + unquote(name)], f"sources/{name}")
        if ref.lower().startswith("file:"):
            return self._external(Path(url2pathname(urlparse(ref).path)), allowed_suffix)
        if ref.startswith(("/", "\\")) or _DRIVE.match(ref):
            return self._external(Path(ref), allowed_suffix)
        relative = ref.replace("\\", "/")
        found = self._member(["sources/" + relative, relative, "sources/" + unquote(relative), unquote(relative)],
                             f"sources/{relative}")
        if found[0] is not None:
            return found
        base = Path(self.base_path) if self.base_path and Path(self.base_path).is_absolute() else self.path.parent
        return self._external(base / relative, allowed_suffix)

    def _member(self, names: list[str], shown: str) -> tuple[bytes | None, str]:
        for name in names:
            info = self.members.get(name) or self.folded.get(name.casefold())
            if info is not None:
                return _read_member(self.archive, info, str(self.path), self.limits), info.filename
        return None, f"the archive has no {shown}"

    def _external(self, path: Path, allowed_suffix: str) -> tuple[bytes | None, str]:
        if path.suffix.lower() != allowed_suffix:
            return None, f"its file {str(path)!r} is outside the archive and not a {allowed_suffix} file"
        if not path.is_file():
            return None, f"its file {str(path)!r} is outside the archive and not on this computer"
        if path.stat().st_size > self.limits.max_bytes:
            return None, f"its file {str(path)!r} is larger than {self.limits.max_bytes:,} bytes"
        return path.read_bytes(), f"{path} (outside the archive)"


# -- XML helpers ---------------------------------------------------------------------------------------------
def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if _local(c.tag) == name]


def _child(element: Element | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _description(element: Element) -> str:
    description = _child(element, "Description")
    return (description.text or "").strip() if description is not None else ""


_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def normalise_guid(value: str | None) -> str | None:
    """Lower case, braces removed; None for a missing or malformed GUID."""
    m = _GUID.match((value or "").strip())
    return m.group(1).lower() if m else None


def _guid(element: Element, file: str, what: str) -> str:
    guid = normalise_guid(element.get("guid"))
    if guid is None:
        shown = element.get("name") or element.get("guid") or "(no name)"
        raise InputFileError(f"{what} {shown!r} has no valid guid (got {element.get('guid')!r})", file=file,
                             field="guid", fix="export the project again; every REFI-QDA element carries a GUID")
    return guid


def _count_unused(root: Element, sections: dict[str, str], left_out: LeftOut) -> None:
    """Count the members of sections codeseed has no place for (``{"Notes": "notes (memos)"}``)."""
    for section, what in sections.items():
        for element in (c for s in _children(root, section) for c in s):
            left_out.add(f"{what}, not imported: codeseed has no {what.split()[0]} yet",
                         element.get("name") or element.get("guid") or "?")


# -- the project ---------------------------------------------------------------------------------------------
_UNUSED_SECTIONS = {"Notes": "notes (memos)", "Sets": "sets", "Links": "links", "Graphs": "graphs"}
_OTHER_SOURCES = {"PictureSource": "picture", "PDFSource": "PDF", "AudioSource": "audio", "VideoSource": "video"}


def _project(root: Element, file: str, loader: _SourceLoader) -> QdaProject:
    if _local(root.tag) != "Project":
        hint = " (a codebook: import it with --codebook)" if _local(root.tag) == "CodeBook" else ""
        raise InputFileError(f"project.qde's root is <{_local(root.tag)}>, not <Project>{hint}", file=file,
                             fix="export the project again from its program as a REFI-QDA project")
    left_out = LeftOut()
    project = QdaProject(name=root.get("name") or loader.path.stem, origin=root.get("origin"),
                         creating_user=normalise_guid(root.get("creatingUserGUID")))
    project.users = [QdaUser(guid=_guid(u, file, "user"), name=(u.get("name") or "").strip() or None,
                             id=(u.get("id") or "").strip() or None)
                     for u in _children(_child(root, "Users"), "User")]
    codebook = _child(root, "CodeBook")
    project.codes = _codes(_child(codebook, "Codes"), file) if codebook is not None else []
    project.variables = [QdaVariable(guid=_guid(v, file, "variable"), name=(v.get("name") or "").strip(),
                                     type=v.get("typeOfVariable") or "Text", description=_description(v))
                         for v in _children(_child(root, "Variables"), "Variable")]
    variables = {v.guid: v for v in project.variables}
    for element in _children(_child(root, "Cases"), "Case"):
        case = QdaCase(guid=_guid(element, file, "case"), name=(element.get("name") or "").strip() or element.get("guid"))
        case.variables = _variable_values(element, variables, left_out)
        case.sources = [g for g in (normalise_guid(r.get("targetGUID")) for r in _children(element, "SourceRef")) if g]
        for what, label in (("SelectionRef", "case members that are selections"), ("CodeRef", "case links to codes")):
            if _children(element, what):
                left_out.add(f"{label}, not imported: codeseed attaches cases to whole documents", case.name)
        project.cases.append(case)
    for element in list(_child(root, "Sources") if _child(root, "Sources") is not None else []):
        kind = _local(element.tag)
        if kind == "TextSource":
            project.sources.append(_text_source(element, file, loader, project, variables, left_out))
        else:
            what = _OTHER_SOURCES.get(kind, kind)
            left_out.add(f"{what} sources, not imported: codeseed codes text only",
                         element.get("name") or element.get("path") or element.get("guid") or "?")
    _count_unused(root, _UNUSED_SECTIONS, left_out)
    project.left_out = left_out.messages()
    return project


def _codes(codes_element: Element | None, file: str) -> list[QdaCode]:
    if codes_element is None:
        return []
    out: list[QdaCode] = []
    seen: set[str] = set()

    def walk(element: Element, parent: str | None) -> None:
        guid = _guid(element, file, "code")
        name = (element.get("name") or "").strip()
        if not name:
            raise InputFileError(f"the code with guid {guid} has no name", file=file, field="name",
                                 fix="give the code a name in your QDA program and export again")
        if guid in seen:
            raise InputFileError(f"the code guid {guid} ({name!r}) appears twice in the codebook", file=file,
                                 field="guid", fix="export the codebook again; each code must have its own GUID")
        seen.add(guid)
        codable = (element.get("isCodable") or "true").strip().lower() not in ("false", "0")
        out.append(QdaCode(guid=guid, name=name, parent=parent, description=_description(element), codable=codable,
                           color=element.get("color")))
        for child in _children(element, "Code"):
            walk(child, guid)

    for element in _children(codes_element, "Code"):
        walk(element, None)
    return out


_VALUE_TYPES: dict[str, Callable[[str], Any]] = {
    "TextValue": str, "IntegerValue": int, "FloatValue": float, "DateValue": str, "DateTimeValue": str,
    "BooleanValue": lambda v: v.strip().lower() in ("true", "1"),
}


def _variable_values(element: Element, variables: dict[str, QdaVariable], left_out: LeftOut) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for value in _children(element, "VariableValue"):
        ref = _child(value, "VariableRef")
        variable = variables.get(normalise_guid(ref.get("targetGUID")) if ref is not None else None)
        if variable is None or not variable.name:
            left_out.add("variable values naming no known variable, not imported",
                         element.get("name") or element.get("guid") or "?")
            continue
        for kind, convert in _VALUE_TYPES.items():
            cell = _child(value, kind)
            if cell is not None and cell.text is not None:
                try:
                    values[variable.name] = convert(cell.text.strip())
                except ValueError:
                    values[variable.name] = cell.text.strip()
                break
    return values


def _normalised(raw: str) -> tuple[str, Callable[[int], int]]:
    """Text with line ends as codeseed stores them, and a map from offsets in ``raw`` to offsets in it."""
    dropped = [m.start() for m in re.finditer("\r\n", raw)]  # the \r of each \r\n goes
    return normalize_newlines(raw), (lambda offset: offset - bisect_left(dropped, offset))


def _source_name(element: Element, guid: str) -> str:
    name = (element.get("name") or "").strip()
    if name:
        return name
    for attribute in ("plainTextPath", "richTextPath"):
        ref = (element.get(attribute) or "").strip()
        if ref:
            stem = PurePosixPath(unquote(ref.split("://", 1)[-1]).replace("\\", "/")).stem
            if stem:
                return stem
    return guid


def _text_source(element: Element, file: str, loader: _SourceLoader, project: QdaProject,
                 variables: dict[str, QdaVariable], left_out: LeftOut) -> QdaSource:
    guid = _guid(element, file, "text source")
    source = QdaSource(guid=guid, name=_source_name(element, guid), text=None)
    source.variables = _variable_values(element, variables, left_out)
    problems: list[str] = []
    shift: Callable[[int], int] = lambda offset: offset  # noqa: E731
    plain_text: str | None = None
    content = _child(element, "PlainTextContent")
    if content is not None and content.text and content.text.strip():
        plain_text, shift = _normalised(content.text)
        source.origin = "PlainTextContent"
    elif element.get("plainTextPath"):
        data, where = loader.load(element.get("plainTextPath"), ".txt")
        if data is None:
            problems.append(f"plain text: {where}")
        else:
            raw, source.encoding = decode_bytes(data, f"{loader.path}: {where}")
            if raw.strip():
                plain_text, shift = _normalised(raw)
                source.origin = where
            else:
                problems.append(f"plain text {where} is blank")
    else:
        problems.append("no plain text")
    if plain_text is not None:
        source.text = plain_text
    elif element.get("richTextPath"):
        data, where = loader.load(element.get("richTextPath"), ".docx")
        if data is None:
            problems.append(f"rich text: {where}")
        else:
            text = _docx_text(data, f"{loader.path}: {where}", loader.limits)
            if text:
                source.text, source.origin, source.encoding = text, f"{where} (rich text)", None
            else:
                problems.append(f"rich text {where} is blank")
    selections = _children(element, "PlainTextSelection")
    if source.text is None:
        codings = sum(len(_children(s, "Coding")) for s in selections)
        source.problem = "; ".join(problems) + (
            f"; its {len(selections)} selections ({codings} codings) go with it" if selections else "")
        return source
    for selection in selections:
        placed = _selection(selection, file, source, element.get("creatingUser"), shift, plain_text, left_out)
        if placed is not None:
            source.selections.append(placed)
    for _ in _children(element, "Coding"):
        left_out.add("codings of whole sources, not imported: codeseed codes passages of a text", source.name)
    return source


def _selection(element: Element, file: str, source: QdaSource, source_user: str | None,
               shift: Callable[[int], int], plain_text: str | None, left_out: LeftOut) -> QdaSelection | None:
    guid = _guid(element, file, "selection")
    positions = []
    for attribute in ("startPosition", "endPosition"):
        value = element.get(attribute)
        try:
            positions.append(int((value or "").strip()))
        except ValueError:
            raise InputFileError(f"selection {guid} in source {source.name!r} has {attribute}={value!r}, not a whole "
                                 "number", file=file, field=attribute,
                                 fix="export the project again; selection positions are character offsets") from None
    raw_start, raw_end = positions
    user = normalise_guid(element.get("creatingUser")) or normalise_guid(source_user)
    codings = []
    for coding in _children(element, "Coding"):
        ref = _child(coding, "CodeRef")
        code = normalise_guid(ref.get("targetGUID")) if ref is not None else None
        if code is None:
            left_out.add("codings without a code reference, not imported", f"{source.name} {raw_start}-{raw_end}")
            continue
        codings.append(QdaCoding(guid=normalise_guid(coding.get("guid")) or guid, code=code,
                                 user=normalise_guid(coding.get("creatingUser")) or user,
                                 created=coding.get("creationDateTime")))
    where = f"{source.name} {raw_start}-{raw_end}"
    if plain_text is None:
        left_out.add("selections in sources read from their rich text, not imported: their offsets count "
                     "characters of a plain text the file does not hold", where)
        return None
    start, end = shift(raw_start), shift(raw_end)
    if not 0 <= start < end <= len(plain_text):
        left_out.add("selections outside their source's text, not imported", where)
        return None
    return QdaSelection(guid=guid, start=start, end=end, codings=codings, name=element.get("name"))


def _docx_text(data: bytes, file: str, limits: Limits) -> str:
    """The text of a .docx held in memory, read by codeseed's .docx reader after the zip checks above."""
    from index.ingest.readers.docx import read_docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            _check_members(inner, file, limits)
    except zipfile.BadZipFile:
        raise InputFileError("this .docx is not a zip package, so not a Word document", file=file,
                             fix="export the project again from its program") from None
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
