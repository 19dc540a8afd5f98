"""What the review screen shows for one segment, as plain data: the lines of its suggestion list (the coder's own
standing decisions and the suggester's current suggestions), their evidence, and the :class:`Card` the app renders.

**A segment on screen** lists the coder's own standing decisions on it (accepted, rejected, added from the picker)
and the suggester's current top suggestions, best score first; the *focus* is the line the keys act on. A "no code
applies" decision is no line: the card says so (``Card.no_code``), and the suggester proposes nothing there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.types import Code, Segment
from suggest.review.queue import Progress, QueueFilter, latest_decisions
from suggest.suggestion import Evidence, Suggestion

PENDING, ACCEPTED, REJECTED, ADDED = "pending", "accepted", "rejected", "added"
CONTEXT_TURNS = 2


@dataclass
class Item:
    """One line of a segment's suggestion list: a suggestion, or a decision the coder made on the segment."""

    code: str
    score: float | None  # the suggester's score (None: a code added from the picker with no suggestion behind it)
    confident: bool
    status: str  # pending | accepted | rejected | added
    evidence: tuple[Evidence, ...] = ()
    suggested: bool = True  # False: only the picker put it on the list


@dataclass(frozen=True)
class EvidenceView:
    segment_id: int
    document: str
    speaker: str | None
    text: str
    similarity: float
    coder: str | None
    polarity: int  # +1 coded with the code; -1 the code was rejected for it


@dataclass(frozen=True)
class ItemView:
    code: str
    name: str
    theme: str | None  # the parent code's name
    score: float | None
    threshold: float | None
    confident: bool
    status: str
    evidence: tuple[EvidenceView, ...]


@dataclass(frozen=True)
class CodingView:
    code: str
    name: str
    coder: str
    origin: str
    mine: bool


@dataclass(frozen=True)
class Card:
    """Everything the review screen shows, as plain data."""

    segment: Segment | None  # None: the queue is empty
    position: int  # 1-based place in the queue
    total: int
    attributes: dict[str, str]
    before: tuple[Segment, ...]  # context turns (interviewer turns included), nearest last
    after: tuple[Segment, ...]
    items: tuple[ItemView, ...]
    focus: int | None
    codings: tuple[CodingView, ...]  # every coding of the segment, by any coder
    progress: Progress
    reviewed: bool  # by this coder
    coder: str | None
    order: str
    filters: QueueFilter
    message: str
    suggester: str
    token: int  # grows with every change of what is on screen
    no_code: bool = False  # this coder decided that no code applies to the segment (key 0)
    blind: str | None = None  # in a blind round: what this coder cannot see ("ana's round 1 ..."), else None


def status_of(decision: Mapping[str, Any]) -> str:
    """The line status a standing decision gives: rejected, accepted (a suggestion) or added (from the picker)."""
    return REJECTED if decision["decision"] == "reject" else (ADDED if decision["score"] is None else ACCEPTED)


def merge_items(ranked: Sequence[Suggestion], mine: Iterable[Mapping[str, Any]],
                thresholds: Mapping[str, float] | None = None) -> list[Item]:
    """The coder's standing decisions on a segment and the suggestions not yet decided, best score first."""
    thresholds = thresholds or {}
    items: list[Item] = []
    decided: set[str] = set()
    for (_, code), row in latest_decisions(mine).items():
        if code is None:  # "no code applies": shown on the card (Card.no_code), not as a line
            continue
        score = row["score"]
        status = status_of(row)
        confident = score is not None and score >= thresholds.get(code, 0.5)
        items.append(Item(code, score, confident, status, (), suggested=score is not None))
        decided.add(code)
    items += [Item(s.code, s.score, s.confident, PENDING, s.evidence) for s in ranked if s.code not in decided]
    items.sort(key=lambda it: (it.score is None, -(it.score or 0.0)))  # picked codes last
    return items


def next_pending(items: Sequence[Item], start: int) -> int | None:
    """The first pending line at or after ``start``, wrapping round; None if nothing is pending."""
    n = len(items)
    for step in range(n):
        i = (start + step) % n
        if items[i].status == PENDING:
            return i
    return None


def restatus(items: Sequence[Item], mine: Mapping[tuple[int, str], Mapping[str, Any]], segment_id: int) -> list[Item]:
    """The list on screen after the coder's decisions changed (an undo): each line's status from ``mine`` (the
    latest standing decisions); a picked code that is no longer decided leaves the list, it was never suggested."""
    kept = []
    for item in items:
        row = mine.get((segment_id, item.code))
        if row is not None:
            item.status = status_of(row)
        elif item.suggested:
            item.status = PENDING
        else:
            continue
        kept.append(item)
    return kept


def item_view(item: Item, codes: Mapping[str, Code], segments: Mapping[int, Segment],
              thresholds: Mapping[str, float]) -> ItemView:
    """A line of the list with the names the screen shows and the evidence segments' text."""
    code = codes.get(item.code)
    parent = codes.get(code.parent) if code is not None and code.parent else None
    evidence = []
    for e in item.evidence:
        other = segments.get(e.segment_id)
        evidence.append(EvidenceView(e.segment_id, other.document if other else "?",
                                     other.speaker if other else None, other.text if other else "",
                                     e.similarity, e.coder, e.polarity))
    return ItemView(item.code, code.name if code else item.code, parent.name if parent else None, item.score,
                    thresholds.get(item.code), item.confident, item.status, tuple(evidence))


def context(turns: Sequence[Segment], segment_id: int) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The :data:`CONTEXT_TURNS` turns before and after a segment in its document (interviewer turns included)."""
    at = next(i for i, s in enumerate(turns) if s.id == segment_id)
    return tuple(turns[max(0, at - CONTEXT_TURNS):at]), tuple(turns[at + 1:at + 1 + CONTEXT_TURNS])
