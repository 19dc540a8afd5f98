"""The project API end to end on small transcripts: import, attributes, codebook, codings, index, status."""

import json

import pytest

from index import IndexMismatchError
from index.errors import InputFileError, ProjectError
from index.project import Project
from tests.conftest import snapshot

INTERVIEW = """Interviewer: Can you tell me about the clinic?
P1: The wait was far too long. I felt judged by the receptionist.
Interviewer: And the nurses?
P1: The nurses were kind and they listened to me.
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "P1.txt").write_text(INTERVIEW, encoding="utf-8")
    (tmp_path / "P2.txt").write_text("P2: Nobody called me back for weeks.\n\nP2: I was treated with respect.\n",
                                     encoding="utf-8")
    (tmp_path / "participants.csv").write_text("participant_id,gender,setting\nP1,female,generic\nP2,male,specialist\n")
    (tmp_path / "codebook.csv").write_text("code,parent,name,description\nA,,Access,Getting care\n"
                                           "A1,A,Waiting,Delays and waiting times\nR,,Respect,Being treated with dignity\n")
    (tmp_path / "codings.csv").write_text("document,text,code\nP1,The wait was far too long,A1\n"
                                          "P1,The nurses were kind,R\nP2,treated with respect,R\n")
    return tmp_path


def test_full_import_links_participants_and_codes(project, files):
    report = project.import_documents([files / "P1.txt", files / "P2.txt"], attributes=files / "participants.csv")
    assert [(d["name"], d["segments"]) for d in report.documents] == [("P1", 4), ("P2", 2)]
    project.import_codebook(files / "codebook.csv")
    assert project.import_codings(files / "codings.csv", coder="ana").codings == 3
    segments = project.segments()
    assert [s.participant for s in segments] == [None, "P1", None, "P1", "P2", "P2"]
    assert [s.is_interviewer for s in segments] == [True, False, True, False, False, False]
    for s in segments:
        assert project.store.document_by_name(s.document)["text"][s.start:s.end] == s.text
    docs = {d["name"]: d["attributes"] for d in project.store.documents()}
    assert docs["P1"] == {"gender": "female", "participant_id": "P1", "setting": "generic"}
    status = project.status()
    assert (status["documents"], status["segments"], status["codes"], status["codings_by_coder"]) == (2, 6, 3, {"ana": 3})


def test_failed_imports_leave_the_project_exactly_as_it_was(project, files):
    project.import_documents([files / "P1.txt"])
    project.import_codebook(files / "codebook.csv")
    before = snapshot(project)
    (files / "empty.txt").write_text("")
    (files / "bad_codings.csv").write_text("document,text,code\nP1,The wait was far too long,A1\nP1,nope,A1\n")
    (files / "bad_codebook.csv").write_text("code,parent,name\nZ,missing,x\n")
    failures = [
        lambda: project.import_documents([files / "P2.txt", files / "empty.txt"]),  # second file bad
        lambda: project.import_documents([files / "P2.txt", files / "P1.txt"]),  # duplicate document
        lambda: project.import_documents([files / "P2.txt"], attributes=files / "codebook.csv"),  # no key column
        lambda: project.import_codings(files / "bad_codings.csv", coder="ana"),
        lambda: project.import_codebook(files / "bad_codebook.csv"),
        lambda: project.import_documents([files / "missing.txt"]),
    ]
    for attempt in failures:
        with pytest.raises(InputFileError):
            attempt()
        assert snapshot(project) == before


def test_bad_coding_rows_can_be_skipped_explicitly(project, files):
    project.import_documents([files / "P1.txt"])
    project.import_codebook(files / "codebook.csv")
    (files / "mixed.csv").write_text("document,text,code\nP1,The wait was far too long,A1\nP1,nope,A1\n")
    with pytest.raises(InputFileError, match=r"1 of 2 rows cannot be imported") as error:
        project.import_codings(files / "mixed.csv", coder="ana")
    assert "row 3" in str(error.value)
    report = project.import_codings(files / "mixed.csv", coder="ana", skip_bad_rows=True)
    assert report.codings == 1 and len(report.codings_skipped) == 1


def test_identical_transcript_under_another_name_is_imported_and_reported(project, files):
    project.import_documents([files / "P1.txt"])
    (files / "copy.txt").write_text(INTERVIEW, encoding="utf-8")
    report = project.import_documents([files / "copy.txt"])
    assert [d["name"] for d in report.documents] == ["copy"]
    assert report.warnings == ["1 document has the same text as another document ('copy' = 'P1'); kept as separate documents"]
    assert [s.text for s in project.segments(document_ids=[2])] == [s.text for s in project.segments(document_ids=[1])]
    with pytest.raises(InputFileError, match="a document named 'copy' is already in the project"):
        project.import_documents([files / "copy.txt"])  # the very same file again: recognised by its name


def test_survey_respondents_with_identical_comments_import_as_separate_documents(project, tmp_path):
    (tmp_path / "survey.csv").write_text("respondent,text\nR1,No comment.\nR2,The staff were kind.\n"
                                         "R3,No comment.\nR4,No comment.\n", encoding="utf-8")
    from index.ingest.readers.table import TableOptions

    report = project.import_documents([tmp_path / "survey.csv"], table_options=TableOptions(document_column="respondent"))
    assert [d["name"] for d in report.documents] == ["R1", "R2", "R3", "R4"]
    assert report.warnings == ["2 documents have the same text as another document ('R3' = 'R1', 'R4' = 'R1'); "
                            "kept as separate documents"]
    assert [s.document for s in project.segments() if s.text == "No comment."] == ["R1", "R3", "R4"]


def test_index_is_cached_and_incremental(project, files, fake_encoder):
    project.import_documents([files / "P1.txt"])
    first = project.build_index()
    assert (first.segments, first.encoded, first.rebuilt) == (4, 4, True)
    assert project.build_index().rebuilt is False  # nothing changed: no work at all
    again = project.build_index(rebuild=True)
    assert (again.encoded, again.rebuilt) == (0, True)  # every vector came from the cache
    project.import_documents([files / "P2.txt"])
    assert project.status()["index"]["state"].startswith("stale")
    assert project.build_index().encoded == 2
    assert project.status()["index"]["state"] == "up to date"
    index = project.load_index()
    assert len(index) == 6
    hits = index.search(project.embed(["nurses were kind and listened"])[0], 1)[0]
    assert hits[0][0] == project.segments()[3].id


def test_index_built_with_another_model_is_refused(project, files):
    from tests.conftest import FakeEncoder

    project.import_documents([files / "P1.txt"])
    project.build_index()
    project.use_encoder(FakeEncoder(identifier="another-model"))
    with pytest.raises(IndexMismatchError, match="another-model|fake-bow-64"):
        project.load_index()


def test_opening_a_missing_or_foreign_folder_fails_clearly(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        Project.open(tmp_path / "nowhere")
    (tmp_path / "other").mkdir()
    with pytest.raises(ProjectError, match="not a codeseed project"):
        Project.open(tmp_path / "other")
    Project.init(tmp_path / "p").close()
    with pytest.raises(ProjectError, match="already exists"):
        Project.init(tmp_path / "p")


def test_no_pickle_in_a_project_folder(project, files):
    project.import_documents([files / "P1.txt"])
    project.build_index()
    for path in project.folder.rglob("*"):
        if path.is_file():
            head = path.read_bytes()[:2]
            assert head not in (b"\x80\x03", b"\x80\x04", b"\x80\x05"), path
    meta = json.loads((project.folder / "index" / "segments.meta.json").read_text())
    assert meta["model"] == "fake-bow-64" and meta["dimension"] == 64


def test_documents_with_the_same_text_get_distinct_guids_in_a_refi_export(project, files):
    from index.exchange.refi_export import project_model

    (files / "copy.txt").write_text(INTERVIEW, encoding="utf-8")
    project.import_documents([files / "P1.txt", files / "copy.txt"])
    guids = [s.guid for s in project_model(project).sources]
    assert len(guids) == 2 and len(set(guids)) == 2
