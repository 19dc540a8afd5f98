"""Read REFI-QDA files (.qdpx projects, .qdc codebooks) into :mod:`.refi_model`, safely. Writes nothing.

A .qdpx is a zip archive holding ``project.qde`` (XML) and the source files under ``sources/``. Files come
from other people's computers, so the reader trusts nothing in them: the archive and its XML are checked by
:mod:`index.ingest.archives` (no entities, no members outside the archive, no zip bombs, a size limit), and a
source's text is read from inside the archive only (:mod:`.refi_sources`: never a file of this computer).
Nothing is extracted to disk except a .docx handed to the .docx reader (into a private temporary folder).

The code tree is read without recursion and may be at most ``MAX_CODE_DEPTH`` levels deep
(:mod:`index.ingest.codebook`). A file in another XML namespace than QDA-XML 1.0 is read by its element names
and the import says so.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element

from index.errors import InputFileError
from index.exchange.refi_model import CODEBOOK_NS, PROJECT_NS, LeftOut, QdaCase, QdaCode, QdaProject, QdaUser, QdaVariable
from index.exchange.refi_sources import SourceLoader, text_source
from index.exchange.refi_xml import (child, children, count_unused, description, guid, local, normalise_guid,
                                     variable_values)
from index.ingest.archives import Limits, check_members, parse_xml, read_member
from index.ingest.codebook import MAX_CODE_DEPTH

_AGAIN = "export it again from NVivo/ATLAS.ti/MAXQDA as a REFI-QDA file"


# -- entry points --------------------------------------------------------------------------------------------
def read_qdpx(path: Path | str, *, limits: Limits | None = None) -> QdaProject:
    """A .qdpx project: users, codebook, text sources with their texts and selections, variables and cases."""
    path = Path(path)
    limits = limits or Limits.from_env()
    _check_file(path)
    with _open_zip(path) as archive:
        members = check_members(archive, str(path), limits)
        qde = members.get("project.qde") or next((m for n, m in members.items() if n.casefold() == "project.qde"),
                                                 None)
        if qde is None:
            others = ", ".join(sorted(members)[:5]) or "nothing"
            raise InputFileError(f"the archive has no project.qde (it holds {others})", file=str(path),
                                 fix="export the project again from NVivo/ATLAS.ti/MAXQDA as a REFI-QDA project (.qdpx)")
        file = f"{path}: {qde.filename}"
        root = parse_xml(read_member(archive, qde, str(path), limits), file, again=_AGAIN)
        return _project(root, file, SourceLoader(archive, members, path, limits), path.stem)


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
    root = parse_xml(data, str(path), again=_AGAIN)
    if local(root.tag) != "CodeBook":
        raise InputFileError(f"the XML root is <{local(root.tag)}>, not <CodeBook>", file=str(path),
                             fix="export the codebook from your QDA program as a REFI-QDA codebook (.qdc)")
    left_out = LeftOut()
    project = QdaProject(name=path.stem, origin=root.get("origin"), warnings=_namespace(root, CODEBOOK_NS))
    project.codes = _codes(child(root, "Codes"), str(path))
    count_unused(root, {"Sets": "sets"}, left_out)
    project.left_out = left_out.messages()
    return project


# -- the archive ---------------------------------------------------------------------------------------------
def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError("file not found", file=str(path), fix="check the path and the file name")
    if not path.is_file():
        raise InputFileError("this is a folder, not a file", file=str(path), fix="name the .qdpx or .qdc file")
    if path.stat().st_size == 0:
        raise InputFileError("the file is empty (0 bytes)", file=str(path),
                             fix="export the project again; the file was not saved completely")


def _open_zip(path: Path) -> zipfile.ZipFile:
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


def _namespace(root: Element, expected: str) -> list[str]:
    """A warning when the root is not in the QDA-XML namespace (the file is then read by element names)."""
    found = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if found == expected:
        return []
    shown = f"the namespace {found!r}" if found else "no namespace"
    return [f"the XML has {shown}, not {expected!r} (REFI-QDA 1.0); read by its element names, as if it were "
            "REFI-QDA 1.0: check the result, and export the file again from its program if anything is missing"]


# -- the project ---------------------------------------------------------------------------------------------
_UNUSED_SECTIONS = {"Notes": "notes (memos)", "Sets": "sets", "Links": "links", "Graphs": "graphs"}
_OTHER_SOURCES = {"PictureSource": "picture", "PDFSource": "PDF", "AudioSource": "audio", "VideoSource": "video"}


def _project(root: Element, file: str, loader: SourceLoader, stem: str) -> QdaProject:
    if local(root.tag) != "Project":
        hint = " (a codebook: import it with --codebook)" if local(root.tag) == "CodeBook" else ""
        raise InputFileError(f"project.qde's root is <{local(root.tag)}>, not <Project>{hint}", file=file,
                             fix="export the project again from its program as a REFI-QDA project")
    left_out = LeftOut()
    project = QdaProject(name=root.get("name") or stem, origin=root.get("origin"),
                         creating_user=normalise_guid(root.get("creatingUserGUID")),
                         warnings=_namespace(root, PROJECT_NS))
    project.users = [QdaUser(guid=guid(u, file, "user"), name=(u.get("name") or "").strip() or None,
                             id=(u.get("id") or "").strip() or None)
                     for u in children(child(root, "Users"), "User")]
    codebook = child(root, "CodeBook")
    project.codes = _codes(child(codebook, "Codes"), file) if codebook is not None else []
    project.variables = [QdaVariable(guid=guid(v, file, "variable"), name=(v.get("name") or "").strip(),
                                     type=v.get("typeOfVariable") or "Text", description=description(v))
                         for v in children(child(root, "Variables"), "Variable")]
    variables = {v.guid: v for v in project.variables}
    project.cases = [_case(element, file, variables, left_out) for element in children(child(root, "Cases"), "Case")]
    for element in list(child(root, "Sources") if child(root, "Sources") is not None else []):
        kind = local(element.tag)
        if kind == "TextSource":
            project.sources.append(text_source(element, file, loader, variables, left_out))
        else:
            what = _OTHER_SOURCES.get(kind, kind)
            left_out.add(f"{what} sources, not imported: codeseed codes text only",
                         element.get("name") or element.get("path") or element.get("guid") or "?")
    count_unused(root, _UNUSED_SECTIONS, left_out)
    project.left_out = left_out.messages()
    return project


def _case(element: Element, file: str, variables: dict[str, QdaVariable], left_out: LeftOut) -> QdaCase:
    case = QdaCase(guid=guid(element, file, "case"), name=(element.get("name") or "").strip() or element.get("guid"))
    case.variables = variable_values(element, variables, left_out)
    case.sources = [g for g in (normalise_guid(r.get("targetGUID")) for r in children(element, "SourceRef")) if g]
    for what, label in (("SelectionRef", "case members that are selections"), ("CodeRef", "case links to codes")):
        if children(element, what):
            left_out.add(f"{label}, not imported: codeseed attaches cases to whole documents", case.name)
    return case


def _codes(codes_element: Element | None, file: str) -> list[QdaCode]:
    """The code tree flattened, parents first, read with a stack (no recursion) and at most MAX_CODE_DEPTH deep."""
    out: list[QdaCode] = []
    seen: set[str] = set()
    stack = [(element, None, 1) for element in reversed(children(codes_element, "Code"))]
    while stack:
        element, parent, depth = stack.pop()
        code_guid = guid(element, file, "code")
        name = (element.get("name") or "").strip()
        if not name:
            raise InputFileError(f"the code with guid {code_guid} has no name", file=file, field="name",
                                 fix="give the code a name in your QDA program and export again")
        if code_guid in seen:
            raise InputFileError(f"the code guid {code_guid} ({name!r}) appears twice in the codebook", file=file,
                                 field="guid", fix="export the codebook again; each code must have its own GUID")
        if depth > MAX_CODE_DEPTH:
            raise InputFileError(f"the code tree is more than {MAX_CODE_DEPTH} levels deep (at code {name!r})",
                                 file=file, field="Code",
                                 fix=f"codeseed takes code trees up to {MAX_CODE_DEPTH} levels; flatten the tree "
                                     "in your QDA program (move deep codes up) and export again")
        seen.add(code_guid)
        codable = (element.get("isCodable") or "true").strip().lower() not in ("false", "0")
        out.append(QdaCode(guid=code_guid, name=name, parent=parent, description=description(element),
                           codable=codable, color=element.get("color")))
        stack.extend((c, code_guid, depth + 1) for c in reversed(children(element, "Code")))
    return out
