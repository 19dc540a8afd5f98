"""Coding work: codings (with their exact passages), the append-only decision log, the latest suggestions,
suggester runs, and the identifiers other QDA programs gave our things.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from index.store.connection import now


class CodingTables:
    """Codings, decisions, suggestions and exchange ids (a part of :class:`index.store.store.Store`)."""

    db: sqlite3.Connection

    # -- codings and decisions ------------------------------------------------------------------
    def add_codings(self, rows: Iterable[tuple[int, str, str, str]]) -> int:
        """Insert (segment_id, code_id, coder, origin) rows; a coding that already exists is kept as it was."""
        stamp = now()
        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO codings(segment_id, code_id, coder, origin, created_at) VALUES (?,?,?,?,?)",
            [(s, c, coder, origin, stamp) for s, c, coder, origin in rows],
        )
        return self.db.total_changes - before

    def remove_coding(self, segment_id: int, code_id: str, coder: str) -> int:
        cursor = self.db.execute(
            "DELETE FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ?", (segment_id, code_id, coder)
        )
        return cursor.rowcount

    def coding(self, segment_id: int, code_id: str, coder: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ?",
                              (segment_id, code_id, coder)).fetchone()
        return dict(row) if row else None

    def codings(self, *, coder: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT segment_id, code_id, coder, origin, created_at FROM codings"
        params: tuple[Any, ...] = ()
        if coder is not None:
            sql += " WHERE coder = ?"
            params = (coder,)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def add_decision(self, *, segment_id: int, code_id: str | None, coder: str, decision: str, score: float | None,
                     suggester: str | None, undoes: int | None = None, note: str | None = None) -> int:
        """Append a decision: 'accept', 'reject', 'none' (no code applies: code_id None) or 'undo' (of ``undoes``)."""
        cursor = self.db.execute(
            "INSERT INTO decisions(segment_id, code_id, coder, decision, score, suggester, undoes, created_at, note)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (segment_id, code_id, coder, decision, score, suggester, undoes, now(), note),
        )
        return int(cursor.lastrowid)

    def decisions(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM decisions ORDER BY id")]

    def standing_decisions(self) -> list[dict[str, Any]]:
        """Accepts, rejects and 'none' (no code applies) that no later 'undo' row took back, oldest first."""
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM decisions d WHERE decision IN ('accept', 'reject', 'none')"
            " AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) ORDER BY id")]

    def last_standing_decision(self, coder: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM decisions d WHERE coder = ? AND decision IN ('accept', 'reject', 'none')"
            " AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) ORDER BY id DESC LIMIT 1",
            (coder,)).fetchone()
        return dict(row) if row else None

    # -- suggestions ----------------------------------------------------------------------------
    def replace_suggestions(self, rows: list[dict[str, Any]], segment_ids: Iterable[int]) -> None:
        """Store the latest suggestions for ``segment_ids``, replacing what was stored for them before."""
        ids = list(segment_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            self.db.execute(f"DELETE FROM suggestions WHERE segment_id IN ({','.join('?' * len(chunk))})", chunk)
        stamp = now()
        self.db.executemany(
            "INSERT INTO suggestions(segment_id, code_id, score, rank, confident, evidence, suggester, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [(r["segment_id"], r["code_id"], r["score"], r["rank"], int(r["confident"]),
              json.dumps(r["evidence"]), r["suggester"], stamp) for r in rows],
        )

    def suggestions(self, segment_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM suggestions", []
        if segment_ids is not None:
            params = list(segment_ids)
            sql += f" WHERE segment_id IN ({','.join('?' * len(params))})"
        rows = self.db.execute(sql + " ORDER BY segment_id, rank", params).fetchall()
        return [{**dict(r), "evidence": json.loads(r["evidence"]), "confident": bool(r["confident"])} for r in rows]

    def add_suggester_run(self, *, suggester: str, parameters: dict[str, Any], thresholds: dict[str, float],
                          examples: int, fingerprint: str | None = None,
                          calibration: dict[str, Any] | None = None) -> int:
        cursor = self.db.execute(
            "INSERT INTO suggester_runs(suggester, parameters, thresholds, examples, created_at, fingerprint,"
            " calibration) VALUES (?,?,?,?,?,?,?)",
            (suggester, json.dumps(parameters, sort_keys=True), json.dumps(thresholds), examples, now(), fingerprint,
             json.dumps(calibration) if calibration is not None else None))
        return int(cursor.lastrowid)

    def calibration_for(self, fingerprint: str) -> dict[str, Any] | None:
        """The calibration of the latest run fitted on exactly this data, if any."""
        row = self.db.execute(
            "SELECT calibration FROM suggester_runs WHERE fingerprint = ? AND calibration IS NOT NULL"
            " ORDER BY id DESC LIMIT 1", (fingerprint,)).fetchone()
        return json.loads(row["calibration"]) if row else None

    # -- exchange -------------------------------------------------------------------------------
    # Codings with the exact passage behind them, and the GUIDs of other QDA programs (REFI-QDA, migration 003).
    def add_span_codings(self, rows: Iterable[tuple[int, str, str, str, int, int, str | None]]) -> tuple[int, int]:
        """Insert codings with their passages: (segment_id, code_id, coder, origin, start, end, created_at or None).

        Several passages may make one coding (same segment, code and coder); each is kept in ``coding_spans``
        and ``codings.start/end`` hold their extent. A coding that already covers its whole segment (start NULL,
        made in codeseed) stays whole. Returns (codings added, passages added); re-adding changes nothing.
        """
        added = spans = 0
        stamp = now()
        for segment_id, code_id, coder, origin, start, end, created_at in rows:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO codings(segment_id, code_id, coder, origin, created_at) VALUES (?,?,?,?,?)",
                (segment_id, code_id, coder, origin, created_at or stamp),
            )
            added += cursor.rowcount
            coding_id, whole = self.db.execute(
                "SELECT id, start IS NULL AND NOT EXISTS (SELECT 1 FROM coding_spans WHERE coding_id = codings.id)"
                " FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ?", (segment_id, code_id, coder),
            ).fetchone()
            if whole and not cursor.rowcount:
                continue
            spans += self.db.execute("INSERT OR IGNORE INTO coding_spans(coding_id, start, end) VALUES (?,?,?)",
                                     (coding_id, start, end)).rowcount
            self.db.execute(
                "UPDATE codings SET start = (SELECT MIN(start) FROM coding_spans WHERE coding_id = :id),"
                " end = (SELECT MAX(end) FROM coding_spans WHERE coding_id = :id) WHERE id = :id", {"id": coding_id},
            )
        return added, spans

    def coded_spans(self) -> list[dict[str, Any]]:
        """One row per coded passage: the coding, its document, and its span (the segment's when none is known)."""
        rows = self.db.execute(
            "SELECT c.id AS coding_id, c.segment_id, s.document_id, d.name AS document, c.code_id, c.coder, c.origin,"
            " c.created_at, COALESCE(p.start, c.start, s.start) AS start, COALESCE(p.end, c.end, s.end) AS end"
            " FROM codings c JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
            " LEFT JOIN coding_spans p ON p.coding_id = c.id"
            " ORDER BY s.document_id, start, end, c.id"  # the output columns: the passage
        )
        return [dict(r) for r in rows]

    def pending_suggestions(self) -> list[dict[str, Any]]:
        """Confident suggestions nobody has coded or rejected yet, on segments nobody marked "no code applies"
        (a decision undone counts as no decision)."""
        rows = self.db.execute(
            "SELECT g.segment_id, s.document_id, s.start, s.end, g.code_id, g.score, g.rank, g.suggester, g.created_at"
            " FROM suggestions g JOIN segments s ON s.id = g.segment_id WHERE g.confident = 1"
            " AND NOT EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = g.segment_id AND c.code_id = g.code_id)"
            " AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.segment_id = g.segment_id AND d.code_id = g.code_id"
            "   AND d.decision = 'reject' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id))"
            " AND NOT EXISTS (SELECT 1 FROM decisions n WHERE n.segment_id = g.segment_id AND n.decision = 'none'"
            "   AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = n.id))"
            " ORDER BY s.document_id, s.position, g.rank"
        )
        return [dict(r) for r in rows]

    def exchange_ids(self, kind: str) -> dict[str, str]:
        """key (code id, coder name, document name) -> the GUID a REFI-QDA project gave it."""
        return {r[0]: r[1] for r in self.db.execute("SELECT key, guid FROM exchange_ids WHERE kind = ?", (kind,))}

    def remember_exchange_id(self, kind: str, key: str, guid: str) -> None:
        """Keep the first GUID seen for a key, and a GUID for its first key only."""
        self.db.execute("INSERT OR IGNORE INTO exchange_ids(kind, key, guid) VALUES (?,?,?)", (kind, key, guid.lower()))

