"""Opening a project database: WAL, numbered migrations, all-or-nothing transactions, and the errors of SQLite
that a user can act on (another process writing, a read-only folder, a damaged file) as :class:`ProjectError`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from index.errors import ProjectError

DB_NAME = "project.db"
BUSY_TIMEOUT = 30.0  # seconds a write waits for another process's write before giving up with a ProjectError


def now() -> str:
    """UTC time stamp, ISO 8601 with milliseconds, as stored in every *_at column."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def loads(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text and text != "{}" else {}  # most rows have no attributes: skip the parser


def dumps(value: dict[str, Any] | None) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else "{}"


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


def sqlite_problem(error: sqlite3.Error, path: Path) -> ProjectError | None:
    """The :class:`ProjectError` for an SQLite error the user can act on, or None for anything else."""
    text = str(error).lower()
    folder = path.parent
    if "locked" in text or "busy" in text:
        return ProjectError(
            f"another codeseed process is writing to this project and did not finish within {BUSY_TIMEOUT:g} s "
            "(an import, an index build or the app); nothing was changed", file=str(folder),
            fix="wait until the other command has finished (or close it) and run this one again")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return ProjectError(
            "codeseed cannot write in the project folder (it or project.db is read-only, or the disk is full "
            "or not mounted for writing); nothing was changed", file=str(folder),
            fix="make the folder and its files writable (e.g. `chmod -R u+w FOLDER`), or copy the project "
                "folder to a place where you may write and use the copy")
    if "malformed" in text or "not a database" in text or "disk image" in text:
        return ProjectError(f"project.db is damaged ({error})", file=str(path),
                            fix="restore the project folder from a backup; codeseed never writes partial databases")
    return None


class Connection:
    """One SQLite connection to a project database, with migrations and transactions."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.db = connection

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False, timeout: float | None = None):
        path = Path(path)
        if not create and not path.exists():
            raise ProjectError(
                "no codeseed project database here",
                file=str(path),
                fix="check the project folder name, or create a project with `codeseed init FOLDER`",
            )
        connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT if timeout is None else timeout,
                                     check_same_thread=False)
        connection.row_factory = sqlite3.Row
        try:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            store = cls(path, connection)
            store.migrate()
        except sqlite3.DatabaseError as error:
            connection.close()
            if isinstance(error, sqlite3.OperationalError) and (problem := sqlite_problem(error, path)):
                raise problem from None
            raise ProjectError(
                f"not a readable SQLite database ({error})",
                file=str(path),
                fix="restore the project folder from a backup; codeseed never writes partial databases",
            ) from None
        if mode.lower() != "wal":
            connection.close()
            raise ProjectError(f"SQLite refused WAL mode (got {mode!r})", file=str(path))
        return store

    def close(self) -> None:
        self.db.close()

    def backup(self, path: Path | str) -> None:
        """A consistent copy of the whole database at ``path`` (SQLite's online backup; this one is only read)."""
        target = sqlite3.connect(path)
        try:
            self.db.backup(target)
        finally:
            target.close()

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> list[int]:
        """Apply the migrations this database has not seen yet, each in its own transaction.

        Foreign keys are off while a migration runs (a migration may rebuild a table, which SQLite does by copying
        it), and checked before it commits.
        """
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise ProjectError(
                f"this project was written by a newer codeseed (schema {current}, this one knows {SCHEMA_VERSION})",
                file=str(self.path),
                fix="upgrade codeseed: pip install --upgrade codeseed",
            )
        applied = []
        pending = [(v, sql) for v, _name, sql in migrations() if v > current]
        if not pending:
            return applied
        self.db.execute("PRAGMA foreign_keys=OFF")
        try:
            for version, sql in pending:
                with self.transaction():
                    if self.schema_version >= version:  # another process migrated meanwhile
                        continue
                    for statement in split_sql(sql):
                        self.db.execute(statement)
                    broken = self.db.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration {version} broke {len(broken)} foreign keys")
                    self.db.execute(f"PRAGMA user_version = {version}")
                applied.append(version)
        finally:
            self.db.execute("PRAGMA foreign_keys=ON")
        return applied

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: commits when the block ends, rolls back if it raises. Nested calls join the outer one.

        Waits up to the busy timeout for another process's write; after that, or when the folder is read-only,
        raises a :class:`ProjectError` that says so (never SQLite's bare "database is locked").
        """
        if self.db.in_transaction:
            yield self.db
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise (sqlite_problem(error, self.path) or error) from None
        try:
            yield self.db
        except BaseException as error:
            self.db.execute("ROLLBACK")
            if isinstance(error, sqlite3.OperationalError) and (problem := sqlite_problem(error, self.path)):
                raise problem from None
            raise
        else:
            self.db.execute("COMMIT")

    # -- settings -----------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) for r in self.db.execute("SELECT key, value FROM settings")}

    def set_setting(self, key: str, value: Any) -> None:
        self.db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, json.dumps(value)))


def split_sql(sql: str) -> list[str]:
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
