"""The corpus tables: documents, segments, participants and codes.

A segment's text is not stored twice: it is the slice ``documents.text[start:end]``, cut in Python (SQLite's
``substr`` would walk the whole document for every segment, which makes reading a long document quadratic).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from index.errors import ProjectError
from index.store.connection import dumps, loads, now
from index.types import Code, Segment

_CHUNK = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit


class CorpusTables:
    """Documents, segments, participants and codes (a part of :class:`index.store.store.Store`)."""

    db: sqlite3.Connection

    # -- documents ------------------------------------------------------------------------------
    def documents_by_sha(self, sha256: str) -> list[sqlite3.Row]:
        """Documents whose text has this sha256 (identical texts in several documents are allowed)."""
        return self.db.execute("SELECT id, name, source FROM documents WHERE sha256 = ? ORDER BY id",
                               (sha256,)).fetchall()

    def document_by_sha(self, sha256: str) -> sqlite3.Row | None:
        found = self.documents_by_sha(sha256)
        return found[0] if found else None

    def document_by_name(self, name: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT id, name, source, text, attributes FROM documents WHERE name = ?", (name,)).fetchone()

    def add_document(self, *, name: str, source: str, text: str, sha256: str, encoding: str | None,
                     attributes: dict[str, Any]) -> int:
        cursor = self.db.execute(
            "INSERT INTO documents(name, source, text, sha256, encoding, attributes, imported_at) VALUES (?,?,?,?,?,?,?)",
            (name, source, text, sha256, encoding, dumps(attributes), now()),
        )
        return int(cursor.lastrowid)

    def documents(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT d.id, d.name, d.source, d.encoding, d.attributes, d.imported_at, COUNT(s.id) AS segments"
            " FROM documents d LEFT JOIN segments s ON s.document_id = d.id GROUP BY d.id ORDER BY d.id"
        ).fetchall()
        return [{**dict(r), "attributes": loads(r["attributes"])} for r in rows]

    def documents_with_text(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, name, source, text, sha256, attributes FROM documents ORDER BY id").fetchall()
        return [{**dict(r), "attributes": loads(r["attributes"])} for r in rows]

    def set_document_attributes(self, document_id: int, attributes: dict[str, Any]) -> None:
        self.db.execute("UPDATE documents SET attributes = ? WHERE id = ?", (dumps(attributes), document_id))

    # -- segments -------------------------------------------------------------------------------
    def add_segments(self, document_id: int, rows: Iterable[dict[str, Any]]) -> int:
        return self.add_segment_values(document_id, segment_values(rows))

    def add_segment_values(self, document_id: int, values: list[tuple[Any, ...]]) -> int:
        """Insert rows prepared by :func:`segment_values` (prepared before the write, to keep the write short)."""
        self.db.executemany(
            "INSERT INTO segments(document_id, position, start, end, speaker, participant, is_interviewer,"
            " timestamp, text_hash, attributes) VALUES (?,?,?,?,?,?,?,?,?,?)",
            ((document_id, *row) for row in values),
        )
        return len(values)

    def segments(self, *, document_ids: Iterable[int] | None = None, segment_ids: Iterable[int] | None = None,
                 include_interviewer: bool = True, with_text: bool = True) -> list[Segment]:
        """Segments in document and position order; ``with_text=False`` leaves ``text`` empty (cheaper)."""
        sql = "SELECT s.*, d.name AS document_name FROM segments s JOIN documents d ON d.id = s.document_id WHERE 1=1"
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
        rows = self.db.execute(sql + " ORDER BY s.document_id, s.position", params).fetchall()
        texts = self._texts({r["document_id"] for r in rows}) if with_text else {}
        return [_segment(r, texts[r["document_id"]][r["start"]:r["end"]] if with_text else "") for r in rows]

    def _texts(self, document_ids: set[int]) -> dict[int, str]:
        ids, texts = sorted(document_ids), {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            texts.update(self.db.execute(f"SELECT id, text FROM documents WHERE id IN ({','.join('?' * len(chunk))})",
                                         chunk).fetchall())
        return texts

    def segment_ids(self) -> set[int]:
        return {int(r[0]) for r in self.db.execute("SELECT id FROM segments")}

    def set_segment_participants(self, mapping: dict[int, str | None]) -> None:
        self.db.executemany("UPDATE segments SET participant = ? WHERE id = ?", [(p, s) for s, p in mapping.items()])

    # -- participants ---------------------------------------------------------------------------
    def upsert_participant(self, participant_id: str, attributes: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO participants(id, attributes) VALUES (?, ?)"
            " ON CONFLICT(id) DO UPDATE SET attributes = excluded.attributes",
            (participant_id, dumps(attributes)),
        )

    def participants(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: loads(r["attributes"]) for r in self.db.execute("SELECT id, attributes FROM participants")}

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


def segment_values(rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Segment rows (``start``, ``end``, ``text_hash``; optionally ``speaker``, ``participant``, ``is_interviewer``,
    ``timestamp``, ``attributes``) as the segments table stores them, in order, less the document id."""
    return [(position, r["start"], r["end"], r.get("speaker"), r.get("participant"), int(bool(r.get("is_interviewer"))),
             r.get("timestamp"), r["text_hash"], dumps(r.get("attributes"))) for position, r in enumerate(rows)]


def _segment(row: sqlite3.Row, text: str) -> Segment:
    return Segment(
        id=row["id"], document_id=row["document_id"], document=row["document_name"], position=row["position"],
        start=row["start"], end=row["end"], text=text, speaker=row["speaker"], participant=row["participant"],
        is_interviewer=bool(row["is_interviewer"]), timestamp=row["timestamp"], attributes=loads(row["attributes"]),
    )
