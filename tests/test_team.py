"""Coding as a team: "no code applies", blind rounds, what each coder sees, and the store's migration 006."""

import sqlite3

import numpy as np
import pytest

from index.errors import CodeseedError
from index.rounds import CoderView, close_round, current_round, progress, ratings, start_round, view_for
from index.store.store import Store, migrations, split_sql
from suggest.project_suggester import ProjectSuggester
from tests.conftest import coded_project

TRANSCRIPT = """Interviewer: How was getting an appointment?
P1: The waiting list was months long and nobody called me back.
Interviewer: And the staff?
P1: The staff were kind and treated me with respect.
P1: My cat likes the garden and the sunny window.
P1: I waited months on a list and nobody phoned me back.
P1: The cat likes the garden and a sunny window.
"""


@pytest.fixture
def project(tmp_path, fake_encoder):
    p = coded_project(tmp_path, fake_encoder, {"P1": TRANSCRIPT})
    yield p
    p.close()


def segment(project, start: str) -> int:
    return next(s.id for s in project.segments() if s.text.startswith(start))


def scores(suggester, segment_id):
    vector = suggester._vectors[segment_id]
    return suggester.model.scores(vector, [suggester._segments[segment_id].text], segment_ids=[segment_id])[0]


# -- migration 006 ----------------------------------------------------------------------------------------------
def test_migration_rebuilds_decisions_keeping_rows_ids_and_append_only(tmp_path):
    path = tmp_path / "project.db"
    db = sqlite3.connect(path, isolation_level=None)
    for version, name, text in migrations():
        if name.endswith("_team_coding.sql"):
            break
        for statement in split_sql(text):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {version}")
    db.execute("INSERT INTO documents(name, source, text, sha256, imported_at) VALUES ('d','d','hello','x','t')")
    db.execute("INSERT INTO segments(document_id, position, start, end, text_hash) VALUES (1,0,0,5,'h')")
    db.execute("INSERT INTO codes(id, name) VALUES ('a','A')")
    db.execute("INSERT INTO decisions(id, segment_id, code_id, coder, decision, score, created_at)"
               " VALUES (7,1,'a','ana','accept',0.8,'t1')")
    db.execute("INSERT INTO decisions(segment_id, code_id, coder, decision, undoes, created_at)"
               " VALUES (1,'a','ana','undo',7,'t2')")
    db.close()
    store = Store.open(path)
    try:
        rows = store.decisions()
        assert [(r["id"], r["decision"], r["undoes"], r["score"]) for r in rows] == [(7, "accept", None, 0.8),
                                                                                   (8, "undo", 7, None)]
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.db.execute("DELETE FROM decisions")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.db.execute("UPDATE decisions SET coder = 'x'")
        store.add_decision(segment_id=1, code_id=None, coder="ana", decision="none", score=None, suggester=None)
        with pytest.raises(sqlite3.IntegrityError):  # only 'none' (and its undo) may name no code
            store.add_decision(segment_id=1, code_id=None, coder="ana", decision="accept", score=None, suggester=None)
        with pytest.raises(sqlite3.IntegrityError):
            store.add_decision(segment_id=1, code_id="a", coder="ana", decision="none", score=None, suggester=None)
        assert [r["decision"] for r in store.standing_decisions()] == ["none"]
    finally:
        store.close()


# -- "no code applies" ------------------------------------------------------------------------------------------
def test_no_code_lowers_every_code_for_a_very_similar_segment(project):
    suggester = ProjectSuggester(project).fit()
    cat, twin = segment(project, "My cat"), segment(project, "The cat")
    before = scores(suggester, twin)
    suggester.decide_none(cat, coder="ana")
    after = scores(suggester, twin)
    assert (after < before).all()  # every code is weaker for the near-duplicate
    assert suggester.suggest([cat], store=False)[cat] == []  # and none is proposed for the segment itself
    assert cat not in {s.id for s in suggester.candidates()}  # reviewed: no longer offered
    assert ratings(project.store)["ana"][cat] == set()  # reviewed, no code
    refitted = ProjectSuggester(project).fit()  # the log teaches a new suggester the same
    assert np.allclose(scores(refitted, twin), after)
    suggester.undo(coder="ana")
    assert np.allclose(scores(suggester, twin), before)
    assert [d["decision"] for d in project.store.decisions()] == ["none", "undo"]
    assert project.store.decisions()[1]["undoes"] == project.store.decisions()[0]["id"]


def test_no_code_is_refused_on_a_segment_the_coder_coded_and_blocks_accepting(project):
    suggester = ProjectSuggester(project).fit()
    cat = segment(project, "My cat")
    suggester.decide(cat, "P", coder="ana", accept=True)
    with pytest.raises(CodeseedError, match="coded segment .* with P"):
        suggester.decide_none(cat, coder="ana")
    suggester.decide_none(cat, coder="ben")  # another coder may see it otherwise
    with pytest.raises(CodeseedError, match="no code applies"):
        suggester.decide(cat, "R", coder="ben", accept=True)
    again = suggester.decide_none(cat, coder="ben")  # twice: nothing new in the log
    assert again.decision_id == project.store.standing_decisions()[-1]["id"]
    assert sum(d["decision"] == "none" for d in project.store.decisions()) == 1


def test_undo_of_no_code_keeps_a_separate_rejection(project):
    suggester = ProjectSuggester(project).fit()
    cat, twin = segment(project, "My cat"), segment(project, "The cat")
    suggester.decide(cat, "R", coder="ben", accept=False)
    only_reject = scores(suggester, twin)
    suggester.decide_none(cat, coder="ana")
    suggester.undo(coder="ana")
    assert np.allclose(scores(suggester, twin), only_reject)


# -- rounds -----------------------------------------------------------------------------------------------------
def test_round_fixes_the_overlap_and_refuses_bad_input(project):
    store = project.store
    with pytest.raises(CodeseedError, match="two or more coders"):
        start_round(store, "ana")
    with pytest.raises(CodeseedError, match="named twice"):
        start_round(store, "ana, ana")
    with pytest.raises(CodeseedError, match="consensus"):
        start_round(store, "ana,consensus")
    with pytest.raises(CodeseedError, match="no document named 'P9'"):
        start_round(store, "ana,ben", ["P9"])
    found = start_round(store, " ana , ben ")
    assert found.coders == ("ana", "ben") and found.is_open
    texts = [s.text for s in store.segments(segment_ids=found.segment_ids)]
    assert texts == ["My cat likes the garden and the sunny window.",
                     "I waited months on a list and nobody phoned me back.",
                     "The cat likes the garden and a sunny window."]  # uncoded participant turns only
    with pytest.raises(CodeseedError, match="still open"):
        start_round(store, "cy,dee")
    assert current_round(store) == found
    assert close_round(store).closed_at is not None
    assert current_round(store) is None
    with pytest.raises(CodeseedError, match="no round is open"):
        close_round(store)


def test_round_coders_are_blind_to_each_other_and_their_suggesters_too(project):
    store = project.store
    found = start_round(store, "ana,ben")
    assert view_for(store, "cy") is None and view_for(store, None) is None
    ana = ProjectSuggester(project, view=view_for(store, "ana")).fit()
    ben = ProjectSuggester(project, view=view_for(store, "ben")).fit()
    cat, twin, waited = segment(project, "My cat"), segment(project, "The cat"), segment(project, "I waited")
    ben_before = scores(ben, twin)
    ana.decide_none(cat, coder="ana")
    ana.decide(waited, "W", coder="ana", accept=True)
    assert np.allclose(scores(ben, twin), ben_before)  # ana's no-code does not reach ben's suggester
    ben_fresh = ProjectSuggester(project, view=view_for(store, "ben")).fit()  # nor a refit of it
    assert np.allclose(scores(ben_fresh, twin), ben_before)
    assert {c["coder"] for c in ben_fresh.codings()} == {"ana"}  # the pre-round codings only ...
    assert len(ben_fresh.codings()) == 2
    assert waited in {s.id for s in ben_fresh.candidates()}  # ... so ana's work is still to do for ben
    assert waited not in {s.id for s in ana.candidates()}
    assert progress(store, found) == [{"coder": "ana", "reviewed": 2, "total": 3},
                                      {"coder": "ben", "reviewed": 0, "total": 3}]
    close_round(store)
    assert view_for(store, "ben") is None  # the blinds lift


def test_coder_view_lets_through_older_rows_and_own_rows():
    view = CoderView("ana", "2026-01-02T00:00:00.000+00:00")
    rows = [{"coder": "ben", "created_at": "2026-01-01T10:00:00.000+00:00"},
            {"coder": "ben", "created_at": "2026-01-03T10:00:00.000+00:00"},
            {"coder": "ana", "created_at": "2026-01-03T10:00:00.000+00:00"}]
    assert view.filter(rows) == [rows[0], rows[2]]


# -- command line -------------------------------------------------------------------------------------------------
def test_cli_round_start_status_close(project, capsys):
    import json

    from codeseed_cli import main

    folder = str(project.folder)
    assert main(["round", "start", folder]) == 2
    assert "--coders ana,ben" in capsys.readouterr().err
    assert main(["round", "start", folder, "--coders", "ana,ben", "--documents", "P1"]) == 0
    assert "ana, ben each code 3 segments" in capsys.readouterr().out
    assert main(["round", "start", folder, "--coders", "cy,dee"]) == 2
    assert "still open" in capsys.readouterr().err
    assert main(["status", folder]) == 0
    out = capsys.readouterr().out
    assert "Round 1 (blind)" in out and "ana: reviewed 0 of 3" in out and "ben: reviewed 0 of 3" in out
    assert main(["status", folder, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["round"]["coders"] == ["ana", "ben"] and status["round"]["segments"] == 3
    assert main(["round", "close", folder]) == 0
    assert main(["round", "status", folder]) == 0
    assert "No round is open (1 closed)" in capsys.readouterr().out
    assert main(["round", "close", folder]) == 2
    assert "no round is open" in capsys.readouterr().err


# -- the review session ---------------------------------------------------------------------------------------------
def test_review_no_code_key_counts_as_reviewed_and_undoes(project):
    from suggest.review import ReviewSession

    session = ReviewSession(project, ProjectSuggester(project).fit(), coder="ana")
    first = session.segment_id
    assert session.card().progress.reviewed == 0 and session.card().items
    session.no_code()
    card = session.card()
    assert card.no_code and card.reviewed and card.progress.reviewed == 1 and card.items == ()
    assert "No code applies" in card.message
    session.undo()
    card = session.card()
    assert card.segment.id == first and not card.no_code and not card.reviewed and card.items
    assert "Undone: marking no code applies" in card.message
    session.accept()
    with pytest.raises(CodeseedError, match="undo those codes first"):
        session.no_code()


def test_review_in_a_round_is_blind_and_follows_the_round(project):
    from suggest.review import ReviewSession

    suggesters = {}

    def suggester_for(coder):
        view = view_for(project.store, coder)
        key = (view.since, coder) if view else None
        if key not in suggesters:
            suggesters[key] = ProjectSuggester(project, view=view).fit()
        return suggesters[key]

    ana = ReviewSession(project, suggester_for("ana"), "ana", suggester_for=suggester_for)
    ben = ReviewSession(project, suggester_for("ben"), "ben", suggester_for=suggester_for)
    cy = ReviewSession(project, suggester_for("cy"), "cy", suggester_for=suggester_for)
    found = start_round(project.store, "ana,ben", ["P1"])
    cat = segment(project, "My cat")
    ana.goto(ana.queue.index(cat) + 1)  # the round reaches open sessions at their next call
    assert ana.suggester.view.coder == "ana" and ana.queue == list(found.segment_ids)
    top = ana.card().items[0].code
    ana.accept()
    ben.goto(ben.queue.index(cat) + 1)
    card = ben.card()
    assert [c.coder for c in card.codings] == [] and card.blind and "not ana's" in card.blind
    assert top in {i.code for i in card.items if i.status == "pending"}  # ana's accept is not ben's
    cy.goto(cy.queue.index(cat) + 1)  # outside the round: sees everything, shares the suggester
    card = cy.card()
    assert card.blind is None and cy.suggester.view is None and [c.coder for c in card.codings] == ["ana"]
    close_round(project.store)
    ben.next()
    assert ben.suggester.view is None and ben.card().blind is None


def test_a_no_code_segment_has_no_pending_suggestions_to_export(project):
    suggester = ProjectSuggester(project).fit()
    cat = segment(project, "My cat")
    suggester.suggest()
    project.store.replace_suggestions([{"segment_id": cat, "code_id": "P", "score": 0.9, "rank": 1, "confident": True,
                                        "evidence": [], "suggester": "v"}], [cat])
    assert cat in {r["segment_id"] for r in project.store.pending_suggestions()}
    suggester.decide_none(cat, coder="ana")
    assert cat not in {r["segment_id"] for r in project.store.pending_suggestions()}
    suggester.undo(coder="ana")
    assert cat in {r["segment_id"] for r in project.store.pending_suggestions()}
