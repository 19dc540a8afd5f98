"""One rule for coder names (index.types.coder_name), applied wherever a name comes in: the review session,
decisions through the suggester, a codings file's coder column and --coder."""

import pytest

from index.errors import CodeseedError, InputFileError
from index.types import MAX_CODER_NAME, coder_name
from suggest.project_suggester import ProjectSuggester
from suggest.review import ReviewSession
from tests.conftest import coded_project

P1 = "Interviewer: How was it?\nP1: The waiting list was months long\nP1: The staff were kind\nP1: Parking cost a lot\n"


def test_the_rule_trims_collapses_and_limits():
    assert coder_name("  ana \t maria\n") == "ana maria"
    assert coder_name("") is None and coder_name(None) is None and coder_name("   ") is None
    assert coder_name("x" * MAX_CODER_NAME) == "x" * MAX_CODER_NAME
    with pytest.raises(CodeseedError, match=f"at most {MAX_CODER_NAME} characters") as caught:
        coder_name("x" * (MAX_CODER_NAME + 1))
    assert caught.value.field == "coder" and "How to fix" in str(caught.value)
    with pytest.raises(CodeseedError, match="who are you") as caught:
        coder_name(" ", required=True, missing="who are you", fix="say it")
    assert caught.value.fix == "say it"


@pytest.fixture
def project(tmp_path, fake_encoder):
    p = coded_project(tmp_path, fake_encoder, {"P1": P1}, coder="  first   coder ")
    yield p
    p.close()


def test_codings_import_and_default_coder_follow_the_rule(project, tmp_path):
    assert {c["coder"] for c in project.store.codings()} == {"first coder"}  # --coder, cleaned
    (tmp_path / "more.csv").write_text(f"document,text,code,coder\nP1,The staff were kind,R,  bo   b \n"
                                       f"P1,Parking cost a lot,P,{'y' * (MAX_CODER_NAME + 1)}\n")
    with pytest.raises(InputFileError, match=f"row 3.*at most {MAX_CODER_NAME} characters"):
        project.import_codings(tmp_path / "more.csv")
    report = project.import_codings(tmp_path / "more.csv", skip_bad_rows=True)
    assert report.coders == ["bo b"] and report.codings == 1


def test_decisions_and_the_review_session_follow_the_rule(project):
    suggester = ProjectSuggester(project).fit()
    segment = next(s for s in project.segments() if "Parking" in s.text)
    with pytest.raises(CodeseedError, match="needs a coder name"):
        suggester.decide(segment.id, "P", coder="  ", accept=True)
    with pytest.raises(CodeseedError, match="at most"):
        suggester.decide(segment.id, "P", coder="z" * 100, accept=True)
    suggester.decide(segment.id, "P", coder=" dora  x ", accept=False)
    assert project.store.decisions()[-1]["coder"] == "dora x"
    session = ReviewSession(project, suggester, coder="  ana\t b ")
    assert session.coder == "ana b"
    with pytest.raises(CodeseedError, match="at most"):
        session.set_coder("q" * 200)
    assert session.coder == "ana b"
    assert project.store.decisions()[-1]["coder"] == "dora x"
