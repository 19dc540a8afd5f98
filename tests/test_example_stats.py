"""The suggester's running totals over its examples stay equal to a fresh computation as decisions arrive."""

from __future__ import annotations

import numpy as np

from suggest.estimator import CodeSuggester, Example, example_stats
from suggest.example_stats import ExampleStats


def _unit(rng, n, d=16):
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_updates_equal_a_fresh_computation_and_own_rows_are_left_out():
    rng = np.random.default_rng(0)
    vectors, Y = _unit(rng, 30), (rng.random((30, 4)) < 0.3).astype(np.int8)
    stats = ExampleStats(vectors, Y)
    for _ in range(200):
        row, code, value = int(rng.integers(0, 30)), int(rng.integers(0, 4)), int(rng.integers(0, 2))
        stats.set(row, code, vectors[row], value, int(Y[row, code]))
        Y[row, code] = value
    fresh = ExampleStats(vectors, Y)
    np.testing.assert_allclose(stats.sums, fresh.sums, atol=1e-9)
    np.testing.assert_array_equal(stats.counts, Y.sum(axis=0))
    np.testing.assert_array_equal(stats.active(), Y.sum(axis=1) > 0)
    # mean cosine to each code's examples, by hand, the query's own row left out
    queries, own = vectors[:3], [0, None, 2]
    mean, counts = stats.mean_similarity(queries, vectors, Y, own)
    for q in range(3):
        for c in range(4):
            members = [r for r in range(30) if Y[r, c] and r != own[q]]
            assert counts[q, c] == len(members)
            expected = np.mean([queries[q] @ vectors[r] for r in members]) if members else 0.0
            assert abs(mean[q, c] - expected) < 1e-6


def test_suggester_scores_after_decisions_equal_those_of_a_fresh_computation():
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 40)
    codes = ["a", "b", "c"]
    examples = [Example(i, {codes[i % 3]: "ann"}) for i in range(40)]
    model = CodeSuggester(calibration_folds=0).fit(vectors, examples, codes=codes, prototypes=_unit(rng, 3))
    queries = _unit(rng, 5)
    model.scores(queries)  # builds the totals, so the decisions below update them in place
    model.add_example(100, queries[0], "b", "ann")  # a new example
    model.add_example(3, vectors[3], "c", "ann")  # a second code on an example
    model.forget(4, "b")  # an example's only coding undone: it no longer votes
    model.forget(100, "b")
    model.add_example(100, queries[0], "a", "ann")
    updated = model.scores(queries, segment_ids=[None, 3, 4, None, None])
    example_stats.pop(model)  # drop the totals: computed afresh from the examples
    fresh = model.scores(queries, segment_ids=[None, 3, 4, None, None])
    np.testing.assert_allclose(updated, fresh, atol=1e-9)
    assert model._stats().counts.tolist() == model.Y_.sum(axis=0).tolist() == [15, 12, 14]
