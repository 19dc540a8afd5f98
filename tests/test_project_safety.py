"""A project shared by several processes, and a project folder codeseed may not write in.

A coder deciding in the app while a long import runs gets no error: the import reads, segments and checks
before it takes the write lock, and holds it only for the final insert. A lock held longer than the busy
timeout, or a read-only folder, gives a ProjectError that says what is going on, never SQLite's own message.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from codeseed_cli import main
from index.errors import ProjectError
from index.project import Project
from index.store import connection
from suggest.project_suggester import ProjectSuggester
from index import cache as cache_module
from tests.conftest import FakeEncoder, coded_project, snapshot

TRANSCRIPT = """Interviewer: How was getting an appointment?
P1: The waiting list was months long and nobody called me back.
Interviewer: And the staff?
P1: The staff were kind and treated me with respect.
P1: The parking was impossible and cost a fortune.
"""


def _survey(path: Path, rows: int) -> Path:
    """A segments table without a document column: one long document of ``rows`` turns."""
    with path.open("w", encoding="utf-8") as out:
        out.write("text,site\n")
        for i in range(rows):
            out.write(f"Comment {i}: the clinic was busy and the staff {'kind' if i % 2 else 'rushed'} today.,S{i % 7}\n")
    return path


@pytest.fixture
def coded(tmp_path, fake_encoder, monkeypatch):
    monkeypatch.setattr(connection, "BUSY_TIMEOUT", 5.0)  # "a decision waits at most a few seconds"
    p = coded_project(tmp_path, fake_encoder, {"P1": TRANSCRIPT}, attributes="participant_id,gender\nP1,female\n")
    yield p
    p.close()


def test_a_coder_deciding_during_a_long_import_gets_no_error(coded, tmp_path):
    survey = _survey(tmp_path / "survey.csv", 12_000)
    suggester = ProjectSuggester(coded).fit()
    segment = next(s for s in suggester.candidates())
    outcome: dict = {}

    def long_import() -> None:
        try:
            with Project.open(coded.folder) as other:
                outcome["report"] = other.import_documents([survey])
        except BaseException as error:  # noqa: BLE001 - the test reports it
            outcome["error"] = error

    worker = threading.Thread(target=long_import)
    worker.start()
    made = []
    while worker.is_alive() or len(made) < 5:
        made.append(suggester.decide(segment.id, "P", coder="ben", accept=len(made) % 2 == 0).decision_id)
    worker.join()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].documents[0]["segments"] == 12_000
    stored = [d["id"] for d in coded.store.decisions() if d["coder"] == "ben"]
    assert stored == made and len(made) >= 5
    assert coded.store.counts()["documents"] == 2


def _hold_write_lock(project: Project) -> sqlite3.Connection:
    other = sqlite3.connect(project.folder / "project.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_project_locked_longer_than_the_busy_timeout_gives_a_clear_error(tmp_path, fake_encoder, monkeypatch, capsys):
    monkeypatch.setattr(connection, "BUSY_TIMEOUT", 0.2)
    project = coded_project(tmp_path, fake_encoder, {"P1": TRANSCRIPT})
    suggester = ProjectSuggester(project).fit()
    segment = next(s for s in suggester.candidates())
    (tmp_path / "P2.txt").write_text("P2: Nobody called me back.\n")
    before = snapshot(project)
    lock = _hold_write_lock(project)
    try:
        with pytest.raises(ProjectError, match="another codeseed process is writing to this project") as error:
            suggester.decide(segment.id, "P", coder="ben", accept=True)
        assert "How to fix: wait until the other command has finished" in str(error.value)
        with pytest.raises(ProjectError, match="another codeseed process"):
            project.import_documents([tmp_path / "P2.txt"])
        assert main(["import", str(project.folder), str(tmp_path / "P2.txt")]) == 2
        err = capsys.readouterr().err
        assert "another codeseed process is writing" in err and "Traceback" not in err and "database is locked" not in err
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert snapshot(project) == before
    assert suggester.decide(segment.id, "P", coder="ben", accept=True).coding_changed  # and once free, it works
    project.close()


def _make_read_only(folder: Path) -> None:
    """chmod is no obstacle to root, so root makes the folder immutable instead (ext4 and most Linux file systems)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a folder read-only for root")
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"running as root and chattr +i failed ({done.stderr.strip()}): cannot make a read-only folder")


def _make_writable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    else:
        folder.chmod(0o755)


def test_importing_into_a_read_only_project_folder_says_so(tmp_path, capsys):
    folder = tmp_path / "p"
    assert main(["init", str(folder)]) == 0
    (tmp_path / "a.txt").write_text("P1: The staff were kind.\n")
    before = (folder / "project.db").read_bytes()
    _make_read_only(folder)
    try:
        assert main(["import", str(folder), str(tmp_path / "a.txt")]) == 2
    finally:
        _make_writable(folder)
    err = capsys.readouterr().err
    assert "codeseed cannot write in the project folder" in err and "How to fix: make the folder" in err
    assert "Traceback" not in err and (folder / "project.db").read_bytes() == before
    with Project.open(folder) as project:  # writable again: nothing was lost
        assert project.store.counts()["documents"] == 0


def test_a_read_only_project_database_in_a_writable_folder_says_so(tmp_path):
    folder = tmp_path / "p"
    Project.init(folder).close()
    (tmp_path / "a.txt").write_text("P1: The staff were kind.\n")
    database = folder / "project.db"
    if os.geteuid() == 0:
        _make_read_only(database)
    else:
        database.chmod(0o444)
    try:
        with Project.open(folder) as project, pytest.raises(ProjectError, match="cannot write in the project folder"):
            project.import_documents([tmp_path / "a.txt"])
    finally:
        _make_writable(database)
        database.chmod(0o644)


class CrashingEncoder(FakeEncoder):
    """Encodes ``crash_after`` batches, then fails like a killed run."""

    def __init__(self, crash_after: int) -> None:
        super().__init__()
        self.crash_after = crash_after

    def encode(self, texts, *, progress: bool = False):
        if len(self.calls) == self.crash_after:
            raise KeyboardInterrupt("interrupted at 60%")
        return super().encode(texts, progress=progress)


def test_an_interrupted_index_keeps_the_vectors_it_encoded(project, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "CACHE_BATCH", 4)
    lines = [f"P{i}: Turn number {i} talks about topic {i * 7} and nothing else." for i in range(20)]
    (tmp_path / "long.txt").write_text("\n".join(lines) + "\n")
    project.import_documents([tmp_path / "long.txt"])
    crashing = CrashingEncoder(crash_after=3)
    project.use_encoder(crashing)
    with pytest.raises(KeyboardInterrupt):
        project.build_index()
    assert crashing.n_encoded == 12 and not (project.index_dir / "segments.meta.json").exists()
    again = FakeEncoder()
    project.use_encoder(again)
    report = project.build_index()
    assert (report.segments, report.encoded, again.n_encoded) == (20, 8, 8)  # only the remainder
    assert {t for call in again.calls for t in call} == {s.text for s in project.segments()[12:]}
    assert [len(call) for call in again.calls] == [4, 4]


def test_a_damaged_vector_cache_is_set_aside_and_rebuilt_saying_so(project, tmp_path, capsys):
    (tmp_path / "a.txt").write_text("P1: The staff were kind.\n\nP1: The wait was long.\n")
    project.import_documents([tmp_path / "a.txt"])
    project.build_index()
    cache = project.folder / "vectors.db"
    cache.write_bytes(b"not a database at all " * 200)
    report = project.build_index(rebuild=True)
    assert (report.rebuilt, report.encoded) == (True, 2)
    assert len(report.warnings) == 1 and "the vector cache is damaged" in report.warnings[0]
    assert "moved to vectors.db.damaged" in report.warnings[0]
    assert (project.folder / "vectors.db.damaged").read_bytes().startswith(b"not a database")
    assert project.build_index(rebuild=True).encoded == 0  # the new cache works


def test_index_rebuild_over_a_damaged_cache_on_the_command_line(tmp_path, capsys, monkeypatch):
    from index.project import Project as P

    monkeypatch.setattr(P, "encoder", property(lambda self: self.__dict__.setdefault("_fake", FakeEncoder())))
    folder = str(tmp_path / "p")
    (tmp_path / "a.txt").write_text("P1: The staff were kind.\n")
    assert main(["init", folder]) == 0 and main(["import", folder, str(tmp_path / "a.txt")]) == 0
    assert main(["index", folder]) == 0
    (tmp_path / "p" / "vectors.db").write_bytes(b"\x00garbage" * 500)
    capsys.readouterr()
    assert main(["index", folder, "--rebuild"]) == 0
    captured = capsys.readouterr()
    assert "Indexed 1 segments (1 newly encoded" in captured.out
    assert "the vector cache is damaged" in captured.err and "Traceback" not in captured.err
