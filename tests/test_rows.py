"""Appending example rows: equal to stacking, one row written per append, and never shared between owners."""

from __future__ import annotations

import copy

import numpy as np

from suggest.estimator import CodeSuggester, Example
from suggest.rows import append_row


class Owner:
    pass


def test_appends_equal_stacking_through_growth_and_reuse_the_buffer():
    rng = np.random.default_rng(0)
    owner, rows = Owner(), rng.normal(size=(3, 4)).astype(np.float32)
    expected = rows.copy()
    views = []
    for _ in range(40):  # 3 -> 43 rows: the buffer grows at 16 and 32
        row = rng.normal(size=4)
        rows = append_row(owner, "v", rows, row)
        expected = np.vstack([expected, row.astype(np.float32)])
        views.append(rows)
        np.testing.assert_array_equal(rows, expected)
        assert rows.dtype == np.float32
    # between growths each append wrote into the same memory rather than copying every row
    assert np.shares_memory(views[20], views[25])
    assert sum(not np.shares_memory(a, b) for a, b in zip(views, views[1:])) == 2  # the two growths


def test_an_array_that_is_not_the_owner_s_view_gets_a_buffer_of_its_own():
    owner = Owner()
    first = append_row(owner, "v", np.zeros((2, 3)), np.ones(3))
    fresh = np.full((2, 3), 7.0)  # e.g. a refit replaced the array
    second = append_row(owner, "v", fresh, np.ones(3))
    np.testing.assert_array_equal(first, [[0, 0, 0], [0, 0, 0], [1, 1, 1]])  # untouched
    np.testing.assert_array_equal(second, [[7, 7, 7], [7, 7, 7], [1, 1, 1]])


def test_two_suggesters_sharing_examples_never_write_into_each_other():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(6, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    examples = [Example(i, {"a" if i % 2 else "b": "x"}, group=i) for i in range(6)]
    one = CodeSuggester().fit(vectors, examples, codes=["a", "b"], calibrate=False)
    one.add_example(100, vectors[0], "a", "x")
    two = copy.copy(one)  # shares one's arrays, and so its buffer's memory
    two.examples_, two._row_of = list(one.examples_), dict(one._row_of)
    one.add_example(101, np.ones(8, dtype=np.float32), "a", "x")
    two.add_example(102, -np.ones(8, dtype=np.float32), "b", "x")
    assert len(one.vectors_) == len(two.vectors_) == 8
    np.testing.assert_array_equal(one.vectors_[7], np.ones(8))
    np.testing.assert_array_equal(two.vectors_[7], -np.ones(8))
    assert one.Y_[7].tolist() == [1, 0] and two.Y_[7].tolist() == [0, 1]
