"""Nearest-neighbour search over unit vectors, saved next to a description of how it was built.

Two kinds, chosen by :func:`choose_kind` from the number of vectors and recorded in the meta file:

* ``exact`` (``IndexFlatIP``) below :data:`APPROXIMATE_FROM` vectors: a qualitative project has
  thousands to a few hundred thousand segments; brute-force inner product over 384-d float32 is
  milliseconds at that size and never misses a neighbour.
* ``ivf-sq8`` (``IndexIVFScalarQuantizer``, 8 bits per dimension) from there on: at a million segments
  float32 vectors alone take 1.5 GB and a full scan is memory-bound; 8-bit codes take a quarter of that
  and a query scans only the ``nprobe`` lists nearest to it. It is approximate: its recall@10 against
  the exact index is measured by ``benchmarks/ask_scale.py`` (and stated in docs/benchmarks.md).

Vectors are unit length, so inner product equals cosine similarity.

Why ``IndexIDMap2``: segments keep their own int64 ids, can be removed when a
transcript changes, and ``ids`` can be read back to check the index against the
project.

Why a ``.meta.json`` beside the ``.faiss`` file: a FAISS file does not say
which model made its vectors. Searching with query vectors from another model
returns confident nonsense, so loading refuses an index built with a different
model or dimension.

FAISS is imported lazily so ``import index`` stays light.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexMismatchError

META_FORMAT = 1
REBUILD_FIX = "run `codeseed index PROJECT --rebuild`"
EXACT, IVF_SQ8 = "exact", "ivf-sq8"
KINDS = (EXACT, IVF_SQ8)
APPROXIMATE_FROM = 100_000  # vectors; below this the exact index is fast enough (benchmarks/ask_scale.py)
TRAIN_PER_LIST = 40  # k-means sample per inverted list (FAISS warns below 39)
LISTS_PER_ROOT = 2  # inverted lists per sqrt(vectors): finer lists find more of the nearest per vector scanned
PROBE_SHARE = 0.2  # share of the lists a query scans (benchmarks/ask_scale_index.py: recall@10 against exact)
NPROBE = 128  # lists scanned by an index saved before its description recorded ``nprobe``


def choose_kind(count: int) -> str:
    """The index kind for ``count`` vectors: exact below :data:`APPROXIMATE_FROM`, else ``ivf-sq8``."""
    return IVF_SQ8 if int(count) >= APPROXIMATE_FROM else EXACT


def lists_for(count: int) -> int:
    """Inverted lists for ``count`` vectors: about 2 sqrt(count), each with enough vectors to train on."""
    return int(max(1, min(round(LISTS_PER_ROOT * np.sqrt(max(count, 1))), max(count, 1) // TRAIN_PER_LIST, 65_536)))


def nprobe_for(lists: int) -> int:
    """Lists a query scans: :data:`PROBE_SHARE` of them (at least one)."""
    return int(max(1, min(lists, np.ceil(PROBE_SHARE * lists))))


class IndexCorruptError(IndexMismatchError):
    """The saved index files are missing, unreadable, or disagree with each other."""


def normalise(vectors: Any) -> np.ndarray:
    """Return a C-contiguous float32 copy of ``vectors`` with each row scaled to unit length.

    A 1-d input is treated as one row. All-zero rows stay zero (there is no
    direction to keep) instead of becoming NaN.
    """
    array = np.array(vectors, dtype=np.float32, copy=True, ndmin=2, order="C")
    if array.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {array.shape}")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    np.divide(array, norms, out=array, where=norms > 0)
    return array


def _as_ids(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    array = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError("ids must be a 1-d sequence of integers")
    return np.ascontiguousarray(array, dtype=np.int64)


def _write_atomic(path: Path, data: bytes | Callable[[str], None]) -> None:
    """Write to a temp file in the same folder, fsync, then ``os.replace``: readers never see half a file.

    ``data`` is the bytes, or a function that writes the temp file given its path (FAISS writes a large index
    straight to the file, instead of into a buffer of its size and then a copy of that).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "r+b") as handle:
            if callable(data):
                data(tmp)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def faiss_threads(count: int | None) -> Iterator[None]:
    """FAISS's OpenMP threads for a block: one query gains nothing from a second thread, and on a busy machine
    waiting for it made a search three times slower (measured at 20,000 vectors on 2 cores)."""
    import faiss

    if count is None:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class VectorIndex:
    """Inner-product index over unit vectors keyed by int64 ids: exact, or IVF with 8-bit codes (see the module)."""

    def __init__(self, dimension: int, model: str, *, kind: str = EXACT, lists: int | None = None) -> None:
        import faiss

        if int(dimension) < 1:
            raise ValueError("dimension must be positive")
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; expected one of {', '.join(KINDS)}")
        self.dimension = int(dimension)
        self.model = str(model)
        self.kind = kind
        self.lists = 0 if kind == EXACT else int(lists or 1)
        self.nprobe = 0 if kind == EXACT else nprobe_for(self.lists)
        if kind == EXACT:
            inner = faiss.IndexFlatIP(self.dimension)
        else:
            inner = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(self.dimension), self.dimension, self.lists,
                                                  faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        self._index = faiss.IndexIDMap2(inner)

    @classmethod
    def for_count(cls, dimension: int, model: str, count: int, kind: str = "auto") -> VectorIndex:
        """An empty index of the kind that suits ``count`` vectors (``kind="auto"``) or of the kind asked for."""
        kind = choose_kind(count) if kind == "auto" else kind
        return cls(dimension, model, kind=kind, lists=lists_for(count) if kind != EXACT else None)

    def __repr__(self) -> str:
        return f"VectorIndex(dimension={self.dimension}, model={self.model!r}, kind={self.kind!r}, count={len(self)})"

    @property
    def exact(self) -> bool:
        return self.kind == EXACT

    @property
    def is_trained(self) -> bool:
        """False for an IVF index before :meth:`train`; an exact index needs no training."""
        return bool(self._index.index.is_trained)

    def train(self, sample: Any) -> None:
        """Learn the IVF lists (k-means) and the 8-bit ranges from a sample of the vectors to come."""
        array = self._check_vectors(sample)
        if not self.exact and array.shape[0] < self.lists:
            raise ValueError(f"training needs at least {self.lists} vectors (one per list), got {array.shape[0]}")
        self._index.train(array)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def ids(self) -> np.ndarray:
        """The stored ids in insertion order (a copy)."""
        import faiss

        return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=True)

    def _check_vectors(self, vectors: Any) -> np.ndarray:
        array = normalise(vectors)
        if array.shape[1] != self.dimension:
            raise ValueError(f"vectors have dimension {array.shape[1]}, index has {self.dimension}")
        return array

    def add(self, vectors: Any, ids: Iterable[int] | np.ndarray) -> None:
        """Add vectors (normalised here, so callers cannot forget) under unique ids."""
        id_array = _as_ids(ids)
        if id_array.size == 0 and np.size(vectors) == 0:
            return
        if not self.is_trained:
            raise ValueError(f"a {self.kind} index must be trained before vectors are added (call train)")
        array = self._check_vectors(vectors)
        if array.shape[0] != id_array.shape[0]:
            raise ValueError(f"{array.shape[0]} vectors but {id_array.shape[0]} ids")
        if np.unique(id_array).size != id_array.size:
            raise ValueError("ids must be unique within one add() call")
        clash = np.intersect1d(id_array, self.ids)
        if clash.size:
            raise ValueError(f"ids already in the index: {clash[:5].tolist()} (remove them first)")
        self._index.add_with_ids(array, id_array)

    def remove(self, ids: Iterable[int] | np.ndarray) -> int:
        """Remove the given ids (unknown ids are ignored); returns how many were removed."""
        import faiss

        id_array = _as_ids(ids)
        if id_array.size == 0 or len(self) == 0:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(id_array)))

    def search(self, queries: Any, k: int, *, allowed: Iterable[int] | np.ndarray | None = None,
               ) -> list[list[tuple[int, float]]]:
        """For each query, up to ``k`` ``(id, score)`` pairs, best first; score is cosine similarity.

        ``allowed`` (ids) restricts the search to those vectors; an IVF index then scans proportionally more
        lists, so a narrow filter still finds its nearest members. FAISS pads with id -1 when fewer than
        ``k`` vectors exist; those are dropped, so an empty index gives empty lists.
        """
        array = self._check_vectors(queries) if np.size(queries) else np.zeros((0, self.dimension), np.float32)
        if array.shape[0] == 0:
            return []
        k = min(int(k), len(self))
        if k <= 0:
            return [[] for _ in range(array.shape[0])]
        params, _keep = self._search_parameters(None if allowed is None else _as_ids(allowed))
        with faiss_threads(1 if array.shape[0] == 1 else None):
            scores, found = self._index.search(array, k, params=params)
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i != -1]
            for row_ids, row_scores in zip(found, scores)
        ]

    def _search_parameters(self, allowed: np.ndarray | None) -> tuple[Any, Any]:
        """FAISS search parameters (nprobe, id selector) and the buffer the selector points into."""
        import faiss

        selector, buffer = None, None
        if allowed is not None:
            if allowed.size and 0 <= allowed.min() and allowed.max() < 1 << 27:  # a bitmap of at most 16 MB
                mask = np.zeros(int(allowed.max()) + 1, dtype=bool)
                mask[allowed] = True
                buffer = np.packbits(mask, bitorder="little")
                selector = faiss.IDSelectorBitmap(buffer.size, faiss.swig_ptr(buffer))  # size in bytes
            else:
                buffer = allowed
                selector = faiss.IDSelectorBatch(allowed.size, faiss.swig_ptr(allowed))
        if self.exact:
            return (faiss.SearchParameters(sel=selector) if selector is not None else None), buffer
        share = 1.0 if allowed is None else max(allowed.size, 1) / max(len(self), 1)
        nprobe = int(min(self.lists, np.ceil(self.nprobe / min(1.0, share))))
        return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe), buffer

    def similarities(self, query: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, cosine)`` of *every* stored vector to one query, in insertion order (exact index only).

        One matrix-vector product over FAISS's own storage (no copy): what a ranking of the whole corpus needs.
        """
        import faiss

        if not self.exact:
            raise ValueError("similarities() needs an exact index; an IVF index answers search() only")
        vector = self._check_vectors(query)
        if vector.shape[0] != 1:
            raise ValueError("similarities() takes one query vector")
        n = len(self)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        flat = faiss.downcast_index(self._index.index)
        stored = faiss.rev_swig_ptr(flat.get_xb(), n * self.dimension).reshape(n, self.dimension)
        return self.ids, stored @ vector[0]

    # ---- persistence -------------------------------------------------------------------------

    @staticmethod
    def paths(directory: str | os.PathLike[str], name: str = "segments") -> tuple[Path, Path]:
        """``(<name>.faiss, <name>.meta.json)`` inside ``directory``."""
        folder = Path(directory)
        return folder / f"{name}.faiss", folder / f"{name}.meta.json"

    @classmethod
    def exists(cls, directory: str | os.PathLike[str], name: str = "segments") -> bool:
        """True when both files of a saved index are present."""
        return all(p.is_file() for p in cls.paths(directory, name))

    def save(self, directory: str | os.PathLike[str], name: str = "segments") -> None:
        """Write ``<name>.faiss`` then ``<name>.meta.json``, each atomically.

        The meta records count and ids, so a crash between the two writes is
        detected on load as a disagreement rather than trusted.
        """
        import faiss

        index_path, meta_path = self.paths(directory, name)
        index_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(index_path, lambda tmp: faiss.write_index(self._index, tmp))
        meta = {
            "format": META_FORMAT,
            "model": self.model,
            "dimension": self.dimension,
            "normalised": True,
            "metric": "inner_product",
            "kind": self.kind,
            "lists": self.lists,
            "nprobe": self.nprobe,
            "count": len(self),
            "ids": self.ids.tolist(),
            "faiss_version": getattr(faiss, "__version__", "unknown"),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        _write_atomic(meta_path, (json.dumps(meta, indent=1) + "\n").encode("utf-8"))

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        name: str = "segments",
        *,
        expect_model: str | None = None,
        expect_dimension: int | None = None,
    ) -> VectorIndex:
        """Load a saved index, refusing one built with another model/dimension or damaged on disk."""
        import faiss

        index_path, meta_path = cls.paths(directory, name)
        missing = [p.name for p in (index_path, meta_path) if not p.is_file()]
        if missing:
            raise IndexCorruptError(
                f"No saved vector index in {Path(directory)}: missing {', '.join(missing)}.", fix=REBUILD_FIX
            )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            model, dimension = str(meta["model"]), int(meta["dimension"])
            count, ids = int(meta["count"]), np.asarray(meta["ids"], dtype=np.int64)
            if meta.get("metric") != "inner_product" or meta.get("normalised") is not True:
                raise ValueError(f"unsupported metric {meta.get('metric')!r}")
            kind = str(meta.get("kind", EXACT))  # indexes saved before kinds existed are exact
            if kind not in KINDS:
                raise ValueError(f"index kind {kind!r} is not one this version reads ({', '.join(KINDS)})")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"Index description {meta_path} is unreadable: {exc}", fix=REBUILD_FIX) from exc

        if expect_model is not None and model != expect_model:
            raise IndexMismatchError(
                f"The vector index in {Path(directory)} was built with model {model!r}, "
                f"but the current model is {expect_model!r}; its vectors cannot be compared.",
                fix=REBUILD_FIX,
            )
        if expect_dimension is not None and dimension != int(expect_dimension):
            raise IndexMismatchError(
                f"The vector index in {Path(directory)} has dimension {dimension}, "
                f"but the current model produces {expect_dimension}.",
                fix=REBUILD_FIX,
            )
        try:
            raw = faiss.read_index(str(index_path))
            index = faiss.downcast_index(raw) if not isinstance(raw, faiss.IndexIDMap2) else raw
        except Exception as exc:  # noqa: BLE001 - FAISS raises RuntimeError with C++ text
            raise IndexCorruptError(f"Vector index file {index_path} is unreadable: {exc}", fix=REBUILD_FIX) from exc
        if not isinstance(index, faiss.IndexIDMap2):
            raise IndexCorruptError(f"Vector index file {index_path} has an unexpected type.", fix=REBUILD_FIX)
        stored_ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        if index.d != dimension or index.ntotal != count or not np.array_equal(stored_ids, ids):
            raise IndexCorruptError(
                f"Vector index {index_path} disagrees with {meta_path.name} "
                f"(dimension {index.d} vs {dimension}, count {index.ntotal} vs {count}); "
                "it was probably interrupted while saving.",
                fix=REBUILD_FIX,
            )
        if (kind == EXACT) != isinstance(faiss.downcast_index(index.index), faiss.IndexFlat):
            raise IndexCorruptError(f"Vector index file {index_path} is not the {kind} index its description names.",
                                    fix=REBUILD_FIX)
        obj = cls.__new__(cls)
        obj.dimension, obj.model, obj._index, obj.kind = dimension, model, index, kind
        obj.lists = int(meta.get("lists", 0)) if kind != EXACT else 0
        obj.nprobe = int(meta.get("nprobe", NPROBE)) if kind != EXACT else 0
        return obj
