"""The review loop's order and learning, without a browser: each tab's key commands are applied in the order
pressed whatever order they arrive in (app.ordering), and the suggester is fitted again in the background after
every N decisions while the app keeps answering (app.refresh)."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

from app import refresh
from app.commands import Command
from app.core import CodingApp
from app.ordering import KeyOrder
from app.tabs import review, team
from index.errors import CodeseedError
from tests.conftest import coded_project

TRANSCRIPT = ("Interviewer: How was it?\nP1: The waiting list was months long.\nP1: The staff were kind.\n"
              "P1: Parking cost a lot.\nP1: Nobody told us how long it would take.\n"
              "P1: We waited weeks for a letter.\nP1: The nurse was kind and patient.\n"
              "P1: Parking near the clinic is expensive.\nP1: The delays went on and on.\n")


def make_app(tmp_path, encoder, **options) -> CodingApp:
    project = coded_project(tmp_path, encoder, {"P1": TRANSCRIPT})
    project.build_index()
    return CodingApp(project, **options)


@pytest.fixture
def coding_app(tmp_path, fake_encoder):
    app = make_app(tmp_path, fake_encoder, refit_every=0)
    yield app
    app.project.close()


def key(action: str, seq: int, coder: str = "ana", **fields) -> str:
    return json.dumps({"action": action, "seq": seq, "coder": coder, **fields})


def decisions(app) -> list[tuple[int, str | None, str]]:
    return [(d["segment_id"], d["code_id"], d["decision"]) for d in app.project.store.decisions()]


def in_thread(call, *args) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(call(*args)), daemon=True)
    thread.start()
    return thread, result


# -- keys never overtake each other ------------------------------------------------------------------------
def test_the_command_number_is_read_and_checked():
    assert Command.parse('{"action": "undo", "seq": 12}') == Command("undo", seq=12)
    assert Command.parse('{"action": "undo"}').seq is None  # a caller that does not number its commands
    for bad in ("0", "-1", "true", '"3"', "2.5"):
        with pytest.raises(CodeseedError, match=re.escape("is not a command number")) as error:
            Command.parse('{"action": "undo", "seq": %s}' % bad)
        assert error.value.field == "seq" and "How to fix" in str(error.value)


def test_an_undo_that_arrives_before_its_reject_still_undoes_that_reject(coding_app):
    session, *_ = review.on_load(coding_app, "ana")
    segment = session.segment_id
    first, second = session.items[0].code, session.items[1].code
    review.act(coding_app, key("accept", 1, code=first, segment=segment), session)
    # pressed: X on the second line (seq 2), then U (seq 3); the U's request overtakes the X's on the way
    thread, _ = in_thread(review.act, coding_app, key("undo", 3), session)
    time.sleep(0.3)
    assert thread.is_alive() and decisions(coding_app) == [(segment, first, "accept")]  # the U waits its turn
    review.act(coding_app, key("reject", 2, code=second, segment=segment), session)
    thread.join(10)
    assert not thread.is_alive()
    # as if applied in order: accept, reject, undo of that reject; in arrival order the U would undo the accept
    assert decisions(coding_app) == [(segment, first, "accept"), (segment, second, "reject"),
                                     (segment, second, "undo")]
    standing = [(d["segment_id"], d["code_id"], d["decision"]) for d in coding_app.project.store.standing_decisions()]
    assert standing == [(segment, first, "accept")]
    # the same command again (a retried request), or an older one, is ignored: nothing changes
    _, _, side = review.act(coding_app, key("reject", 2, code=second, segment=segment), session)
    review.act(coding_app, key("accept", 1, code=second, segment=segment), session)
    assert "cs-error" not in side and len(decisions(coding_app)) == 3
    # and the next one in order is applied
    review.act(coding_app, key("reject", 4, code=second, segment=segment), session)
    assert decisions(coding_app)[-1] == (segment, second, "reject")


def test_a_burst_of_keys_arriving_in_any_order_ends_as_pressed(coding_app):
    session, *_ = review.on_load(coding_app, "ana")
    one, two = session.queue[session.index + 1], session.queue[session.index + 2]
    pressed = ["next", "none", "next", "none", "undo", "previous", "undo", "next"]
    threads = [in_thread(review.act, coding_app, key(action, seq), session)[0]
               for seq, action in reversed(list(enumerate(pressed, 1)))]  # sent last first
    for thread in threads:
        thread.join(20)
    assert not any(t.is_alive() for t in threads)
    # as pressed: two segments marked "no code applies", then the marks undone, the second first
    assert decisions(coding_app) == [(one, None, "none"), (two, None, "none"), (two, None, "undo"),
                                     (one, None, "undo")]
    assert coding_app.project.store.standing_decisions() == [] and session.segment_id == two
    assert coding_app.key_orders.of(session).applied == len(pressed)


def test_a_command_whose_predecessor_never_comes_goes_ahead_after_a_short_wait():
    order, done = KeyOrder(wait=0.2), []
    assert order.run(1, lambda: done.append(1))
    began = time.perf_counter()
    assert order.run(3, lambda: done.append(3))  # 2 was lost on the way
    assert time.perf_counter() - began >= 0.2
    assert not order.run(2, lambda: done.append(2))  # it turns up late: stale, ignored
    assert done == [1, 3]


def test_a_refused_command_still_ends_its_turn():
    order = KeyOrder(wait=5)

    def refuse():
        raise CodeseedError("nothing was recorded")

    with pytest.raises(CodeseedError):
        order.run(1, refuse)
    began = time.perf_counter()
    assert order.run(2, lambda: None) and time.perf_counter() - began < 1  # no waiting for the refused one


# -- the suggester is fitted again in the background ---------------------------------------------------------
def held_refit(monkeypatch):
    """Hold each background refit after it has fitted and before it swaps in, until the test lets it go."""
    fitted, release = threading.Event(), threading.Event()
    real = refresh.fit_aside

    def fit_then_wait(project, old):
        result = real(project, old)
        fitted.set()
        assert release.wait(20)
        return result

    monkeypatch.setattr(refresh, "fit_aside", fit_then_wait)
    return fitted, release


def accept_on(app, session, seq: int) -> tuple[int, str]:
    """Accept the focused suggestion on the segment on screen, then go on; returns what was accepted."""
    segment, code = session.segment_id, session.items[session.focus].code
    _, _, side = review.act(app, key("accept", seq, code=code, segment=segment), session)
    assert "cs-error" not in side
    review.act(app, key("next", seq + 1), session)
    return segment, code


def test_after_n_decisions_the_suggester_is_refitted_in_the_background(tmp_path, fake_encoder, monkeypatch):
    app = make_app(tmp_path, fake_encoder, refit_every=3)
    fitted, release = held_refit(monkeypatch)
    session, *_ = review.on_load(app, "ana")
    old = app.suggester
    before = [accept_on(app, session, seq) for seq in (1, 3, 5)]  # the third decision starts a refit
    assert fitted.wait(20)
    _, _, side = review.act(app, key("next", 7), session)
    assert "Refreshing the suggestions" in side and app.suggester is old
    # meanwhile the app answers (the refit holds no lock) and learns: these come after the refit read the project
    during, answered = in_thread(lambda: [accept_on(app, session, seq) for seq in (8, 10)])
    during.join(20)
    assert not during.is_alive(), "the app stopped answering while the suggester was fitted"
    segment, shown = session.segment_id, [it.code for it in session.items]
    release.set()
    assert app.refresher.wait(20)
    new = app.suggester
    assert new is not old and new.project is app.project
    learned = {e.segment_id: set(e.codes) for e in new.model.examples_}
    for seg, code in before + answered[0]:  # fitted on the first ones, carried over the later ones
        assert code in learned[seg]
    # no decision lost: every one is in the log, in order
    assert [(s, c) for s, c, d in decisions(app) if d == "accept"] == before + answered[0]
    # the session takes it up at its next call, keeps its queue and the list on screen, and says so
    queue = list(session.queue)
    _, side = app.view(session)
    assert session.suggester is new and session.queue == queue
    assert session.segment_id == segment and [it.code for it in session.items] == shown
    assert re.search(r"Suggestions refreshed from \d+ coded segments", side)
    app.project.close()


def test_an_undo_made_during_the_refit_is_carried_over(tmp_path, fake_encoder, monkeypatch):
    app = make_app(tmp_path, fake_encoder, refit_every=2)
    fitted, release = held_refit(monkeypatch)
    session, *_ = review.on_load(app, "ana")
    first = accept_on(app, session, 1)
    second = accept_on(app, session, 3)
    assert fitted.wait(20)  # fitted with both accepts as examples
    review.act(app, key("undo", 5), session)  # takes back the second, after the fit read it
    release.set()
    assert app.refresher.wait(20)
    learned = {e.segment_id: set(e.codes) for e in app.suggester.model.examples_}
    assert first[1] in learned[first[0]] and second[1] not in learned.get(second[0], set())


def test_a_refit_fitted_again_meanwhile_by_an_import_is_dropped(tmp_path, fake_encoder, monkeypatch):
    app = make_app(tmp_path, fake_encoder, refit_every=1)
    fitted, release = held_refit(monkeypatch)
    session, *_ = review.on_load(app, "ana")
    accept_on(app, session, 1)
    assert fitted.wait(20)
    with app.lock:
        app.suggester.fit()  # what an import does: the project changed under the refit
    current = app.suggester
    release.set()
    assert app.refresher.wait(20)
    assert app.suggester is current and app.refresher.status(current) == ""


def test_zero_never_refits(tmp_path, fake_encoder):
    app = make_app(tmp_path, fake_encoder, refit_every=0)
    session, *_ = review.on_load(app, "ana")
    old = app.suggester
    for seq in (1, 3, 5):
        accept_on(app, session, seq)
    assert app.refresher.wait(5) and app.suggester is old
    app.project.close()


def test_in_a_round_the_coders_own_suggester_is_refitted_and_the_shared_one_is_not(tmp_path, fake_encoder):
    app = make_app(tmp_path, fake_encoder, refit_every=2)
    team.start(app, "ana, ben", None)
    shared, ana_before = app.suggester, app.suggester_for("ana")
    session, *_ = review.on_load(app, "ana")
    assert session.suggester is ana_before
    accept_on(app, session, 1)
    accept_on(app, session, 3)
    assert app.refresher.wait(20)
    ana_after = app.suggester_for("ana")
    assert ana_after is not ana_before and ana_after.view == ana_before.view and app.suggester is shared
    review.act(app, key("next", 5), session)
    assert session.suggester is ana_after and "refreshed from" in app.view(session)[1]
    app.project.close()


def test_the_command_line_option_reaches_the_app_and_says_its_default(monkeypatch, capsys, tmp_path):
    import app.serving
    from cli import main
    from cli.registry import build_parser

    args = build_parser().parse_args(["app", "proj"])
    assert args.refit_every == refresh.DEFAULT_EVERY
    started = {}
    monkeypatch.setattr(app.serving, "start", lambda *a, **k: started.update(k))
    assert main(["app", str(tmp_path), "--refit-every", "0"]) == 0 and started["refit_every"] == 0
    assert main(["app", str(tmp_path), "--refit-every", "-5"]) != 0
    assert "--refit-every -5" in capsys.readouterr().err
