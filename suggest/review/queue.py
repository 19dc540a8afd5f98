"""The review queue: which segments a coder sees, and in what order. Pure functions of plain data.

**The queue** holds participant turns (interviewer turns are context, never offered) that had no coding before
review: a segment coded outside the review (imported codings) joins only with ``include_coded``. A segment stays
in the queue once coded in review, so a coder can come back to it. Filters narrow it by document and by attribute
(``setting = generic``: the participant's, the document's or the segment's own attributes; values of one
attribute are alternatives, different attributes must all match). Orders: ``document`` (document order),
``uncertain`` (least confident first: the segments whose best suggestion scores lowest, where a decision teaches
the suggester most), ``code`` (grouped by the best suggested code, in codebook order, surest first). The order is
fixed when the queue is built, so segments do not move under the coder.

*Reviewed* means: the coder has a standing decision on the segment; skipping does not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.errors import CodeseedError
from index.types import Segment
from suggest.suggestion import Suggestion

ORDERS: dict[str, str] = {
    "document": "document order",
    "uncertain": "least confident first",
    "code": "by suggested code",
}


@dataclass(frozen=True)
class QueueFilter:
    """Which segments the queue holds. Empty ``documents``/``attributes``: no restriction."""

    documents: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()  # (key, value): same key -> any of the values; keys -> all
    include_coded: bool = False  # also segments coded outside the review (imported codings)

    def matches(self, segment: Segment, attributes: Mapping[str, str]) -> bool:
        if self.documents and segment.document not in self.documents:
            return False
        wanted: dict[str, set[str]] = {}
        for key, value in self.attributes:
            wanted.setdefault(key, set()).add(value)
        return all(attributes.get(key) in values for key, values in wanted.items())


@dataclass(frozen=True)
class Progress:
    reviewed: int
    total: int

    @property
    def to_review(self) -> int:
        return self.total - self.reviewed


def check_order(order: str) -> str:
    """``order`` if it is one of :data:`ORDERS`, else an error listing them."""
    if order not in ORDERS:
        raise CodeseedError(f"unknown queue order {order!r}", field="order", fix=f"use one of {', '.join(ORDERS)}")
    return order


def attribute_options(attributes: Iterable[Mapping[str, str]]) -> list[tuple[str, str, int]]:
    """(key, value, number of segments) for every attribute value present, sorted by key and value."""
    counts: dict[tuple[str, str], int] = {}
    for attrs in attributes:
        for key, value in attrs.items():
            if value not in (None, ""):
                counts[(key, str(value))] = counts.get((key, str(value)), 0) + 1
    return [(k, v, n) for (k, v), n in sorted(counts.items())]


def attribute_label(key: str, value: str) -> str:
    return f"{key} = {value}"


def parse_attribute(label: str) -> tuple[str, str]:
    """``"setting = generic"`` -> ``("setting", "generic")``."""
    key, sep, value = str(label).partition("=")
    if not sep or not key.strip():
        raise CodeseedError(f"an attribute filter reads 'name = value', not {label!r}", field="attributes")
    return key.strip(), value.strip()


def latest_decisions(standing: Iterable[Mapping[str, Any]]) -> dict[tuple[int, str], Mapping[str, Any]]:
    """(segment, code) -> the latest standing decision on it (of the rows given)."""
    out: dict[tuple[int, str], Mapping[str, Any]] = {}
    for row in sorted(standing, key=lambda r: r["id"]):
        out[(row["segment_id"], row["code_id"])] = row
    return out


def reviewed_segments(standing: Iterable[Mapping[str, Any]], coder: str | None) -> set[int]:
    """Segments on which ``coder`` has a standing decision."""
    return {r["segment_id"] for r in standing if coder and r["coder"] == coder}


def coded_outside_review(codings: Iterable[Mapping[str, Any]], standing: Iterable[Mapping[str, Any]]) -> set[int]:
    """Segments with a coding no standing accept explains: coded before review (imported) or outside it."""
    accepted = {(r["segment_id"], r["code_id"], r["coder"]) for r in standing if r["decision"] == "accept"}
    return {c["segment_id"] for c in codings if (c["segment_id"], c["code_id"], c["coder"]) not in accepted}


def select_segments(segments: Iterable[Segment], attributes: Mapping[int, Mapping[str, str]],
                    filters: QueueFilter, coded_outside: set[int]) -> list[Segment]:
    """The queue's segments in document order: participant turns passing the filters."""
    chosen = [s for s in segments
              if not s.is_interviewer
              and (filters.include_coded or s.id not in coded_outside)
              and filters.matches(s, attributes.get(s.id, {}))]
    return sorted(chosen, key=lambda s: (s.document_id, s.position))


def order_queue(segments: Sequence[Segment], best: Mapping[int, Suggestion | None], order: str,
                code_order: Mapping[str, int]) -> list[int]:
    """Segment ids in review order. ``best``: each segment's top suggestion (needed for 'uncertain' and 'code')."""
    check_order(order)
    place = {s.id: i for i, s in enumerate(sorted(segments, key=lambda s: (s.document_id, s.position)))}
    ids = sorted(place, key=place.__getitem__)
    if order == "document":
        return ids

    def score(i: int) -> float:
        top = best.get(i)
        return -1.0 if top is None else top.score

    if order == "uncertain":
        return sorted(ids, key=lambda i: (score(i), place[i]))
    last = len(code_order)
    return sorted(ids, key=lambda i: (code_order.get(best[i].code, last) if best.get(i) else last + 1,
                                      -score(i), place[i]))


def progress(queue: Sequence[int], reviewed: set[int]) -> Progress:
    return Progress(reviewed=sum(1 for i in queue if i in reviewed), total=len(queue))

