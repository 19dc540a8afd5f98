"""Blind coding rounds and what each coder of a team sees (issue 14). Rules only; the SQL is in
:mod:`index.store.rounds`.

A **round** fixes, when it starts, who codes (two or more coders), which documents (default: all) and the
**overlap**: the participant turns of those documents that nobody had coded before the round. Every coder of the
round codes every segment of the overlap, blind: while the round is open a round coder sees only

* the codings and decisions in place before the round started (the common ground), and
* their own codings and decisions,

never another round coder's (:class:`CoderView`). Their suggestions learn from the same two things only (the
suggester is fitted per coder through the same view). One round is open at a time; closing it lifts the
blinds. A coder has *reviewed* a segment when they have a standing decision on it (accept, reject, or
"no code applies") or a coding of it.

The coder ``consensus`` (:data:`CONSENSUS`) is reserved for the codes a team agreed in reconciliation
(:mod:`index.reconcile`); it cannot be a round coder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import CodeseedError, ProjectError
from .store import rounds as sql
from .store.store import Store
from .types import coder_name

CONSENSUS = "consensus"


@dataclass(frozen=True)
class Round:
    id: int
    coders: tuple[str, ...]
    documents: tuple[str, ...] | None  # None: every document
    started_at: str
    closed_at: str | None
    segment_ids: tuple[int, ...]  # the overlap, in document order

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class CoderView:
    """What one coder of an open round may see: rows from before the round (stamped no later than its start:
    a script may import and start a round in one millisecond), and their own."""

    coder: str
    since: str  # the round's start (ISO 8601, as every *_at column)

    def visible(self, row: Mapping[str, Any]) -> bool:
        return row["coder"] == self.coder or str(row["created_at"]) <= self.since

    def filter(self, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
        return [r for r in rows if self.visible(r)]


def _round(store: Store, row: dict[str, Any] | None, *, segments: bool = True) -> Round | None:
    if row is None:
        return None
    documents = tuple(row["documents"]) if row["documents"] is not None else None
    return Round(row["id"], tuple(row["coders"]), documents, row["started_at"], row["closed_at"],
                 tuple(sql.round_segment_ids(store, row["id"])) if segments else ())


def current_round(store: Store, *, segments: bool = True) -> Round | None:
    """The open round, if any (``segments=False``: without reading its overlap, for a check made at every key)."""
    return _round(store, sql.open_round(store), segments=segments)


def all_rounds(store: Store) -> list[Round]:
    return [r for r in (_round(store, row) for row in sql.rounds(store)) if r is not None]


def view_for(store: Store, coder: str | None) -> CoderView | None:
    """The blinds of ``coder``: a view when a round is open and ``coder`` codes in it, else None (sees all)."""
    found = current_round(store, segments=False)
    if found is None or coder is None or coder not in found.coders:
        return None
    return CoderView(coder, found.started_at)


def parse_coders(text: str | Sequence[str]) -> list[str]:
    """``"ana, ben"`` or ``["ana", "ben"]`` -> ``["ana", "ben"]``: trimmed, two or more, distinct, not consensus."""
    items = text.split(",") if isinstance(text, str) else list(text)
    coders = [name for name in (coder_name(c) for c in items) if name]
    if len(set(coders)) != len(coders):
        raise CodeseedError(f"a coder is named twice in {', '.join(coders)}", field="coders",
                            fix="name each coder once: --coders ana,ben")
    if len(coders) < 2:
        raise CodeseedError("a round needs two or more coders", field="coders", fix="name them: --coders ana,ben")
    if CONSENSUS in coders:
        raise CodeseedError(f"{CONSENSUS!r} is the coder of reconciled codes, not a round coder", field="coders",
                            fix="use the names of the people who code")
    return coders


def start_round(store: Store, coders: str | Sequence[str], documents: Sequence[str] | None = None) -> Round:
    """Open a round for ``coders`` on ``documents`` (default: all). Its overlap: participant turns nobody coded."""
    names = parse_coders(coders)
    already = current_round(store)
    if already is not None:
        raise ProjectError(f"round {already.id} ({', '.join(already.coders)}) is still open", field="round",
                           fix="close it first: codeseed round close PROJECT")
    known = {d["name"]: d["id"] for d in store.documents()}
    wanted = list(dict.fromkeys(documents)) if documents else None
    missing = [d for d in (wanted or []) if d not in known]
    if missing:
        raise CodeseedError(f"no document named {missing[0]!r} in the project", field="documents",
                            fix="use the names shown by `codeseed status PROJECT --documents`")
    ids = [known[d] for d in wanted] if wanted else None
    coded = {c["segment_id"] for c in store.codings()}
    overlap = [s.id for s in store.segments(document_ids=ids, include_interviewer=False) if s.id not in coded]
    if not overlap:
        raise ProjectError("these documents have no uncoded participant turn to code", field="documents",
                           fix="choose documents with uncoded segments, or import transcripts")
    with store.transaction():
        round_id = sql.add_round(store, names, wanted, overlap)
    found = _round(store, sql.round_by_id(store, round_id))
    assert found is not None
    return found


def close_round(store: Store) -> Round:
    """Close the open round: the blinds lift; its codings stay, each under its coder."""
    found = current_round(store)
    if found is None:
        raise ProjectError("no round is open", field="round", fix="start one: codeseed round start PROJECT --coders a,b")
    with store.transaction():
        sql.close_round(store, found.id)
    closed = _round(store, sql.round_by_id(store, found.id))
    assert closed is not None
    return closed


def ratings(store: Store, coders: Iterable[str] | None = None,
            segment_ids: Iterable[int] | None = None) -> dict[str, dict[int, set[str]]]:
    """``{coder: {segment: codes}}`` for every segment each coder reviewed (an empty set: reviewed, no code).

    Reviewed: a standing decision of the coder on the segment (accept, reject, no code applies) or a coding.
    """
    named = list(coders) if coders is not None else None
    wanted = set(named) if named is not None else None
    within = set(segment_ids) if segment_ids is not None else None
    out: dict[str, dict[int, set[str]]] = {}

    def keep(row: Mapping[str, Any]) -> bool:
        return (wanted is None or row["coder"] in wanted) and (within is None or row["segment_id"] in within)

    for row in store.standing_decisions():
        if keep(row):
            out.setdefault(row["coder"], {}).setdefault(row["segment_id"], set())
    for row in store.codings():
        if keep(row):
            out.setdefault(row["coder"], {}).setdefault(row["segment_id"], set()).add(row["code_id"])
    return {c: out[c] for c in (named if named is not None else sorted(out)) if c in out}


def progress(store: Store, found: Round) -> list[dict[str, Any]]:
    """Per round coder: how many overlap segments they reviewed, of how many."""
    done = ratings(store, found.coders, found.segment_ids)
    total = len(found.segment_ids)
    return [{"coder": c, "reviewed": len(done.get(c, {})), "total": total} for c in found.coders]
