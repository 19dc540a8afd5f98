"""The k most similar examples to each query vector: an exact blocked matrix product for a few thousand examples,
a FAISS inverted-file index past :data:`EXACT_BELOW`.

Why two ways: below some tens of thousands of examples, one matrix product is a few milliseconds and never
misses a neighbour. Past that it is linear in the examples and memory-bound (100,000 examples are 150 MB of
vectors read for every query), while an inverted file (k-means lists holding 8-bit codes, a quarter of the
bytes) reads only the ``nprobe`` lists nearest to the query. Its best ``2k`` candidates are then re-scored
exactly from the float32 vectors, so the similarities returned (the neighbours' vote weights) are exact. Its
recall@k against the exact search is measured by ``benchmarks/suggest_latency.py``.

Why blocked: a batch of queries against every example makes a (queries × examples) matrix; blocks of
queries keep it under :data:`BLOCK_CELLS` floats (32 MB), so memory stays bounded whatever the batch.

Rows can be left out per query (``skip``: the query's own segment) and altogether (``active``: examples whose
codings were all undone). Fewer than k neighbours come padded with row ``-1`` and similarity ``-inf``, as
FAISS pads its answers. Pure arrays in, arrays out: no project, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.vectors import faiss_threads

EXACT_BELOW = 20_000  # examples; from here on the FAISS index answers (benchmarks/suggest_latency.py)
BLOCK_CELLS = 8_000_000  # floats in one block of query-by-example similarities (32 MB)
FEW_QUERIES = 20  # below this many queries at once, the exact search scans with FAISS on one thread
NPROBE_SHARE = 0.05  # share of the lists an IVF search scans: recall@15 >= 0.99 on the benchmarks


class Neighbours:
    """Nearest examples by inner product (cosine for unit vectors), exact or through FAISS by size."""

    def __init__(self, vectors: np.ndarray, *, exact_below: int = EXACT_BELOW) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-d array (one row per example)")
        self.dimension = vectors.shape[1]
        self.exact_below = exact_below
        self._vectors = vectors
        self._ivf = None
        if len(vectors) >= exact_below:
            self._ivf = _ivf_index(vectors)

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def exact(self) -> bool:
        return self._ivf is None

    def add(self, vectors: np.ndarray) -> None:
        """Append examples (rows continue after the existing ones)."""
        vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        self._vectors = np.vstack([self._vectors, vectors])
        if self._ivf is not None:
            self._ivf.add(vectors)

    def search(self, queries: np.ndarray, k: int, *, skip: Sequence[int | None] | None = None,
               active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, similarities)``, each (len(queries), k), best first; row -1 / -inf where fewer than k exist.

        ``skip[q]`` is a row query q must not return; ``active`` (bool per row) leaves out the False rows.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        skip = list(skip) if skip is not None else [None] * len(queries)
        if len(skip) != len(queries):
            raise ValueError("skip needs one entry per query")
        k = int(k)
        rows = np.full((len(queries), max(k, 0)), -1, dtype=np.int64)
        sims = np.full(rows.shape, -np.inf, dtype=np.float32)
        if k <= 0 or len(self._vectors) == 0 or len(queries) == 0:
            return rows, sims
        search = self._exact_block if self._ivf is None else self._ivf_block
        step = max(1, BLOCK_CELLS // len(self._vectors))
        for start in range(0, len(queries), step):
            stop = start + step
            rows[start:stop], sims[start:stop] = search(queries[start:stop], k, skip[start:stop], active)
        return rows, sims

    def _exact_block(self, queries, k, skip, active):
        if len(queries) < FEW_QUERIES:  # FAISS's one-thread scan: a threaded BLAS call waits for a busy core
            import faiss

            wanted = min(len(self._vectors), k + 1 + _inactive(active))
            with faiss_threads(1):
                found_sims, found = faiss.knn(queries, self._vectors, wanted, metric=faiss.METRIC_INNER_PRODUCT)
            return _best_allowed(found, found_sims, k, skip, active)
        sims = queries @ self._vectors.T
        if active is not None:
            sims[:, ~np.asarray(active, dtype=bool)] = -np.inf
        for q, row in enumerate(skip):
            if row is not None and 0 <= row < sims.shape[1]:
                sims[q, row] = -np.inf
        return top_k(sims, k)

    def _ivf_block(self, queries, k, skip, active):
        wanted = min(len(self._vectors), 2 * k + 1 + _inactive(active))  # room to re-score and to filter out
        with faiss_threads(1 if len(queries) == 1 else None):
            _, found = self._ivf.search(queries, wanted)
        found_sims = np.einsum("qd,qkd->qk", queries, self._vectors[np.where(found < 0, 0, found)])  # exact cosines
        return _best_allowed(found, found_sims, k, skip, active)


def _inactive(active: np.ndarray | None) -> int:
    return 0 if active is None else int(len(active) - np.count_nonzero(active))


def _best_allowed(found: np.ndarray, found_sims: np.ndarray, k: int, skip, active) -> tuple[np.ndarray, np.ndarray]:
    """The best k of FAISS's candidates once padding, skipped and inactive rows are taken out."""
    bad = found < 0
    if active is not None:
        bad |= ~np.asarray(active, dtype=bool)[np.where(found < 0, 0, found)]
    for q, row in enumerate(skip):
        if row is not None:
            bad[q] |= found[q] == row
    rows, sims = top_k(np.where(bad, -np.inf, found_sims).astype(np.float32), k)
    picked = rows >= 0
    rows[picked] = np.take_along_axis(found, np.where(picked, rows, 0), axis=1)[picked]
    return rows, sims


def top_k(sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest entries of each row of ``sims`` (best first, ties by lower column); -inf entries become
    row -1, and rows shorter than k are padded with -1 / -inf."""
    n, m = sims.shape
    width = min(k, m)
    rows = np.full((n, k), -1, dtype=np.int64)
    out = np.full((n, k), -np.inf, dtype=np.float32)
    if width == 0:
        return rows, out
    top = np.argpartition(-sims, width - 1, axis=1)[:, :width] if width < m else np.tile(np.arange(m), (n, 1))
    top_sims = np.take_along_axis(sims, top, axis=1)
    order = np.lexsort((top, -top_sims), axis=1)
    rows[:, :width] = np.take_along_axis(top, order, axis=1)
    out[:, :width] = np.take_along_axis(top_sims, order, axis=1)
    rows[~np.isfinite(out)] = -1
    return rows, out


def _ivf_index(vectors: np.ndarray):
    """An inner-product IVF index with 8-bit codes, about sqrt(n) lists, trained on a sample of the vectors."""
    import faiss

    n, d = vectors.shape
    lists = int(max(1, min(round(np.sqrt(n)), n // 40)))
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(d), d, lists, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).permutation(n)[: 40 * lists]]
    index.train(sample)
    index.add(vectors)
    index.nprobe = max(1, int(np.ceil(NPROBE_SHARE * lists)))
    return index
