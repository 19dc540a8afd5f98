"""One coder's pass through the review queue (one browser tab of the app): arriving at a segment, moving, and
the decide/undo loop, every decision committed to the project at once.

Every arrival at a segment asks the suggester afresh, so the next segment already reflects the last decision.
A decision goes through :meth:`ProjectSuggester.decide`: one transaction with the coder, the time, the score shown
and the suggester's version, and the suggester learns from it at once.

**Concurrency**: sessions of one server share one :class:`Project` (one SQLite connection) and one
:class:`ProjectSuggester`, so every coder's decision teaches the suggester the others use. Each public method holds
``lock`` (pass the same :class:`threading.RLock` to every session and use it for anything else touching the
project), so calls from a web server's threads never interleave on the connection or the model. Another process
(the command line) can work on the same project at the same time: SQLite's WAL mode and the store's immediate
transactions keep both consistent; a session sees their codings on its next arrival at a segment.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from index.errors import CodeseedError
from index.ingest.attributes import effective_attributes
from index.types import Segment, coder_name
from suggest.project_suggester import ProjectSuggester
from suggest.review.cards import (ACCEPTED, ADDED, PENDING, REJECTED, Card, CodingView, Item, context, item_view,
                                  merge_items, next_pending, restatus)
from suggest.review.codebook import picker_choices
from suggest.review.queue import (ORDERS, QueueFilter, attribute_options, check_order, coded_outside_review,
                                  latest_decisions, order_queue, progress, reviewed_segments, select_segments)
from suggest.review.refresh import is_refresh_of
from suggest.review.rounds import SuggesterFor, blind_note, overlap
from suggest.suggestion import Suggestion

PICKED_ORIGIN = "human"  # a code the coder chose from the codebook: a human coding, like an imported one
NO_CODER = ("enter your coder name before deciding",
            "type it in the Coder box at the top (or start the app with --coder NAME); every decision is stored under it")


T = TypeVar("T")


def _locked(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(self: ReviewSession, *args: Any, **kwargs: Any) -> T:
        with self.lock:
            self._sync()
            return method(self, *args, **kwargs)

    return wrapper


class ReviewSession:
    """One coder's pass through the review queue (one browser tab in the app)."""

    def __init__(self, project: Any, suggester: ProjectSuggester, coder: str | None = None, *,
                 lock: threading.RLock | None = None, top: int = 5, order: str = "document",
                 filters: QueueFilter | None = None, suggester_for: SuggesterFor | None = None) -> None:
        self.project = project
        self.suggester = suggester
        self.suggester_for = suggester_for  # a blind round gives its coders suggesters of their own
        self.lock = lock if lock is not None else threading.RLock()
        self.top = top
        self.coder = coder_name(coder)
        self.order = check_order(order)
        self.filters = filters or QueueFilter()
        self.message = ""
        self.queue: list[int] = []
        self.index = 0
        self.items: list[Item] = []
        self.focus: int | None = None
        self._token = 0
        with self.lock:
            self._load()
            self._build_queue()

    # -- what the project holds -----------------------------------------------------------------------
    def _load(self) -> None:
        store = self.project.store
        segments = store.segments()
        self._segments = {s.id: s for s in segments}
        self._by_document: dict[int, list[Segment]] = {}
        for s in segments:
            self._by_document.setdefault(s.document_id, []).append(s)
        for turns in self._by_document.values():
            turns.sort(key=lambda s: s.position)
        participants = store.participants()
        documents = store.documents()
        self._document_names = [d["name"] for d in documents]
        by_id = {d["id"]: d["attributes"] for d in documents}
        self._attributes = {s.id: effective_attributes(s, participants, by_id.get(s.document_id, {}))
                            for s in segments}
        self._load_codes()
        self._run_id = getattr(self.suggester, "run_id", None)

    def _load_codes(self) -> None:
        codes = self.project.store.codes()
        self._codes = {c.id: c for c in codes}
        self._code_order = {c.id: i for i, c in enumerate(codes)}

    def _sync(self) -> None:
        """Rebuild after the suggester was fitted again (an import), or when a round starts or ends for this coder
        (another suggester, another queue): new segments, codes, queue. A refresh (:mod:`suggest.review.refresh`)
        is only taken up."""
        wanted = self.suggester_for(self.coder) if self.suggester_for is not None else self.suggester
        if wanted is not self.suggester and is_refresh_of(wanted, self._run_id):  # fitted again on more codings:
            self.suggester, self._run_id = wanted, wanted.run_id  # same queue and list; used from the next arrival
        elif wanted is not self.suggester or getattr(self.suggester, "run_id", None) != self._run_id:
            self.suggester = wanted
            keep = self.segment_id
            self._load()
            self._build_queue(keep=keep)

    def _standing(self) -> list[dict[str, Any]]:
        return self.suggester.standing_decisions()  # in a blind round: before the round, and the coder's own

    def _mine(self, segment_id: int | None) -> list[dict[str, Any]]:
        """This coder's standing decisions on one segment."""
        return [r for r in self._standing() if r["segment_id"] == segment_id and self.coder and r["coder"] == self.coder]

    def _thresholds(self) -> dict[str, float]:
        model = self.suggester.model
        return {c: float(t) for c, t in zip(model.codes_, model.thresholds_)}

    # -- the queue ---------------------------------------------------------------------------------------
    def _build_queue(self, keep: int | None = None) -> None:
        standing = self._standing()
        outside = set() if self.filters.include_coded else coded_outside_review(self.suggester.codings(), standing)
        chosen = select_segments(self._segments.values(), self._attributes, self.filters, outside)
        within = overlap(self.project, self.suggester)
        chosen = chosen if within is None else [s for s in chosen if s.id in within]
        best: dict[int, Suggestion | None] = {}
        if self.order != "document" and chosen:
            ranked = self.suggester.suggest([s.id for s in chosen], top=1, store=False)
            best = {i: (r[0] if r else None) for i, r in ranked.items()}
        self.queue = order_queue(chosen, best, self.order, self._code_order)
        self.index = self.queue.index(keep) if keep in self.queue else self._resume(standing)
        self._arrive()

    def _resume(self, standing: list[dict[str, Any]]) -> int:
        """Where a new session starts: the coder's last decided segment, else the first one to review."""
        mine = [r for r in standing if self.coder and r["coder"] == self.coder and r["segment_id"] in self.queue]
        if mine:
            return self.queue.index(max(mine, key=lambda r: r["id"])["segment_id"])
        reviewed = reviewed_segments(standing, self.coder)
        return next((i for i, s in enumerate(self.queue) if s not in reviewed), 0)

    @_locked
    def set_queue(self, order: str | None = None, filters: QueueFilter | None = None) -> None:
        """Change the order and/or the filters; stays on the current segment if it is still in the queue."""
        if order is not None:
            self.order = check_order(order)
        if filters is not None:
            unknown = sorted(set(filters.documents) - set(self._document_names))
            if unknown:
                raise CodeseedError(f"no document named {unknown[0]!r} in the project", field="documents")
            self.filters = filters
        self._build_queue(keep=self.segment_id)
        self.message = (f"Queue: {len(self.queue)} segments, {ORDERS[self.order]}." if self.queue
                        else "No segment matches these filters.")

    @property
    def segment_id(self) -> int | None:
        return self.queue[self.index] if self.queue else None

    def documents(self) -> list[str]:
        return list(self._document_names)

    def attribute_choices(self) -> list[tuple[str, str, int]]:
        """Attribute values of the participant turns, for the filter."""
        return attribute_options(a for i, a in self._attributes.items() if not self._segments[i].is_interviewer)

    def code_choices(self) -> list[tuple[str, str]]:
        """(label, code id) for the picker: every code of the codebook, themes included."""
        return picker_choices(self._codes)

    # -- arriving at a segment ------------------------------------------------------------------------------
    def _arrive(self, focus_code: str | None = None) -> None:
        """Ask the suggester afresh for the segment now in front of the coder."""
        self._token += 1
        if not self.queue:
            self.items, self.focus = [], None
            return
        segment_id = self.queue[self.index]
        ranked = self.suggester.suggest([segment_id], top=self.top, store=False)[segment_id]
        self.items = merge_items(ranked, self._mine(segment_id), self._thresholds())
        self.focus = self._index_of(focus_code) if focus_code else None
        if self.focus is None:
            self.focus = next_pending(self.items, 0)
        if self.focus is None and self.items:
            self.focus = 0

    def _restatus(self, focus_code: str | None = None) -> None:
        """Re-read the coder's decisions on the segment on screen, keeping the list where it is."""
        self._token += 1
        segment_id = self.segment_id
        self.items = restatus(self.items, latest_decisions(self._mine(segment_id)), segment_id)
        self.focus = self._index_of(focus_code) if focus_code else self.focus
        if self.focus is None or self.focus >= len(self.items):
            self.focus = next_pending(self.items, 0) if self.items else None

    def _index_of(self, code: str | None) -> int | None:
        return next((i for i, it in enumerate(self.items) if it.code == code), None)

    # -- moving --------------------------------------------------------------------------------------------
    def _go(self, index: int, message: str = "") -> None:
        self.index = index
        self.message = message
        self._arrive()

    @_locked
    def next(self) -> None:
        if not self.queue:
            return
        wrapped = self.index + 1 >= len(self.queue)
        self._go(0 if wrapped else self.index + 1, "Back at the start of the queue." if wrapped else "")

    @_locked
    def previous(self) -> None:
        if not self.queue:
            return
        wrapped = self.index == 0
        self._go(len(self.queue) - 1 if wrapped else self.index - 1, "At the end of the queue." if wrapped else "")

    @_locked
    def skip(self) -> None:
        """On to the next segment this coder has not reviewed (wrapping round)."""
        if not self.queue:
            return
        reviewed = reviewed_segments(self._standing(), self.coder)
        n = len(self.queue)
        for step in range(1, n + 1):
            i = (self.index + step) % n
            if self.queue[i] not in reviewed:
                if i == self.index:
                    break
                self._go(i, "Back at the start of the queue." if i < self.index else "")
                return
        self.message = ("Every segment in this queue is reviewed." if self.queue[self.index] in reviewed
                        else "This is the only segment left to review.")

    @_locked
    def goto(self, position: int) -> None:
        """Go to a 1-based position in the queue."""
        if not 1 <= int(position) <= len(self.queue):
            raise CodeseedError(f"the queue has positions 1 to {len(self.queue)}, not {position}", field="position")
        self._go(int(position) - 1)

    @_locked
    def focus_next(self) -> None:
        if self.items:
            self.focus = 0 if self.focus is None else (self.focus + 1) % len(self.items)

    @_locked
    def focus_previous(self) -> None:
        if self.items:
            self.focus = 0 if self.focus is None else (self.focus - 1) % len(self.items)

    # -- deciding ------------------------------------------------------------------------------------------
    @_locked
    def set_coder(self, name: str | None) -> None:
        coder = coder_name(name)
        if coder != self.coder:
            self.coder = coder
            self._sync()
            self._arrive(self.items[self.focus].code if self.items and self.focus is not None else None)
            self.message = ""

    def _require_coder(self) -> str:
        return coder_name(self.coder, required=True, missing=NO_CODER[0], fix=NO_CODER[1])

    def _on_screen(self, segment_id: int | None) -> None:
        """Refuse a decision on an empty queue, or on a segment that is no longer the one on screen."""
        if not self.queue:
            raise CodeseedError("the queue is empty", fix="change the filters, or import transcripts")
        if segment_id is not None and int(segment_id) != self.segment_id:
            raise CodeseedError("that segment is no longer on screen; nothing was recorded",
                                fix="look at the segment shown now and decide again")

    def _target(self, code: str | None, segment_id: int | None) -> tuple[int, Item]:
        self._on_screen(segment_id)
        index = self.focus if code is None else self._index_of(code)
        if index is None:
            raise CodeseedError(f"{code!r} is not in this segment's list" if code else "no suggestion is focused",
                                field="code", fix="add it with the code picker (C)")
        return index, self.items[index]

    def _decide(self, accept: bool, code: str | None, segment_id: int | None) -> Item:
        coder = self._require_coder()
        index, item = self._target(code, segment_id)
        if item.status != PENDING:
            self.message = f"{item.code} is already {item.status} on this segment (U undoes your last decision)."
            return item
        self.suggester.decide(self.segment_id, item.code, coder=coder, accept=accept, score=item.score)
        item.status = ACCEPTED if accept else REJECTED
        self._token += 1
        following = next_pending(self.items, index + 1)
        self.focus = following if following is not None else index
        name = self._codes[item.code].name if item.code in self._codes else ""
        self.message = f"{'Accepted' if accept else 'Rejected'} {item.code} {name}".rstrip() + "."
        return item

    @_locked
    def accept(self, code: str | None = None, segment_id: int | None = None) -> Item:
        """Accept a suggestion (default: the focused one) on the segment on screen; it becomes a coding."""
        return self._decide(True, code, segment_id)

    @_locked
    def reject(self, code: str | None = None, segment_id: int | None = None) -> Item:
        """Reject a suggestion (default: the focused one): never again for this segment, weaker for ones like it."""
        return self._decide(False, code, segment_id)

    @_locked
    def add_code(self, code: str, segment_id: int | None = None) -> Item:
        """Apply any code of the codebook to the segment on screen (the picker)."""
        coder = self._require_coder()
        code = str(code or "").strip()
        if code not in self._codes:
            self._load_codes()
        if code not in self._codes:
            raise CodeseedError(f"no code {code!r} in the codebook", field="code",
                                fix="choose one from the picker's list")
        self._on_screen(segment_id)
        index = self._index_of(code)
        if index is not None and self.items[index].status == PENDING:
            return self._decide(True, code, None)
        if index is not None and self.items[index].status in (ACCEPTED, ADDED):
            self.message = f"{code} is already on this segment."
            return self.items[index]
        if self.project.store.coding(self.segment_id, code, coder) is not None:
            self.message = f"You coded this segment with {code} before."
            return self.items[index] if index is not None else Item(code, None, False, ADDED, (), False)
        self.suggester.decide(self.segment_id, code, coder=coder, accept=True, score=None, origin=PICKED_ORIGIN)
        self._token += 1
        if index is not None:  # rejected before, now added after all
            item = self.items[index]
            item.status = ADDED
        else:
            item = Item(code, None, False, ADDED, (), suggested=False)
            self.items.append(item)
        self.message = f"Added {code} {self._codes[code].name}."
        return item

    @_locked
    def undo(self) -> dict[str, Any] | None:
        """Take back this coder's last decision (any segment) and show its segment with the line focused."""
        coder = self._require_coder()
        last = self.suggester.undo(coder=coder)
        if last is None:
            self.message = "Nothing to undo."
            return None
        segment_id, code = last["segment_id"], last["code_id"]
        what = {"accept": "accepting ", "reject": "rejecting ", "none": "marking "}[last["decision"]]
        what += code or "no code applies"
        if segment_id == self.segment_id and code is None:  # the suggestions come back
            self._arrive()
            self.message = f"Undone: {what}."
        elif segment_id == self.segment_id:
            self._restatus(focus_code=code)
            self.message = f"Undone: {what}."
        elif segment_id in self.queue:
            self.index = self.queue.index(segment_id)
            self._arrive(focus_code=code)
            self.message = f"Undone: {what} (segment {self.index + 1} of the queue)."
        else:
            self.message = f"Undone: {what} on segment {segment_id}, which is not in this queue."
        return last

    @_locked
    def no_code(self, segment_id: int | None = None) -> None:
        """No code applies to the segment on screen (key 0): reviewed, and no code is suggested for it again."""
        coder = self._require_coder()
        self._on_screen(segment_id)
        self.suggester.decide_none(self.segment_id, coder=coder)
        self._arrive()
        self.message = "No code applies: recorded (U undoes it)."

    # -- what the screen shows ------------------------------------------------------------------------------
    @_locked
    def card(self) -> Card:
        standing = self._standing()
        reviewed = reviewed_segments(standing, self.coder)
        done = progress(self.queue, reviewed)
        common = {"progress": done, "coder": self.coder, "order": self.order, "filters": self.filters,
                  "message": self.message, "suggester": self.suggester.version, "token": self._token,
                  "blind": blind_note(self.project, self.suggester)}
        if not self.queue:
            return Card(segment=None, position=0, total=0, attributes={}, before=(), after=(), items=(), focus=None,
                        codings=(), reviewed=False, **common)
        segment = self._segments[self.segment_id]
        before, after = context(self._by_document[segment.document_id], segment.id)
        thresholds = self._thresholds()
        items = tuple(item_view(it, self._codes, self._segments, thresholds) for it in self.items)
        codings = tuple(
            CodingView(c["code_id"], self._code_name(c["code_id"]), c["coder"], c["origin"], c["coder"] == self.coder)
            for c in self.suggester.codings() if c["segment_id"] == segment.id)
        no_code = any(r["decision"] == "none" for r in self._mine(segment.id))
        return Card(segment=segment, position=self.index + 1, total=len(self.queue),
                    attributes=dict(self._attributes.get(segment.id, {})), before=before, after=after,
                    items=items, focus=self.focus, codings=codings, reviewed=segment.id in reviewed,
                    no_code=no_code, **common)

    def _code_name(self, code: str) -> str:
        found = self._codes.get(code)
        return found.name if found else code
