"""The SQL of blind coding rounds (migration 006): a round, its coders and the segments of its overlap.

Functions of a :class:`~index.store.store.Store`; the rules (who may start a round, what a coder sees) are in
:mod:`index.rounds`.
"""

from __future__ import annotations

import json
from typing import Any

from .connection import now
from .store import Store


def _row(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["coders"] = json.loads(out["coders"])
    out["documents"] = json.loads(out["documents"]) if out["documents"] is not None else None
    return out


def add_round(store: Store, coders: list[str], documents: list[str] | None, segment_ids: list[int]) -> int:
    """Insert an open round and its overlap; returns its id. Call inside a transaction."""
    cursor = store.db.execute(
        "INSERT INTO rounds(coders, documents, started_at) VALUES (?,?,?)",
        (json.dumps(coders, ensure_ascii=False),
         json.dumps(documents, ensure_ascii=False) if documents is not None else None, now()))
    round_id = int(cursor.lastrowid)
    store.db.executemany("INSERT INTO round_segments(round_id, segment_id) VALUES (?,?)",
                         [(round_id, s) for s in segment_ids])
    return round_id


def open_round(store: Store) -> dict[str, Any] | None:
    row = store.db.execute("SELECT * FROM rounds WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
    return _row(row) if row else None


def rounds(store: Store) -> list[dict[str, Any]]:
    return [_row(r) for r in store.db.execute("SELECT * FROM rounds ORDER BY id")]


def round_by_id(store: Store, round_id: int) -> dict[str, Any] | None:
    row = store.db.execute("SELECT * FROM rounds WHERE id = ?", (round_id,)).fetchone()
    return _row(row) if row else None


def round_segment_ids(store: Store, round_id: int) -> list[int]:
    """The overlap, in document order."""
    return [int(r[0]) for r in store.db.execute(
        "SELECT r.segment_id FROM round_segments r JOIN segments s ON s.id = r.segment_id WHERE r.round_id = ?"
        " ORDER BY s.document_id, s.position", (round_id,))]


def close_round(store: Store, round_id: int) -> None:
    store.db.execute("UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (now(), round_id))
