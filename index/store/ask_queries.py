"""The queries of :mod:`suggest.ask` (quote retrieval), kept in the store so that all SQL lives here."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable


class AskQueries:
    """Ask's queries (a part of :class:`index.store.store.Store`)."""

    db: sqlite3.Connection

    def change_stamp(self) -> tuple[int, int]:
        """Changes when anything in the database changes, from this connection (``total_changes``) or another
        (``PRAGMA data_version``); costs microseconds, so a cache can skip :meth:`corpus_fingerprint` (linear
        in the segments) while nothing was written."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0]), int(self.db.total_changes)

    def corpus_fingerprint(self) -> str:
        """What Ask's in-memory corpus depends on: the set of segment ids (and who speaks them), the documents'
        text hashes and attributes, the participants' attributes. Sums, so checking costs milliseconds at 10,000
        segments; a change to any of them changes the fingerprint."""
        digest = hashlib.sha256()
        for sql in (
            ("SELECT COUNT(*), TOTAL(id), MAX(id), TOTAL(id * id % 1000003), COUNT(participant),"
             " TOTAL(length(participant)) FROM segments"),
            ("SELECT group_concat(id || ':' || sha256 || ':' || attributes, '|')"
             " FROM (SELECT id, sha256, attributes FROM documents ORDER BY id)"),
            "SELECT group_concat(id || ':' || attributes, '|') FROM (SELECT id, attributes FROM participants ORDER BY id)",
        ):
            digest.update(repr(tuple(self.db.execute(sql).fetchone())).encode("utf-8"))
        return digest.hexdigest()

    def segments_coded_with(self, code_ids: Iterable[str]) -> dict[int, set[str]]:
        """Segment id -> which of ``code_ids`` it is coded with (by any coder)."""
        ids = list(code_ids)
        out: dict[int, set[str]] = {}
        if ids:
            sql = f"SELECT segment_id, code_id FROM codings WHERE code_id IN ({','.join('?' * len(ids))})"
            for segment_id, code_id in self.db.execute(sql, ids):
                out.setdefault(int(segment_id), set()).add(code_id)
        return out

    def codings_with(self, code_ids: Iterable[str]) -> list[tuple[int, str]]:
        """``(segment id, code id)`` of every coding with one of ``code_ids`` (by any coder; repeats kept): the
        rows themselves, for a caller that works on arrays (Ask at a million segments)."""
        ids = list(code_ids)
        if not ids:
            return []
        sql = f"SELECT segment_id, code_id FROM codings WHERE code_id IN ({','.join('?' * len(ids))})"
        return self.db.execute(sql, ids).fetchall()

    def coders_by_code(self, segment_ids: Iterable[int]) -> dict[int, dict[str, list[str]]]:
        """Segment id -> code id -> the coders who coded it, for the segments given (codings in the order made)."""
        ids = list(segment_ids)
        out: dict[int, dict[str, list[str]]] = {}
        if ids:
            sql = (f"SELECT segment_id, code_id, coder FROM codings WHERE segment_id IN ({','.join('?' * len(ids))})"
                   " ORDER BY id")
            for segment_id, code_id, coder in self.db.execute(sql, ids):
                out.setdefault(int(segment_id), {}).setdefault(code_id, []).append(coder)
        return out
