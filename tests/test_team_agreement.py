"""Coding as a team, what a team learns from it: pairwise agreement (against scikit-learn, `krippendorff` and
`codeseed eval`), reconciliation under the consensus coder (trail, undo, export), and eval on "no code applies"."""

import numpy as np
import pytest

from index.errors import CodeseedError
from suggest.project_suggester import ProjectSuggester
from tests.conftest import coded_project
from tests.test_team import TRANSCRIPT, segment


@pytest.fixture
def project(tmp_path, fake_encoder):
    p = coded_project(tmp_path, fake_encoder, {"P1": TRANSCRIPT})
    yield p
    p.close()


# -- agreement ---------------------------------------------------------------------------------------------------
def two_coder_project(tmp_path, encoder):
    """ana and ben each coded every participant turn of two documents but the last (imported): known
    disagreements."""
    from index.project import Project

    folder = tmp_path / "two"
    folder.mkdir()
    lines = ["P1: The waiting list was months long.", "P1: Staff were kind to me.", "P1: Parking cost a fortune.",
             "P1: Nobody called me back for months.", "P1: The nurse listened with respect.",
             "P1: I paid ten pounds to park.", "P1: Months on the list again.", "P1: They were rude at reception."]
    (folder / "D1.txt").write_text("\n".join(lines[:4]) + "\n")
    (folder / "D2.txt").write_text("\n".join(lines[4:]) + "\nP1: The weather was nice that day.\n")  # uncoded
    (folder / "codebook.csv").write_text("code,parent,name,description\nW,,Waiting,delays\nR,,Respect,kindness\n"
                                         "P,,Parking,parking costs\n")
    ana = ["W", "R", "P", "W", "R", "P", "W", "R"]
    ben = ["W", "R", "W", "W", "P", "P", "W", "W"]
    rows = ["document,text,code,coder"]
    for i, line in enumerate(lines):
        doc, text = ("D1" if i < 4 else "D2"), line.split(": ", 1)[1]
        rows += [f"{doc},{text},{ana[i]},ana", f"{doc},{text},{ben[i]},ben"]
    (folder / "codings.csv").write_text("\n".join(rows) + "\n")
    p = Project.init(folder / "proj")
    p.use_encoder(encoder)
    p.import_documents([folder / "D1.txt", folder / "D2.txt"])
    p.import_codebook(folder / "codebook.csv")
    p.import_codings(folder / "codings.csv")
    return p, ana, ben


def test_tab_figures_equal_eval_and_the_reference_implementations(tmp_path, fake_encoder):
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    from eval.agreement import human_agreement
    from eval.project_eval import project_data
    from eval.team_agreement import project_agreement

    p, ana, ben = two_coder_project(tmp_path, fake_encoder)
    try:
        [result] = project_agreement(p, n_boot=200)
        data = project_data(p)
        evaluated = human_agreement(data.codings, data.codes)
    finally:
        p.close()
    assert result["coders"] == ["ana", "ben"] and result["units"] == 8
    for entry in result["per_code"]:
        code = entry["code"]
        a = [int(x == code) for x in ana]
        b = [int(x == code) for x in ben]
        kappa, low, high = entry["kappa"]
        assert kappa == pytest.approx(cohen_kappa_score(a, b))
        assert kappa == pytest.approx(evaluated["per_code"][code]["mean_pairwise_kappa"])
        assert entry["alpha"][0] == pytest.approx(krippendorff.alpha(reliability_data=[a, b],
                                                                     level_of_measurement="nominal"))
        assert entry["alpha"][0] == pytest.approx(evaluated["per_code"][code]["krippendorff_alpha"])
        assert entry["percent"][0] == pytest.approx(np.mean([x == y for x, y in zip(a, b)]))
        assert low <= high
    assert result["overall"]["kappa"][0] == pytest.approx(evaluated["overall"]["mean_pairwise_kappa"])
    assert [d["document"] for d in result["per_document"]] == ["D1", "D2"]
    assert result["per_document"][0]["units"] == 4


def test_uncoded_segments_count_by_default_and_can_be_left_out(project):
    from eval.pairwise import pair_agreement

    ratings_ = {"ana": {1: {"W"}, 2: set(), 3: set(), 4: {"R"}}, "ben": {1: {"W"}, 2: set(), 3: {"R"}, 4: {"R"}}}
    groups = {1: "d1", 2: "d1", 3: "d2", 4: "d2"}
    with_uncoded = pair_agreement(ratings_, "ana", "ben", ["W", "R"], groups, n_boot=0)
    without = pair_agreement(ratings_, "ana", "ben", ["W", "R"], groups, include_uncoded=False, n_boot=0)
    assert with_uncoded["units"] == 4 and without["units"] == 3 and without["uncoded_left_out"] == 1
    # code R: ana 0,0,0,1 / ben 0,0,1,1 -> 3 of 4 agree; without segment 2: 2 of 3
    r = {e["code"]: e for e in with_uncoded["per_code"]}["R"]
    assert r["percent"][0] == pytest.approx(0.75)
    assert {e["code"]: e for e in without["per_code"]}["R"]["percent"][0] == pytest.approx(2 / 3)


# -- reconciliation ---------------------------------------------------------------------------------------------
def test_reconciliation_stores_consensus_with_a_trail_and_undo(tmp_path, fake_encoder):
    from suggest.reconcile import disagreements, reconcile, undo_last

    p, ana, ben = two_coder_project(tmp_path, fake_encoder)
    try:
        before = {(c["segment_id"], c["code_id"], c["coder"]) for c in p.store.codings()}
        rows = disagreements(p.store, ["ana", "ben"])
        assert len(rows) == sum(x != y for x, y in zip(ana, ben)) == 3
        first, second = rows[0], rows[1]
        assert first.codes == {"ana": frozenset({"P"}), "ben": frozenset({"W"})} and first.agreed is None
        suggester = ProjectSuggester(p).fit()
        assert reconcile(suggester, first.segment_id, ["P"], coders=["ana", "ben"]) == 1
        assert reconcile(suggester, second.segment_id, [], coders=["ana", "ben"]) == 1  # no code applies
        with pytest.raises(CodeseedError, match="reconciled already"):
            reconcile(suggester, first.segment_id, ["W"], coders=["ana", "ben"])
        with pytest.raises(CodeseedError, match="no code 'Z'"):
            reconcile(suggester, rows[2].segment_id, ["Z"], coders=["ana", "ben"])
        after = {(c["segment_id"], c["code_id"], c["coder"]) for c in p.store.codings()}
        assert after - before == {(first.segment_id, "P", "consensus")}  # nobody's codings changed
        trail = [d for d in p.store.decisions() if d["coder"] == "consensus"]
        assert [(d["decision"], d["note"]) for d in trail] == [("accept", "reconciled: ana, ben"),
                                                             ("none", "reconciled: ana, ben")]
        shown = disagreements(p.store, ["ana", "ben"])
        assert shown[0].agreed == frozenset({"P"}) and shown[1].agreed == frozenset()
        assert undo_last(suggester) == (second.segment_id, [None])
        assert undo_last(suggester) == (first.segment_id, ["P"])
        assert undo_last(suggester) is None
        assert {(c["segment_id"], c["code_id"], c["coder"]) for c in p.store.codings()} == before
        assert len(p.store.decisions()) == 4  # two decisions and two undo rows: nothing erased
        reconcile(suggester, first.segment_id, ["P"], coders=["ana", "ben"])
        export_each_coder_and_the_consensus(p, tmp_path, first.segment_id)
    finally:
        p.close()


def export_each_coder_and_the_consensus(p, tmp_path, segment_id):
    import csv

    from index.exchange.refi_export import export_csv, export_refi
    from index.exchange.refi_reader import read_qdpx

    report = export_refi(p, tmp_path / "team.qdpx")
    assert sorted(report.coders) == ["ana", "ben", "consensus"]
    users = {u.guid: u.name for u in read_qdpx(tmp_path / "team.qdpx").users}
    assert sorted(users.values()) == ["ana", "ben", "consensus"]
    export_csv(p, tmp_path / "team.csv")
    with open(tmp_path / "team.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["coder"] for r in rows} == {"ana", "ben", "consensus"}
    [agreed] = [r for r in rows if r["coder"] == "consensus"]
    segment = p.store.segments(segment_ids=[segment_id])[0]
    assert (agreed["code"], agreed["origin"], agreed["text"]) == ("P", "human", segment.text)


# -- eval ---------------------------------------------------------------------------------------------------------
def test_eval_tests_no_code_segments_as_negatives_and_counts_them(project):
    from eval.decisions import decision_summary
    from eval.project_eval import project_data

    suggester = ProjectSuggester(project).fit()
    cat, waiting = segment(project, "My cat"), segment(project, "The waiting")
    suggester.decide_none(cat, coder="ben")
    suggester.decide_none(waiting, coder="ben")  # ana coded it: ben disagrees
    data = project_data(project)
    row = data.unit_ids.index(cat)
    assert len(data.unit_ids) == 3 and not data.Y[row].any()  # a known negative, tested
    assert data.codings["ben"] == {cat: set(), waiting: set()} and data.codings["ana"][waiting] == {"W"}
    assert any("no code applies" in n for n in data.notes)
    summary = decision_summary(project.store.decisions())
    assert summary["no_code"] == 2 and summary["overall"]["decisions"] == 0
    suggester.undo(coder="ben")
    assert decision_summary(project.store.decisions())["no_code"] == 1


def test_eval_runs_the_suggester_taught_by_no_code_beside_the_plain_one(tmp_path, fake_encoder):
    from eval.project_eval import run_project_eval

    p, _, _ = two_coder_project(tmp_path, fake_encoder)
    try:
        weather = segment(p, "The weather")
        ProjectSuggester(p).fit().decide_none(weather, coder="cy")
        result = run_project_eval(p, folds=2, n_boot=10, learning_curve=False)
    finally:
        p.close()
    assert {"suggester", "suggester_no_code"} <= set(result["methods"])
    for name in ("suggester", "suggester_no_code"):
        assert result["methods"][name]["uncoded_segments"] == 1
        assert result["methods"][name]["abstained_on_uncoded"] in (0.0, 1.0)
    assert result["decisions"]["no_code"] == 1
