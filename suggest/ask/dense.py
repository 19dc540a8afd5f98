"""Ask's dense half: the project's vector index against the question's vector, and the ranked lists Ask fuses.

With an exact index (every project below :data:`index.vectors.APPROXIMATE_FROM` segments) every segment gets
its cosine from one matrix-vector product, and Ask ranks every segment as it always did. With the IVF index of a
large project, only the :data:`CANDIDATES` nearest segments that pass the filters are scored (the rest are NaN),
the best :data:`RERANK` of them exactly from the vector cache (8-bit codes blur near-ties; the rest keep their
approximate score, never above the lowest exact one, so none jumps ahead of a re-scored segment), and each ranked list
Ask fuses is cut to its best :data:`CANDIDATES` rows: a row ranked past 1,000 adds under 1/1060 to a fused score.
The index is cached per process, keyed by its files' size and time and by the corpus.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from index import VectorIndex
from index.errors import ProjectError

CANDIDATES = 1000  # with an approximate index (a large project), each ranked list contributes its best 1,000 rows
RERANK = 100  # ... and the best 100 of the dense list are re-scored exactly
_INDEXES: dict[str, tuple] = {}
_LOCK = threading.Lock()


def _load_index(project: Any, corpus: Any) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    """The project's index (cached by its files' size and time), per stored vector its corpus row (-1: a
    segment no longer in the project), and the corpus rows in order of segment id. Refuses an index missing
    segments of the corpus."""
    meta = project.index_dir / "segments.meta.json"
    faiss_file = project.index_dir / "segments.faiss"
    if not meta.exists() or not faiss_file.exists():
        project.load_index()  # raises the error that says how to build one
    stamp = (tuple((p.stat().st_size, p.stat().st_mtime_ns) for p in (meta, faiss_file)), corpus.key)
    folder = str(project.folder.resolve())
    with _LOCK:
        cached = _INDEXES.get(folder)
        if cached is not None and cached[0] == stamp:
            return cached[1:]
    index = project.load_index()
    ids = index.ids
    order = np.argsort(corpus.ids)
    where = np.minimum(np.searchsorted(corpus.ids, ids, sorter=order), max(len(order) - 1, 0))
    rows = np.where(corpus.ids[order[where]] == ids, order[where], -1) if len(order) else np.full(len(ids), -1)
    missing = len(corpus.ids) - int(np.unique(rows[rows >= 0]).size)
    if missing:
        raise ProjectError(f"the search index is out of date: {missing} of {len(corpus.ids)} segments are not in it",
                           file=str(project.folder), fix=f"run `codeseed index {project.folder}`")
    with _LOCK:
        _INDEXES[folder] = (stamp, index, rows, order)
    return index, rows, order


def dense_scores(project: Any, corpus: Any, query_vector: np.ndarray,
                 allowed: np.ndarray | None = None) -> np.ndarray:
    """Cosine to the query per corpus row. An exact index scores every row; an approximate one (a large
    project) scores the :data:`CANDIDATES` nearest rows among ``allowed`` (a boolean mask) and leaves NaN
    elsewhere. Refuses an index missing segments."""
    index, rows, by_id = _load_index(project, corpus)
    scores = np.full(len(corpus.segments), np.nan, dtype=np.float32)
    if not len(index):
        return scores
    if index.exact:
        _, values = index.similarities(query_vector)
        known = rows >= 0
        scores[rows[known]] = values[known]
        return scores
    ids = None if allowed is None or allowed.all() else corpus.ids[allowed]
    found = index.search(query_vector, CANDIDATES, allowed=ids)[0]
    if found:
        pairs = np.array(found, dtype=np.float64)
        rows = by_id[np.searchsorted(corpus.ids, pairs[:, 0].astype(np.int64), sorter=by_id)]
        scores[rows] = pairs[:, 1]
        best = rows[:RERANK]  # 8-bit codes blur near-ties: the best few get their exact cosine from the vector cache
        vectors, _ = project.embed([corpus.text(r) for r in best])
        scores[best] = np.asarray(vectors, dtype=np.float32) @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        rest = rows[RERANK:]  # an approximate score can be a little above the exact one: rank these after the best
        scores[rest] = np.minimum(scores[rest], scores[best].min())
    return scores


def top_rows(scores: np.ndarray, rows: np.ndarray, limit: int | None) -> np.ndarray:
    """``rows`` with a score, best first (ties keep the order of ``rows``); only the best ``limit`` if given."""
    rows = rows[~np.isnan(scores[rows])]
    if limit is not None and rows.size > limit:
        rows = np.sort(rows[np.argpartition(-scores[rows], limit - 1)[:limit]])
    return rows[np.argsort(-scores[rows], kind="stable")]


def rank_of(order: np.ndarray, size: int) -> np.ndarray:
    """Per row, its 1-based place in ``order`` (0 where absent)."""
    ranks = np.zeros(size, dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks
