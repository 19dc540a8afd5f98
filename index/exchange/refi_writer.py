"""Write :mod:`.model` as REFI-QDA 1.0: ``project.qde`` XML and the .qdpx archive, or a .qdc codebook.

What is written validates against the QDA-XML 1.0 schemas (Project.xsd, Codebook.xsd; the tests check every
file against them). The output is reproducible: the same model gives the same bytes (fixed zip time stamps,
members in a fixed order, no "now" anywhere), so two exports of an unchanged project are identical files.

Each text source's plain text goes to ``sources/<guid>.txt`` (UTF-8, ``\\n`` line ends, no BOM) and is referred
to as ``internal://<guid>.txt``; selection offsets count characters of exactly that text.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from index.exchange.refi_model import CODEBOOK_NS, PROJECT_NS, QdaCode, QdaProject

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Characters XML 1.0 cannot carry at all (control characters other than tab and line ends).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RGB = re.compile(r"#[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?")
_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def _clean(value: Any) -> str:
    return _NOT_XML.sub(" ", str(value))


def _element(parent: Element | None, ns: str, tag: str, **attributes: Any) -> Element:
    """An element in namespace ``ns``: the root declares it as the default (xmlns), children inherit it.

    (ElementTree's ``default_namespace`` option refuses unqualified attribute names, which REFI-QDA uses.)
    """
    attrs = {k: _clean(v) for k, v in attributes.items() if v is not None}
    if parent is None:
        return Element(tag, {"xmlns": ns, **attrs})
    return SubElement(parent, tag, attrs)


def _text(parent: Element, ns: str, tag: str, text: str) -> Element:
    element = _element(parent, ns, tag)
    element.text = _clean(text)
    return element


def _code_tree(parent: Element, ns: str, codes: list[QdaCode]) -> None:
    """Nest ``codes`` (flat, parent GUIDs) as Code elements under a Codes element; siblings keep their order."""
    children: dict[str | None, list[QdaCode]] = {}
    known = {c.guid for c in codes}
    for code in codes:
        children.setdefault(code.parent if code.parent in known else None, []).append(code)

    def add(into: Element, code: QdaCode) -> None:
        color = code.color if code.color and _RGB.fullmatch(code.color) else None
        element = _element(into, ns, "Code", guid=code.guid, name=code.name,
                           isCodable="true" if code.codable else "false", color=color)
        if code.description:
            _text(element, ns, "Description", code.description)
        for child in children.get(code.guid, []):
            add(element, child)

    container = _element(parent, ns, "Codes")
    for code in children.get(None, []):
        add(container, code)


def _value(variable_type: str, value: Any) -> tuple[str, str]:
    if variable_type == "Boolean":
        return "BooleanValue", "true" if value else "false"
    if variable_type == "Integer":
        return "IntegerValue", str(int(value))
    if variable_type == "Float":
        return "FloatValue", format(Decimal(repr(float(value))), "f")  # xsd:decimal has no exponent
    return "TextValue", str(value)


def variable_type(values: Iterable[Any]) -> str:
    """The REFI-QDA type that holds every value: Boolean, Integer, Float, else Text."""
    values = list(values)
    if values and all(isinstance(v, bool) for v in values):
        return "Boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")
                      for v in values):
        return "Float"
    return "Text"


def _document(root: Element) -> bytes:
    """UTF-8 XML with the declaration every QDA program accepts (double quotes, upper-case encoding name)."""
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode("utf-8")


def project_xml(project: QdaProject) -> bytes:
    """``project.qde`` for ``project``: users, codebook, variables, text sources with selections and codings."""
    ns = PROJECT_NS
    root = _element(None, ns, "Project", name=project.name or "codeseed project", origin=project.origin,
                    creatingUserGUID=project.creating_user)
    if project.users:
        users = _element(root, ns, "Users")
        for user in project.users:
            _element(users, ns, "User", guid=user.guid, name=user.name, id=user.id)
    if project.codes:
        _code_tree(_element(root, ns, "CodeBook"), ns, project.codes)
    if project.variables:
        variables = _element(root, ns, "Variables")
        for variable in project.variables:
            element = _element(variables, ns, "Variable", guid=variable.guid, name=variable.name,
                               typeOfVariable=variable.type)
            if variable.description:
                _text(element, ns, "Description", variable.description)
    types = {v.name: (v.guid, v.type) for v in project.variables}
    if project.sources:
        sources = _element(root, ns, "Sources")
        for source in project.sources:
            element = _element(sources, ns, "TextSource", guid=source.guid, name=source.name,
                               plainTextPath=f"internal://{source.guid}.txt")
            for selection in source.selections:
                placed = _element(element, ns, "PlainTextSelection", guid=selection.guid, name=selection.name,
                                  startPosition=selection.start, endPosition=selection.end)
                for coding in selection.codings:
                    created = coding.created if coding.created and _DATETIME.match(coding.created) else None
                    made = _element(placed, ns, "Coding", guid=coding.guid, creatingUser=coding.user,
                                    creationDateTime=created)
                    _element(made, ns, "CodeRef", targetGUID=coding.code)
            for name, value in source.variables.items():
                if name not in types or value is None:
                    continue
                guid, kind = types[name]
                holder = _element(element, ns, "VariableValue")
                _element(holder, ns, "VariableRef", targetGUID=guid)
                tag, text = _value(kind, value)
                _text(holder, ns, tag, text)
    return _document(root)


def codebook_xml(codes: list[QdaCode], origin: str | None = None) -> bytes:
    """A .qdc codebook (REFI-QDA Codebook 1.0) holding ``codes``."""
    root = _element(None, CODEBOOK_NS, "CodeBook", origin=origin)
    _code_tree(root, CODEBOOK_NS, codes)
    return _document(root)


def qdpx_members(project: QdaProject) -> list[tuple[str, bytes]]:
    """The archive's members in the order they are written: project.qde, then one .txt per source."""
    members = [("project.qde", project_xml(project))]
    members += [(f"sources/{s.guid}.txt", (s.text or "").encode("utf-8")) for s in project.sources]
    return members


def write_qdpx(project: QdaProject, path: Path | str) -> None:
    """Write the .qdpx archive atomically: a failed export never leaves half a file behind."""
    def write(handle) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in qdpx_members(project):
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)

    write_atomically(Path(path), write)


def write_qdc(codes: list[QdaCode], path: Path | str, origin: str | None = None) -> None:
    data = codebook_xml(codes, origin)
    write_atomically(Path(path), lambda handle: handle.write(data))


def write_atomically(path: Path, write) -> None:
    """Call ``write(binary handle)`` on a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
