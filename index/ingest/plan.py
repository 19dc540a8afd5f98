"""An import's plan: documents read and segmented, with their hashes, before anything is written.

Planning is the slow part of an import (segmenting, hashing every segment); it runs before the project is locked
for writing, so the write itself is short. Pure: the project is consulted only through the ``known`` callback.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from index.cache import text_hash
from index.errors import InputFileError
from index.ingest.segmenting import segment_turns
from index.types import ParsedDocument


@dataclass
class PlannedDocument:
    """A document read and segmented, ready for the short write: its text hash and its segment rows."""

    document: ParsedDocument
    sha256: str
    segments: list[dict[str, Any]]
    values: list[tuple[Any, ...]] | None = None  # the segments as the store writes them, prepared before the lock


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause CPython's cycle collector while bulk reading creates millions of small objects and no cycles.

    The collector would traverse every live object again each time enough new ones pile up: on a 200,000-row
    table that doubled the time to read and plan it (benchmarks/import_scaling.py). Nothing is lost: the objects
    hold no reference cycles, and the collector runs as usual afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan_document(document: ParsedDocument, *, max_chars: int) -> PlannedDocument:
    """Segment one document into the rows the store takes; a document without codable text is an error."""
    spans = segment_turns(document.text, document.turns, max_chars=max_chars)
    if not spans:
        raise InputFileError("no text to code in this file", file=document.source,
                             fix="check that the file holds the transcript text")
    rows = [{"start": s.start, "end": s.end, "speaker": s.speaker, "is_interviewer": s.is_interviewer,
             "timestamp": s.timestamp, "text_hash": text_hash(document.text[s.start:s.end]),
             "attributes": s.attributes} for s in spans]
    return PlannedDocument(document, text_hash(document.text), rows)


def same_text_warnings(plans: list[PlannedDocument], known: Callable[[str], str | None]) -> list[str]:
    """Say which new documents have the same text as another (they are imported all the same).

    ``known(sha256)`` names a document already in the project with that text, if any.
    """
    first: dict[str, str] = {}
    pairs = []
    for plan in plans:
        other = known(plan.sha256) or first.get(plan.sha256)
        if other is not None:
            pairs.append(f"{plan.document.name!r} = {other!r}")
        first.setdefault(plan.sha256, plan.document.name)
    if not pairs:
        return []
    shown = ", ".join(pairs[:3]) + (f" and {len(pairs) - 3} more" if len(pairs) > 3 else "")
    return [f"{len(pairs)} document{'s have' if len(pairs) > 1 else ' has'} the same text as another document "
            f"({shown}); kept as separate documents"]
