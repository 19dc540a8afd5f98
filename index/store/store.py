"""The project store: one SQLite database per project, in WAL mode, schema versioned by numbered migrations.

The store knows tables and rows, nothing about files or models. Every write that belongs together goes
through :meth:`Store.transaction`, so a failed import leaves the database exactly as it was. The methods live
by concern in :mod:`~index.store.connection` (opening, migrations, transactions, settings),
:mod:`~index.store.corpus` (documents, segments, participants, codes), :mod:`~index.store.coding`
(codings, decisions, suggestions, exchange ids), :mod:`~index.store.ask_queries` (Ask's queries) and
:mod:`~index.store.conversations` (Ask's conversations, kept per coder).
"""

from __future__ import annotations

from typing import Any

from index.store.ask_queries import AskQueries
from index.store.coding import CodingTables
from index.store.connection import DB_NAME, SCHEMA_VERSION, Connection, migrations, now, split_sql
from index.store.conversations import AskTurns
from index.store.corpus import CorpusTables

__all__ = ["DB_NAME", "SCHEMA_VERSION", "Store", "migrations", "now", "split_sql"]


class Store(Connection, CorpusTables, CodingTables, AskQueries, AskTurns):
    """A connection to one project database."""

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

