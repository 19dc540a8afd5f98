"""The review queue of the coding app as plain Python: order, filters, progress, decisions, undo, picker, coders."""

import threading

import numpy as np
import pytest

from index.errors import CodeseedError
from index.project import Project
from suggest.review import (
    ACCEPTED,
    ADDED,
    PENDING,
    REJECTED,
    Item,
    QueueFilter,
    ReviewSession,
    codebook_rows,
    merge_items,
    next_pending,
    order_queue,
    parse_attribute,
    save_code_description,
)
from suggest.project_suggester import ProjectSuggester
from suggest.suggestion import Suggestion
from index.types import Code, Segment
from tests.conftest import coded_project

P1 = """Interviewer: How was getting an appointment?
P1: The waiting list was months long and nobody called me back.
Interviewer: And the staff?
P1: The staff were kind and treated me with respect.
P1: The parking was impossible and cost a fortune.
P1: I waited months on a list and nobody phoned me back.
"""
P2 = """Interviewer: Tell me about the service.
P2: Staff treated me kindly and with respect every time.
P2: Months on the waiting list, nobody called back at all.
P2: Parking cost a fortune and was impossible to find.
"""


@pytest.fixture
def project(tmp_path, fake_encoder):
    p = coded_project(tmp_path, fake_encoder, {"P1": P1, "P2": P2},
                      attributes="participant_id,setting\nP1,generic\nP2,specialist\n", coder="first")
    yield p
    p.close()


@pytest.fixture
def suggester(project):
    return ProjectSuggester(project).fit()


def first_words(card_or_session, project):
    texts = {s.id: s.text for s in project.segments()}
    queue = card_or_session.queue
    return [" ".join(texts[i].split()[:2]) for i in queue]


def text_of(project, segment_id):
    return next(s.text for s in project.segments() if s.id == segment_id)


# -- the queue --------------------------------------------------------------------------------------------
def test_queue_holds_uncoded_participant_turns_in_document_order(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    assert first_words(session, project) == ["The parking", "I waited", "Staff treated", "Months on", "Parking cost"]
    card = session.card()
    assert (card.position, card.total) == (1, 5)
    assert card.segment.text == "The parking was impossible and cost a fortune."
    assert card.attributes["setting"] == "generic"
    assert [s.speaker for s in card.before] == ["Interviewer", "P1"]  # context: interviewer turns included
    assert [s.text.split()[0] for s in card.after] == ["I"]
    session.set_queue(filters=QueueFilter(include_coded=True))
    assert len(session.queue) == 7  # the two first-pass segments join; interviewer turns never do


def test_filters_by_document_and_attribute(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    assert ("setting", "generic", 4) in session.attribute_choices()
    session.set_queue(filters=QueueFilter(attributes=(parse_attribute("setting = specialist"),)))
    assert first_words(session, project) == ["Staff treated", "Months on", "Parking cost"]
    session.set_queue(filters=QueueFilter(documents=("P1",)))
    assert first_words(session, project) == ["The parking", "I waited"]
    session.set_queue(filters=QueueFilter(documents=("P1",), attributes=(("setting", "specialist"),)))
    assert session.queue == [] and session.card().segment is None
    assert "No segment" in session.message
    session.set_queue(filters=QueueFilter(attributes=(("setting", "specialist"), ("setting", "generic"))))
    assert len(session.queue) == 5  # values of one attribute are alternatives
    with pytest.raises(CodeseedError, match="no document named 'P9'"):
        session.set_queue(filters=QueueFilter(documents=("P9",)))
    with pytest.raises(CodeseedError, match="name = value"):
        parse_attribute("generic")


def seg(i, doc=1, pos=None):
    return Segment(id=i, document_id=doc, document=f"D{doc}", position=i if pos is None else pos, start=0, end=1,
                   text="x", speaker="P", participant=None, is_interviewer=False)


def test_order_least_confident_first_and_by_code():
    segments = [seg(1), seg(2), seg(3), seg(4, doc=2, pos=0)]
    best = {1: Suggestion("B", 0.9, 1, True), 2: Suggestion("A", 0.2, 1, False),
            3: Suggestion("A", 0.7, 1, True), 4: None}
    code_order = {"A": 0, "B": 1}
    assert order_queue(segments, best, "document", code_order) == [1, 2, 3, 4]
    assert order_queue(segments, best, "uncertain", code_order) == [4, 2, 3, 1]  # nothing to suggest first
    assert order_queue(segments, best, "code", code_order) == [3, 2, 1, 4]  # A surest first, then B, then none
    with pytest.raises(CodeseedError, match="unknown queue order"):
        order_queue(segments, best, "random", code_order)


def test_uncertain_order_on_a_project_puts_the_lowest_best_score_first(project, suggester):
    session = ReviewSession(project, suggester, coder="ana", order="uncertain")
    best = {i: r[0].score for i, r in suggester.suggest(session.queue, top=1, store=False).items()}
    assert [best[i] for i in session.queue] == sorted(best.values())


def test_merge_items_puts_my_decisions_among_the_suggestions_by_score():
    ranked = [Suggestion("A", 0.8, 1, True), Suggestion("C", 0.3, 2, False)]
    mine = [{"id": 1, "segment_id": 5, "code_id": "B", "decision": "accept", "score": 0.9},
            {"id": 2, "segment_id": 5, "code_id": "D", "decision": "reject", "score": 0.5},
            {"id": 3, "segment_id": 5, "code_id": "E", "decision": "accept", "score": None}]
    items = merge_items(ranked, mine, {"B": 0.5, "D": 0.6})
    assert [(i.code, i.status) for i in items] == [("B", ACCEPTED), ("A", PENDING), ("D", REJECTED),
                                                   ("C", PENDING), ("E", ADDED)]
    assert items[0].confident and not items[2].confident
    assert next_pending(items, 0) == 1 and next_pending(items, 2) == 3 and next_pending(items, 4) == 1
    assert next_pending([Item("A", 0.1, False, ACCEPTED)], 0) is None


# -- decisions ----------------------------------------------------------------------------------------------
def test_accept_commits_at_once_with_coder_score_and_version_and_moves_the_focus(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    card = session.card()
    top = card.items[card.focus]
    assert card.focus == 0 and top.code == "P" and top.status == PENDING  # parking: the codebook's words
    assert card.progress.reviewed == 0 and card.progress.to_review == 5
    session.accept()
    [decision] = project.store.decisions()
    assert (decision["segment_id"], decision["code_id"], decision["coder"], decision["decision"]) == (
        card.segment.id, "P", "ana", "accept")
    assert decision["score"] == pytest.approx(top.score) and decision["suggester"].startswith("codeseed-suggester/")
    assert {"segment_id": card.segment.id, "code_id": "P", "coder": "ana", "origin": "accepted suggestion"}.items() \
        <= next(c for c in project.store.codings() if c["coder"] == "ana").items()
    after = session.card()
    assert after.items[0].status == ACCEPTED and after.focus == 1
    assert after.progress.reviewed == 1 and after.reviewed and after.token > card.token
    assert [(c.code, c.coder, c.mine) for c in after.codings] == [("P", "ana", True)]
    assert "Accepted P Parking" in after.message


def test_reject_by_code_and_a_rejected_code_is_not_suggested_again(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    segment = session.segment_id
    codes = [i.code for i in session.card().items]
    session.reject(codes[1], segment_id=segment)
    assert [d["decision"] for d in project.store.decisions()] == ["reject"]
    session.next()
    session.previous()  # arriving again asks the suggester afresh
    card = session.card()
    assert [(i.code, i.status) for i in card.items if i.code == codes[1]] == [(codes[1], REJECTED)]
    fresh = suggester.suggest([segment], store=False)[segment]
    assert codes[1] not in [s.code for s in fresh]
    session.reject(codes[1])  # deciding twice records nothing new
    assert len(project.store.decisions()) == 1 and "already rejected" in session.message


def test_a_decision_for_a_segment_no_longer_on_screen_is_refused(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    stale = session.segment_id
    session.next()
    with pytest.raises(CodeseedError, match="no longer on screen"):
        session.accept(segment_id=stale)
    assert project.store.decisions() == []


def test_undo_takes_back_the_last_decision_and_goes_back_to_its_segment(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    first = session.segment_id
    accepted = session.accept().code
    session.next()
    session.reject()
    session.next()
    undone = session.undo()
    assert undone["decision"] == "reject"
    assert session.segment_id == undone["segment_id"] != first
    card = session.card()
    assert card.items[card.focus].code == undone["code_id"] and card.items[card.focus].status == PENDING
    session.undo()
    assert session.segment_id == first
    card = session.card()
    assert [i.status for i in card.items if i.code == accepted] == [PENDING]
    assert [c for c in project.store.codings() if c["coder"] == "ana"] == []  # the coding went with the accept
    assert [d["decision"] for d in project.store.decisions()] == ["accept", "reject", "undo", "undo"]
    assert session.undo() is None and session.message == "Nothing to undo."
    assert card.progress.reviewed == 0


def test_add_code_from_the_picker(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    card = session.card()
    listed = {i.code for i in card.items}
    absent = next(c for c in ("ACC", "W", "R", "P") if c not in listed)
    item = session.add_code(absent)
    assert item.status == ADDED and item.score is None
    row = project.store.decisions()[-1]
    assert (row["code_id"], row["decision"], row["score"], row["coder"]) == (absent, "accept", None, "ana")
    assert {"code_id": absent, "coder": "ana", "origin": "human"}.items() <= project.store.codings(coder="ana")[0].items()
    assert session.card().items[-1].code == absent
    session.add_code(absent)  # twice: nothing new
    assert len(project.store.decisions()) == 1 and "already" in session.message
    pending = session.card().items[session.card().focus]
    session.add_code(pending.code)  # a code on the list: accepting the suggestion, with its score
    assert project.store.decisions()[-1]["score"] == pytest.approx(pending.score)
    session.undo()
    session.undo()  # the picked code, taken back with its coding
    assert project.store.codings(coder="ana") == []
    assert absent not in [i.code for i in session.card().items]
    with pytest.raises(CodeseedError, match="no code 'NOPE'"):
        session.add_code("NOPE")


def test_a_coder_name_is_required_before_deciding(project, suggester):
    session = ReviewSession(project, suggester)
    for action in (session.accept, session.reject, lambda: session.add_code("W"), session.undo):
        with pytest.raises(CodeseedError, match="enter your coder name"):
            action()
    assert project.store.decisions() == []
    session.set_coder("  ana  ")
    assert session.coder == "ana"
    session.accept()
    assert project.store.decisions()[0]["coder"] == "ana"


def test_the_next_segment_reflects_the_last_decision(project, suggester):
    session = ReviewSession(project, suggester, coder="ana", filters=QueueFilter(documents=("P2",)))
    assert session.card().segment.text.startswith("Staff treated")
    session.set_queue(filters=QueueFilter())
    session.goto(1)  # "The parking was impossible and cost a fortune."
    assert session.add_code("P").status in (ACCEPTED, ADDED)
    session.goto(5)  # "Parking cost a fortune and was impossible to find."
    card = session.card()
    parking = next(i for i in card.items if i.code == "P")
    assert any(e.segment_id == session.queue[0] and e.coder == "ana" and e.polarity == 1 for e in parking.evidence)
    assert parking.evidence[0].text.startswith("The parking")


def test_next_wraps_and_skip_goes_to_the_next_unreviewed_segment(project, suggester):
    session = ReviewSession(project, suggester, coder="ana")
    session.goto(2)
    session.accept()
    session.goto(1)
    session.skip()
    assert session.index == 2  # position 2 is reviewed: skipped over
    session.goto(5)
    session.next()
    assert session.index == 0 and "start of the queue" in session.message
    session.previous()
    assert session.index == 4
    # a new session starts where the coder left off (the last decision), a new coder at the first segment to review
    session.goto(4)
    session.accept()
    assert ReviewSession(project, suggester, coder="ana").index == 3
    assert ReviewSession(project, suggester, coder="ben").index == 0
    with pytest.raises(CodeseedError, match="positions 1 to 5"):
        session.goto(9)


# -- coders, threads, restarts --------------------------------------------------------------------------------
def test_two_coders_at_once_keep_their_own_decisions(project, suggester):
    lock = threading.RLock()
    ana = ReviewSession(project, suggester, coder="ana", lock=lock)
    ben = ReviewSession(project, suggester, coder="ben", lock=lock)
    made = {"ana": 0, "ben": 0}
    errors = []

    def work(session):
        try:
            for _ in range(5):
                session.add_code("ACC")  # both coders apply the same code to the same segments
                made[session.coder] += 1
                card = session.card()
                for item in card.items:
                    if item.status == PENDING:
                        session.reject(item.code, segment_id=card.segment.id)
                        made[session.coder] += 1
                session.next()
        except Exception as error:  # pragma: no cover - shown by the assert below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in (ana, ben)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    decisions = project.store.decisions()
    assert len([d for d in decisions if d["coder"] == "ana"]) == made["ana"]
    assert len([d for d in decisions if d["coder"] == "ben"]) == made["ben"]
    both = [(c["segment_id"], c["coder"]) for c in project.store.codings() if c["code_id"] == "ACC"]
    assert sorted(both) == sorted((i, coder) for i in ana.queue for coder in ("ana", "ben"))
    assert ana.card().progress.reviewed == 5 and ben.card().progress.reviewed == 5
    ana.undo()  # ana's undo takes back ana's last decision, never ben's
    assert project.store.decisions()[-1]["coder"] == "ana"
    assert len([d for d in project.store.standing_decisions() if d["coder"] == "ben"]) == made["ben"]


def test_after_a_restart_the_screen_shows_exactly_the_saved_state(project, suggester, fake_encoder):
    session = ReviewSession(project, suggester, coder="ana")
    session.accept()
    session.reject()
    session.add_code("ACC")
    before = session.card()
    reopened = Project.open(project.folder)
    reopened.use_encoder(fake_encoder)
    try:
        again = ReviewSession(reopened, ProjectSuggester(reopened).fit(), coder="ana")
        again.goto(1)
        after = again.card()
        def decided(card):
            return [(i.code, i.status, i.score) for i in card.items if i.status != PENDING]

        assert decided(after) == decided(before)
        assert [(c.code, c.coder) for c in after.codings] == [(c.code, c.coder) for c in before.codings]
        assert after.progress == before.progress
    finally:
        reopened.close()


def test_a_session_rebuilds_after_the_suggester_is_fitted_again(project, suggester, tmp_path):
    session = ReviewSession(project, suggester, coder="ana")
    (tmp_path / "P3.txt").write_text("P3: The waiting list went on for months.\n")
    project.import_documents([tmp_path / "P3.txt"])
    project.build_index()
    suggester.fit()
    assert len(session.card().segment.text) and session.card().total == 6


# -- codebook -------------------------------------------------------------------------------------------------
def test_codebook_rows_count_human_codings_and_accepted_suggestions_over_the_tree():
    codes = [Code("ACC", "Access"), Code("W", "Waiting", "ACC", "delays", example="We waited."), Code("R", "Respect")]
    codings = [{"segment_id": 1, "code_id": "W", "coder": "a", "origin": "human"},
               {"segment_id": 2, "code_id": "W", "coder": "b", "origin": "accepted suggestion"},
               {"segment_id": 3, "code_id": "R", "coder": "a", "origin": "human"}]
    rows = codebook_rows(codes, codings, {1: "one   two", 2: "three", 3: "four"})
    assert [(r.code, r.depth, r.human, r.accepted) for r in rows] == [("ACC", 0, 1, 1), ("W", 1, 1, 1), ("R", 0, 1, 0)]
    assert rows[1].examples == ("We waited.", "one two")


def test_a_new_description_changes_the_suggesters_prototype_at_once(project, suggester):
    column = suggester.model.codes_.index("P")
    before = suggester.model.prototypes_[column].copy()
    save_code_description(project, suggester, "P", "car park fees and finding a space")
    assert next(c for c in project.codes() if c.id == "P").description == "car park fees and finding a space"
    assert not np.allclose(before, suggester.model.prototypes_[column])
    with pytest.raises(CodeseedError, match="no code with id 'NOPE'"):
        save_code_description(project, suggester, "NOPE", "x")
