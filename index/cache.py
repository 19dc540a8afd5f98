"""A persistent cache of text vectors, so re-indexing only encodes what changed.

Why: encoding is the slow step (hundreds of segments per second on a laptop
CPU). Researchers re-run indexing after every edit to a transcript; keyed by
(model identifier, sha256 of the text), unchanged segments cost a lookup.

Why SQLite: one file, safe for concurrent readers (WAL), no server, no pickle.
Vectors are stored as raw little-endian float32 bytes with their dimension, so a
blob of the wrong length is detected and treated as missing.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import IndexLayerError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_sha256)
) WITHOUT ROWID
"""
_CHUNK = 500  # stay well under SQLite's bound-parameter limit
CACHE_BATCH = 512  # texts encoded, then cached and committed, at a time: what an interrupted index run can lose
_DTYPE = np.dtype("<f4")


class SupportsEncode(Protocol):
    """What :func:`encode_with_cache` needs from an encoder (the real one or a test fake)."""

    @property
    def identifier(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...


def text_hash(text: str) -> str:
    """sha256 hex digest of the UTF-8 text: the cache key (texts themselves are not stored)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CacheDamagedError(IndexLayerError):
    """The cache file is not a readable SQLite database (a disk fault, a copy cut short, another file renamed)."""

    def __init__(self, path: Path, error: Exception) -> None:
        super().__init__(f"{path}: the vector cache is damaged ({error})",
                         fix=f"delete {path.name} (it is only a cache: the next `codeseed index` encodes every segment "
                             "again); codeseed index does this by itself")
        self.path = path


def _damaged(error: sqlite3.DatabaseError) -> bool:
    """A damaged file, as opposed to a busy or read-only one (sqlite3.OperationalError)."""
    return not isinstance(error, sqlite3.OperationalError) or "malformed" in str(error)


class VectorCache:
    """SQLite file mapping (model identifier, text sha256) to a float32 vector.

    A damaged file raises :class:`CacheDamagedError` (on opening, or when a read finds the damage).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute(_SCHEMA)
                self._conn.commit()
        except sqlite3.DatabaseError as error:
            self._conn.close()
            if _damaged(error):
                raise CacheDamagedError(self.path, error) from None
            raise

    def __enter__(self) -> VectorCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def backup(self, path: str | os.PathLike[str]) -> None:
        """A consistent copy of the cache at ``path`` (SQLite's online backup; this one is only read)."""
        target = sqlite3.connect(path)
        try:
            with self._lock:
                self._conn.backup(target)
        finally:
            target.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors found for ``hashes`` under ``model``; missing or damaged entries are absent."""
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        try:
            self._read(model, wanted, found)
        except sqlite3.DatabaseError as error:
            if _damaged(error):
                raise CacheDamagedError(self.path, error) from None
            raise
        return found

    def _read(self, model: str, wanted: list[str], found: dict[str, np.ndarray]) -> None:
        with self._lock:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT text_sha256, dimension, vector FROM vectors WHERE model = ? AND text_sha256 IN ({marks})",
                    [model, *chunk],
                )
                for key, dim, blob in rows:
                    if len(blob) == dim * _DTYPE.itemsize:
                        found[key] = np.frombuffer(blob, dtype=_DTYPE).astype(np.float32)

    def put_many(self, model: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store one vector per hash (replacing existing entries), in one transaction."""
        array = np.asarray(vectors, dtype=_DTYPE)
        if array.ndim != 2 or array.shape[0] != len(hashes):
            raise ValueError(f"expected {len(hashes)} vectors as a 2-d array, got shape {array.shape}")
        dim = int(array.shape[1])
        rows = [(model, key, dim, np.ascontiguousarray(vec).tobytes()) for key, vec in zip(hashes, array)]
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (model, text_sha256, dimension, vector) VALUES (?, ?, ?, ?)", rows
            )


def set_damaged_cache_aside(path: Path, error: CacheDamagedError) -> str:
    """Move a damaged cache (and its WAL files) to ``NAME.damaged``; returns a note saying so for the user."""
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.replace(path.with_name(path.name + ".damaged" + suffix))
    return (f"{error.message}; it was moved to {path.name}.damaged and a new cache started, so every segment is "
            f"encoded again (delete {path.name}.damaged when you like)")


def open_repairing(path: Path) -> tuple[VectorCache, str | None]:
    """The cache at ``path``; a damaged one is set aside and a new one started, with a note saying so."""
    try:
        return VectorCache(path), None
    except CacheDamagedError as error:
        note = set_damaged_cache_aside(path, error)
        return VectorCache(path), note


def encode_with_cache(
    encoder: SupportsEncode, texts: Sequence[str], cache: VectorCache, *, progress: bool = False,
    batch: int | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` in input order, encoding only texts not cached for this model.

    Identical texts within the call are encoded once. New vectors are cached ``batch`` (default ``CACHE_BATCH``) texts at a time, each
    batch committed, so an interrupted run (a crash, Ctrl-C at 92%) keeps what it encoded and the next run
    encodes only the rest. Returns ``(vectors, n_encoded)``; ``n_encoded`` is 0 when everything was cached.
    """
    texts = list(texts)
    model = encoder.identifier
    hashes = [text_hash(t) for t in texts]
    known = cache.get_many(model, hashes)

    todo: dict[str, str] = {}
    for key, text in zip(hashes, texts):
        if key not in known and key not in todo:
            todo[key] = text
    if todo:
        _encode_in_batches(encoder, todo, cache, known, progress=progress, batch=batch or CACHE_BATCH)

    if not texts:
        return np.zeros((0, encoder.dimension), dtype=np.float32), 0
    return np.stack([known[key] for key in hashes]).astype(np.float32, copy=False), len(todo)


def _encode_in_batches(encoder: SupportsEncode, todo: dict[str, str], cache: VectorCache,
                       known: dict[str, np.ndarray], *, progress: bool, batch: int) -> None:
    """Encode ``todo`` (hash -> text) in batches, caching and committing each batch as soon as it is done."""
    from tqdm.auto import tqdm

    keys = list(todo)
    with tqdm(total=len(keys), unit="segment", desc="Encoding", disable=not progress) as bar:
        for start in range(0, len(keys), batch):
            chunk = keys[start:start + batch]
            fresh = np.asarray(encoder.encode([todo[k] for k in chunk], progress=False), dtype=np.float32)
            cache.put_many(encoder.identifier, chunk, fresh)
            known.update(zip(chunk, fresh))
            bar.update(len(chunk))
