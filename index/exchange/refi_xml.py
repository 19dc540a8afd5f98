"""Small helpers for reading QDA-XML elements: namespace-free tag names, children, GUIDs, variable values."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from index.errors import InputFileError
from index.exchange.refi_model import LeftOut, QdaVariable


def local(tag: Any) -> str:
    """The tag without its namespace (``{urn:...}Code`` → ``Code``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def child(element: Element | None, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


def description(element: Element) -> str:
    found = child(element, "Description")
    return (found.text or "").strip() if found is not None else ""


_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def normalise_guid(value: str | None) -> str | None:
    """Lower case, braces removed; None for a missing or malformed GUID."""
    m = _GUID.match((value or "").strip())
    return m.group(1).lower() if m else None


def guid(element: Element, file: str, what: str) -> str:
    """The element's GUID, or an error naming the element."""
    found = normalise_guid(element.get("guid"))
    if found is None:
        shown = element.get("name") or element.get("guid") or "(no name)"
        raise InputFileError(f"{what} {shown!r} has no valid guid (got {element.get('guid')!r})", file=file,
                             field="guid", fix="export the project again; every REFI-QDA element carries a GUID")
    return found


def count_unused(root: Element, sections: dict[str, str], left_out: LeftOut) -> None:
    """Count the members of sections codeseed has no place for (``{"Notes": "notes (memos)"}``)."""
    for section, what in sections.items():
        for element in (c for s in children(root, section) for c in s):
            left_out.add(f"{what}, not imported: codeseed has no {what.split()[0]} yet",
                         element.get("name") or element.get("guid") or "?")


_VALUE_TYPES: dict[str, Callable[[str], Any]] = {
    "TextValue": str, "IntegerValue": int, "FloatValue": float, "DateValue": str, "DateTimeValue": str,
    "BooleanValue": lambda v: v.strip().lower() in ("true", "1"),
}


def variable_values(element: Element, variables: dict[str, QdaVariable], left_out: LeftOut) -> dict[str, Any]:
    """The VariableValue children of a source or case, by variable name; unknown variables are counted."""
    values: dict[str, Any] = {}
    for value in children(element, "VariableValue"):
        ref = child(value, "VariableRef")
        variable = variables.get(normalise_guid(ref.get("targetGUID")) if ref is not None else None)
        if variable is None or not variable.name:
            left_out.add("variable values naming no known variable, not imported",
                         element.get("name") or element.get("guid") or "?")
            continue
        for kind, convert in _VALUE_TYPES.items():
            cell = child(value, kind)
            if cell is not None and cell.text is not None:
                try:
                    values[variable.name] = convert(cell.text.strip())
                except ValueError:
                    values[variable.name] = cell.text.strip()
                break
    return values
