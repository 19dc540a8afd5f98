"""Hybrid retrieval for Ask: dense (the project's FAISS index) and lexical (BM25) search over every segment,
fused by reciprocal rank, boosted for segments coded with the related codes, hard-filtered by metadata.

Why hybrid: the embedding finds "felt judged" for a question about stigma; BM25 finds the rare exact
word ("DBT", a place name) that an embedding blurs. Reciprocal rank fusion (Cormack et al. 2009) needs
no calibration between the two score scales: each list contributes ``1 / (RRF_K + rank)``.

Why filters are hard: "in generic services" is a fact about who spoke, not a preference; a quote from
a specialist service ranked a little lower would be a wrong answer, not a weaker one.

Why codes boost and do not filter: codings are incomplete by nature (that is why the researcher asks),
so coded segments rise by as much as a first place in one list, and uncoded ones still appear.

Per-process caches, keyed so they cannot go stale: the segments with their effective attributes and the
BM25 index (keyed by the project's segment ids, document and participant attributes), the FAISS index
(keyed by its files' size and time; see ``dense.py``), code vectors (by model and code text). Nothing is written to disk:
the BM25 index lives in memory and is rebuilt in a second when a new process first asks.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index import text_hash

from suggest.ask.dense import CANDIDATES, dense_scores, rank_of, top_rows
from suggest.ask.understanding import Filter, Understanding, Vocabulary, build_vocabulary
from suggest.ask.words import terms
from index.ingest.attributes import effective_attributes
from index.types import Code, Segment

RRF_K = 60
CODE_BOOST = 1.0 / (RRF_K + 1)  # a segment coded with a related code gains as much as a first place in one list
DUPLICATE_COSINE = 0.95  # above this two segments say the same thing: keep the better ranked one
MIN_SIMILARITY = 0.15  # a segment this far from the topic, with no shared word and no related code, is not an answer


# -- the corpus: segments with their effective attributes ------------------------------------------
@dataclass
class Corpus:
    """Every segment of a project, its effective attributes and what search needs, built once per process."""

    key: str
    segments: list[Segment]
    attributes: list[dict[str, str]]  # participant's, then document's, then segment's own attributes
    row: dict[int, int]  # segment id -> row
    ids: np.ndarray  # segment id per row
    interviewer: np.ndarray  # bool per row
    vocabulary: Vocabulary
    stamp: tuple = field(default=(), repr=False)  # (the store, its change stamp) when ``key`` was last checked
    _bm25: Any = field(default=None, repr=False)
    _columns: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    def bm25(self) -> Any:
        """The BM25 index over every segment's terms (bm25s; built on first use, kept in memory)."""
        with self._lock:
            if self._bm25 is None:
                import bm25s

                tokens = [terms(s.text) or [""] for s in self.segments]
                model = bm25s.BM25()
                if tokens:
                    model.index(tokens, show_progress=False)
                self._bm25 = model
            return self._bm25


_CORPORA: dict[str, Corpus] = {}
_CODE_VECTORS: dict[tuple[str, str], np.ndarray] = {}
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
    segments = project.store.segments()
    participants = project.store.participants()
    documents = {d["id"]: d["attributes"] for d in project.store.documents()}
    pool: dict[tuple, dict[str, str]] = {}  # segments of one speaker share one dict: a million segments, few people
    attributes = [_shared(effective_attributes(s, participants, documents.get(s.document_id, {})), pool)
                  for s in segments]
    scopes: dict[str, str] = {}
    for values in participants.values():
        scopes.update(dict.fromkeys(values, "participant"))
    for values in documents.values():
        for k in values:
            scopes.setdefault(k, "document")
    vocabulary = build_vocabulary((a for a, s in zip(attributes, segments) if not s.is_interviewer),
                                  scopes=scopes, participants=participants)
    corpus = Corpus(
        key=key, segments=segments, attributes=attributes,
        row={s.id: i for i, s in enumerate(segments)}, ids=np.array([s.id for s in segments], dtype=np.int64),
        interviewer=np.array([s.is_interviewer for s in segments], dtype=bool), vocabulary=vocabulary,
    )
    corpus.stamp = (weakref.ref(project.store), stamp)
    with _CACHE_LOCK:
        _CORPORA[folder] = corpus
    return corpus


def _shared(attributes: dict[str, str], pool: dict[tuple, dict[str, str]]) -> dict[str, str]:
    try:
        return pool.setdefault(tuple(sorted(attributes.items())), attributes)
    except TypeError:  # an unhashable value: keep this segment's own dict
        return attributes


# -- the parts of a search, each a function of arrays ----------------------------------------------
def filter_mask(corpus: Corpus, filters: Iterable[Filter]) -> np.ndarray:
    """True where a segment satisfies every filter (values of one filter are alternatives)."""
    mask = np.ones(len(corpus.segments), dtype=bool)
    for f in filters:
        values, codes = corpus.column_codes(f.key)
        mask &= np.isin(codes, [i for i, v in enumerate(values) if v in f.values])
    return mask


def bm25_scores(corpus: Corpus, query_terms: Sequence[str]) -> np.ndarray:
    """BM25 score of every segment for the query terms (zeros when no term occurs in the project)."""
    scores = np.zeros(len(corpus.segments), dtype=np.float32)
    if not query_terms or not corpus.segments:
        return scores
    model = corpus.bm25()
    known = [t for t in query_terms if t in model.vocab_dict]
    if not known:
        return scores
    return np.asarray(model.get_scores(known), dtype=np.float32)


def lexical_scores(corpus: Corpus, query_terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(ordering key, BM25) per segment. The key ranks segments holding more of the distinct query terms
    first and BM25 within: BM25 alone lets a two-word comment with the common term ("care") beat one with
    both ("care plan"). Measured on the NHS benchmark: precision@10 0.453 -> 0.467 for BM25 alone."""
    scores = bm25_scores(corpus, query_terms)
    if not scores.any():
        return scores, scores
    model = corpus.bm25()
    matched = np.zeros(len(scores), dtype=np.float64)
    for term in {t for t in query_terms if t in model.vocab_dict}:
        matched += np.asarray(model.get_scores([term])) > 0
    return matched * (float(scores.max()) + 1.0) + scores, scores


def reciprocal_rank_fusion(rankings: Iterable[np.ndarray], size: int, k: int = RRF_K) -> np.ndarray:
    """``sum 1 / (k + rank)`` over the rankings (arrays of row numbers, best first; rank starts at 1)."""
    fused = np.zeros(size, dtype=np.float64)
    for ranking in rankings:
        ranking = np.asarray(ranking, dtype=np.int64)
        fused[ranking] += 1.0 / (k + np.arange(1, len(ranking) + 1))
    return fused


def ranked(scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` ordered by ``scores`` (best first); ties keep the order of ``rows``."""
    return rows[np.argsort(-scores[rows], kind="stable")]


def fold_near_duplicates(order: Sequence[int], vectors: np.ndarray, hashes: Sequence[str],
                         threshold: float = DUPLICATE_COSINE, limit: int | None = None) -> list[tuple[int, list[int]]]:
    """Walk ``order`` (positions into ``vectors``/``hashes``, best first) and keep an item unless it has the
    text of, or a cosine above ``threshold`` with, an item already kept; returns (kept, [folded into it])."""
    kept: list[tuple[int, list[int]]] = []
    kept_vectors: list[np.ndarray] = []
    by_hash: dict[str, int] = {}
    for position in order:
        owner = by_hash.get(hashes[position])
        if owner is None and kept_vectors:
            similarities = np.stack(kept_vectors) @ vectors[position]
            best = int(np.argmax(similarities))
            if similarities[best] > threshold:
                owner = best
        if owner is not None:
            kept[owner][1].append(position)
            continue
        if limit is not None and len(kept) >= limit:
            continue
        by_hash[hashes[position]] = len(kept)
        kept.append((position, []))
        kept_vectors.append(vectors[position])
    return kept


# -- codes -----------------------------------------------------------------------------------------
def descendants(codes: Sequence[Code], code_ids: Iterable[str]) -> dict[str, str]:
    """Each related code and every code below it → the related code it belongs to."""
    children: dict[str, list[str]] = {}
    for c in codes:
        if c.parent:
            children.setdefault(c.parent, []).append(c.id)
    out: dict[str, str] = {}
    for root in code_ids:
        stack = [root]
        while stack:
            current = stack.pop()
            if current not in out:
                out[current] = root
                stack.extend(children.get(current, []))
    return out


def code_similarities(encoder: Any, codes: Sequence[Code], query_vector: np.ndarray) -> dict[str, float]:
    """Cosine of the query to each code's "name: description" (code vectors cached per process)."""
    if not codes:
        return {}
    texts = [f"{c.name}: {c.description}".strip(": ") for c in codes]
    key = (str(getattr(encoder, "identifier", type(encoder).__name__)), "\x1f".join(texts))
    with _CACHE_LOCK:
        vectors = _CODE_VECTORS.get(key)
    if vectors is None:
        vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
        with _CACHE_LOCK:
            _CODE_VECTORS[key] = vectors
    similarities = vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
    return {c.id: float(s) for c, s in zip(codes, similarities)}


# -- search ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    segment: Segment
    attributes: dict[str, str]
    score: float  # fused: reciprocal ranks plus code boost
    dense: float | None  # cosine to the topic
    dense_rank: int | None  # among the segments that pass the filters
    bm25: float | None
    bm25_rank: int | None
    boost: float
    boosted_by: tuple[str, ...]  # related codes the segment carries
    folded: tuple[int, ...]  # segment ids of near-duplicates shown as this one


@dataclass(frozen=True)
class SearchOutcome:
    hits: list[Hit]
    matching: int  # segments that pass the filters (and the interviewer rule)
    reason: str | None  # why nothing was found, when nothing was


def search(project: Any, understanding: Understanding, query_vector: np.ndarray | None, *, k: int = 10,
           include_interviewer: bool = False, codes: Sequence[Code] | None = None,
           corpus: Corpus | None = None) -> SearchOutcome:
    """Rank the segments for an understood question: filter hard, fuse dense and BM25, boost coded, fold."""
    corpus = corpus if corpus is not None else corpus_for(project)
    if not corpus.segments:
        return SearchOutcome([], 0, "the project has no segments yet; import transcripts first")
    if understanding.unmatched:
        reason = "; ".join(f"{u.message} ({u.fix})" for u in understanding.unmatched)
        return SearchOutcome([], 0, reason)
    passes = filter_mask(corpus, understanding.filters)
    allowed = passes if include_interviewer else passes & ~corpus.interviewer
    rows = np.flatnonzero(allowed)
    if rows.size == 0:
        return SearchOutcome([], 0, _why_nothing_passes(corpus, understanding, passes, include_interviewer))

    codes = list(codes if codes is not None else project.codes())
    boost, boosted_by = code_boost(project, corpus, understanding, codes)
    dense = bm25 = None
    dense_rank = bm25_rank = np.zeros(len(corpus.segments), dtype=np.int64)
    if understanding.topic_terms and query_vector is not None:
        dense = dense_scores(project, corpus, query_vector, allowed)
        lexical, bm25 = lexical_scores(corpus, understanding.topic_terms)
        limit = None if np.isfinite(dense[rows]).all() else CANDIDATES  # approximate index: top lists only
        dense_order = top_rows(dense, rows, limit)
        bm25_order = top_rows(lexical, rows[bm25[rows] > 0], limit)
        dense_rank, bm25_rank = rank_of(dense_order, len(dense)), rank_of(bm25_order, len(dense))
        fused = reciprocal_rank_fusion([dense_order, bm25_order], len(corpus.segments)) + boost
        candidates = rows if limit is None else np.union1d(np.union1d(dense_order, bm25_order),
                                                           rows[boost[rows] > 0])
        relevant = candidates[(dense[candidates] >= MIN_SIMILARITY) | (bm25[candidates] > 0)
                              | (boost[candidates] > 0)]
        if relevant.size == 0:
            best = float(np.nanmax(dense[rows])) if np.isfinite(dense[rows]).any() else 0.0
            return SearchOutcome([], int(rows.size),
                                 f"{rows.size} segments match the filters, but none shares a word with "
                                 f"'{understanding.topic}' or comes close in meaning (best similarity {best:.2f})")
        order = ranked(fused, relevant)
    else:
        fused = boost
        order = ranked(boost, rows)  # stable: document order among equals

    window = order[: max(4 * k, 40)]
    vectors, _ = project.embed([corpus.segments[r].text for r in window])
    kept = fold_near_duplicates(range(len(window)), np.asarray(vectors), [text_hash(corpus.segments[r].text) for r in window],
                                limit=k)
    hits = []
    for position, folded in kept[:k]:
        r = int(window[position])
        hits.append(Hit(
            segment=corpus.segments[r], attributes=corpus.attributes[r], score=float(fused[r]),
            dense=None if dense is None or np.isnan(dense[r]) else float(dense[r]),
            dense_rank=int(dense_rank[r]) or None,
            bm25=None if bm25 is None else float(bm25[r]), bm25_rank=int(bm25_rank[r]) or None,
            boost=float(boost[r]), boosted_by=boosted_by.get(r, ()),
            folded=tuple(corpus.segments[int(window[p])].id for p in folded),
        ))
    return SearchOutcome(hits, int(rows.size), None)


def code_boost(project: Any, corpus: Corpus, understanding: Understanding,
               codes: Sequence[Code]) -> tuple[np.ndarray, dict[int, tuple[str, ...]]]:
    """Per row: the boost for carrying a related code (or a code below it), scaled by how related the code is,
    and which related codes it carries."""
    related = {c.id: c.score for c in understanding.codes}
    owners = descendants(codes, related)
    boost = np.zeros(len(corpus.segments), dtype=np.float64)
    boosted_by: dict[int, tuple[str, ...]] = {}
    for segment_id, carried in project.store.segments_coded_with(owners).items():
        row = corpus.row.get(segment_id)
        if row is None:
            continue
        roots = sorted({owners[c] for c in carried})
        boost[row] = CODE_BOOST * max(related[r] for r in roots)
        boosted_by[row] = tuple(roots)
    return boost, boosted_by


def _why_nothing_passes(corpus: Corpus, understanding: Understanding, passes: np.ndarray,
                        include_interviewer: bool) -> str:
    if passes.any() and not include_interviewer:
        return (f"only interviewer turns ({int(passes.sum())}) match the filters; "
                "ask again with --include-interviewer to see them")
    each = []
    for f in understanding.filters:
        alone = filter_mask(corpus, [f]) & (True if include_interviewer else ~corpus.interviewer)
        each.append(f"{f.label} ({int(alone.sum())} segments)")
    return "no segment matches all the filters together: " + " · ".join(each)
