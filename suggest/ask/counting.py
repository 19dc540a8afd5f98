"""Counting questions: "how many participants mention funding, by setting?" → per group, how many segments and
participants speak of the topic, counted two ways, side by side:

* **coded**: the segment carries a code related to the topic (or a code below it), by any coder;
* **by search**: the segment contains a word of the topic (by stem, as BM25 reads it) or is close to it in
  meaning (cosine ≥ :data:`FOUND_SIMILARITY` with the project's encoder).

Only segments that pass the conversation's filters count, interviewer turns left out unless asked for. A
participant counts once per cell however many of their segments do; a segment with no participant counts as a
segment only. Every cell keeps the segment ids behind its numbers, so any number opens to its quotes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from suggest.ask.related_codes import relate_codes
from suggest.ask.retrieval import bm25_scores, code_similarities, corpus_for, dense_scores, descendants, filter_mask
from suggest.ask.understanding import Understanding

FOUND_SIMILARITY = 0.45  # cosine (MiniLM) from which a segment counts as speaking of the topic without its words
NOT_RECORDED = "(not recorded)"
WAYS = ("coded", "search")


@dataclass(frozen=True)
class Cell:
    segments: tuple[int, ...]  # segment ids, in document order
    participants: tuple[str, ...]


@dataclass(frozen=True)
class CountRow:
    group: str
    segments: int  # segments of the group that pass the filters: the base the counts are out of
    participants: int
    coded: Cell
    search: Cell


@dataclass(frozen=True)
class CountTable:
    group_by: str | None
    topic: str
    codes: tuple[str, ...]  # the related codes whose codings count as "coded"
    rows: tuple[CountRow, ...]  # one per group (largest first), then "all" when grouped
    reason: str | None = None  # why there is nothing to count, when there is not

    def cell(self, group: str, way: str) -> Cell:
        """The segments behind one count: ``way`` is "coded" or "search"."""
        row = next((r for r in self.rows if r.group.lower() == group.strip().lower()), None)
        if row is None or way not in WAYS:
            raise KeyError(group if row is None else way)
        return row.coded if way == "coded" else row.search

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CountTable":
        rows = tuple(CountRow(r["group"], r["segments"], r["participants"],
                              *(Cell(tuple(r[w]["segments"]), tuple(r[w]["participants"])) for w in WAYS))
                     for r in data["rows"])
        return cls(data["group_by"], data["topic"], tuple(data["codes"]), rows, data.get("reason"))

    def to_dict(self) -> dict[str, Any]:
        return {"group_by": self.group_by, "topic": self.topic, "codes": list(self.codes), "reason": self.reason,
                "rows": [{"group": r.group, "segments": r.segments, "participants": r.participants,
                          **{way: {"segments": list(c.segments), "participants": list(c.participants)}
                             for way, c in (("coded", r.coded), ("search", r.search))}} for r in self.rows]}


def tabulate(groups: Sequence[str], participants: Sequence[str | None], segment_ids: Sequence[int],
             eligible: np.ndarray, coded: np.ndarray, found: np.ndarray, *, grouped: bool = True) -> list[CountRow]:
    """Rows of counts from per-segment arrays (pure): the group of each segment, its participant (or None), its
    id, and three masks: passes the filters, coded with a related code, found by search."""
    def cell(mask: np.ndarray) -> Cell:
        rows = np.flatnonzero(mask)
        people = sorted({participants[r] for r in rows if participants[r]})
        return Cell(tuple(int(segment_ids[r]) for r in rows), tuple(people))

    names = np.array([g or NOT_RECORDED for g in groups], dtype=object) if grouped else \
        np.array(["all"] * len(groups), dtype=object)
    out = []
    for name in sorted(set(names[eligible]), key=lambda n: (n == NOT_RECORDED, -int((names[eligible] == n).sum()), n)):
        member = eligible & (names == name)
        out.append(CountRow(str(name), int(member.sum()), len({participants[r] for r in np.flatnonzero(member)
                                                              if participants[r]}),
                            cell(member & coded), cell(member & found)))
    if grouped and len(out) > 1:
        out += tabulate(groups, participants, segment_ids, eligible, coded, found, grouped=False)
    return out


def count(project: Any, understood: Understanding, group_by: str | None, *, include_interviewer: bool = False,
          corpus: Any = None, codes: list | None = None) -> tuple[CountTable, Understanding]:
    """The counts for a conversation's understanding (its filters and topic), grouped by ``group_by``; and the
    understanding with the codes related to the topic (whose codings are the "coded" counts)."""
    corpus = corpus if corpus is not None else corpus_for(project)
    codes = list(codes if codes is not None else project.codes())
    if understood.unmatched:
        reason = "; ".join(f"{u.message} ({u.fix})" for u in understood.unmatched)
        return CountTable(group_by, understood.topic, (), (), reason), understood
    eligible = filter_mask(corpus, understood.filters)
    if not include_interviewer:
        eligible &= ~corpus.interviewer
    found = np.zeros(len(corpus.segments), dtype=bool)
    similarity: dict[str, float] = {}
    if understood.topic_terms and corpus.segments:
        vector = np.asarray(project.encoder.encode([understood.topic]), dtype=np.float32)[0]
        similarity = code_similarities(project.encoder, codes, vector)
        found = (bm25_scores(corpus, understood.topic_terms) > 0) | \
            (dense_scores(project, corpus, vector) >= FOUND_SIMILARITY)
    understood = relate_codes(understood, codes, similarity)
    related = [c.id for c in understood.codes]
    coded = np.zeros(len(corpus.segments), dtype=bool)
    for segment_id in project.store.segments_coded_with(descendants(codes, related)):
        if segment_id in corpus.row:
            coded[corpus.row[segment_id]] = True
    groups = list(corpus.column(group_by)) if group_by else [""] * len(corpus.segments)
    rows = tabulate(groups, corpus.participants, corpus.ids, eligible, coded, found,
                    grouped=group_by is not None)
    reason = None if rows else "no segment passes the filters"
    return CountTable(group_by, understood.topic, tuple(related), tuple(rows), reason), understood
