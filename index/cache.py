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


class VectorCache:
    """SQLite file mapping (model identifier, text sha256) to a float32 vector."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()

    def __enter__(self) -> VectorCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors found for ``hashes`` under ``model``; missing or damaged entries are absent."""
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
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
        return found

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


def encode_with_cache(
    encoder: SupportsEncode, texts: Sequence[str], cache: VectorCache, *, progress: bool = False
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` in input order, encoding only texts not cached for this model.

    Identical texts within the call are encoded once. Returns ``(vectors, n_encoded)``;
    ``n_encoded`` is 0 when everything came from the cache.
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
        fresh = np.asarray(encoder.encode(list(todo.values()), progress=progress), dtype=np.float32)
        cache.put_many(model, list(todo), fresh)
        known.update(zip(todo, fresh))

    if not texts:
        return np.zeros((0, encoder.dimension), dtype=np.float32), 0
    return np.stack([known[key] for key in hashes]).astype(np.float32, copy=False), len(todo)
