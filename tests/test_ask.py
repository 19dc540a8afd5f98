"""Ask: the question parser (pure), retrieval pieces (pure), small projects with the fake encoder, and the
bundled sample with the real MiniLM, where the expected quotes are pinned by their quote ids."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import _shared_home

from suggest.ask.answer import ask, check_citations, format_result
from suggest.ask.query import parse_question
from suggest.ask.related_codes import relate_codes
from suggest.ask.understanding import Vocabulary, build_vocabulary
from suggest.ask.words import stem, terms
from index.demo import build_demo, sample_dir
from index.errors import CodeseedError, ProjectError
from index.project import Project
from suggest.ask.retrieval import corpus_for, fold_near_duplicates, reciprocal_rank_fusion
from index.types import Code


# -- the parser, on a hand-built vocabulary ---------------------------------------------------------
def vocab(**extra) -> Vocabulary:
    rows = [
        {"gender": "F", "role": "Mental health nurse and psychotherapist", "setting": "generic"},
        {"gender": "M", "role": "nurse practitioner", "setting": "specialist"},
        {"gender": "F", "role": "social worker", "setting": "third sector"},
        {"gender": "M", "role": "Social Worker working in generic services", "setting": "generic"},
        {"gender": "F", "role": "clinical psychologist", "setting": "specialist"},
    ]
    return build_vocabulary(rows, scopes=dict.fromkeys(["gender", "role", "setting"], "participant"),
                            participants=["P12", "ID04"], **extra)


CODES = [
    Code("T2", "Barriers in providers", description="Barriers located in providers and staff."),
    Code("2.3", "The challenge of working in a culture of stigma and labelling", parent="T2",
         description="Stigmatising attitudes and the 'personality disorder' label."),
    Code("3.1", "The inaccessible and limited availability of services",
         description="Exclusion from services, long waits, high thresholds."),
]


def test_setting_value_becomes_a_filter_and_the_rest_the_topic():
    u = parse_question("show quotes about stigma in generic services", vocab())
    assert [(f.key, set(f.values)) for f in u.filters] == [("setting", {"generic"})]
    assert u.topic == "stigma" and u.topic_terms == ("stigma",)
    assert relate_codes(u, CODES).summary() == (
        "setting = generic · topic: stigma · related codes: 2.3 The challenge of working in a culture of stigma "
        "and labelling")


def test_person_noun_matches_free_text_values_by_stem():
    u = parse_question("what did nurses say about waiting", vocab())
    (f,) = u.filters
    assert f.key == "role" and f.label == "role contains 'nurse'"
    assert f.values == {"Mental health nurse and psychotherapist", "nurse practitioner"}
    assert u.topic == "waiting"


def test_short_value_contained_in_longer_ones_keeps_them_all():
    u = parse_question("quotes from social workers about caseloads", vocab())
    (f,) = u.filters
    assert f.values == {"social worker", "Social Worker working in generic services"}
    assert f.label == "role contains 'social worker'" and u.topic == "caseloads"


def test_gender_words_map_onto_the_values_in_the_data():
    u = parse_question("quotes from women about training", vocab())
    assert [(f.key, set(f.values), f.label) for f in u.filters] == [("gender", {"F"}, "gender = F")]
    both = parse_question("what did men and women say about budgets", vocab())
    assert both.filters[0].values == {"F", "M"} and both.topic == "budgets"
    assert parse_question("women's views on stigma", vocab()).filters[0].values == {"F"}


def test_filters_on_different_attributes_all_hold():
    u = parse_question("quotes from female nurses in specialist services about risk", vocab())
    assert {f.key: set(f.values) for f in u.filters} == {
        "gender": {"F"}, "setting": {"specialist"},
        "role": {"Mental health nurse and psychotherapist", "nurse practitioner"}}
    assert u.topic == "risk"


def test_a_filter_term_that_matches_nothing_is_reported():
    u = parse_question("quotes from surgeons about risk", vocab())
    assert not u.filters and [m.message for m in u.unmatched] == ["no participant has role 'surgeon'"]
    assert "clinical psychologist" in u.unmatched[0].fix
    assert "no participant has role 'surgeon'" in u.summary()
    no_gender = build_vocabulary([{"role": "nurse"}], scopes={"role": "participant"})
    assert [m.message for m in parse_question("quotes from women", no_gender).unmatched] == \
        ["no participant has gender 'female'"]


def test_topic_words_are_never_filters():
    assert not parse_question("quotes about specialist training", vocab()).filters
    assert not parse_question("stigma in general", vocab()).filters  # no scope noun after "general"
    assert not parse_question("comments about waiting in the car park", vocab()).filters
    assert not parse_question("quotes from last year about parking", vocab()).unmatched  # not a person
    u = parse_question("quotes about training in specialist services", vocab())
    assert [f.label for f in u.filters] == ["setting = specialist"] and u.topic == "training"


def test_explicit_filters_and_unknown_attributes():
    assert parse_question("setting=generic stigma", vocab()).filters[0].values == {"generic"}
    u = parse_question('role: "social worker" budgets', vocab())  # explicit: the exact value when there is one
    assert u.filters[0].values == {"social worker"} and u.topic == "budgets"
    assert parse_question("role=psychotherapist", vocab()).filters[0].label == "role contains 'psychotherapist'"
    assert [m.message for m in parse_question("rank=3 stigma", vocab()).unmatched] == \
        ["no attribute 'rank' in this project"]
    assert [m.message for m in parse_question("role is surgeon", vocab()).unmatched] == \
        ["no participant has role 'surgeon'"]


def test_participant_ids_and_code_ids():
    u = parse_question("what did P12 say about code 2.3", vocab(), CODES)
    assert [(f.key, set(f.values)) for f in u.filters] == [("participant", {"P12"})]
    assert u.mentioned_codes == ("2.3",) and u.topic == ""
    related = relate_codes(u, CODES)
    assert [(c.id, c.why) for c in related.codes] == [("2.3", "named by id")]


def test_codes_related_by_name_description_and_meaning():
    u = parse_question("The inaccessible and limited availability of services", vocab())
    assert relate_codes(u, CODES).codes[0].id == "3.1"
    waits = relate_codes(parse_question("long waits", vocab()), CODES)
    assert [c.id for c in waits.codes] == ["3.1"] and "description" in waits.codes[0].why
    # By meaning only: similarity above the range counts fully, below it not at all.
    u = parse_question("feeling judged", vocab())
    assert relate_codes(u, CODES).codes == ()
    near = relate_codes(u, CODES, {"2.3": 0.62, "3.1": 0.2, "T2": 0.31})
    assert [c.id for c in near.codes] == ["2.3"] and near.codes[0].why.startswith("similar in meaning")


def test_stemming_joins_the_forms_questions_and_quotes_use():
    same = [("nurses", "nurse"), ("nursing", "nurse"), ("waiting", "wait"), ("judged", "judgement"),
            ("labelling", "label"), ("caring", "care"), ("staffing", "staff"), ("services", "service")]
    for a, b in same:
        assert stem(a) == stem(b), (a, b)
    assert stem("care") != stem("car") and terms("Show the quotes") == ["show", "quot"]


# -- retrieval pieces -------------------------------------------------------------------------------
def test_reciprocal_rank_fusion_adds_one_over_k_plus_rank():
    fused = reciprocal_rank_fusion([np.array([2, 0]), np.array([0])], size=3, k=60)
    assert fused[0] == pytest.approx(1 / 62 + 1 / 61) and fused[2] == pytest.approx(1 / 61) and fused[1] == 0


def test_near_duplicates_fold_into_the_better_ranked():
    v = np.array([[1, 0], [0.999, 0.045], [0, 1], [0, 1]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    kept = fold_near_duplicates([0, 1, 2, 3], v, ["a", "b", "c", "a"])
    assert kept == [(0, [1, 3]), (2, [])]  # 1: cosine > 0.95; 3: same text as 0
    assert fold_near_duplicates([2, 0], v, ["a", "b", "c", "d"], limit=1) == [(2, [])]


def test_citations_not_retrieved_and_sentences_without_citations_are_flagged():
    answer = ("Staff fear risk [S1]. Funding follows popularity. [S2, S9]\n"
              "Budgets are fragmented [s3]. Nobody trains staff.")
    check = check_citations(answer, ["S1", "S2", "S3"])
    assert check.cited == ["S1", "S2", "S9", "S3"] and check.unknown == ["S9"]
    assert check.unsupported == ["Nobody trains staff."] and not check.ok
    assert check_citations("All of it [S1].", ["S1"]).ok


# -- small projects with the fake encoder -----------------------------------------------------------
@pytest.fixture
def small(tmp_path, fake_encoder):
    (tmp_path / "P1.txt").write_text(
        "Interviewer: Did you feel judged by the nurses?\n"
        "P1: Yes, the nurses judged me and the wait was long.\n"
        "Interviewer: Anything else?\n"
        "P1: The car park was always full.\n", encoding="utf-8")
    (tmp_path / "P2.txt").write_text(
        "P2: The car park was always full.\n\nP2: Nobody called me back about my referral.\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text("participant_id,gender,setting\nP1,female,generic\nP2,male,specialist\n")
    project = Project.init(tmp_path / "proj")
    project.use_encoder(fake_encoder)
    project.import_documents([tmp_path / "P1.txt", tmp_path / "P2.txt"], attributes=tmp_path / "people.csv")
    project.build_index()
    yield project
    project.close()


def test_interviewer_turns_are_left_out_unless_asked_for(small):
    texts = [q.text for q in ask(small, "judged by the nurses").quotes]
    assert texts[0].startswith("Yes, the nurses judged me") and not any("Did you" in t for t in texts)
    with_interviewer = ask(small, "judged by the nurses", include_interviewer=True).quotes
    assert any(q.text.startswith("Did you feel judged") for q in with_interviewer)


def test_identical_quotes_fold_into_one_card(small):
    result = ask(small, "car park full")
    car = [q for q in result.quotes if "car park" in q.text]
    assert len(car) == 1 and len(car[0].folded) == 1
    assert {car[0].document, small.segments(segment_ids=car[0].folded)[0].document} == {"P1", "P2"}


def test_quote_cards_carry_offsets_speaker_and_attributes(small):
    (card,) = ask(small, "referral from men", k=1).quotes
    document = small.store.document_by_name(card.document)["text"]
    assert document[card.start:card.end] == card.text and card.cite == f"S{card.segment_id}"
    assert (card.participant, card.speaker, card.attributes["setting"]) == ("P2", "P2", "specialist")
    assert card.why["bm25_rank"] == 1


def test_empty_results_say_why(small):
    result = ask(small, "quotes from women in specialist services about parking")
    assert result.quotes == [] and result.empty_reason.startswith("no segment matches all the filters together")
    assert "gender = female" in result.empty_reason and "setting = specialist" in result.empty_reason
    assert "no participant has role" not in result.empty_reason
    result = ask(small, "quotes from surgeons")
    assert result.quotes == [] and "no attribute value in this project matches 'surgeon'" in result.empty_reason
    assert "Understood:" in format_result(result) and "No quotes:" in format_result(result)


def test_no_topic_lists_the_filtered_quotes_in_document_order(small):
    result = ask(small, "quotes from women")
    assert result.understood.topic == "" and [q.text[:8] for q in result.quotes] == ["Yes, the", "The car "]


def test_stale_index_is_refused_with_the_fix(small, tmp_path):
    (tmp_path / "P3.txt").write_text("P3: The nurses were kind to me.\n", encoding="utf-8")
    small.import_documents([tmp_path / "P3.txt"])
    with pytest.raises(ProjectError, match="out of date") as error:
        ask(small, "kind nurses")
    assert "codeseed index" in str(error.value)


def test_the_corpus_is_cached_until_segments_or_attributes_change(small, tmp_path):
    first = corpus_for(small)
    assert corpus_for(small) is first
    (tmp_path / "more.csv").write_text("participant_id,gender,setting\nP2,female,specialist\n")
    small.import_attributes(tmp_path / "more.csv")
    assert corpus_for(small) is not first


def test_the_store_answers_asks_coding_queries(small, tmp_path):
    (tmp_path / "cb.csv").write_text("code,parent,name,description\nW,,Waiting,\nC,,Car park,\n")
    small.import_codebook(tmp_path / "cb.csv")
    wait = next(s.id for s in small.segments() if "the wait was long" in s.text)
    car = next(s.id for s in small.segments() if s.document == "P1" and "car park" in s.text)
    before = small.store.corpus_fingerprint()
    with small.store.transaction():
        small.store.add_codings([(wait, "W", "ana", "human"), (car, "C", "ana", "human"), (car, "C", "bo", "human"),
                                 (car, "W", "bo", "human")])
    assert small.store.segments_coded_with(["W"]) == {wait: {"W"}, car: {"W"}}
    assert small.store.segments_coded_with(["C", "nothing"]) == {car: {"C"}}
    assert small.store.segments_coded_with([]) == {} and small.store.coders_by_code([]) == {}
    assert small.store.coders_by_code([car, wait]) == {car: {"C": ["ana", "bo"], "W": ["bo"]}, wait: {"W": ["ana"]}}
    assert small.store.corpus_fingerprint() == before  # codings are not part of the corpus
    small.store.upsert_participant("P9", {"gender": "female"})
    assert small.store.corpus_fingerprint() != before


def test_bad_questions_are_refused(small):
    with pytest.raises(CodeseedError, match="question is empty"):
        ask(small, "  ")
    with pytest.raises(CodeseedError, match="k must be"):
        ask(small, "stigma", k=0)


def test_cli_ask_prints_json_and_reports_bad_llm_specs(small, capsys, monkeypatch, fake_encoder):
    import cli.registry
    from codeseed_cli import main

    def with_fake(folder):
        project = Project.open(folder)
        project.use_encoder(fake_encoder)
        return project

    monkeypatch.setattr(cli.registry, "open_project", with_fake)
    assert main(["ask", str(small.folder), "nurses judged", "--json", "--k", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["understood"]["topic"] == "nurses judged" and len(out["quotes"]) == 1
    assert main(["ask", str(small.folder), "nurses judged", "--llm", "gpt"]) == 2
    assert "ollama:MODEL" in capsys.readouterr().err


# -- the bundled sample with the real MiniLM --------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CODESEED_HOME", str(_shared_home(tmp_path_factory)))
        project = build_demo(tmp_path_factory.mktemp("ask") / "demo")
        ask(project, "warm up")  # loads the model once for the module
        yield project
        project.close()


@pytest.fixture(scope="module")
def quote_ids():
    """Segment text → the study's quote id (Q01..Q30), from the sample's coding files."""
    ids = {}
    for name in ("first_pass.csv", "held_out.csv"):
        with open(sample_dir() / name, encoding="utf-8") as handle:
            ids.update({row["text"]: row["quote_id"] for row in csv.DictReader(handle)})
    return ids


def asked(demo, quote_ids, question, k=10):
    result = ask(demo, question, k)
    return result, [quote_ids[q.text] for q in result.quotes]


def test_sample_stigma_in_generic_services(demo, quote_ids):
    result, ids = asked(demo, quote_ids, "show quotes about stigma in generic services")
    assert result.understood.summary().startswith("setting = generic · topic: stigma · related codes: 2.3")
    assert {q.attributes["setting"] for q in result.quotes} == {"generic"} and result.matching == 10
    # Q28 says "stigma"; Q21 "a diagnosis of exclusion", Q24 "just attention-seeking": the stigma quotes.
    assert ids[0] == "Q28" and set(ids[1:3]) == {"Q21", "Q24"}


def test_sample_stigma_ranks_the_word_and_the_coded_quotes_first(demo, quote_ids):
    _, ids = asked(demo, quote_ids, "show quotes about stigma")
    assert set(ids[:3]) == {"Q28", "Q16", "Q17"}  # the word itself; the two quotes coded 2.3


def test_sample_gender_filter(demo, quote_ids):
    result, ids = asked(demo, quote_ids, "what did women say about training")
    assert {q.attributes["gender"] for q in result.quotes} == {"female"}
    assert set(ids[:3]) == {"Q25", "Q26", "Q20"}  # the training quotes (3.2, 2.4) of women


def test_sample_role_filter(demo, quote_ids):
    result, ids = asked(demo, quote_ids, "quotes from social workers about caseloads")
    assert all("social worker" in q.attributes["role"].lower() for q in result.quotes)
    assert ids[0] == "Q13"  # "When you've got a caseload of 50 ..."


def test_sample_setting_filter_specialist(demo, quote_ids):
    result, ids = asked(demo, quote_ids, "quotes about trauma in specialist services")
    assert {q.attributes["setting"] for q in result.quotes} == {"specialist"}
    assert set(ids[:2]) == {"Q09", "Q10"}  # the two trauma quotes from specialist services


def test_sample_question_naming_a_subtheme(demo, quote_ids):
    result, ids = asked(demo, quote_ids, "The challenge of working in a culture of stigma and labelling")
    assert result.understood.codes[0].id == "2.3"
    assert {"Q16", "Q17"} <= set(ids[:3]) and "Q15" in ids[:5]  # coded 2.3; Q15 is the held-out 2.3 quote


def test_sample_filter_matching_nothing_is_reported(demo, quote_ids):
    result, ids = asked(demo, quote_ids, "quotes from surgeons about risk")
    assert ids == [] and result.empty_reason.startswith("no participant has role 'surgeon'")


def test_langchain_retriever_and_cited_summary(demo, quote_ids):
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.language_models import FakeListChatModel, GenericFakeChatModel

    from suggest.ask.langchain_adapter import CodeseedRetriever, synthesise

    retriever = CodeseedRetriever(project=demo, k=3)
    documents = retriever.invoke("show quotes about stigma in generic services")
    assert [quote_ids[d.page_content] for d in documents][0] == "Q28"
    meta = documents[0].metadata
    assert meta["cite"] == f"S{meta['segment_id']}" and meta["participant"] == "ID32"
    assert meta["attributes"]["setting"] == "generic" and meta["codes"] == ["3.3"] and meta["end"] > meta["start"]
    assert retriever.last_result.understood.filters[0].key == "setting"

    class Recorder(BaseCallbackHandler):
        def __init__(self):
            self.prompts = []

        def on_chat_model_start(self, serialized, messages, **kwargs):
            self.prompts.extend(m.content for batch in messages for m in batch)

    recorder = Recorder()
    cites = [d.metadata["cite"] for d in documents]
    answer = (f"Staff hold stigmatising views [{cites[0]}]. "
              f"They call people attention-seeking [{cites[2]}, S99999]. Services should change.")
    model = GenericFakeChatModel(messages=iter([answer]), callbacks=[recorder])
    synthesis = synthesise("How is stigma described?", documents, model)
    sent = "\n".join(recorder.prompts)
    others = [s.text for s in demo.segments() if s.text not in {d.page_content for d in documents}]
    assert all(f"[{d.metadata['cite']}] {d.page_content}" in sent for d in documents)
    assert not any(text in sent for text in others)  # only the retrieved quotes reach the model
    assert synthesis.check.unknown == ["S99999"] and synthesis.check.unsupported == ["Services should change."]

    clean = synthesise("Stigma?", documents, FakeListChatModel(responses=[f"Stigma shapes funding [{cites[0]}]."]))
    assert clean.check.ok and clean.check.cited == [cites[0]]
