"""Plain data types shared by the readers, segmentation, the store and the suggester, and the one rule for
coder names (:func:`coder_name`).

Offsets are character offsets into ``Document.text`` (Python ``str`` indices), end-exclusive, so that
``document.text[segment.start:segment.end] == segment.text`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.errors import CodeseedError

MAX_CODER_NAME = 80


@dataclass(frozen=True)
class Turn:
    """One speaker turn as a reader found it: a span of the document's text without the speaker label."""

    start: int
    end: int
    speaker: str | None = None
    timestamp: str | None = None  # cue or label time as written, e.g. "00:01:02.000"
    attributes: dict[str, Any] = field(default_factory=dict)  # per-row extras of table readers


@dataclass(frozen=True)
class ParsedDocument:
    """What a reader returns: the canonical text we store, and the turns within it."""

    name: str
    source: str
    text: str
    turns: list[Turn]
    encoding: str | None = None  # text encoding that decoded the file, for text formats
    attributes: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the reader skipped or assumed (a broken cue, ...)


@dataclass(frozen=True)
class SegmentSpan:
    """A codable unit cut from a turn by segmentation."""

    start: int
    end: int
    speaker: str | None
    timestamp: str | None
    is_interviewer: bool
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Code:
    id: str
    name: str
    parent: str | None = None
    description: str = ""
    inclusion: str = ""
    exclusion: str = ""
    example: str = ""


def prototype_text(code: Code) -> str:
    """What the codebook says about a code, as one text to embed (the suggester's prototype of the code)."""
    parts = [code.name.strip().rstrip(".") + "."]
    parts += [t.strip() for t in (code.description, code.inclusion) if t and t.strip()]
    return " ".join(parts)


@dataclass(frozen=True)
class Segment:
    """A stored segment, as the store hands it out."""

    id: int
    document_id: int
    document: str
    position: int
    start: int
    end: int
    text: str
    speaker: str | None
    participant: str | None
    is_interviewer: bool
    timestamp: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def coder_name(value: Any, *, required: bool = False, missing: str = "a coder name is needed",
               fix: str = "give your coder name (--coder NAME)") -> str | None:
    """The one rule for a coder's name, wherever it comes from (the app's Coder box, ``--coder``, a codings
    file's coder column, a REFI-QDA user, a decision): runs of white space become one space and the ends are
    trimmed; at most :data:`MAX_CODER_NAME` characters. An empty name is ``None``, or, when ``required``, an
    error saying ``missing`` and where to give one (``fix``)."""
    text = "" if value is None else " ".join(str(value).split())
    if len(text) > MAX_CODER_NAME:
        raise CodeseedError(f"a coder name has at most {MAX_CODER_NAME} characters, not {len(text)}",
                            field="coder", fix="use a shorter name: initials or a first name are enough")
    if not text and required:
        raise CodeseedError(missing, field="coder", fix=fix)
    return text or None
