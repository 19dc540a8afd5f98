"""Ask's corpus: every segment of a project with its effective attributes and its BM25 index, built once per process.

Why columns and not a list of :class:`~index.types.Segment` records: at a million segments one record per segment
(a dataclass with a dict of twelve fields, its own strings and integers) took about 1 KB, a gigabyte for the corpus
alone. :class:`SegmentTable` keeps the texts, a few arrays and lists, shares repeated strings (speakers, participants) and attribute dicts, and makes a ``Segment``
only when one is asked for (the ten quotes of an answer). The segments are read from the store a group of documents at a time, so
a million records never exist at once either.

The BM25 index (bm25s) is built from term ids, not lists of term strings: the strings of twenty million terms
would need gigabytes for a moment; the ids share one integer object per distinct term.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from index.ingest.attributes import effective_attributes
from index.types import Segment
from suggest.ask.understanding import Vocabulary, build_vocabulary
from suggest.ask.words import terms

READ_SEGMENTS = 20_000  # segments read from the store at a time (whole documents)


class SegmentTable(Sequence[Segment]):
    """The segments of a project in store order, as columns; ``table[i]`` is a fresh :class:`Segment`.

    A document's text is not kept: one character outside Latin-1 makes Python store a whole document at two or
    four bytes a character, while the segments' own texts stay compact.
    """

    def __init__(self) -> None:
        self.documents: dict[int, str] = {}  # id -> name
        self._texts: list[str] = []
        self._ints: list[np.ndarray] = []  # while reading: per chunk, rows of (id, document_id, position, start, end)
        self.numbers = np.zeros((0, 5), dtype=np.int64)
        self.speakers: list[str | None] = []
        self.participants: list[str | None] = []
        self.timestamps: list[str | None] = []
        self.own: list[dict[str, Any]] = []  # each segment's own attributes (shared between equal ones)
        self.interviewer: list[bool] = []
        self._strings: dict[Any, Any] = {}
        self._dicts: dict[tuple, dict[str, Any]] = {}

    def append_all(self, segments: Sequence[Segment]) -> None:
        """Add segments read from the store (in store order)."""
        share = self._strings.setdefault
        self._ints.append(np.array([(s.id, s.document_id, s.position, s.start, s.end) for s in segments],
                                   dtype=np.int64).reshape(-1, 5))
        for s in segments:
            self._texts.append(s.text)
            self.documents.setdefault(s.document_id, share(s.document, s.document))
            self.speakers.append(share(s.speaker, s.speaker))
            self.participants.append(share(s.participant, s.participant))
            self.timestamps.append(share(s.timestamp, s.timestamp))
            self.own.append(shared(s.attributes, self._dicts))
            self.interviewer.append(bool(s.is_interviewer))

    def finish(self) -> None:
        """Done reading: the numbers become one array."""
        if self._ints:
            self.numbers = np.concatenate([self.numbers, *self._ints])
            self._ints = []
        self._strings, self._dicts = {}, {}

    def text(self, row: int) -> str:
        return self._texts[row]

    def texts(self) -> Iterator[str]:
        """Every segment's text, in order."""
        return iter(self._texts)

    def __len__(self) -> int:
        return int(self.numbers.shape[0])

    @overload
    def __getitem__(self, row: int) -> Segment: ...

    @overload
    def __getitem__(self, row: slice) -> list[Segment]: ...

    def __getitem__(self, row: int | slice) -> Segment | list[Segment]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError("segment row out of range")
        sid, document_id, position, start, end = (int(v) for v in self.numbers[row])
        return Segment(id=sid, document_id=document_id, document=self.documents[document_id], position=position,
                       start=start, end=end, text=self._texts[row], speaker=self.speakers[row], participant=self.participants[row],
                       is_interviewer=self.interviewer[row], timestamp=self.timestamps[row],
                       attributes=dict(self.own[row]))

    def __iter__(self) -> Iterator[Segment]:
        return (self[i] for i in range(len(self)))


class RowOf:
    """Segment id -> corpus row, by binary search over the ids (a dict of a million ints took 100 MB)."""

    def __init__(self, ids: np.ndarray) -> None:
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def get(self, segment_id: Any, default: Any = None) -> Any:
        try:
            key = int(segment_id)
        except (TypeError, ValueError):
            return default
        at = int(np.searchsorted(self._sorted, key))
        return int(self._order[at]) if at < self._sorted.size and self._sorted[at] == key else default

    def __contains__(self, segment_id: Any) -> bool:
        return self.get(segment_id) is not None

    def __getitem__(self, segment_id: Any) -> int:
        row = self.get(segment_id)
        if row is None:
            raise KeyError(segment_id)
        return row

    def rows(self, segment_ids: np.ndarray) -> np.ndarray:
        """The row of each id (-1 where an id is not in the corpus)."""
        segment_ids = np.asarray(segment_ids, dtype=np.int64)
        if not self._sorted.size:
            return np.full(segment_ids.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, segment_ids), self._sorted.size - 1)
        return np.where(self._sorted[at] == segment_ids, self._order[at], -1)


@dataclass
class Corpus:
    """Every segment of a project, its effective attributes and what search needs, built once per process."""

    key: str
    segments: SegmentTable
    attributes: list[dict[str, str]]  # participant's, then document's, then segment's own attributes
    row: RowOf  # segment id -> row
    ids: np.ndarray  # segment id per row
    interviewer: np.ndarray  # bool per row
    vocabulary: Vocabulary
    participants: list[str | None] = field(default_factory=list)  # the participant per row
    stamp: tuple = field(default=(), repr=False)  # (the store, its change stamp) when ``key`` was last checked
    _bm25: Any = field(default=None, repr=False)
    _codings: tuple = field(default=(), repr=False)  # (the store, its change stamp, CodingTable)
    _columns: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def text(self, row: int) -> str:
        """The text of the segment in ``row`` (without making its :class:`Segment`)."""
        return self.segments.text(int(row))

    def column(self, key: str) -> np.ndarray:
        """The value of attribute ``key`` for every segment ("" where it has none)."""
        values, codes = self.column_codes(key)
        return np.array(values + [None], dtype=object)[:-1][codes]

    def column_codes(self, key: str) -> tuple[list[Any], np.ndarray]:
        """Attribute ``key`` as (its distinct values; each segment's index into them) — "" where a segment has
        none. Integer codes make a filter one integer comparison per segment."""
        with self._lock:
            if key not in self._columns:
                seen: dict[Any, int] = {}
                codes = np.fromiter((seen.setdefault(a.get(key, ""), len(seen)) for a in self.attributes),
                                    dtype=np.int64, count=len(self.attributes))
                self._columns[key] = (list(seen), codes)
            return self._columns[key]

    def codings(self, store: Any, code_ids: Sequence[str]) -> "CodingTable":
        """Every coding with one of ``code_ids`` (the codebook) as arrays, read again only after the database
        changed: at a million segments a question's related codes sat on 45,000 segments, and reading those rows
        took 60 ms a question; a lookup over the arrays takes about one."""
        stamp = store.change_stamp()
        with self._lock:
            if self._codings and self._codings[0]() is store and self._codings[1] == (stamp, tuple(code_ids)):
                return self._codings[2]
        pairs = store.codings_with(code_ids)
        names = sorted({code for _, code in pairs})
        index = {code: i for i, code in enumerate(names)}
        table = CodingTable(names, self.row.rows(np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))),
                            np.fromiter((index[p[1]] for p in pairs), dtype=np.int64, count=len(pairs)))
        with self._lock:
            self._codings = (weakref.ref(store), (stamp, tuple(code_ids)), table)
        return table

    def bm25(self) -> Any:
        """The BM25 index over every segment's terms (bm25s; built on first use, kept in memory)."""
        with self._lock:
            if self._bm25 is None:
                self._bm25 = build_bm25(self.segments)
            return self._bm25


@dataclass(frozen=True)
class CodingTable:
    """Codings as arrays: per coding its corpus row (-1: a segment not in the corpus) and its code's index."""

    codes: list[str]
    rows: np.ndarray
    code: np.ndarray

    def of(self, code_ids: Any) -> np.ndarray:
        """True per coding whose code is one of ``code_ids``."""
        wanted = np.fromiter((c in code_ids for c in self.codes), dtype=bool, count=len(self.codes))
        return wanted[self.code] & (self.rows >= 0)


def build_bm25(segments: Sequence[Segment]) -> Any:
    """A bm25s index over the segments' terms (a segment without any gets the empty term, as bm25s expects)."""
    import bm25s

    model = bm25s.BM25()
    if not len(segments):
        return model
    texts = segments.texts() if isinstance(segments, SegmentTable) else (s.text for s in segments)
    vocabulary: dict[str, int] = {}
    add = vocabulary.setdefault
    ids = [[add(t, len(vocabulary)) for t in (terms(text) or [""])] for text in texts]
    model.index((ids, vocabulary), show_progress=False)
    del ids
    release_free_memory()
    return model


_CORPORA: dict[str, Corpus] = {}
_CACHE_LOCK = threading.Lock()


def corpus_for(project: Any) -> Corpus:
    """The project's corpus, from this process's cache when segments and attributes are unchanged (checked by a
    fingerprint of the store, and that only after something was written: at a million segments it takes a second)."""
    folder = str(project.folder.resolve())
    stamp = project.store.change_stamp()
    with _CACHE_LOCK:
        cached = _CORPORA.get(folder)
        if cached is not None and cached.stamp[:1] and cached.stamp[0]() is project.store and cached.stamp[1] == stamp:
            return cached
    key = f"{folder}:{project.store.corpus_fingerprint()}"
    if cached is not None and cached.key == key:
        cached.stamp = (weakref.ref(project.store), stamp)
        return cached
    corpus = read_corpus(project.store, key)
    corpus.stamp = (weakref.ref(project.store), stamp)
    with _CACHE_LOCK:
        _CORPORA[folder] = corpus
    return corpus


def read_corpus(store: Any, key: str) -> Corpus:
    """Read every segment, a few documents at a time, into a :class:`Corpus`."""
    participants = store.participants()
    documents = store.documents()
    document_attributes = {d["id"]: d["attributes"] for d in documents}
    table = SegmentTable()
    attributes: list[dict[str, str]] = []
    pool: dict[tuple, dict[str, str]] = {}  # segments of one speaker share one dict: a million segments, few people
    for group in _document_groups(documents):
        chunk = store.segments(document_ids=group)
        table.append_all(chunk)
        attributes += [shared(effective_attributes(s, participants, document_attributes.get(s.document_id, {})), pool)
                       for s in chunk]
        del chunk
    table.finish()
    scopes: dict[str, str] = {}
    for values in participants.values():
        scopes.update(dict.fromkeys(values, "participant"))
    for values in document_attributes.values():
        for k in values:
            scopes.setdefault(k, "document")
    interviewer = np.array(table.interviewer, dtype=bool)
    vocabulary = build_vocabulary((a for a, asked in zip(attributes, interviewer) if not asked),
                                  scopes=scopes, participants=participants)
    ids = table.numbers[:, 0].copy()
    release_free_memory()
    return Corpus(key=key, segments=table, attributes=attributes, row=RowOf(ids), ids=ids, interviewer=interviewer,
                  vocabulary=vocabulary, participants=table.participants)


def release_free_memory() -> None:
    """Hand memory freed after a large build back to the system (glibc keeps it otherwise: reading a million
    segments left the process 2-3 times larger than what it kept). Does nothing where there is no glibc."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _document_groups(documents: list[dict[str, Any]]) -> Iterator[list[int]]:
    """Document ids in order, grouped so that a group holds about :data:`READ_SEGMENTS` segments."""
    group: list[int] = []
    size = 0
    for document in sorted(documents, key=lambda d: d["id"]):
        group.append(int(document["id"]))
        size += int(document.get("segments") or 0)
        if size >= READ_SEGMENTS:
            yield group
            group, size = [], 0
    if group:
        yield group


def shared(attributes: dict[str, Any], pool: dict[tuple, dict[str, Any]]) -> dict[str, Any]:
    """One dict for equal attribute dicts (a dict with an unhashable value keeps its own)."""
    try:
        return pool.setdefault(tuple(sorted(attributes.items())), attributes)
    except TypeError:
        return attributes
