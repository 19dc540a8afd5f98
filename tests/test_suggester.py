"""The suggester estimator on hand-built vectors: exact votes, evidence, prototypes, rejections, calibration."""

import numpy as np
import pytest

from suggest.calibration import apply_platt, best_f1_threshold, choose_thresholds, fit_platt
from suggest.estimator import CodeSuggester, Example
from suggest.out_of_fold import grouped_folds


def unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


# Three directions in 3-d space; examples near e1 are coded A, near e2 coded B.
A1, A2, B1 = unit(1, 0.1, 0), unit(1, 0, 0.2), unit(0, 1, 0)
EXAMPLES = [Example(1, {"A": "ana"}), Example(2, {"A": "ben"}), Example(3, {"B": "ana"})]


def knn_only(**params):
    return CodeSuggester(linear=False, **params).fit(np.stack([A1, A2, B1]), EXAMPLES, codes=["A", "B"],
                                                     calibrate=False)


def test_scores_are_similarity_weighted_votes_exactly():
    model = knn_only(k=3, power=1.0)
    q = unit(1, 1, 0)
    sims = np.array([q @ A1, q @ A2, q @ B1])
    [ranked] = model.suggest(q)
    expected_a = (sims[0] + sims[1]) / sims.sum()
    assert [s.code for s in ranked] == ["A", "B"]
    assert ranked[0].score == pytest.approx(expected_a, abs=1e-6)
    assert ranked[1].score == pytest.approx(sims[2] / sims.sum(), abs=1e-6)


def test_evidence_lists_the_neighbours_that_voted_with_their_coders():
    model = knn_only(k=3, power=4.0)
    [ranked] = model.suggest(unit(1, 0.05, 0.05))
    evidence = ranked[0].evidence
    assert ranked[0].code == "A"
    assert [(e.segment_id, e.coder, e.polarity) for e in evidence] in (
        [(1, "ana", 1), (2, "ben", 1)], [(2, "ben", 1), (1, "ana", 1)])
    assert evidence[0].similarity >= evidence[1].similarity
    assert [e.segment_id for e in ranked[1].evidence] == [3]


def test_a_segment_never_votes_for_itself():
    model = knn_only(k=3, power=1.0)
    [ranked] = model.suggest(A1, segment_ids=[1])
    assert all(e.segment_id != 1 for s in ranked for e in s.evidence)


def test_rejection_removes_the_code_for_that_segment_and_lowers_it_for_a_near_duplicate():
    model = knn_only(k=3)
    q, near, far = unit(1, 0.3, 0), unit(1, 0.31, 0), unit(0.2, 1, 0.1)
    before_near = model.scores(near)[0, 0]
    before_far = model.scores(far)[0, 0]
    model.add_rejection(99, q, "A")
    [ranked] = model.suggest(q, segment_ids=[99])
    assert "A" not in [s.code for s in ranked]
    after_near = model.scores(near)[0, 0]
    assert after_near < 0.1 * before_near  # cos ~ 0.9999: almost silenced
    assert model.scores(far)[0, 0] == pytest.approx(before_far, rel=0.05)  # unrelated: barely touched
    [near_ranked] = model.suggest(near)
    a = next(s for s in near_ranked if s.code == "A")
    assert any(e.segment_id == 99 and e.polarity == -1 for e in a.evidence)


def test_acceptance_becomes_evidence_for_a_similar_segment_at_once():
    model = knn_only(k=5)
    new = unit(0.1, 0.2, 1)  # far from every example
    [before] = model.suggest(unit(0.1, 0.25, 1))
    model.add_example(50, new, "B", "carla")
    [after] = model.suggest(unit(0.1, 0.25, 1))
    b_before = next(s for s in before if s.code == "B")
    b_after = next(s for s in after if s.code == "B")
    assert b_after.score > b_before.score
    assert b_after.evidence[0].segment_id == 50 and b_after.evidence[0].coder == "carla"
    model.forget(50, "B")  # undo
    assert next(s for s in model.suggest(unit(0.1, 0.25, 1))[0] if s.code == "B").score == pytest.approx(b_before.score)


def test_codebook_prototypes_give_zero_shot_suggestions_and_fade_with_examples():
    prototypes = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)])
    q = unit(0.1, 0.2, 1)
    empty = CodeSuggester(linear=False).fit(np.zeros((0, 3)), [], codes=["A", "B", "C"], prototypes=prototypes)
    [ranked] = empty.suggest(q)
    assert [s.code for s in ranked] == ["C", "B", "A"] and ranked[0].evidence == ()
    logits = (prototypes @ q) / 0.05
    proto = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert [s.score for s in ranked] == pytest.approx(sorted(proto, reverse=True), abs=1e-6)
    # 30 examples of A right where the query is: A's score is their vote, weighted 30 / (30 + 3)
    # (the codebook prototype alone here; example prototypes are tested in test_coldstart.py)
    vectors = np.stack([q] * 30)
    taught = CodeSuggester(linear=False, example_prototypes=False).fit(
        vectors, [Example(i, {"A": "x"}) for i in range(30)],
        codes=["A", "B", "C"], prototypes=prototypes, calibrate=False)
    score_a = next(s for s in taught.suggest(q)[0] if s.code == "A").score
    assert score_a == pytest.approx(30 / 33 * 1.0 + 3 / 33 * proto[0], abs=1e-6)
    assert score_a > next(s for s in ranked if s.code == "A").score


def test_excluded_codes_are_not_proposed():
    model = knn_only()
    [ranked] = model.suggest(A1, exclude=[{"A"}])
    assert [s.code for s in ranked] == ["B"]


def test_version_names_algorithm_parameters_and_examples():
    model = knn_only(k=7)
    assert model.version.startswith("codeseed-suggester/4 ") and model.version.endswith("examples=3")
    assert knn_only(k=8).version != model.version


def test_calibration_sets_thresholds_that_abstain_on_unclear_segments():
    rng = np.random.default_rng(0)
    centres = np.eye(4, dtype=np.float32)
    vectors, examples = [], []
    for i in range(80):
        c = i % 2
        v = centres[c] + rng.normal(0, 0.15, 4)
        vectors.append(v / np.linalg.norm(v))
        examples.append(Example(i, {"AB"[c]: "x"}, group=i // 4))
    model = CodeSuggester(linear=False).fit(np.array(vectors, dtype=np.float32), examples, codes=["A", "B"])
    assert model.calibrated_
    clear = model.suggest(centres[0])[0][0]
    unclear = model.suggest(unit(0, 0, 1, 1))[0][0]  # orthogonal to both clusters
    assert clear.code == "A" and clear.confident and clear.score > 0.8
    assert not unclear.confident


# -- calibration helpers ---------------------------------------------------------------------------
def test_best_f1_threshold_hand_counted():
    scores = [0.9, 0.8, 0.7, 0.6, 0.2]
    labels = [1, 1, 0, 1, 0]
    # t=0.9: P1 R1/3 F1=.5 | t=.8: F1=.8 | t=.7: 2/3,2/3 → .667 | t=.6: 3/4,1 → .857 | t=.2: 3/5,1 → .75
    t, f1 = best_f1_threshold(scores, labels)
    assert (t, round(f1, 3)) == (0.6, 0.857)
    assert best_f1_threshold([0.5, 0.4], [0, 0])[0] == float("inf")
    assert best_f1_threshold([0.5, 0.5, 0.1], [1, 0, 0]) == (0.5, pytest.approx(2 / 3))  # ties not split


def test_choose_thresholds_falls_back_to_global_for_rare_codes():
    scores = np.array([[0.9, 0.3], [0.8, 0.6], [0.4, 0.2], [0.7, 0.1], [0.6, 0.5], [0.2, 0.9]])
    Y = np.array([[1, 0], [1, 0], [0, 0], [1, 0], [1, 0], [0, 1]])
    per_code, global_t = choose_thresholds(scores, Y, min_positives=4)
    assert per_code[0] == 0.6  # code 0 has 4 positives: its own best threshold
    assert per_code[1] == global_t  # code 1 has one: the global threshold


def test_platt_scaling_recovers_a_known_sigmoid():
    rng = np.random.default_rng(1)
    scores = rng.uniform(-3, 3, 20000)
    labels = rng.uniform(size=scores.size) < apply_platt(scores, 2.0, -0.5)
    a, b = fit_platt(scores, labels)
    assert a == pytest.approx(2.0, abs=0.1) and b == pytest.approx(-0.5, abs=0.1)
    assert fit_platt([0.1, 0.2], [1, 1]) == (1.0, 0.0)


def test_grouped_folds_never_split_a_group():
    groups = ["a", "a", "b", "c", "c", "c", "d", "e"]
    folds = grouped_folds(groups, 3)
    assert len(folds) == 3
    seen = []
    for train, test in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        seen += list(test)
    assert sorted(seen) == list(range(len(groups)))
    assert grouped_folds(["x", "x"], 5) == []


# -- properties over random data -------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def coded_data(draw):
    n = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 6)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    codes = ["a", "b", "c"]
    examples = [Example(i, {c: "x" for c in codes if rng.random() < 0.5} or {"a": "x"}, group=i % 4)
                for i in range(n)]
    query = rng.normal(size=6).astype(np.float32)
    return vectors, examples, codes, query / np.linalg.norm(query), rng.normal(size=(3, 6)).astype(np.float32)


@settings(max_examples=60, deadline=None)
@given(coded_data())
def test_scores_stay_in_unit_interval_and_rejections_never_raise_them(data):
    vectors, examples, codes, query, prototypes = data
    prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
    model = CodeSuggester(linear=False, k=5).fit(vectors, examples, codes=codes, prototypes=prototypes)
    before = model.scores(query)
    assert np.all((before >= 0) & (before <= 1 + 1e-9))
    model.add_rejection(1000, vectors[0], "b")
    after = model.scores(query)
    assert np.all(after <= before + 1e-9)
    assert np.allclose(np.delete(after, 1, axis=1), np.delete(before, 1, axis=1))  # other codes untouched


@settings(max_examples=60, deadline=None)
@given(coded_data())
def test_an_accepted_example_at_the_query_never_lowers_that_code(data):
    vectors, examples, codes, query, _ = data
    model = CodeSuggester(linear=False, k=50).fit(vectors, examples, codes=codes, calibrate=False)
    before = model.scores(query)[0, 2]
    model.add_example(1000, query, "c", "x")
    assert model.scores(query)[0, 2] >= before - 1e-6
