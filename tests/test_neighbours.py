"""The suggester's neighbour search: exact below a size, FAISS above it, checked against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from suggest.neighbours import Neighbours, top_k


def unit(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute(vectors, queries, k, skip=None, active=None):
    """Reference: sort every similarity in Python, leave out skipped and inactive rows."""
    out = []
    for q, query in enumerate(queries):
        pairs = [(float(query @ v), r) for r, v in enumerate(vectors)
                 if (active is None or active[r]) and (skip is None or skip[q] != r)]
        pairs.sort(key=lambda p: (-p[0], p[1]))
        out.append([r for _, r in pairs[:k]])
    return out


def test_exact_search_equals_brute_force_with_skip_and_inactive_rows():
    rng = np.random.default_rng(3)
    vectors, queries = unit(rng, 300), unit(rng, 25)
    active = rng.random(300) > 0.2
    skip = [int(r) for r in rng.integers(0, 300, size=25)]
    index = Neighbours(vectors)
    assert index.exact
    rows, sims = index.search(queries, 7, skip=skip, active=active)
    assert rows.tolist() == brute(vectors, queries, 7, skip, active)
    np.testing.assert_allclose(sims, np.take_along_axis(queries @ vectors.T, rows, axis=1), rtol=1e-5)


def test_blocks_of_queries_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(4)
    vectors, queries = unit(rng, 200), unit(rng, 50)
    whole = Neighbours(vectors).search(queries, 5)
    monkeypatch.setattr("suggest.neighbours.BLOCK_CELLS", 450)  # two queries per block
    blocked = Neighbours(vectors).search(queries, 5)
    assert np.array_equal(whole[0], blocked[0])
    np.testing.assert_allclose(whole[1], blocked[1], rtol=1e-5)  # BLAS may sum a smaller block in another order


def test_faiss_path_finds_the_exact_neighbours_on_clustered_data():
    rng = np.random.default_rng(5)
    centres = unit(rng, 40, 32)
    vectors = centres[rng.integers(0, 40, 4000)] + rng.normal(scale=0.15, size=(4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[:60]
    active = np.ones(4000, dtype=bool)
    active[rng.integers(0, 4000, 30)] = False
    skip = list(range(60))  # each query is an example: its own row must not come back
    index = Neighbours(vectors, exact_below=1000)
    assert not index.exact
    rows, _ = index.search(queries, 10, skip=skip, active=active)
    expected = brute(vectors, queries, 10, skip, active)
    recall = np.mean([len(set(r) & set(e)) / 10 for r, e in zip(rows.tolist(), expected)])
    assert recall >= 0.95
    assert all(q not in r for q, r in zip(skip, rows.tolist()))
    assert not np.isin(rows, np.flatnonzero(~active)).any()


@pytest.mark.parametrize("exact_below", [10_000, 1])
def test_fewer_examples_than_k_are_padded_like_faiss(exact_below):
    rng = np.random.default_rng(6)
    vectors = unit(rng, 50)
    rows, sims = Neighbours(vectors, exact_below=exact_below).search(vectors[:3], 60, skip=[0, 1, 2])
    assert rows.shape == (3, 60)
    assert (rows[:, :49] >= 0).all() and (rows[:, 49:] == -1).all()
    assert np.isfinite(sims[:, :49]).all() and np.isneginf(sims[:, 49:]).all()
    assert sorted(rows[0, :49].tolist()) == list(range(1, 50))


def test_empty_example_set_and_empty_batch():
    index = Neighbours(np.zeros((0, 8), dtype=np.float32))
    rows, sims = index.search(np.ones((2, 8), dtype=np.float32), 5)
    assert rows.shape == (2, 5) and (rows == -1).all() and np.isneginf(sims).all()
    rows, _ = Neighbours(np.eye(8, dtype=np.float32)).search(np.zeros((0, 8), dtype=np.float32), 3)
    assert rows.shape == (0, 3)


def test_added_examples_are_found_at_once():
    rng = np.random.default_rng(7)
    vectors = unit(rng, 100)
    for exact_below in (10_000, 50):
        index = Neighbours(vectors, exact_below=exact_below)
        new = unit(rng, 1)
        index.add(new)
        rows, sims = index.search(new, 1)
        assert rows[0, 0] == 100 and sims[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_top_k_orders_ties_by_row():
    sims = np.array([[0.5, 0.9, 0.5, -np.inf, 0.9]], dtype=np.float32)
    rows, values = top_k(sims, 6)
    assert rows.tolist() == [[1, 4, 0, 2, -1, -1]]
    assert values[0, :4].tolist() == pytest.approx([0.9, 0.9, 0.5, 0.5])


@pytest.mark.parametrize("batch", [1, 3, 40])  # FAISS's scan for a few queries, a matrix product for many
def test_every_batch_size_matches_brute_force(batch):
    rng = np.random.default_rng(8)
    vectors, queries = unit(rng, 500), unit(rng, batch)
    active = rng.random(500) > 0.1
    skip = [int(r) for r in rng.integers(0, 500, size=batch)]
    rows, sims = Neighbours(vectors).search(queries, 9, skip=skip, active=active)
    assert rows.tolist() == brute(vectors, queries, 9, skip, active)
    np.testing.assert_allclose(sims, np.take_along_axis(queries @ vectors.T, rows, axis=1), rtol=1e-5)
