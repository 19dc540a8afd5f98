"""The vector index's kinds: exact below a size, IVF with 8-bit codes above it, chosen automatically, recorded
in the description, refused when the files disagree; Ask and the corpus cache on a large-project index."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.project import Project
from index.vectors import EXACT, IVF_SQ8, IndexCorruptError, VectorIndex, choose_kind, lists_for, nprobe_for
from suggest.ask.answer import ask
from suggest.ask.retrieval import corpus_for


def clustered(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, d))
    x = centres[rng.integers(0, 40, n)] + rng.normal(scale=0.4, size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def ivf(vectors: np.ndarray, ids: np.ndarray) -> VectorIndex:
    index = VectorIndex.for_count(vectors.shape[1], "m", len(vectors), kind=IVF_SQ8)
    index.train(vectors)
    index.add(vectors, ids)
    return index


def test_kind_follows_the_size(monkeypatch):
    monkeypatch.setattr("index.vectors.APPROXIMATE_FROM", 1000)
    assert choose_kind(999) == EXACT and choose_kind(1000) == IVF_SQ8
    assert VectorIndex.for_count(8, "m", 10).kind == EXACT
    assert lists_for(1_000_000) == 2000 and lists_for(40_000) == 400 and lists_for(10) == 1  # 2 sqrt(n)
    assert lists_for(4000) == 100  # at least 40 vectors per list to train on
    assert nprobe_for(2000) == 400 and nprobe_for(3) == 1 and nprobe_for(1) == 1  # a fifth of the lists


def test_ivf_finds_nearly_what_exact_finds_and_must_be_trained_first():
    x, ids = clustered(4000), np.arange(100, 4100)
    untrained = VectorIndex.for_count(32, "m", 4000, kind=IVF_SQ8)
    with pytest.raises(ValueError, match="must be trained"):
        untrained.add(x, ids)
    exact = VectorIndex(32, "m")
    exact.add(x, ids)
    approximate = ivf(x, ids)
    queries = x[::97]
    found = [{i for i, _ in row} for row in approximate.search(queries, 10)]
    truth = [{i for i, _ in row} for row in exact.search(queries, 10)]
    assert np.mean([len(f & t) / 10 for f, t in zip(found, truth)]) >= 0.9


def test_a_filter_restricts_the_search_and_still_finds_the_nearest_members():
    x, ids = clustered(4000, seed=1), np.arange(4000) * 3 + 7
    allowed = ids[::50]  # 2% of the vectors
    exact, approximate = VectorIndex(32, "m"), ivf(x, ids)
    exact.add(x, ids)
    for index in (exact, approximate):
        rows = index.search(x[:20], 5, allowed=allowed)
        assert all(i in set(allowed.tolist()) for row in rows for i, _ in row)
    truth = exact.search(x[:20], 5, allowed=allowed)
    found = approximate.search(x[:20], 5, allowed=allowed)
    overlap = np.mean([len({i for i, _ in f} & {i for i, _ in t}) / 5 for f, t in zip(found, truth)])
    assert overlap >= 0.9  # the narrow filter made it scan more lists
    huge = np.array([10**12, 10**12 + 1])  # ids too large for a bitmap
    assert exact.search(x[0], 3, allowed=huge) == [[]]


def test_similarities_score_every_vector_exactly():
    x, ids = clustered(300), np.arange(300)
    exact = VectorIndex(32, "m")
    exact.add(x, ids)
    got_ids, scores = exact.similarities(x[5])
    assert got_ids.tolist() == ids.tolist()
    np.testing.assert_allclose(scores, x @ x[5], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="exact index"):
        ivf(x, ids).similarities(x[5])


def test_saved_ivf_keeps_its_kind_and_answers_the_same(tmp_path):
    x, ids = clustered(2000), np.arange(2000)
    index = ivf(x, ids)
    index.save(tmp_path)
    meta = json.loads((tmp_path / "segments.meta.json").read_text())
    assert (meta["kind"], meta["lists"], meta["nprobe"]) == (IVF_SQ8, index.lists, index.nprobe)
    loaded = VectorIndex.load(tmp_path)
    assert (loaded.kind, loaded.lists, loaded.nprobe) == (IVF_SQ8, index.lists, index.nprobe)
    assert loaded.search(x[:5], 5) == index.search(x[:5], 5)


def test_an_index_of_an_unknown_or_wrong_kind_is_refused_with_the_fix(tmp_path):
    x, ids = clustered(2000), np.arange(2000)
    ivf(x, ids).save(tmp_path)
    meta_path = tmp_path / "segments.meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "kind": "hnsw-pq"}))
    with pytest.raises(IndexCorruptError, match="hnsw-pq") as error:
        VectorIndex.load(tmp_path)
    assert "--rebuild" in str(error.value)
    meta_path.write_text(json.dumps({**meta, "kind": EXACT}))
    with pytest.raises(IndexCorruptError, match="not the exact index"):
        VectorIndex.load(tmp_path)
    del meta["kind"]  # written before kinds existed: exact, and this file is not
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexCorruptError):
        VectorIndex.load(tmp_path)


# -- a project past the size where the approximate index takes over --------------------------------
@pytest.fixture
def project(tmp_path, fake_encoder):
    lines = [f"P{i % 7}: comment {i} about the {w} and the {v}" for i, (w, v) in enumerate(
        (w, v) for w in ("nurses", "car park", "waiting list", "food", "referral", "doctor")
        for v in ("night shift", "letters", "phone calls", "kindness", "parking", "staff"))]
    (tmp_path / "talk.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text("participant_id,gender\n" + "".join(
        f"P{i},{'female' if i % 2 else 'male'}\n" for i in range(7)))
    project = Project.init(tmp_path / "proj")
    project.use_encoder(fake_encoder)
    project.import_documents([tmp_path / "talk.txt"], attributes=tmp_path / "people.csv")
    yield project
    project.close()


QUESTIONS = ["the nurses on the night shift", "parking from women", "waiting list letters", "kindness of the doctor"]


def test_the_kind_is_chosen_by_size_recorded_and_rebuilt_when_the_size_calls_for_another(project, monkeypatch):
    report = project.build_index()
    assert report.kind == EXACT and project.status()["index"]["kind"] == EXACT
    exact_answers = [[q.segment_id for q in ask(project, question).quotes] for question in QUESTIONS]
    monkeypatch.setattr("index.vectors.APPROXIMATE_FROM", 10)
    report = project.build_index()
    assert report.rebuilt and report.kind == IVF_SQ8 and project.status()["index"]["kind"] == IVF_SQ8
    assert not project.build_index().rebuilt
    # 36 segments: one list, every vector scanned, the best 100 re-scored exactly: Ask answers as before
    assert [[q.segment_id for q in ask(project, question).quotes] for question in QUESTIONS] == exact_answers
    monkeypatch.setattr("index.vectors.APPROXIMATE_FROM", 10**6)
    assert project.build_index().kind == EXACT


def test_the_corpus_cache_sees_writes_from_another_connection(project, tmp_path):
    project.build_index()
    first = corpus_for(project)
    assert corpus_for(project) is first
    other = Project.open(project.folder)
    (tmp_path / "more.csv").write_text("participant_id,gender\nP1,unknown\n")
    other.import_attributes(tmp_path / "more.csv")
    other.close()
    second = corpus_for(project)
    assert second is not first and {a.get("gender") for a in second.attributes} >= {"unknown"}


def test_approximate_scores_never_rank_above_the_exactly_re_scored_best(project, monkeypatch):
    from suggest.ask import dense

    monkeypatch.setattr("index.vectors.APPROXIMATE_FROM", 10)
    monkeypatch.setattr(dense, "RERANK", 3)
    assert project.build_index().kind == IVF_SQ8
    corpus = corpus_for(project)
    query = np.asarray(project.encoder.encode(["nurses on the night shift"]), dtype=np.float32)[0]
    scores = dense.dense_scores(project, corpus, query)
    vectors, _ = project.embed([corpus.text(r) for r in range(len(corpus.segments))])
    exact = np.asarray(vectors, dtype=np.float32) @ query
    order = np.argsort(-np.nan_to_num(scores, nan=-2.0), kind="stable")
    best, rest = order[:3], order[3:][np.isfinite(scores[order[3:]])]
    np.testing.assert_allclose(scores[best], exact[best], rtol=0, atol=1e-6)  # the best three: exact cosines
    assert rest.size > 0 and scores[rest].max() <= scores[best].min()
