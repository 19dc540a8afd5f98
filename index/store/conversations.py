"""The store's rows of Ask conversations (migration 007): one row per turn, per coder. Mixed into
:class:`~index.store.store.Store`, so its SQL stays in the store like every other statement of codeseed."""

from __future__ import annotations

import json
from typing import Any

from index.store.connection import now


class AskTurns:
    """Methods of :class:`~index.store.store.Store` for Ask conversations (``self.db`` is the connection)."""

    db: Any

    def add_ask_turn(self, *, coder: str, conversation: int, question: str, intent: str, state: dict[str, Any],
                     answer: dict[str, Any]) -> int:
        cursor = self.db.execute(
            "INSERT INTO ask_turns(coder, conversation, question, intent, state, answer, asked_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (coder, conversation, question, intent, json.dumps(state, ensure_ascii=False),
             json.dumps(answer, ensure_ascii=False), now()))
        return int(cursor.lastrowid)

    def ask_turns(self, coder: str, conversation: int | None = None) -> list[dict[str, Any]]:
        """A coder's turns, oldest first: of one conversation, or of all of them."""
        sql = "SELECT * FROM ask_turns WHERE coder = ?" + (" AND conversation = ?" if conversation is not None else "")
        rows = self.db.execute(sql + " ORDER BY id", (coder,) if conversation is None else (coder, conversation))
        return [{**dict(r), "state": json.loads(r["state"]), "answer": json.loads(r["answer"])} for r in rows]

    def last_ask_conversation(self, coder: str) -> int:
        """The number of the coder's latest conversation (0 when the coder has asked nothing yet)."""
        row = self.db.execute("SELECT MAX(conversation) FROM ask_turns WHERE coder = ?", (coder,)).fetchone()
        return int(row[0] or 0)
