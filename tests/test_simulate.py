"""The effort simulation: the coder's keys on hand-built screens, the pass on a tiny project through the app's own
review session (hand-counted), the project left untouched, both queue orders, and the always-right / always-wrong
suggesters that bound it."""

from __future__ import annotations

import pytest

from eval.simulate import Line, hand_keys, picker_keys, plan, simulate, summarise
from eval.simulate_sources import ArrayReviewer, simulate_project
from tests.conftest import coded_project, snapshot
from tests.test_review import P1, P2  # the review tests' two small transcripts

# the app's picker labels for the test codebook (ReviewSession.code_choices), in codebook order
CHOICES = [("ACC  Access", "ACC"), ("W  Waiting  (ACC)", "W"), ("R  Respect", "R"), ("P  Parking", "P")]
# Hand count: "a" is in "ACC  Access" first -> C a Enter = 3; "w" first in W's label -> 3; "r" is not in
# "acc  access" nor "w  waiting  (acc)" -> 3; "p" is in "r  respect" first, but "k" is only in "p  parking" -> 3.
PICK = {"ACC": 3, "W": 3, "R": 3, "P": 3}


def test_picker_keys_follow_the_pickers_substring_filter():
    assert picker_keys(CHOICES) == PICK
    # every single character of "a  x" is in "ab  x", which comes first; "a " only in A's label -> C a ␣ Enter
    assert picker_keys([("AB  x", "AB"), ("A  x", "A")]) == {"AB": 3, "A": 4}
    # a part from the middle of the name will do: "q" is only in the second label
    assert picker_keys([("1.1  Waiting", "1.1"), ("1.2  Queue", "1.2")]) == {"1.1": 3, "1.2": 3}
    # a label inside an earlier one is never first: typed in full (4 characters), then one ↓
    assert picker_keys([("xa  b", "X"), ("a  b", "A")])["A"] == 2 + len("a  b") + 1


def test_plan_counts_the_apps_keys_on_a_hand_built_screen():
    lines = [Line("R", 0.9, True), Line("W", 0.8, False), Line("P", 0.7, True), Line("ACC", 0.1, False)]
    # truth {R, W}: A on R (focus starts there) = 1; focus moves to W (pending), P is wanted: digit 3 + X = 2;
    # W is grey: added with the picker = 3; N = 1 -> 7 keys; decisions: accept R, reject P, add W
    step = plan(lines, {"R", "W"}, PICK)
    assert step.actions == (("accept", "R"), ("reject", "P"), ("add", "W"))
    assert step.keys == 7
    # reading the whole list: A on R = 1, then focus is on W: A = 1, X on P = 1 (focus moved there), N -> 4
    listed = plan(lines, {"R", "W"}, PICK, shown="listed")
    assert listed.actions == (("accept", "R"), ("accept", "W"), ("reject", "P"))
    assert listed.keys == 4
    # no true code, nothing confident: N only; by hand the same segment is N only too
    assert plan([Line("W", 0.2, False)], set(), PICK).keys == 1 == hand_keys(set(), PICK)
    # by hand: R 3 + W 3 + N
    assert hand_keys({"R", "W"}, PICK) == 7


class Oracle:
    """A reviewer whose lists are scripted from the truth: always right, or always wrong (5 confident false codes)."""

    def __init__(self, truth, codes, right: bool):
        self.truth, self.codes, self.right = truth, codes, right
        self.calls: list[tuple[str, int, str]] = []

    def queue(self):
        return list(self.truth)

    def arrive(self, unit):
        true = sorted(self.truth[unit])
        if self.right:
            return [Line(c, 0.9, True) for c in true] + [Line(c, 0.1, False) for c in self.codes if c not in true][:2]
        return [Line(c, 0.9, True) for c in self.codes if c not in true][:5]

    def accept(self, unit, code):
        self.calls.append(("accept", unit, code))

    def reject(self, unit, code):
        self.calls.append(("reject", unit, code))

    def add(self, unit, code):
        self.calls.append(("add", unit, code))

    def refit(self):
        self.calls.append(("refit", None, ""))


CODES = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]
TRUTH = {1: {"C1"}, 2: {"C2", "C3"}, 3: set(), 4: {"C8"}}


def test_an_always_right_suggester_takes_one_key_per_true_code_and_one_to_move_on():
    pick = picker_keys([(f"{c}  code {c}", c) for c in CODES])
    oracle = Oracle(TRUTH, CODES, right=True)
    records = simulate(oracle, TRUTH, pick, seed=3)
    # the minimum: A per true code (the true lines come first, the focus walks down them) + N per segment
    assert [r.keys for r in records] == [2, 3, 1, 2]
    assert [r.decisions for r in records] == [1, 2, 0, 1]
    assert [r.coded for r in records] == [4, 5, 6, 7]
    assert all(r.top1 == (r.true_codes > 0) for r in records)
    assert oracle.calls == [("accept", 1, "C1"), ("accept", 2, "C2"), ("accept", 2, "C3"), ("accept", 4, "C8")]
    summary = summarise(records)
    assert summary["keys_per_segment"] == 8 / 4 and summary["top3"] == 1.0 and summary["top1"] == 1.0


def test_refit_every_n_segments_refits_between_segments_never_after_the_last():
    oracle = Oracle(TRUTH, CODES, right=True)
    records = simulate(oracle, TRUTH, picker_keys([(c, c) for c in CODES]), seed=0, refit_every=2)
    assert [r.unit for r in records] == [1, 2, 3, 4]
    assert [kind for kind, _, _ in oracle.calls] == ["accept", "accept", "accept", "refit", "accept"]
    with pytest.raises(ValueError):
        simulate(oracle, TRUTH, {}, seed=0, refit_every=0)


def test_an_always_wrong_suggester_costs_coding_by_hand_plus_its_rejections():
    pick = picker_keys([(f"{c}  code {c}", c) for c in CODES])
    oracle = Oracle(TRUTH, CODES, right=False)
    records = simulate(oracle, TRUTH, pick, seed=0)
    for r in records:
        assert r.rejected == 5 and r.accepted == 0 and r.added == r.true_codes
        assert r.keys == r.hand_keys + 5  # five X, the focus walking down the list; the picks and N as by hand
        assert r.decisions == r.true_codes + 5
    assert summarise(records)["top3"] == 0.0


# -- a tiny project, through the app's review session on a copy ------------------------------------------------------
# the rest of the first pass (the seed, the first two coded segments, is in conftest's FIRST_PASS_CSV)
TRUTH_CSV = ("document,text,code\nP1,The parking was impossible,P\nP1,I waited months on a list,W\n"
             "P2,Staff treated me kindly,R\nP2,Months on the waiting list,W\nP2,Months on the waiting list,ACC\n"
             "P2,Parking cost a fortune,P\n")


@pytest.fixture
def tiny(tmp_path, fake_encoder):
    p = coded_project(tmp_path, fake_encoder, {"P1": P1, "P2": P2})
    (tmp_path / "truth.csv").write_text(TRUTH_CSV)
    p.import_codings(tmp_path / "truth.csv", coder="ana")
    yield p
    p.close()


def project_files(project):
    return sorted((f.name, f.stat().st_size) for f in project.folder.iterdir() if not f.name.endswith(("-wal", "-shm")))


@pytest.mark.parametrize("order", ["document", "uncertain"])
def test_the_pass_on_a_tiny_project_matches_the_hand_count(tiny, order):
    # Seed: the first 2 coded segments (P1's waiting list: W; the staff: R): one document, so no calibration and
    # every code's threshold is default_threshold. Suggestable: W, R, P (ACC is a theme with no coding of its own).
    # With threshold 0 every line is confident: the coder decides all three lines top to bottom (A or X, the focus
    # walking down: 3 keys), picks the codes not on the list, then N.
    #   P1 parking {P}: 3 + N = 4 keys, decisions 3      P1 waited months {W}: 4, 3      P2 staff {R}: 4, 3
    #   P2 months {W, ACC}: 3 + ACC picked (C a Enter = 3) + N = 7 keys, decisions 4      P2 parking {P}: 4, 3
    #   -> 23 keys, 16 decisions (5 accepted, 10 rejected, 1 added), in either order.
    # By hand (every pick 3 keys, see PICK): P 3+1, W 3+1, R 3+1, W+ACC 3+3+1, P 3+1 = 23 keys, 6 decisions: with
    # every line confident the 10 rejections cost what the 5 accepts save.
    before, files = snapshot(tiny), project_files(tiny)
    result = simulate_project(tiny, seed_coded=2, orders=[order], params={"default_threshold": 0.0})
    assert snapshot(tiny) == before and project_files(tiny) == files  # the project itself is only read
    records = result["runs"][order]["records"]
    assert result["seed"] == 2 and len(records) == 5
    assert sum(r.keys for r in records) == 23 and sum(r.hand_keys for r in records) == 23
    assert sum(r.decisions for r in records) == 16 and sum(r.true_codes for r in records) == 6
    assert (sum(r.accepted for r in records), sum(r.rejected for r in records),
            sum(r.added for r in records)) == (5, 10, 1)
    assert [r.coded for r in records] == [3, 4, 5, 6, 7]
    summary = result["runs"][order]["summary"]
    assert summary["keys_saved"] == 0
    assert summary["hand_decisions_per_segment"] == pytest.approx(6 / 5)


def test_nothing_confident_is_coding_by_hand_and_both_orders_cover_the_same_segments(tiny):
    before = snapshot(tiny)
    result = simulate_project(tiny, seed_coded=2, params={"default_threshold": 1.01})
    assert snapshot(tiny) == before
    document, uncertain = (result["runs"][o]["records"] for o in ("document", "uncertain"))
    assert sorted(r.unit for r in document) == sorted(r.unit for r in uncertain)
    for records in (document, uncertain):
        # nothing confident: every true code is picked (a W or P still on the grey list is accepted through the
        # picker, as the app does), exactly the keys and decisions of coding by hand
        assert [r.keys for r in records] == [r.hand_keys for r in records]
        assert sum(r.keys for r in records) == 23 and sum(r.decisions for r in records) == 6
        assert sum(r.rejected for r in records) == 0


@pytest.mark.parametrize("order", ["document", "uncertain"])
def test_restarting_the_app_after_every_segment_refits_on_the_copy(tiny, order):
    # As the hand count above (threshold 0, one calibration fold: no calibration, every line confident), but the
    # suggester is fitted again after each segment, as the app does when it restarts. Once ACC has been picked for
    # P2's months segment it has a coding of its own, so it becomes suggestable: a segment after that shows 4 lines
    # (4 decisions + N = 5 keys). Document order: P 4, W 4, R 4, W+ACC 7, then P2 parking 5 -> 24 keys, 17 decisions.
    before = snapshot(tiny)
    result = simulate_project(tiny, seed_coded=2, orders=[order], refit_every=1,
                              params={"default_threshold": 0.0, "calibration_folds": 1})
    assert snapshot(tiny) == before
    records = result["runs"][order]["records"]
    assert len({r.unit for r in records}) == 5 and sum(r.hand_keys for r in records) == 23
    after_acc = [r for r in records[[r.true_codes for r in records].index(2) + 1:]]
    assert [r.decisions for r in after_acc] == [r.true_codes + 3 for r in after_acc]  # 4 lines, all decided
    if order == "document":
        assert [r.keys for r in records] == [4, 4, 4, 7, 5]
        assert sum(r.decisions for r in records) == 17


def test_the_project_path_learns_like_the_estimator_path(tiny):
    """The app's review session on the copy and the estimator on arrays give the same lists and the same pass."""
    import numpy as np

    from eval.methods import CodedData
    from eval.simulate_sources import ProjectReviewer, human_truth, seed_segments, temporary_copy

    truth = human_truth(tiny)
    seed = seed_segments(tiny, truth, 2)
    holder, copy = temporary_copy(tiny, seed)
    try:
        reviewer = ProjectReviewer(copy)
        model = reviewer.suggester.model
        codes = model.codes_
        segments = {s.id: s for s in copy.segments()}
        order = seed + [u for u in reviewer.queue()]
        vectors, _ = copy.embed([segments[i].text for i in order])
        Y = np.array([[int(c in truth.get(i, set())) for c in codes] for i in order])
        data = CodedData(name="tiny", texts=[segments[i].text for i in order], vectors=vectors, Y=Y,
                         groups=[f"document:{segments[i].document_id}" for i in order], codes=codes, names=codes,
                         prototypes=model.prototypes_)
        arrays = ArrayReviewer(data, range(len(seed)), range(len(seed), len(order)))
        queue_truth = {u: truth.get(u, set()) for u in reviewer.queue() if u in truth}
        pick = picker_keys(reviewer.picker_choices())
        via_app = simulate(reviewer, queue_truth, pick, seed=2)
        row = {u: i for i, u in enumerate(order)}
        via_arrays = simulate(arrays, {row[u]: t for u, t in queue_truth.items()}, pick, seed=2)
    finally:
        copy.close()
        holder.cleanup()
    strip = lambda rs: [(r.keys, r.accepted, r.rejected, r.added, r.top1, r.top3) for r in rs]  # noqa: E731
    assert strip(via_app) == strip(via_arrays)


def test_the_real_thing_on_the_bundled_sample(tmp_path):
    """The real model, the sample project with all 30 quotes coded, the app's session on a copy: end to end."""
    from index.demo import build_demo, sample_dir

    with build_demo(tmp_path / "demo") as project:
        project.import_codings(sample_dir() / "held_out.csv", coder="foye2022")
        before = snapshot(project)
        result = simulate_project(project, seed_coded=5)
        assert snapshot(project) == before
    for order in ("document", "uncertain"):
        records = result["runs"][order]["records"]
        assert len(records) == 25 and [r.true_codes for r in records] == [1] * 25  # one subtheme per quote
        for r in records:
            assert r.accepted + r.added == 1  # the true code ends up coded, from the list or the picker
            assert r.keys >= r.accepted + r.rejected + 3 * r.added + 1  # a key per decision, a pick >= 3, N
        summary = result["runs"][order]["summary"]
        assert 0 < summary["top3"] <= 1 and summary["keys_per_segment"] > 1


SPEC = """name: tiny waiting/respect/parking
data: tiny.csv
text: text
codes:
  column: code
group: who
split: kfold
"""


def test_bench_simulate_on_the_command_line(tmp_path, capsys):
    """`codeseed bench SPEC DATA --simulate` with the real model: the table, the report files, clear errors."""
    from codeseed_cli import main

    rows = [("The waiting list was months long", "W", "a"), ("Staff were kind to me", "R", "a"),
            ("Parking cost a fortune", "P", "b"), ("I waited months for a call back", "W", "b"),
            ("The nurses treated me with respect", "R", "c"), ("Nowhere to park the car", "P", "c"),
            ("Months on the waiting list", "W", "d")]
    (tmp_path / "tiny.csv").write_text("text,code,who\n" + "".join(f"{t},{c},{w}\n" for t, c, w in rows))
    (tmp_path / "tiny.yaml").write_text(SPEC)
    out = tmp_path / "out"
    code = main(["bench", str(tmp_path / "tiny.yaml"), str(tmp_path), "--simulate", "--seed-coded", "3",
                 "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "| keys per segment |" in printed and "least confident first" in printed
    assert {p.name for p in out.iterdir()} == {"simulation.md", "simulation.json", "simulation.png"}
    import json

    result = json.loads((out / "simulation.json").read_text())
    assert result["seed"] == 3 and [len(r["records"]) for r in result["runs"].values()] == [4, 4]
    # one true code per segment: by hand, each is C + the label's start + Enter (3 keys: "w", "r", "p" are first
    # in their own labels) + N
    assert all(r["hand_keys"] == 4 for run in result["runs"].values() for r in run["records"])

    assert main(["bench", str(tmp_path / "tiny.yaml"), str(tmp_path), "--simulate", "--seed-coded", "7"]) == 2
    assert "none left after a seed of 7" in capsys.readouterr().err
    assert main(["bench", str(tmp_path / "tiny.yaml"), str(tmp_path), "--simulate", "--refit-every", "0"]) == 2
    assert "--refit-every" in capsys.readouterr().err


def test_uncoded_segments_are_passed_over_unless_they_mean_no_code(tiny, tmp_path):
    (tmp_path / "P3.txt").write_text("Interviewer: Anything else?\nP3: Nothing else to add really.\n")
    tiny.import_documents([tmp_path / "P3.txt"])
    params = {"default_threshold": 1.01}  # nothing confident: keys as by hand
    passed_over = simulate_project(tiny, seed_coded=2, orders=["document"], params=params)["runs"]["document"]
    counted = simulate_project(tiny, seed_coded=2, orders=["document"], params=params,
                               include_uncoded=True)["runs"]["document"]
    assert len(passed_over["records"]) == 5 and len(counted["records"]) == 6
    last = counted["records"][-1]  # P3's turn, last in document order: no code, nothing confident -> N only
    assert (last.true_codes, last.keys, last.hand_keys, last.decisions) == (0, 1, 1, 0)
