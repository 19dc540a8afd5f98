"""The import dispatcher: a REFI-QDA file goes to exchange, everything else to the project, and the project
itself refuses REFI-QDA files with a pointer (so it never has to import exchange). Runs on files it makes."""

import pytest

from index.errors import InputFileError
from index.exchange.refi_export import export_refi
from index.importing import import_codebook, import_files
from index.project import Project
from tests.conftest import coded_project, snapshot

P1 = "Interviewer: How was it?\nP1: The waiting list was months long\nP1: The staff were kind\n"
P2 = "P2: Parking cost a fortune\n"


@pytest.fixture
def exported(tmp_path, fake_encoder):
    """A coded project written as .qdpx and .qdc, and a participants table for it."""
    source = coded_project(tmp_path / "src", fake_encoder, {"P1": P1, "P2": P2})
    export_refi(source, tmp_path / "out.qdpx")
    export_refi(source, tmp_path / "out.qdc", format="qdc")
    source.close()
    (tmp_path / "people.csv").write_text("participant_id,setting\nP1,generic\nP2,specialist\n")
    return tmp_path


def fresh(folder, encoder) -> Project:
    project = Project.init(folder)
    project.use_encoder(encoder)
    return project


def test_a_qdpx_goes_to_exchange_with_its_attributes(exported, fake_encoder):
    project = fresh(exported / "new", fake_encoder)
    report = import_files(project, [exported / "out.qdpx"], attributes=exported / "people.csv")
    assert sorted(d["name"] for d in project.store.documents()) == ["P1", "P2"]
    assert {c["code_id"] for c in project.store.codings()} == {"waiting", "respect"}  # REFI codes get ids from their names
    assert report.participants == 2 and report.linked_segments == 3
    assert {s.participant for s in project.segments() if not s.is_interviewer} == {"P1", "P2"}


def test_a_qdc_codebook_goes_to_exchange_and_a_csv_one_to_the_project(exported, fake_encoder):
    project = fresh(exported / "new", fake_encoder)
    assert import_codebook(project, exported / "out.qdc").codes == 4
    assert project.store.exchange_ids("code")  # REFI GUIDs kept: only exchange does that
    again = fresh(exported / "csv", fake_encoder)
    assert import_codebook(again, exported / "src" / "codebook.csv").codes == 4
    assert again.store.exchange_ids("code") == {}


def test_the_project_refuses_refi_files_and_says_where_they_go(exported, fake_encoder):
    project = fresh(exported / "new", fake_encoder)
    before = snapshot(project)
    for call in (lambda: project.import_documents([exported / "out.qdpx"]),
                 lambda: project.import_codebook(exported / "out.qdc")):
        with pytest.raises(InputFileError, match="index.importing") as caught:
            call()
        assert "codeseed import" in str(caught.value)
    with pytest.raises(InputFileError, match="imported on its own"):
        import_files(project, [exported / "out.qdpx", exported / "src" / "P1.txt"])
    assert snapshot(project) == before


def test_a_bad_attributes_table_leaves_the_qdpx_unimported(exported, fake_encoder):
    project = fresh(exported / "new", fake_encoder)
    before = snapshot(project)
    (exported / "bad.csv").write_text("document,setting\nnobody,generic\n")
    with pytest.raises(InputFileError, match="no document named 'nobody'"):
        import_files(project, [exported / "out.qdpx"], attributes=exported / "bad.csv")
    assert snapshot(project) == before
