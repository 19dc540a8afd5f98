"""Ask as a conversation, the pure part: each question read against the state before it (rules in docs/ask.md).
A hand-built vocabulary, so every filter after every turn is known exactly."""

from __future__ import annotations

from dataclasses import replace

from suggest.ask.conversation import (CODES, COUNT, NOTHING, RESET, SEARCH, SIMILAR, SUMMARY, State, chips, read_turn,
                                      remove_filter)
from suggest.ask.understanding import build_vocabulary
from index.types import Code

ROWS = [
    {"gender": "female", "role": "nurse", "setting": "generic"},
    {"gender": "male", "role": "nurse practitioner", "setting": "specialist"},
    {"gender": "female", "role": "social worker", "setting": "third sector"},
    {"gender": "male", "role": "psychologist", "setting": "generic"},
]
VOCAB = build_vocabulary(ROWS, scopes=dict.fromkeys(["gender", "role", "setting"], "participant"),
                         participants=["P1", "P2", "P3", "P4"])
CODEBOOK = [Code("S", "Stigma", description="labelling and judgement"), Code("F", "Funding", description="money")]


def talk(*questions: str, shown: tuple[int, ...] = (11, 12, 13)):
    """Each step of a conversation; after each turn the quotes ``shown`` are on screen."""
    state, steps = State(), []
    for q in questions:
        step = read_turn(q, state, VOCAB, CODEBOOK)
        steps.append(step)
        state = replace(step.state, shown=shown)
    return steps


def filters(step) -> dict[str, set[str]]:
    return {f.key: set(f.values) for f in step.state.filters}


def test_a_follow_up_adds_replaces_and_keeps():
    first, nurses, specialist, women = talk("show quotes about stigma in generic services", "only from nurses",
                                            "and in specialist services?", "only women")
    assert first.intent == SEARCH and filters(first) == {"setting": {"generic"}} and first.state.topic == "stigma"
    assert first.changes == ("new question",)
    assert filters(nurses) == {"setting": {"generic"}, "role": {"nurse", "nurse practitioner"}}
    assert nurses.state.topic == "stigma"
    assert nurses.changes == ("added role contains 'nurse'", "kept setting = generic · topic: stigma")
    assert filters(specialist) == {"setting": {"specialist"}, "role": {"nurse", "nurse practitioner"}}
    assert specialist.changes[0] == "replaced setting = generic by setting = specialist"
    assert specialist.state.topic == "stigma"
    assert filters(women) == {"setting": {"specialist"}, "role": {"nurse", "nurse practitioner"}, "gender": {"female"}}
    assert women.changes[0] == "added gender = female"


def test_a_new_topic_replaces_the_topic_and_keeps_the_filters():
    _, training = talk("quotes about stigma from women", "what about training?")
    assert training.state.topic == "training" and filters(training) == {"gender": {"female"}}
    assert training.changes == ("topic: stigma → training", "kept gender = female")


def test_a_question_with_its_own_topic_is_a_new_question():
    _, new = talk("quotes about stigma from women", "quotes about parking in generic services")
    assert filters(new) == {"setting": {"generic"}} and new.state.topic == "parking"
    assert new.changes == ("new question (dropped: gender = female · topic: stigma)",)


def test_also_widens_a_filter_instead_of_replacing_it():
    _, both = talk("quotes about stigma from women", "also from men")
    assert filters(both) == {"gender": {"female", "male"}}
    assert both.changes[0] == "widened gender = female to gender = female or gender = male"


def test_not_keeps_every_other_value_and_the_interviewer_can_come_and_go():
    _, no_nurses, with_int, without = talk("quotes about stigma", "not nurses", "include the interviewer",
                                           "not the interviewer")
    assert filters(no_nurses) == {"role": {"social worker", "psychologist"}}
    assert no_nurses.changes == ("left out role contains 'nurse'",)
    assert with_int.state.include_interviewer and with_int.changes == ("interviewer turns included",)
    assert not without.state.include_interviewer and without.changes == ("interviewer turns left out",)
    assert filters(without) == filters(no_nurses) and without.state.topic == "stigma"
    (narrowed,) = talk("quotes from female nurses about stigma")[:1]
    after = read_turn("except social workers", narrowed.state, VOCAB, CODEBOOK)  # nothing more to leave out
    assert filters(after)["role"] == {"nurse", "nurse practitioner"}


def test_more_like_the_second_one_searches_by_that_quote_and_keeps_filters():
    _, like = talk("quotes about stigma in generic services", "more like the second one")
    assert like.intent == SIMILAR and like.state.like == 12 and like.state.topic == ""
    assert filters(like) == {"setting": {"generic"}}
    assert like.changes == ("searching for quotes like S12 (quote 2)", "kept setting = generic")
    assert talk("stigma", "similar to S40")[1].state.like == 40
    assert talk("stigma", "more like #3")[1].state.like == 13
    assert talk("stigma", "more like the last one")[1].state.like == 13
    assert talk("stigma", "more like the fifth one")[1].problem == "there is no quote 5: 3 are shown (1 to 3)"
    assert talk("more like the second one", shown=())[0].problem == "no quotes are shown yet: ask for some first"
    # a filter after "more like" keeps searching like that quote
    _, _, women = talk("stigma", "more like the second one", "only women")
    assert women.state.like == 12 and filters(women) == {"gender": {"female"}}


def test_codes_counting_summary_and_start_over():
    steps = talk("quotes about stigma in generic services", "what codes do these have?",
                 "how many participants mention funding, by setting?", "how many say this by gender",
                 "summarise what they say", "start over")
    _, codes, count, again, summary, reset = steps
    assert codes.intent == CODES and codes.state.topic == "stigma" and codes.problem is None
    assert count.intent == COUNT and count.group_by == "setting" and count.state.topic == "funding"
    assert filters(count) == {"setting": {"generic"}}
    assert again.intent == COUNT and again.group_by == "gender" and again.state.topic == "funding"
    assert summary.intent == SUMMARY and summary.state == again.state
    assert reset.intent == RESET and reset.state == State()
    assert talk("how many participants mention funding, by shoe size")[0].problem.startswith(
        "there is no attribute 'shoe size' to count by; attributes in this project: gender, role, setting")
    assert talk("what codes do these have", shown=())[0].problem == "no quotes are shown yet: ask for some first"
    fresh = talk("start over: quotes about parking from women")[0]
    assert fresh.changes[:2] == ("started over", "new question") and filters(fresh) == {"gender": {"female"}}


def test_unmatched_words_are_reported_for_that_turn_only():
    _, surgeons, women = talk("quotes about stigma from women", "only from surgeons", "and in generic services")
    assert [u.message for u in surgeons.unmatched] == ["no participant has role 'surgeon'"]
    assert filters(surgeons) == {"gender": {"female"}}  # the state is as before
    assert "no participant has role 'surgeon'" in surgeons.understanding("q").summary()
    assert women.unmatched == () and filters(women) == {"gender": {"female"}, "setting": {"generic"}}


def test_nothing_understood_changes_nothing():
    first, hmm = talk("quotes about stigma", "and ?")
    assert hmm.intent == NOTHING and hmm.state == replace(first.state, shown=(11, 12, 13))
    assert hmm.changes[0].startswith("nothing understood")


def test_chips_remove_one_filter_and_the_state_round_trips():
    _, step = talk("quotes about stigma from women", "and in generic services")
    assert [(c.key, c.label) for c in chips(step.state)] == [("gender", "gender = female"),
                                                             ("setting", "setting = generic")]
    state, said = remove_filter(step.state, "gender")
    assert said == "removed gender = female" and filters(replace(step, state=state)) == {"setting": {"generic"}}
    assert remove_filter(state, "gender") == (state, "no filter on gender to remove")
    assert State.from_dict(step.state.to_dict()) == step.state
