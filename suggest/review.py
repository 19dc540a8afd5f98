"""The review queue behind the coding app: which segments a coder sees, in what order, what the screen shows for
each, and what every key does to the project. Plain Python; ``app_gradio.py`` only renders a :class:`Card` and
routes clicks and keys to a :class:`ReviewSession`.

    from suggest.review import QueueFilter, ReviewSession
    from suggest.project_suggester import ProjectSuggester

    session = ReviewSession(project, ProjectSuggester(project).fit(), coder="ana")
    card = session.card()          # the segment on screen: text, context, suggestions with evidence, progress
    session.accept()               # the focused suggestion, committed to the store at once
    session.reject("2.3")          # a suggestion named by its code
    session.add_code("1.4")        # any code of the codebook (the app's picker)
    session.undo()                 # takes back ana's last decision and shows its segment again
    session.next(); session.skip() # skip: on to the next segment ana has not reviewed yet
    session.set_queue("uncertain", QueueFilter(attributes=(("setting", "generic"),)))

**The queue** holds participant turns (interviewer turns are context, never offered) that had no coding before
review: a segment coded outside the review (imported codings) joins only with ``include_coded``. A segment stays
in the queue once coded in review, so a coder can come back to it. Filters narrow it by document and by attribute
(``setting = generic``: the participant's, the document's or the segment's own attributes; values of one
attribute are alternatives, different attributes must all match). Orders: ``document`` (document order),
``uncertain`` (least confident first: the segments whose best suggestion scores lowest, where a decision teaches
the suggester most), ``code`` (grouped by the best suggested code, in codebook order, surest first). The order is
fixed when the queue is built, so segments do not move under the coder; suggestions are not: every arrival at a
segment asks the suggester afresh, so the next segment already reflects the last decision.

**A segment on screen** lists the coder's own standing decisions on it (accepted, rejected, added from the picker)
and the suggester's current top suggestions, best score first; the *focus* is the line the keys act on. A
decision goes through :meth:`ProjectSuggester.decide`: one transaction with the coder, the time, the score shown
and the suggester's version, and the suggester learns from it at once. *Reviewed* means: the coder has a standing
decision on the segment; skipping does not count.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from index.errors import CodeseedError
from index.ingest.attributes import effective_attributes
from suggest.estimator import Evidence, Suggestion
from suggest.project_suggester import ProjectSuggester, prototype_text
from index.types import Code, Segment

ORDERS: dict[str, str] = {
    "document": "document order",
    "uncertain": "least confident first",
    "code": "by suggested code",
}
PENDING, ACCEPTED, REJECTED, ADDED = "pending", "accepted", "rejected", "added"
PICKED_ORIGIN = "human"  # a code the coder chose from the codebook: a human coding, like an imported one
CONTEXT_TURNS = 2
MAX_CODER_NAME = 80


# -- plain data ----------------------------------------------------------------------------------------
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


# -- pure functions ------------------------------------------------------------------------------------
def clean_coder(name: Any) -> str | None:
    """A coder name as typed, trimmed; None when empty."""
    if name is None:
        return None
    text = " ".join(str(name).split())
    if len(text) > MAX_CODER_NAME:
        raise CodeseedError(f"a coder name has at most {MAX_CODER_NAME} characters", field="coder")
    return text or None


def require_coder(name: str | None) -> str:
    if not name:
        raise CodeseedError("enter your coder name before deciding", field="coder",
                            fix="type it in the Coder box at the top (or start the app with --coder NAME); "
                                "every decision is stored under it")
    return name


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
    if order not in ORDERS:
        raise CodeseedError(f"unknown queue order {order!r}", field="order", fix=f"use one of {', '.join(ORDERS)}")
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


def merge_items(ranked: Sequence[Suggestion], mine: Iterable[Mapping[str, Any]],
                thresholds: Mapping[str, float] | None = None) -> list[Item]:
    """The coder's standing decisions on a segment and the suggestions not yet decided, best score first."""
    thresholds = thresholds or {}
    items: list[Item] = []
    decided: set[str] = set()
    for (_, code), row in latest_decisions(mine).items():
        score = row["score"]
        status = REJECTED if row["decision"] == "reject" else (ADDED if score is None else ACCEPTED)
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


def progress(queue: Sequence[int], reviewed: set[int]) -> Progress:
    return Progress(reviewed=sum(1 for i in queue if i in reviewed), total=len(queue))


@dataclass(frozen=True)
class CodebookRow:
    code: str
    name: str
    parent: str | None
    depth: int
    human: int  # codings by people (imported, or picked in the app), of this code and its subcodes
    accepted: int  # accepted suggestions, of this code and its subcodes
    description: str
    examples: tuple[str, ...] = field(default=())


def codebook_rows(codes: Sequence[Code], codings: Iterable[Mapping[str, Any]], texts: Mapping[int, str], *,
                  examples: int = 2, clip: int = 160) -> list[CodebookRow]:
    """The code tree in codebook order (children under their parent) with counts and example quotes.

    A theme's counts include its subcodes'. Example quotes: the codebook's own example, then coded segments
    (human codings first).
    """
    children: dict[str | None, list[Code]] = {}
    known = {c.id for c in codes}
    for code in codes:
        children.setdefault(code.parent if code.parent in known else None, []).append(code)
    own_human: dict[str, int] = {}
    own_accepted: dict[str, int] = {}
    quotes: dict[str, list[tuple[int, int]]] = {}
    for c in codings:
        is_suggestion = c["origin"] == "accepted suggestion"
        target = own_accepted if is_suggestion else own_human
        target[c["code_id"]] = target.get(c["code_id"], 0) + 1
        quotes.setdefault(c["code_id"], []).append((1 if is_suggestion else 0, c["segment_id"]))
    rows: list[CodebookRow] = []

    def walk(code: Code, depth: int, seen: frozenset[str]) -> tuple[int, int]:
        index = len(rows)
        rows.append(None)  # type: ignore[arg-type]  # placeholder, filled once the subtree is counted
        human, accepted = own_human.get(code.id, 0), own_accepted.get(code.id, 0)
        for child in children.get(code.id, []):
            if child.id not in seen:
                h, a = walk(child, depth + 1, seen | {child.id})
                human, accepted = human + h, accepted + a
        found = [code.example.strip()] if code.example and code.example.strip() else []
        for _, segment_id in sorted(set(quotes.get(code.id, []))):
            if len(found) >= examples:
                break
            if segment_id in texts:
                found.append(clip_text(texts[segment_id], clip))
        rows[index] = CodebookRow(code.id, code.name, code.parent, depth, human, accepted,
                                  code.description, tuple(found[:examples]))
        return human, accepted

    for root in children.get(None, []):
        walk(root, 0, frozenset({root.id}))
    return rows


def clip_text(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def refresh_prototypes(project: Any, suggester: ProjectSuggester) -> None:
    """Re-embed the codebook's words for the suggester's prototypes (after a description changed); no refit."""
    codes = {c.id: c for c in project.store.codes()}
    current = [codes.get(c.id, c) for c in suggester.codes]
    vectors, _ = project.embed([prototype_text(c) for c in current])
    suggester.codes = current
    suggester.model.prototypes_ = np.asarray(vectors, dtype=np.float32)


def save_code_description(project: Any, suggester: ProjectSuggester, code_id: str, description: str) -> None:
    """Store a code's new description and let the suggester's prototype for it use the new words at once."""
    store = project.store
    with store.transaction():
        store.update_code_description(code_id, str(description).strip())
    refresh_prototypes(project, suggester)


def refit(project: Any, suggester: ProjectSuggester) -> None:
    """After an import: index new segments and fit the suggester again (review sessions notice and rebuild)."""
    project.build_index()
    suggester.fit()


# -- the session ---------------------------------------------------------------------------------------
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
                 filters: QueueFilter | None = None) -> None:
        if order not in ORDERS:
            raise CodeseedError(f"unknown queue order {order!r}", field="order",
                                fix=f"use one of {', '.join(ORDERS)}")
        self.project = project
        self.suggester = suggester
        self.lock = lock if lock is not None else threading.RLock()
        self.top = top
        self.coder = clean_coder(coder)
        self.order = order
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
        """Rebuild after the suggester was fitted again (an import): new segments, codes, queue."""
        if getattr(self.suggester, "run_id", None) != self._run_id:
            keep = self.segment_id
            self._load()
            self._build_queue(keep=keep)

    def _standing(self) -> list[dict[str, Any]]:
        return self.project.store.standing_decisions()

    def _thresholds(self) -> dict[str, float]:
        model = self.suggester.model
        return {c: float(t) for c, t in zip(model.codes_, model.thresholds_)}

    # -- the queue ---------------------------------------------------------------------------------------
    def _build_queue(self, keep: int | None = None) -> None:
        store = self.project.store
        standing = self._standing()
        outside = set() if self.filters.include_coded else coded_outside_review(store.codings(), standing)
        chosen = select_segments(self._segments.values(), self._attributes, self.filters, outside)
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
            if order not in ORDERS:
                raise CodeseedError(f"unknown queue order {order!r}", field="order",
                                    fix=f"use one of {', '.join(ORDERS)}")
            self.order = order
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
        out = []
        for code in self._codes.values():
            parent = self._codes.get(code.parent) if code.parent else None
            theme = f"  ({parent.id})" if parent else ""
            out.append((f"{code.id}  {code.name}{theme}", code.id))
        return out

    # -- arriving at a segment ------------------------------------------------------------------------------
    def _arrive(self, focus_code: str | None = None) -> None:
        """Ask the suggester afresh for the segment now in front of the coder."""
        self._token += 1
        if not self.queue:
            self.items, self.focus = [], None
            return
        segment_id = self.queue[self.index]
        ranked = self.suggester.suggest([segment_id], top=self.top, store=False)[segment_id]
        mine = [r for r in self._standing() if r["segment_id"] == segment_id and self.coder and r["coder"] == self.coder]
        self.items = merge_items(ranked, mine, self._thresholds())
        self.focus = self._index_of(focus_code) if focus_code else None
        if self.focus is None:
            self.focus = next_pending(self.items, 0)
        if self.focus is None and self.items:
            self.focus = 0

    def _restatus(self, focus_code: str | None = None) -> None:
        """Re-read the coder's decisions on the segment on screen, keeping the list where it is."""
        self._token += 1
        segment_id = self.segment_id
        mine = latest_decisions(r for r in self._standing()
                                if r["segment_id"] == segment_id and self.coder and r["coder"] == self.coder)
        kept = []
        for item in self.items:
            row = mine.get((segment_id, item.code))
            if row is not None:
                item.status = REJECTED if row["decision"] == "reject" else (ADDED if row["score"] is None else ACCEPTED)
            elif item.suggested:
                item.status = PENDING
            else:
                continue  # a picked code, undone: it was never a suggestion
            kept.append(item)
        self.items = kept
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
        coder = clean_coder(name)
        if coder != self.coder:
            self.coder = coder
            self._arrive(self.items[self.focus].code if self.items and self.focus is not None else None)
            self.message = ""

    def _target(self, code: str | None, segment_id: int | None) -> tuple[int, Item]:
        if not self.queue:
            raise CodeseedError("the queue is empty", fix="change the filters, or import transcripts")
        if segment_id is not None and int(segment_id) != self.segment_id:
            raise CodeseedError("that segment is no longer on screen; nothing was recorded",
                                fix="look at the segment shown now and decide again")
        index = self.focus if code is None else self._index_of(code)
        if index is None:
            raise CodeseedError(f"{code!r} is not in this segment's list" if code else "no suggestion is focused",
                                field="code", fix="add it with the code picker (C)")
        return index, self.items[index]

    def _decide(self, accept: bool, code: str | None, segment_id: int | None) -> Item:
        coder = require_coder(self.coder)
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
        coder = require_coder(self.coder)
        code = str(code or "").strip()
        if code not in self._codes:
            self._load_codes()
        if code not in self._codes:
            raise CodeseedError(f"no code {code!r} in the codebook", field="code",
                                fix="choose one from the picker's list")
        if not self.queue:
            raise CodeseedError("the queue is empty", fix="change the filters, or import transcripts")
        if segment_id is not None and int(segment_id) != self.segment_id:
            raise CodeseedError("that segment is no longer on screen; nothing was recorded")
        index = self._index_of(code)
        if index is not None and self.items[index].status == PENDING:
            return self._decide(True, code, None)
        if index is not None and self.items[index].status in (ACCEPTED, ADDED):
            self.message = f"{code} is already on this segment."
            return self.items[index]
        if any(c["segment_id"] == self.segment_id and c["code_id"] == code and c["coder"] == coder
               for c in self.project.store.codings(coder=coder)):
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
        coder = require_coder(self.coder)
        last = self.suggester.undo(coder=coder)
        if last is None:
            self.message = "Nothing to undo."
            return None
        segment_id, code = last["segment_id"], last["code_id"]
        what = {"accept": "accepting", "reject": "rejecting"}[last["decision"]]
        if segment_id == self.segment_id:
            self._restatus(focus_code=code)
            self.message = f"Undone: {what} {code}."
        elif segment_id in self.queue:
            self.index = self.queue.index(segment_id)
            self._arrive(focus_code=code)
            self.message = f"Undone: {what} {code} (segment {self.index + 1} of the queue)."
        else:
            self.message = f"Undone: {what} {code} on segment {segment_id}, which is not in this queue."
        return last

    # -- what the screen shows ------------------------------------------------------------------------------
    @_locked
    def card(self) -> Card:
        standing = self._standing()
        reviewed = reviewed_segments(standing, self.coder)
        done = progress(self.queue, reviewed)
        common = {"progress": done, "coder": self.coder, "order": self.order, "filters": self.filters,
                  "message": self.message, "suggester": self.suggester.version, "token": self._token}
        if not self.queue:
            return Card(segment=None, position=0, total=0, attributes={}, before=(), after=(), items=(), focus=None,
                        codings=(), reviewed=False, **common)
        segment = self._segments[self.segment_id]
        turns = self._by_document[segment.document_id]
        at = next(i for i, s in enumerate(turns) if s.id == segment.id)
        thresholds = self._thresholds()
        items = tuple(self._item_view(it, thresholds) for it in self.items)
        codings = tuple(
            CodingView(c["code_id"], self._code_name(c["code_id"]), c["coder"], c["origin"], c["coder"] == self.coder)
            for c in self.project.store.codings() if c["segment_id"] == segment.id)
        return Card(segment=segment, position=self.index + 1, total=len(self.queue),
                    attributes=dict(self._attributes.get(segment.id, {})),
                    before=tuple(turns[max(0, at - CONTEXT_TURNS):at]), after=tuple(turns[at + 1:at + 1 + CONTEXT_TURNS]),
                    items=items, focus=self.focus, codings=codings, reviewed=segment.id in reviewed, **common)

    def _code_name(self, code: str) -> str:
        found = self._codes.get(code)
        return found.name if found else code

    def _item_view(self, item: Item, thresholds: Mapping[str, float]) -> ItemView:
        code = self._codes.get(item.code)
        parent = self._codes.get(code.parent) if code is not None and code.parent else None
        evidence = []
        for e in item.evidence:
            other = self._segments.get(e.segment_id)
            evidence.append(EvidenceView(e.segment_id, other.document if other else "?",
                                         other.speaker if other else None, other.text if other else "",
                                         e.similarity, e.coder, e.polarity))
        return ItemView(item.code, code.name if code else item.code, parent.name if parent else None, item.score,
                        thresholds.get(item.code), item.confident, item.status, tuple(evidence))
