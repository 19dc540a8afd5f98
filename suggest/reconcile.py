"""Reconciliation: the segments two or more coders reviewed and coded differently, and the codes the team agrees.

The agreed codes are stored under the coder ``consensus`` (:data:`index.rounds.CONSENSUS`) through the suggester's
own decision path, so each is a decision in the append-only log (with a note naming the coders reconciled) and a
coding of origin ``human``; "no code applies" when the team agrees nothing fits. Nobody's codings are changed or
erased. :func:`undo_last` takes back the last reconciled segment (all its consensus decisions at once).

    from suggest.reconcile import disagreements, reconcile, undo_last
    rows = disagreements(project.store, ["ana", "ben"], suggested={segment: {codes}})
    reconcile(suggester, rows[0].segment_id, ["W"], coders=["ana", "ben"])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from index.errors import CodeseedError
from index.rounds import CONSENSUS, ratings
from index.store.store import Store

from .project_suggester import ProjectSuggester

NOTE_PREFIX = "reconciled: "


@dataclass(frozen=True)
class Disagreement:
    segment_id: int
    document: str
    text: str
    codes: dict[str, frozenset[str]]  # coder -> the codes they applied (empty: no code)
    suggested: frozenset[str]  # the suggester's confident codes (empty when not known)
    agreed: frozenset[str] | None  # what consensus holds already (None: not reconciled yet)


def disagreements(store: Store, coders: Sequence[str], *, suggested: Mapping[int, Iterable[str]] | None = None,
                  include_reconciled: bool = True) -> list[Disagreement]:
    """Segments every one of ``coders`` reviewed where their codes differ, in document order."""
    if len(set(coders)) < 2:
        raise CodeseedError("reconciliation compares two or more coders", field="coders",
                            fix="choose at least two coders who reviewed the same segments")
    found = ratings(store, list(coders) + [CONSENSUS])
    shared = [u for u in found.get(coders[0], {}) if all(u in found.get(c, {}) for c in coders)]
    differing = [u for u in shared if len({frozenset(found[c][u]) for c in coders}) > 1]
    consensus = found.get(CONSENSUS, {})
    segments = {s.id: s for s in store.segments(segment_ids=differing)}
    out = []
    for u in sorted(differing, key=lambda i: (segments[i].document_id, segments[i].position)):
        agreed = frozenset(consensus[u]) if u in consensus else None
        if agreed is not None and not include_reconciled:
            continue
        out.append(Disagreement(u, segments[u].document, segments[u].text,
                                {c: frozenset(found[c][u]) for c in coders},
                                frozenset((suggested or {}).get(u, ())), agreed))
    return out


def reconcile(suggester: ProjectSuggester, segment_id: int, codes: Iterable[str], *, coders: Sequence[str]) -> int:
    """Store the agreed ``codes`` (empty: no code applies) for the segment under ``consensus``; returns how many
    decisions were recorded. A segment reconciled before must be undone first (nothing is overwritten)."""
    agreed = sorted(set(codes))
    known = {c.id for c in suggester.project.store.codes()}
    unknown = [c for c in agreed if c not in known]
    if unknown:
        raise CodeseedError(f"no code {unknown[0]!r} in the codebook", field="codes")
    if segment_id in ratings(suggester.project.store, [CONSENSUS]).get(CONSENSUS, {}):
        raise CodeseedError(f"segment {segment_id} is reconciled already", field="segment_id",
                            fix="undo that reconciliation first (Undo in the Team tab), then decide again")
    note = NOTE_PREFIX + ", ".join(coders)
    if not agreed:
        suggester.decide_none(segment_id, coder=CONSENSUS, note=note)
        return 1
    for code in agreed:
        suggester.decide(segment_id, code, coder=CONSENSUS, accept=True, origin="human", note=note)
    return len(agreed)


def undo_last(suggester: ProjectSuggester) -> tuple[int, list[str | None]] | None:
    """Take back the last reconciled segment: every standing consensus decision it made. (segment, codes) or None."""
    store = suggester.project.store
    first = store.last_standing_decision(CONSENSUS)
    if first is None:
        return None
    undone: list[str | None] = []
    while True:
        last = store.last_standing_decision(CONSENSUS)
        if last is None or last["segment_id"] != first["segment_id"] or last["note"] != first["note"]:
            break
        suggester.undo(coder=CONSENSUS)
        undone.append(last["code_id"])
    return int(first["segment_id"]), undone
