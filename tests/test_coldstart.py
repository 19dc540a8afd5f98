"""The cold-start additions of the suggester, each switchable: example prototypes, threshold shrinkage, punctuation.

Each test shows the addition changing a score or a threshold exactly as documented, and doing nothing when off.
"""

import numpy as np
import pytest

from suggest.calibration import best_f1_threshold, choose_thresholds
from suggest.estimator import CodeSuggester, Example
from suggest.linear import LinearChannel


def unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


# The codebook describes A along e1 and B along e2, but the coder's examples of B lie along e3.
PROTOTYPES = np.stack([unit(1, 0, 0), unit(0, 1, 0)])
B_EXAMPLES = [unit(0, 0.1, 1), unit(0.1, 0, 1)]
A_EXAMPLE = unit(1, 0.2, 0)
VECTORS = np.stack([A_EXAMPLE, *B_EXAMPLES])
EXAMPLES = [Example(1, {"A": None}), Example(2, {"B": None}), Example(3, {"B": None})]


def fitted(**params):
    return CodeSuggester(linear=False, k=3, power=1.0, **params).fit(
        VECTORS, EXAMPLES, codes=["A", "B"], prototypes=PROTOTYPES, calibrate=False)


def expected_raw(q, example_prototypes, own=None):
    """The documented blend, computed by hand: kNN votes, then the prototype softmax mixed in by n/(n + 3)."""
    keep = [i for i, e in enumerate(EXAMPLES) if e.segment_id != own]
    sims = np.clip(VECTORS[keep] @ q, 0, None)
    member = np.array([[1, 0], [0, 1], [0, 1]], dtype=float)[keep]
    knn = sims @ member / sims.sum()
    similarity = PROTOTYPES @ q
    if example_prototypes:
        mean = (VECTORS[keep] @ q) @ member / member.sum(axis=0)
        similarity = (similarity + mean) / 2
    proto = np.exp((similarity - similarity.max()) / 0.05)
    proto /= proto.sum()
    counts = np.array([1.0, 2.0])
    alpha = counts / (counts + 3.0)
    return alpha * knn + (1 - alpha) * proto


def test_example_prototypes_move_a_code_toward_its_examples_exactly_as_documented():
    q = unit(0.3, 0.2, 1)  # like B's examples, nothing like B's description
    off, on = fitted(example_prototypes=False).raw_scores(q[None])[0], fitted(example_prototypes=True).raw_scores(q[None])[0]
    assert off == pytest.approx(expected_raw(q, False), abs=1e-6)
    assert on == pytest.approx(expected_raw(q, True), abs=1e-6)
    assert on[1] > off[1] + 0.05  # B rises because its examples, not its description, are like q
    assert np.argmax(off) == 0 and np.argmax(on) == 1


def test_example_prototypes_never_count_the_query_itself():
    model = fitted(example_prototypes=True)
    own = model.raw_scores(B_EXAMPLES[0][None], segment_ids=[2])[0]
    assert own == pytest.approx(expected_raw(B_EXAMPLES[0], True, own=2), abs=1e-6)
    assert not np.allclose(own, model.raw_scores(B_EXAMPLES[0][None])[0])


def test_example_prototypes_without_examples_are_the_codebook_alone():
    model = CodeSuggester(linear=False, example_prototypes=True).fit(
        np.zeros((0, 3), dtype=np.float32), [], codes=["A", "B"], prototypes=PROTOTYPES, calibrate=False)
    plain = CodeSuggester(linear=False, example_prototypes=False).fit(
        np.zeros((0, 3), dtype=np.float32), [], codes=["A", "B"], prototypes=PROTOTYPES, calibrate=False)
    q = unit(0.2, 1, 0.4)
    assert model.raw_scores(q[None]) == pytest.approx(plain.raw_scores(q[None]))


def test_threshold_shrinkage_pulls_a_code_toward_the_shared_threshold_by_its_examples():
    # code 0: 5 positives scored 0.9 and negatives at 0.5 -> its own best threshold is 0.9
    # code 1: positives everywhere at 0.3, so the pooled (global) threshold is lower than 0.9
    scores = np.array([[0.9, 0.3]] * 5 + [[0.5, 0.3]] * 5 + [[0.1, 0.3]] * 5)
    Y = np.array([[1, 1]] * 5 + [[0, 1]] * 5 + [[0, 0]] * 5)
    own, _ = best_f1_threshold(scores[:, 0], Y[:, 0])
    plain, global_t = choose_thresholds(scores, Y, min_positives=5)
    shrunk, global_again = choose_thresholds(scores, Y, min_positives=5, shrinkage=5.0)
    assert own == 0.9 and plain[0] == 0.9 and global_again == global_t
    assert global_t < 0.9
    assert shrunk[0] == pytest.approx((5 * 0.9 + 5 * global_t) / 10)
    assert shrunk[1] == pytest.approx((10 * plain[1] + 5 * global_t) / 15)


def test_threshold_shrinkage_reaches_the_fitted_suggester():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    examples = [Example(i, {"A" if vectors[i, 0] > 0 else "B": None}, group=i % 8) for i in range(40)]
    plain = CodeSuggester(linear=False, example_prototypes=False).fit(vectors, examples, codes=["A", "B"])
    shrunk = CodeSuggester(linear=False, threshold_shrinkage=1e6).fit(vectors, examples, codes=["A", "B"])
    assert shrunk.thresholds_ == pytest.approx(np.full(2, shrunk.global_threshold_), abs=1e-4)
    assert plain.global_threshold_ == pytest.approx(shrunk.global_threshold_)


def test_punctuation_makes_a_question_mark_a_word():
    texts = ["you feel tired?", "so you feel tired.", "did you sleep?", "you did sleep.", "is it hard?",
             "it is hard."]
    Y = np.array([[1, 0], [0, 1]] * 3)
    vectors = np.zeros((6, 2))
    probe = ["you are tired?", "you are tired."]
    with_marks = LinearChannel(min_positives=1, punctuation=True).fit(texts, vectors, Y)
    without = LinearChannel(min_positives=1).fit(texts, vectors, Y)
    assert "?" in with_marks.vectorizer_.vocabulary_ and "?" not in without.vectorizer_.vocabulary_
    marked, plain = with_marks.decision(probe, np.zeros((2, 2))), without.decision(probe, np.zeros((2, 2)))
    assert plain[0] == pytest.approx(plain[1])
    assert marked[0, 0] > marked[1, 0] and marked[0, 1] < marked[1, 1]


def test_new_parameters_are_part_of_the_version():
    assert CodeSuggester().version != CodeSuggester(example_prototypes=not CodeSuggester().example_prototypes).version
    assert CodeSuggester().version != CodeSuggester(threshold_shrinkage=123.0).version


def test_each_variant_differs_from_the_shipped_suggester_in_exactly_its_addition():
    from eval.variants import ADDITIONS, variant_methods

    shipped = CodeSuggester().get_params()
    methods = variant_methods()
    names = [m.name for m in methods]
    assert len(set(names)) == len(names) and "suggester" not in names
    v1 = CodeSuggester(**methods[0].params).get_params()
    assert methods[0].name == "suggester_v1" and all(v1[a] == off for a, (_, off) in ADDITIONS.items())
    for method, addition in zip(methods[1:], ADDITIONS):
        params = CodeSuggester(**method.params).get_params()
        changed = {k for k in params if params[k] != shipped[k]}
        assert changed == {addition}, method.name
        on, _ = ADDITIONS[addition]
        assert method.name == (f"suggester_no_{addition}" if shipped[addition] == on else f"suggester_with_{addition}")
