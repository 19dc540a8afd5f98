"""The project store: WAL, numbered migrations, all-or-nothing transactions, append-only decisions."""

import sqlite3

import pytest

from index.store import connection as store_module
from index.errors import ProjectError
from index.store.store import SCHEMA_VERSION, Store
from index.store.connection import split_sql as _split_sql
from index.types import Code


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "project.db", create=True)
    yield s
    s.close()


def _document(store, name="d1", text="Interviewer: hello\nP1: I felt judged."):
    return store.add_document(name=name, source=f"{name}.txt", text=text, sha256=name, encoding="utf-8",
                              attributes={"site": "A"})


def test_new_database_is_wal_and_fully_migrated(store, tmp_path):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == SCHEMA_VERSION >= 1
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "segments", "codes", "codings", "decisions", "participants", "settings"} <= tables


def test_migrations_apply_only_once_and_in_order(tmp_path, monkeypatch):
    path = tmp_path / "p.db"
    Store.open(path, create=True).close()
    extra = store_module.migrations() + [(SCHEMA_VERSION + 1, "999_test.sql", "CREATE TABLE later (x INTEGER);")]
    monkeypatch.setattr(store_module, "migrations", lambda: extra)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    reopened = Store.open(path)
    assert reopened.schema_version == SCHEMA_VERSION + 1
    assert reopened.migrate() == []  # nothing left to apply
    reopened.db.execute("INSERT INTO later VALUES (1)")
    reopened.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "p.db"
    s = Store.open(path, create=True)
    s.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    s.close()
    with pytest.raises(ProjectError, match="newer codeseed"):
        Store.open(path)


def test_missing_and_corrupt_databases_get_specific_errors(tmp_path):
    with pytest.raises(ProjectError, match="no codeseed project database"):
        Store.open(tmp_path / "missing.db")
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ProjectError, match="not a readable SQLite database"):
        Store.open(bad)


def test_transaction_rolls_back_everything_on_error(store):
    _document(store, "kept")
    with pytest.raises(RuntimeError):
        with store.transaction():
            doc = _document(store, "lost")
            store.add_segments(doc, [{"start": 0, "end": 5, "text_hash": "h"}])
            raise RuntimeError("reader failed half way")
    assert [d["name"] for d in store.documents()] == ["kept"]
    assert store.db.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 0


def test_segment_text_is_the_document_slice(store):
    text = "Interviewer: hello\nP1: I felt judged — très."
    doc = _document(store, text=text)
    store.add_segments(doc, [{"start": 13, "end": 18, "text_hash": "a", "is_interviewer": True, "speaker": "Interviewer"},
                             {"start": 23, "end": len(text), "text_hash": "b", "speaker": "P1"}])
    first, second = store.segments()
    assert (first.text, first.is_interviewer, second.text) == ("hello", True, "I felt judged — très.")
    assert [s.text for s in store.segments(include_interviewer=False)] == ["I felt judged — très."]


def test_decisions_are_append_only(store):
    doc = _document(store)
    store.add_segments(doc, [{"start": 0, "end": 5, "text_hash": "a"}])
    store.upsert_codes([Code("c1", "Stigma")])
    seg = store.segments()[0].id
    store.add_decision(segment_id=seg, code_id="c1", coder="ana", decision="accept", score=0.8, suggester="knn-1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE decisions SET decision = 'reject'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM decisions")
    with pytest.raises(sqlite3.IntegrityError):
        store.add_decision(segment_id=seg, code_id="c1", coder="ana", decision="maybe", score=None, suggester=None)
    assert [d["decision"] for d in store.decisions()] == ["accept"]


def test_codings_are_unique_per_segment_code_and_coder(store):
    doc = _document(store)
    store.add_segments(doc, [{"start": 0, "end": 5, "text_hash": "a"}])
    store.upsert_codes([Code("c1", "Stigma")])
    seg = store.segments()[0].id
    assert store.add_codings([(seg, "c1", "ana", "human"), (seg, "c1", "ana", "human"), (seg, "c1", "ben", "human")]) == 2
    assert store.counts()["codings_by_coder"] == {"ana": 1, "ben": 1}


def test_codes_with_children_before_parents_are_accepted(store):
    with store.transaction():
        store.upsert_codes([Code("1.1", "Child", parent="T1"), Code("T1", "Theme")])
    assert [(c.id, c.parent) for c in store.codes()] == [("1.1", "T1"), ("T1", None)]
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction():
            store.upsert_codes([Code("x", "Orphan", parent="nowhere")])


def test_split_sql_keeps_triggers_whole():
    statements = _split_sql("CREATE TABLE a (x);\n-- note\nCREATE TRIGGER t BEFORE DELETE ON a\nBEGIN SELECT 1; END;\n")
    assert len(statements) == 2 and statements[1].endswith("END;")


def test_migration_5_keeps_every_row_and_allows_documents_with_the_same_text(tmp_path, monkeypatch):
    path, shipped = tmp_path / "p.db", store_module.migrations()
    monkeypatch.setattr(store_module, "migrations", lambda: [m for m in shipped if m[0] <= 4])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 4)
    old = Store.open(path, create=True)
    doc = _document(old, "d1")
    old.add_segments(doc, [{"start": 0, "end": 12, "text_hash": "h"}])
    old.upsert_codes([Code(id="A", name="a")])
    old.add_codings([(1, "A", "ana", "human")])
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: documents.sha256"):
        old.add_document(name="d2", source="d2.txt", text="x", sha256="d1", encoding=None, attributes={})
    old.close()
    monkeypatch.undo()
    store = Store.open(path)
    assert store.schema_version == SCHEMA_VERSION >= 5
    assert [(s.document, s.text) for s in store.segments()] == [("d1", "Interviewer:")]  # no cascade on the rebuild
    assert store.codings()[0]["segment_id"] == 1 and store.documents()[0]["attributes"] == {"site": "A"}
    store.add_document(name="d2", source="d2.txt", text="x", sha256="d1", encoding=None, attributes={})
    assert [r["name"] for r in store.documents_by_sha("d1")] == ["d1", "d2"]
    plan = store.db.execute("EXPLAIN QUERY PLAN SELECT id FROM documents WHERE sha256 = 'd1'").fetchall()
    assert "documents_sha256" in " ".join(str(tuple(r)) for r in plan)
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()
