"""A REFI-QDA project as plain data: what :mod:`.reader` finds in a .qdpx/.qdc and what :mod:`.writer` writes.

Only what codeseed can use is modelled (users, the code tree, text sources with their plain-text selections
and codings, variables on sources and cases). Everything else a file holds is counted in ``left_out`` with
the reason, so an import can say exactly what it did not bring in.

Texts are stored as codeseed stores them (line endings ``\\n``) and selection offsets already point into that
text: the reader converts them, so nothing downstream needs to know how the file wrote its line ends.
GUIDs are lower case without braces.

The end of the module holds codeseed's conventions in REFI-QDA, shared by import and export: derived GUIDs,
the user that carries pending suggestions, readable code ids, and criteria as closing paragraphs of a description.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from index.types import Code

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


@dataclass(frozen=True)
class QdaUser:
    guid: str
    name: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class QdaCode:
    """One code of the tree, flattened: ``parent`` is the parent's GUID; codes come parents first."""

    guid: str
    name: str
    parent: str | None = None
    description: str = ""
    codable: bool = True
    color: str | None = None


@dataclass(frozen=True)
class QdaCoding:
    guid: str
    code: str  # GUID of the code
    user: str | None = None  # GUID of the creating user, as the file gives it (coding, else selection, else source)
    created: str | None = None  # xsd:dateTime as written


@dataclass
class QdaSelection:
    """A PlainTextSelection: characters ``start``..``end`` (end-exclusive) of the source's text."""

    guid: str
    start: int
    end: int
    codings: list[QdaCoding] = field(default_factory=list)
    name: str | None = None


@dataclass(frozen=True)
class QdaVariable:
    guid: str
    name: str
    type: str = "Text"  # Text, Boolean, Integer, Float, Date, DateTime
    description: str = ""


@dataclass
class QdaSource:
    """A text source. ``text`` is None when the file holds no usable text for it (the reason in ``problem``)."""

    guid: str
    name: str
    text: str | None
    origin: str = ""  # where the text came from: "sources/x.txt", "PlainTextContent", "sources/x.docx (rich text)"
    encoding: str | None = None
    selections: list[QdaSelection] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)  # variable name -> value
    problem: str | None = None


@dataclass
class QdaCase:
    guid: str
    name: str
    variables: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # GUIDs of the sources the case holds


@dataclass
class QdaProject:
    name: str = ""
    origin: str | None = None
    creating_user: str | None = None
    users: list[QdaUser] = field(default_factory=list)
    codes: list[QdaCode] = field(default_factory=list)
    variables: list[QdaVariable] = field(default_factory=list)
    cases: list[QdaCase] = field(default_factory=list)
    sources: list[QdaSource] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # "3 PDF sources (interview.pdf, ...): codeseed codes text only"
    warnings: list[str] = field(default_factory=list)  # what the reader assumed (e.g. another XML namespace)


class LeftOut:
    """What a file holds that codeseed does not import, grouped by reason, with the first few examples of each."""

    def __init__(self) -> None:
        self.reasons: dict[str, list[str]] = {}

    def add(self, reason: str, example: str) -> None:
        self.reasons.setdefault(reason, []).append(example)

    def messages(self) -> list[str]:
        """``"2 PDF sources, not imported: ... (a.pdf, b.pdf)"``, one line per reason, in the order first met."""
        out = []
        for reason, examples in self.reasons.items():
            shown = ", ".join(examples[:3]) + (", ..." if len(examples) > 3 else "")
            out.append(f"{len(examples)} {reason} ({shown})")
        return out


# -- codeseed's conventions in REFI-QDA ----------------------------------------------------------------------
PENDING_CODER = "codeseed suggestions (pending review)"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "codeseed:refi-qda")
_CRITERIA = (("inclusion", "Inclusion: "), ("exclusion", "Exclusion: "), ("example", "Example: "))
CRITERIA = tuple(attr for attr, _ in _CRITERIA)


def guid_for(kind: str, *parts: Any) -> str:
    """A GUID derived from what it names (kind and key), the same on every export."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join([kind, *map(str, parts)])))


def slug(name: str) -> str:
    """A readable code id from a code name: lower case, runs of other characters as ``_``, at most 40 characters."""
    text = re.sub(r"[^\w]+", "_", name.casefold()).strip("_")
    if len(text) > 40:
        cut = text.rfind("_", 0, 41)
        text = text[:cut] if cut >= 20 else text[:40]
    return text or "code"


def describe(code: Code) -> str:
    """A REFI-QDA description: the description, then inclusion/exclusion/example as labelled closing paragraphs."""
    parts = [code.description.strip()] if code.description.strip() else []
    parts += [label + getattr(code, attr).strip() for attr, label in _CRITERIA if getattr(code, attr).strip()]
    return "\n\n".join(parts)


def undescribe(text: str) -> dict[str, str]:
    """The inverse of :func:`describe`: description, inclusion, exclusion and example from a description."""
    paragraphs = re.split(r"\n[ \t]*\n", (text or "").strip())
    found: dict[str, str] = {}
    while paragraphs:
        last = paragraphs[-1]
        hit = next(((attr, label) for attr, label in _CRITERIA if last.startswith(label) and attr not in found), None)
        if hit is None:
            break
        found[hit[0]] = last[len(hit[1]):].strip()
        paragraphs.pop()
    found["description"] = "\n\n".join(paragraphs).strip()
    return found
