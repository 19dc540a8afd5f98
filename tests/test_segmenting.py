"""Segmentation: one segment per turn, long turns split between sentences, interviewer detection, and the
offset invariant under Hypothesis."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.ingest.segmenting import interviewer_matcher, segment_turns, sentence_spans
from index.types import Turn


def texts(text, segments):
    return [text[s.start:s.end] for s in segments]


def test_one_segment_per_turn_stripped_with_speaker_timestamp_attributes():
    text = "Interviewer:  Hello there. \nP1:\tFine.  \n"
    turns = [Turn(12, 27, "Interviewer", "00:00:01"), Turn(31, 39, "P1", None, {"site": "Leeds"})]
    segments = segment_turns(text, turns)
    assert texts(text, segments) == ["Hello there.", "Fine."]
    assert [(s.speaker, s.timestamp, s.is_interviewer, s.attributes) for s in segments] == [
        ("Interviewer", "00:00:01", True, {}), ("P1", None, False, {"site": "Leeds"})]
    assert segments[1].attributes is not turns[1].attributes  # a copy


def test_empty_and_blank_turns_are_dropped():
    text = "A:   \nB: x"
    assert texts(text, segment_turns(text, [Turn(2, 5, "A"), Turn(5, 5, "A"), Turn(9, 10, "B")])) == ["x"]


def test_long_turn_split_between_sentences_and_abbreviations_respected():
    sentence = "Dr. Smith said e.g. the 3.5 mg dose at 10 a.m. was fine for J. Doe and Mrs. Lee."
    text = " ".join([sentence, "Was it?", "Yes!", "“It was.”", sentence])
    segments = segment_turns(text, [Turn(0, len(text), "P1")], max_chars=100)
    pieces = texts(text, segments)
    assert pieces == [sentence + " Was it? Yes!", "“It was.” " + sentence]
    assert all(len(p) <= 100 for p in pieces)


def test_sentence_spans():
    text = "Hello. Mr. Jones arrived at 3.30 p.m. today! Did he? ok... and then. (Yes.) Fine\n\nNew para"
    assert [text[s:e] for s, e in sentence_spans(text, 0, len(text))] == [
        "Hello.", "Mr. Jones arrived at 3.30 p.m. today!", "Did he?", "ok... and then.", "(Yes.)", "Fine",
        "New para"]


def test_sentence_longer_than_max_is_split_between_words():
    text = " ".join(f"word{i}" for i in range(100))  # one sentence of 689 characters; 8 pieces at least
    pieces = texts(text, segment_turns(text, [Turn(0, len(text))], max_chars=100))
    assert len(pieces) == 8 and all(50 <= len(p) <= 100 for p in pieces)  # no tiny leftover piece
    assert " ".join(pieces) == text


def test_a_single_word_longer_than_max_stays_whole():
    text = "short " + "x" * 50 + " tail"
    assert texts(text, segment_turns(text, [Turn(0, len(text))], max_chars=10)) == ["short", "x" * 50, "tail"]


def test_pieces_are_balanced_not_greedy():
    text = " ".join(["Aaaa aaaa aaaa."] * 7)  # 7 sentences of 15 chars = 111 chars
    lengths = [len(p) for p in texts(text, segment_turns(text, [Turn(0, len(text))], max_chars=100))]
    assert lengths == [63, 47]  # two similar pieces rather than 95 + 15


@pytest.mark.parametrize("speaker, expected", [
    ("Interviewer", True), ("interviewer 2", True), ("INT", True), ("Int.", True), ("I", True), ("I1", True),
    ("Q", True), ("Q3", True), ("Facilitator", True), ("Moderator (Ana)", True), ("Dr Lee (Researcher)", True),
    ("Lead researcher", True), ("Interviewee", False), ("Ingrid", False), ("P1", False), ("Iris", False),
    ("A", False), ("Participant", False), ("", False), (None, False),
])
def test_interviewer_patterns_default(speaker, expected):
    assert interviewer_matcher()(speaker) is expected


def test_interviewer_patterns_are_a_parameter():
    text = "x y"
    turns = [Turn(0, 1, "Coach"), Turn(2, 3, "Interviewer")]
    assert [s.is_interviewer for s in segment_turns(text, turns, interviewer_patterns=["coach"])] == [True, False]
    custom = [re.compile(r"^R\d+$")]
    assert interviewer_matcher(custom)("R2") and not interviewer_matcher(custom)("r2")


def test_bad_input_is_a_programming_error():
    with pytest.raises(ValueError):
        segment_turns("abc", [Turn(0, 2), Turn(1, 3)])
    with pytest.raises(ValueError):
        segment_turns("abc", [Turn(0, 5)])
    with pytest.raises(ValueError):
        segment_turns("abc", [Turn(0, 3)], max_chars=0)


_CHARS = st.characters(codec="utf-8", blacklist_categories=("Cs",))
_PIECES = st.sampled_from(["Dr.", "e.g.", "3.5", ". ", "? ", "! ", "… ", "\n\n", "”. ", " ", "\t", "\xa0", "x" * 30])


@st.composite
def documents(draw):
    text = "".join(draw(st.lists(st.one_of(st.text(_CHARS, max_size=8), _PIECES), max_size=40)))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)) + [0, len(text)])
    turns = [Turn(a, b, draw(st.sampled_from([None, "I", "P1"]))) for a, b in zip(cuts, cuts[1:])]
    return text, turns


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents(), st.integers(1, 60))
def test_property_offsets(document, max_chars):
    text, turns = document
    segments = segment_turns(text, turns, max_chars=max_chars)
    covered = set()
    previous_end = 0
    for seg in segments:
        piece = text[seg.start:seg.end]
        assert piece and piece == piece.strip() and seg.start >= previous_end
        assert len(piece) <= max_chars or not re.search(r"\s", piece)  # longer only if one unbreakable word
        previous_end = seg.end
        covered.update(range(seg.start, seg.end))
    for turn in turns:
        assert all(i in covered for i in range(turn.start, turn.end) if not text[i].isspace())
        assert all(turn.start <= s.start and s.end <= turn.end or s.end <= turn.start or s.start >= turn.end
                   for s in segments)
