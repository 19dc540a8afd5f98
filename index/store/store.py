"""The project store: one SQLite database per project, in WAL mode, schema versioned by numbered migrations.

The store knows tables and rows, nothing about files or models. Every write that belongs together goes
through :meth:`Store.transaction`, so a failed import leaves the database exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from index.errors import ProjectError
from index.types import Code, Segment

DB_NAME = "project.db"


def now() -> str:
    """UTC time stamp, ISO 8601 with seconds, as stored in every *_at column."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped with codeseed: (version, file name, SQL), in order."""
    found = []
    for entry in resources.files("index.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 001, 002, ... without gaps; found {versions}")
    return found


SCHEMA_VERSION = len(migrations())


def _loads(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _dumps(value: dict[str, Any] | None) -> str:
    return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)


class Store:
    """A connection to one project database."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.db = connection

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, *, create: bool = False) -> "Store":
        path = Path(path)
        if not create and not path.exists():
            raise ProjectError(
                "no codeseed project database here",
                file=str(path),
                fix="check the project folder name, or create a project with `codeseed init FOLDER`",
            )
        connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        try:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.DatabaseError as error:
            connection.close()
            raise ProjectError(
                f"not a readable SQLite database ({error})",
                file=str(path),
                fix="restore the project folder from a backup; codeseed never writes partial databases",
            ) from None
        if mode.lower() != "wal":
            connection.close()
            raise ProjectError(f"SQLite refused WAL mode (got {mode!r})", file=str(path))
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=NORMAL")
        store = cls(path, connection)
        store.migrate()
        return store

    def close(self) -> None:
        self.db.close()

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> list[int]:
        """Apply the migrations this database has not seen yet, each in its own transaction."""
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise ProjectError(
                f"this project was written by a newer codeseed (schema {current}, this one knows {SCHEMA_VERSION})",
                file=str(self.path),
                fix="upgrade codeseed: pip install --upgrade codeseed",
            )
        applied = []
        for version, _name, sql in migrations():
            if version <= current:
                continue
            with self.transaction():
                for statement in _split_sql(sql):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version}")
            applied.append(version)
        return applied

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: commits when the block ends, rolls back if it raises. Nested calls join the outer one."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- settings -----------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) for r in self.db.execute("SELECT key, value FROM settings")}

    def set_setting(self, key: str, value: Any) -> None:
        self.db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, json.dumps(value)))

    # -- documents and segments -----------------------------------------------------------------
    def document_by_sha(self, sha256: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT id, name, source FROM documents WHERE sha256 = ?", (sha256,)).fetchone()

    def document_by_name(self, name: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT id, name, source, text, attributes FROM documents WHERE name = ?", (name,)).fetchone()

    def add_document(self, *, name: str, source: str, text: str, sha256: str, encoding: str | None,
                     attributes: dict[str, Any]) -> int:
        cursor = self.db.execute(
            "INSERT INTO documents(name, source, text, sha256, encoding, attributes, imported_at) VALUES (?,?,?,?,?,?,?)",
            (name, source, text, sha256, encoding, _dumps(attributes), now()),
        )
        return int(cursor.lastrowid)

    def add_segments(self, document_id: int, rows: Iterable[dict[str, Any]]) -> int:
        values = [
            (document_id, position, r["start"], r["end"], r.get("speaker"), r.get("participant"),
             int(bool(r.get("is_interviewer"))), r.get("timestamp"), r["text_hash"], _dumps(r.get("attributes")))
            for position, r in enumerate(rows)
        ]
        self.db.executemany(
            "INSERT INTO segments(document_id, position, start, end, speaker, participant, is_interviewer,"
            " timestamp, text_hash, attributes) VALUES (?,?,?,?,?,?,?,?,?,?)",
            values,
        )
        return len(values)

    def documents(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT d.id, d.name, d.source, d.encoding, d.attributes, d.imported_at, COUNT(s.id) AS segments"
            " FROM documents d LEFT JOIN segments s ON s.document_id = d.id GROUP BY d.id ORDER BY d.id"
        ).fetchall()
        return [{**dict(r), "attributes": _loads(r["attributes"])} for r in rows]

    def set_document_attributes(self, document_id: int, attributes: dict[str, Any]) -> None:
        self.db.execute("UPDATE documents SET attributes = ? WHERE id = ?", (_dumps(attributes), document_id))

    def segments(self, *, document_ids: Iterable[int] | None = None, segment_ids: Iterable[int] | None = None,
                 include_interviewer: bool = True) -> list[Segment]:
        sql = (
            "SELECT s.*, d.name AS document_name, substr(d.text, s.start + 1, s.end - s.start) AS text"
            " FROM segments s JOIN documents d ON d.id = s.document_id WHERE 1=1"
        )
        params: list[Any] = []
        if document_ids is not None:
            ids = list(document_ids)
            sql += f" AND s.document_id IN ({','.join('?' * len(ids))})"
            params += ids
        if segment_ids is not None:
            ids = list(segment_ids)
            sql += f" AND s.id IN ({','.join('?' * len(ids))})"
            params += ids
        if not include_interviewer:
            sql += " AND s.is_interviewer = 0"
        sql += " ORDER BY s.document_id, s.position"
        return [_segment(r) for r in self.db.execute(sql, params)]

    def set_segment_participants(self, mapping: dict[int, str | None]) -> None:
        self.db.executemany("UPDATE segments SET participant = ? WHERE id = ?", [(p, s) for s, p in mapping.items()])

    # -- participants ---------------------------------------------------------------------------
    def upsert_participant(self, participant_id: str, attributes: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO participants(id, attributes) VALUES (?, ?)"
            " ON CONFLICT(id) DO UPDATE SET attributes = excluded.attributes",
            (participant_id, _dumps(attributes)),
        )

    def participants(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: _loads(r["attributes"]) for r in self.db.execute("SELECT id, attributes FROM participants")}

    # -- codes ----------------------------------------------------------------------------------
    def upsert_codes(self, codes: list[Code]) -> None:
        start = self.db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM codes").fetchone()[0]
        # Parents first would be needed for the foreign key; defer the check to the commit instead.
        self.db.execute("PRAGMA defer_foreign_keys = ON")
        for offset, code in enumerate(codes):
            self.db.execute(
                "INSERT INTO codes(id, name, parent, description, inclusion, exclusion, example, position)"
                " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, parent=excluded.parent,"
                " description=excluded.description, inclusion=excluded.inclusion, exclusion=excluded.exclusion,"
                " example=excluded.example",
                (code.id, code.name, code.parent, code.description, code.inclusion, code.exclusion, code.example,
                 start + offset),
            )

    def codes(self) -> list[Code]:
        rows = self.db.execute("SELECT * FROM codes ORDER BY position, id").fetchall()
        return [Code(id=r["id"], name=r["name"], parent=r["parent"], description=r["description"],
                     inclusion=r["inclusion"], exclusion=r["exclusion"], example=r["example"]) for r in rows]

    def update_code_description(self, code_id: str, description: str) -> None:
        cursor = self.db.execute("UPDATE codes SET description = ? WHERE id = ?", (description, code_id))
        if cursor.rowcount == 0:
            raise ProjectError(f"no code with id {code_id!r} in this project", field="code")

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

    def segment_ids(self) -> set[int]:
        return {int(r[0]) for r in self.db.execute("SELECT id FROM segments")}

    def codings(self, *, coder: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT segment_id, code_id, coder, origin, created_at FROM codings"
        params: tuple[Any, ...] = ()
        if coder is not None:
            sql += " WHERE coder = ?"
            params = (coder,)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def add_decision(self, *, segment_id: int, code_id: str, coder: str, decision: str, score: float | None,
                     suggester: str | None, undoes: int | None = None) -> int:
        cursor = self.db.execute(
            "INSERT INTO decisions(segment_id, code_id, coder, decision, score, suggester, undoes, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (segment_id, code_id, coder, decision, score, suggester, undoes, now()),
        )
        return int(cursor.lastrowid)

    def decisions(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM decisions ORDER BY id")]

    def standing_decisions(self) -> list[dict[str, Any]]:
        """Accepts and rejects that no later 'undo' row took back, oldest first."""
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM decisions d WHERE decision IN ('accept', 'reject')"
            " AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) ORDER BY id")]

    def last_standing_decision(self, coder: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM decisions d WHERE coder = ? AND decision IN ('accept', 'reject')"
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

    # -- summaries ------------------------------------------------------------------------------
    def counts(self) -> dict[str, Any]:
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "documents": one("SELECT COUNT(*) FROM documents"),
            "segments": one("SELECT COUNT(*) FROM segments"),
            "interviewer_segments": one("SELECT COUNT(*) FROM segments WHERE is_interviewer = 1"),
            "participants": one("SELECT COUNT(*) FROM participants"),
            "codes": one("SELECT COUNT(*) FROM codes"),
            "coded_segments": one("SELECT COUNT(DISTINCT segment_id) FROM codings"),
            "codings_by_coder": {
                r[0]: r[1] for r in self.db.execute("SELECT coder, COUNT(*) FROM codings GROUP BY coder ORDER BY coder")
            },
            "decisions": one("SELECT COUNT(*) FROM decisions"),
        }

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
        """Confident suggestions nobody has coded or rejected yet (a reject undone counts as no decision)."""
        rows = self.db.execute(
            "SELECT g.segment_id, s.document_id, s.start, s.end, g.code_id, g.score, g.rank, g.suggester, g.created_at"
            " FROM suggestions g JOIN segments s ON s.id = g.segment_id WHERE g.confident = 1"
            " AND NOT EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = g.segment_id AND c.code_id = g.code_id)"
            " AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.segment_id = g.segment_id AND d.code_id = g.code_id"
            "   AND d.decision = 'reject' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id))"
            " ORDER BY s.document_id, s.position, g.rank"
        )
        return [dict(r) for r in rows]

    def documents_with_text(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, name, source, text, sha256, attributes FROM documents ORDER BY id").fetchall()
        return [{**dict(r), "attributes": _loads(r["attributes"])} for r in rows]

    def exchange_ids(self, kind: str) -> dict[str, str]:
        """key (code id, coder name, document name) -> the GUID a REFI-QDA project gave it."""
        return {r[0]: r[1] for r in self.db.execute("SELECT key, guid FROM exchange_ids WHERE kind = ?", (kind,))}

    def remember_exchange_id(self, kind: str, key: str, guid: str) -> None:
        """Keep the first GUID seen for a key, and a GUID for its first key only."""
        self.db.execute("INSERT OR IGNORE INTO exchange_ids(kind, key, guid) VALUES (?,?,?)", (kind, key, guid.lower()))

    # == Ask: the queries of suggest.ask (quote retrieval), kept here so that all SQL lives in the store ==========
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


def _segment(row: sqlite3.Row) -> Segment:
    return Segment(
        id=row["id"], document_id=row["document_id"], document=row["document_name"], position=row["position"],
        start=row["start"], end=row["end"], text=row["text"], speaker=row["speaker"], participant=row["participant"],
        is_interviewer=bool(row["is_interviewer"]), timestamp=row["timestamp"], attributes=_loads(row["attributes"]),
    )


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements; triggers (BEGIN ... END;) stay whole."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
