"""Ask's corpus kept as columns: the same segments as the store hands out, the same BM25 scores as bm25s built
from term strings, the same per-term matches as scoring each term alone, an id -> row lookup without a dict."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from index.project import Project
from suggest.ask import corpus as corpus_module
from suggest.ask.corpus import RowOf, build_bm25, corpus_for
from suggest.ask.retrieval import lexical_scores
from suggest.ask.words import terms

TALK = {
    "alice.txt": "Interviewer: How was the ward?\nAlice: The nurses were kind on the night shift.\n"
                 "Alice: Parking was a nightmare, the car park is always full.\nAlice: Ok.\n",
    "bob.txt": "Interviewer: And the food?\nBob: Food was cold, the nurses said sorry.\nBob: Café naïve “quotes” 😀.\n",
    "carol.txt": "Carol: Waiting list letters never came.\nCarol: the the and of\n",
}


@pytest.fixture
def project(tmp_path, fake_encoder):
    for name, text in TALK.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "people.csv").write_text("participant_id,gender\nAlice,female\nBob,male\n", encoding="utf-8")
    project = Project.init(tmp_path / "proj")
    project.use_encoder(fake_encoder)
    project.import_documents([tmp_path / n for n in TALK], attributes=tmp_path / "people.csv")
    yield project
    project.close()


def test_the_table_holds_exactly_the_stores_segments_read_a_document_at_a_time(project, monkeypatch):
    monkeypatch.setattr(corpus_module, "READ_SEGMENTS", 1)  # one document per read
    corpus = corpus_for(project)
    stored = project.store.segments()
    assert len(corpus.segments) == len(stored) > 6
    assert list(corpus.segments) == stored  # every field, in store order
    assert corpus.segments[-1] == stored[-1] and corpus.segments[1:3] == stored[1:3]
    assert [corpus.text(i) for i in range(len(stored))] == [s.text for s in stored]
    assert corpus.ids.tolist() == [s.id for s in stored]
    assert corpus.participants == [s.participant for s in stored]
    assert corpus.interviewer.tolist() == [s.is_interviewer for s in stored]
    corpus.segments[0].attributes["changed"] = "yes"  # a segment handed out is the caller's own
    assert "changed" not in corpus.segments[0].attributes
    with pytest.raises(IndexError):
        corpus.segments[len(stored)]


def test_row_of_finds_each_id_and_nothing_else():
    ids = np.array([40, 7, 19, 3], dtype=np.int64)
    rows = RowOf(ids)
    assert [rows.get(i) for i in (40, 7, 19, 3)] == [0, 1, 2, 3]
    assert rows.get(8) is None and rows.get(1000) is None and rows.get("x", -1) == -1
    assert 19 in rows and 20 not in rows and rows[3] == 3
    with pytest.raises(KeyError):
        rows[5]
    assert rows.rows(np.array([3, 5, 40, 99])).tolist() == [3, -1, 0, -1]
    assert RowOf(np.zeros(0, dtype=np.int64)).rows(np.array([1])).tolist() == [-1]


def test_bm25_from_term_ids_scores_as_bm25s_from_term_strings(project):
    corpus = corpus_for(project)
    texts = [s.text for s in project.store.segments()]
    reference = bm25s.BM25()
    reference.index([terms(t) or [""] for t in texts], show_progress=False)
    ours = build_bm25(corpus.segments)
    assert set(ours.vocab_dict) == set(reference.vocab_dict)
    for query in (["nurs"], ["park", "car"], ["food", "nurs", "kind"], ["letter"]):
        query = [terms(" ".join(query))[0]] if len(query) == 1 else [t for q in query for t in terms(q)]
        np.testing.assert_array_equal(ours.get_scores(query), reference.get_scores(query))


def test_terms_matched_are_counted_from_each_terms_column(project):
    corpus = corpus_for(project)
    model = corpus.bm25()
    query = [t for t in terms("nurses kind food parking") if t in model.vocab_dict]
    key, scores = lexical_scores(corpus, query)
    matched = sum((np.asarray(model.get_scores([t])) > 0).astype(float) for t in set(query))
    np.testing.assert_array_equal(key, matched * (float(scores.max()) + 1.0) + scores)
    assert matched.max() >= 2  # a segment with two of the terms ranks above any with one


def test_the_codings_table_is_read_again_after_a_write(project):
    from index.types import Code

    with project.store.transaction():
        project.store.upsert_codes([Code("c1", "Care"), Code("c2", "Parking")])
    corpus = corpus_for(project)
    first_segment, second_segment = (s.id for s in project.store.segments()[:2])
    with project.store.transaction():
        project.store.add_codings([(first_segment, "c1", "ann", "human")])
    table = corpus.codings(project.store, ["c1", "c2"])
    assert corpus.codings(project.store, ["c1", "c2"]) is table  # nothing written: the same arrays
    assert [corpus.ids[r] for r in table.rows[table.of({"c1"})]] == [first_segment] and not table.of({"c2"}).any()
    with project.store.transaction():
        project.store.add_codings([(second_segment, "c2", "ann", "human")])
    again = corpus.codings(project.store, ["c1", "c2"])
    assert again is not table and [corpus.ids[r] for r in again.rows[again.of({"c2"})]] == [second_segment]
