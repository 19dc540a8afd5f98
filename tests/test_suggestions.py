"""The suggester on a project: what is offered, decisions that teach it at once, undo, storage, explain, CLI."""

import csv

import pytest

from codeseed_cli import main
from index.demo import build_demo, sample_dir
from index.errors import CodeseedError
from suggest.estimator import CodeSuggester
from suggest.project_suggester import ProjectSuggester, prototype_text, suggestable_codes
from index.types import Code
from tests.conftest import coded_project

TRANSCRIPT = """Interviewer: How was getting an appointment?
P1: The waiting list was months long and nobody called me back.
Interviewer: And the staff?
P1: The staff were kind and treated me with respect.
P1: The parking was impossible and cost a fortune.
P1: I waited months on a list and nobody phoned me back.
P1: Staff treated me kindly and with respect.
"""


@pytest.fixture
def project(tmp_path, fake_encoder):
    p = coded_project(tmp_path, fake_encoder, {"P1": TRANSCRIPT})
    yield p
    p.close()


def ids_by_text(project):
    return {s.text.split()[0] + " " + s.text.split()[1]: s.id for s in project.segments()}


def test_offers_uncoded_participant_turns_and_leaf_codes(project):
    suggester = ProjectSuggester(project).fit()
    offered = [s.text for s in suggester.candidates()]
    assert offered == ["The parking was impossible and cost a fortune.",
                       "I waited months on a list and nobody phoned me back.",
                       "Staff treated me kindly and with respect."]
    assert [c.id for c in suggester.codes] == ["W", "R", "P"]  # ACC groups W and has no codings of its own


def test_suggestions_follow_the_coded_neighbours_and_are_stored(project):
    suggester = ProjectSuggester(project).fit()
    ids = ids_by_text(project)
    results = suggester.suggest()
    assert results[ids["I waited"]][0].code == "W"
    assert results[ids["Staff treated"]][0].code == "R"
    assert results[ids["The parking"]][0].code == "P"  # no examples: the codebook description decides
    evidence = results[ids["I waited"]][0].evidence
    assert evidence[0].segment_id == ids["The waiting"] and evidence[0].coder == "ana"
    stored = project.store.suggestions([ids["I waited"]])
    assert stored[0]["code_id"] == "W" and stored[0]["suggester"] == suggester.version
    assert stored[0]["evidence"][0]["segment_id"] == ids["The waiting"]
    assert suggester.suggest() == results  # idempotent


def test_accept_creates_a_coding_and_evidence_at_once(project):
    suggester = ProjectSuggester(project).fit()
    ids = ids_by_text(project)
    proposer = suggester.version
    outcome = suggester.decide(ids["The parking"], "P", coder="ben", accept=True, score=0.4)
    assert outcome.coding_changed
    coding = [c for c in project.store.codings() if c["segment_id"] == ids["The parking"]]
    assert coding == [{**coding[0], "code_id": "P", "coder": "ben", "origin": "accepted suggestion"}]
    decision = project.store.decisions()[-1]
    assert (decision["decision"], decision["score"], decision["suggester"]) == ("accept", 0.4, proposer)
    assert suggester.version != proposer  # it has learned: one more example
    # a similar segment now has the accepted one as evidence, without refitting
    similar = suggester.model.suggest(project.embed(["parking impossible"])[0], ["parking impossible"])[0]
    assert similar[0].code == "P" and similar[0].evidence[0].segment_id == ids["The parking"]


def test_reject_hides_the_code_for_the_segment_and_survives_a_refit(project):
    suggester = ProjectSuggester(project).fit()
    target = ids_by_text(project)["I waited"]
    suggester.decide(target, "W", coder="ana", accept=False, score=0.9)
    assert "W" not in [s.code for s in suggester.suggest([target])[target]]
    refitted = ProjectSuggester(project).fit()  # a new session reads the decision log
    assert "W" not in [s.code for s in refitted.suggest([target])[target]]


def test_undo_takes_back_the_last_decision_without_erasing_history(project):
    suggester = ProjectSuggester(project).fit()
    ids = ids_by_text(project)
    suggester.decide(ids["The parking"], "P", coder="ben", accept=True)
    suggester.decide(ids["I waited"], "W", coder="ben", accept=False)
    suggester.decide(ids["Staff treated"], "R", coder="ana", accept=False)
    undone = suggester.undo(coder="ben")
    assert (undone["segment_id"], undone["decision"]) == (ids["I waited"], "reject")
    assert "W" in [s.code for s in suggester.suggest([ids["I waited"]])[ids["I waited"]]]
    suggester.undo(coder="ben")
    assert not [c for c in project.store.codings() if c["segment_id"] == ids["The parking"]]
    assert suggester.undo(coder="ben") is None
    assert [d["decision"] for d in project.store.decisions()] == ["accept", "reject", "reject", "undo", "undo"]
    assert [d["coder"] for d in project.store.standing_decisions()] == ["ana"]


def test_bad_decisions_and_filters_are_refused_clearly(project):
    suggester = ProjectSuggester(project).fit()
    with pytest.raises(CodeseedError, match="no segment with id 999"):
        suggester.decide(999, "W", coder="ana", accept=True)
    with pytest.raises(CodeseedError, match="no code 'Z'"):
        suggester.decide(project.segments()[1].id, "Z", coder="ana", accept=True)
    with pytest.raises(CodeseedError, match="needs a coder"):
        suggester.decide(project.segments()[1].id, "W", coder=" ", accept=True)
    with pytest.raises(CodeseedError, match="no document named 'P9'"):
        suggester.candidates(documents=["P9"])
    with pytest.raises(CodeseedError, match="'ACC' is not a code that can be suggested"):
        suggester.suggest(codes=["ACC"])


def test_explain_shows_scores_thresholds_and_the_quotes_behind_them(project):
    suggester = ProjectSuggester(project).fit()
    target = ids_by_text(project)["I waited"]
    text = suggester.explain(target)
    assert "1. W Waiting: score" in text
    assert '+ segment' in text and "coded by ana" in text and "The waiting list was months long" in text


def test_prototype_text_and_suggestable_codes():
    code = Code("W", "Waiting.", description="Delays", inclusion="any wait")
    assert prototype_text(code) == "Waiting. Delays any wait"
    codes = [Code("T", "Theme"), Code("a", "A", parent="T"), Code("b", "B", parent="T")]
    assert [c.id for c in suggestable_codes(codes, set())] == ["a", "b"]
    assert [c.id for c in suggestable_codes(codes, {"T"})] == ["T", "a", "b"]


def test_cli_suggest_writes_csv_and_explains(project, tmp_path, capsys, monkeypatch):
    from tests.conftest import FakeEncoder

    folder = str(project.folder)
    project.close()
    monkeypatch.setattr("index.project.Encoder", lambda model, **options: FakeEncoder())  # the CLI builds its own encoder
    out = tmp_path / "s.csv"
    assert main(["suggest", folder, "--out", str(out), "--all"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert {r["document"] for r in rows} == {"P1"} and len(rows) == 9  # 3 segments x 3 codes
    assert set(rows[0]) >= {"segment_id", "start", "end", "speaker", "text", "code", "score", "rank",
                            "evidence_segment_ids"}
    segment = rows[0]["segment_id"]
    assert main(["suggest", folder, "--explain", segment]) == 0
    assert f"Segment {segment}" in capsys.readouterr().out
    assert main(["suggest", folder, "--codes", "NOPE"]) == 2
    assert "'NOPE' is not a code" in capsys.readouterr().err


def test_real_model_on_the_bundled_sample(tmp_path):
    """End to end with MiniLM: the held-out quotes' true subtheme ranks high for most of them."""
    with build_demo(tmp_path / "demo") as project:
        suggester = ProjectSuggester(project).fit()
        results = suggester.suggest(top=3)
        held_out = list(csv.DictReader((sample_dir() / "held_out.csv").open(encoding="utf-8")))
        by_document = {}
        for s in suggester.candidates():
            by_document.setdefault(s.document, []).append(s)
        hits = 0
        for row in held_out:
            [segment] = [s for s in by_document[row["document"]] if s.text == row["text"]]
            hits += row["code"] in [s.code for s in results[segment.id]]
        assert len(held_out) == 10 and hits >= 6, hits


def test_calibration_is_reused_until_the_examples_change(tmp_path, fake_encoder, monkeypatch):
    calls = []
    original = CodeSuggester._calibrate
    monkeypatch.setattr(CodeSuggester, "_calibrate", lambda self, *a: calls.append(1) or original(self, *a))
    with build_demo(tmp_path / "demo", index=False, encoder=fake_encoder) as project:
        first = ProjectSuggester(project).fit()
        assert first.reused_calibration is False and first.model.calibrated_ and calls == [1]
        again = ProjectSuggester(project).fit()
        assert again.reused_calibration is True and calls == [1]  # no cross-validation this time
        assert list(again.model.thresholds_) == list(first.model.thresholds_)
        assert again.suggest(store=False) == first.suggest(store=False)
        target = again.candidates()[0].id
        again.decide(target, again.model.codes_[0], coder="ben", accept=True)  # one more example
        assert ProjectSuggester(project).fit().reused_calibration is False and calls == [1, 1]


def test_after_indexing_fitting_encodes_nothing(project, fake_encoder):
    """`codeseed index` embeds the codebook's texts with the segments, so a fit (the app, `suggest`) never has to
    load the model; a codebook imported after indexing is embedded by the next `index`, even with nothing to add."""
    project.build_index()
    before = fake_encoder.n_encoded
    ProjectSuggester(project).fit()
    assert fake_encoder.n_encoded == before
    changed = project.codes()[0]  # one code's description changed: the next index embeds just that text
    (project.folder.parent / "codebook2.csv").write_text(
        "id,name,description\n" + f"{changed.id},{changed.name},a wholly new description\n")
    project.import_codebook(project.folder.parent / "codebook2.csv")
    report = project.build_index()
    assert not report.rebuilt and fake_encoder.calls[-1] == [prototype_text(project.store.codes()[0])]
    before = fake_encoder.n_encoded
    ProjectSuggester(project).fit()
    assert fake_encoder.n_encoded == before
