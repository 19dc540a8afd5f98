"""The app's team parts without a browser: a suggester per round coder, the Team tab's round and reconciliation
handlers, and the Agreement tab's live figures."""

import pytest

from app.core import CodingApp
from app.tabs import agreement, team
from index.rounds import CONSENSUS
from tests.conftest import coded_project
from tests.test_team_agreement import two_coder_project

TRANSCRIPT = ("Interviewer: How was it?\nP1: The waiting list was months long.\nP1: The staff were kind.\n"
              "P1: Parking cost a lot.\nP1: Nobody told us how long it would take.\n")


@pytest.fixture
def coding_app(tmp_path, fake_encoder):
    project = coded_project(tmp_path, fake_encoder, {"P1": TRANSCRIPT})
    yield CodingApp(project)
    project.close()


def test_round_coders_get_suggesters_of_their_own_and_others_share_one(coding_app):
    assert coding_app.suggester_for("ana") is coding_app.suggester
    status, note = team.start(coding_app, "ana, ben", None)
    assert "Round 1 is open" in status and "ana: reviewed 0 of 2" in status and "Started round 1" in note
    ana, ben = coding_app.suggester_for("ana"), coding_app.suggester_for("ben")
    assert ana is not ben and ana is not coding_app.suggester and coding_app.suggester_for("ana") is ana
    assert ana.view.coder == "ana" and ben.view.coder == "ben"
    assert coding_app.suggester_for("cy") is coding_app.suggester
    assert coding_app.new_session("ben").suggester is ben
    _, refused = team.start(coding_app, "cy, dee", None)
    assert "still open" in refused
    status, note = team.close(coding_app)
    assert "No round is open (1 closed)" in status
    assert coding_app.suggester_for("ana") is coding_app.suggester


def test_reconcile_in_the_team_tab_and_undo(tmp_path, fake_encoder):
    project, ana, ben = two_coder_project(tmp_path, fake_encoder)
    app = CodingApp(project)
    try:
        rows, choices = team.disagreement_rows(app, ["ana", "ben"])
        assert len(rows) == 3 and rows[0][3] == "ana: P · ben: W" and rows[0][5] == ""
        segment = choices[0][1]
        rows, _, note = team.agree(app, ["ana", "ben"], segment, ["P"])
        assert "stored under consensus" in note and rows[0][5] == "P"
        assert project.store.coding(segment, "P", CONSENSUS)["origin"] == "human"
        _, _, note = team.agree(app, ["ana", "ben"], segment, ["W"])
        assert "reconciled already" in note
        rows, _, note = team.undo(app, ["ana", "ben"])
        assert f"segment {segment}" in note and rows[0][5] == ""
        assert project.store.coding(segment, "P", CONSENSUS) is None
        _, _, note = team.agree(app, ["ana", "ben"], None, [])
        assert "Choose a segment" in note
    finally:
        project.close()


def test_the_agreement_tab_shows_each_pair_with_intervals(tmp_path, fake_encoder):
    from sklearn.metrics import cohen_kappa_score

    project, ana, ben = two_coder_project(tmp_path, fake_encoder)
    app = CodingApp(project)
    try:
        rows, documents, summary = agreement.pairwise(app, True)
    finally:
        project.close()
    overall = rows[0]
    assert overall[:3] == ["ana · ben", "all codes (mean)", 8]
    by_code = {r[1].split()[0]: r for r in rows[1:]}
    expected = cohen_kappa_score([int(x == "W") for x in ana], [int(x == "W") for x in ben])
    assert by_code["W"][3] == f"{expected:.2f}" and " to " in by_code["W"][4]
    assert [d[1] for d in documents] == ["D1", "D2"]
    assert "8 segments both reviewed" in summary and "including those both left without a code" in summary


def test_the_agreement_tab_says_what_to_do_without_two_coders(coding_app):
    rows, documents, summary = agreement.pairwise(coding_app, True)
    assert rows == [] and documents == [] and "Start a blind round" in summary


def test_after_a_round_each_coder_is_set_beside_the_suggester_they_coded_with(coding_app):
    team.start(coding_app, "ana, ben", None)
    ana, ben = coding_app.suggester_for("ana"), coding_app.suggester_for("ben")
    overlap = [s.id for s in ana.candidates()]
    predicted = coding_app.round_predictions()
    assert set(predicted) == set(overlap)
    for i, segment in enumerate(overlap):
        top = ana.suggest([segment], store=False)[segment][0].code
        ana.decide(segment, top, coder="ana", accept=True)
        if i % 2:
            ben.decide_none(segment, coder="ben")
        else:
            ben.decide(segment, top, coder="ben", accept=True)
    team.close(coding_app)
    rows, _, summary = agreement.pairwise(coding_app, True)
    assert rows[0][:3] == ["ana · ben", "all codes (mean)", len(overlap)]
    assert "ana vs the other coder κ" in summary and "vs the suggester (fitted before the round)" in summary


def test_closing_a_round_teaches_the_shared_suggester_what_the_round_coded(coding_app):
    team.start(coding_app, "ana, ben", None)
    ana = coding_app.suggester_for("ana")
    segment = ana.candidates()[0].id
    ana.decide(segment, "P", coder="ana", accept=True)
    shared = coding_app.suggester
    assert segment not in {e.segment_id for e in shared.model.examples_}
    team.close(coding_app)
    assert segment in {e.segment_id for e in shared.model.examples_}
