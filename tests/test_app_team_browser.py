"""Two coders in two browsers on one server, blind (issue 14): a round started from the Team tab; neither sees the
other's codings or decisions, and neither's suggestions move with the other's "no code applies" or accepts; closing
the round lifts the blinds. Debian's Chromium, headless, driven by Playwright, on the bundled sample (real model)."""

from __future__ import annotations

import pytest

from index.demo import build_demo
from index.project import Project

from test_app_browser import bench, page_factory  # the app_latency helpers, loaded once
import playwright.sync_api  # noqa: E402,F401  part of the dev install: missing, the suite fails rather than skips


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("team") / "sample"
    build_demo(folder).close()
    demo, app, url = bench.serve(folder)
    yield folder, url
    bench.stop(demo, app)


@pytest.fixture(scope="module")
def pages(served):
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as p:
        chromium = bench.launch_browser(p)
        with page_factory(chromium, requested, 30_000) as make:
            yield make
        chromium.close()
    assert sorted({h for h in requested if h not in bench.LOCAL}) == []


def lines(page) -> list[tuple[str, str, str]]:
    """(code, status, score shown) for every line of the suggestion list."""
    return [tuple(x) for x in page.evaluate("""() => Array.from(document.querySelectorAll('#cs-side li.cs-sugg'))
        .map(li => [li.dataset.code, ['pending', 'accepted', 'rejected', 'added'].find(s => li.classList.contains(s)),
                    li.querySelector('.cs-score').textContent.trim()])""")]


def codings_shown(page) -> str:
    return page.inner_text("#cs-card .cs-codings")


def arrive_again(page) -> None:
    """Leave the segment and come back: the suggestions are asked afresh."""
    bench.press(page, "n", new_segment=True)
    bench.press(page, "p", new_segment=True)


def team_tab(page, url: str) -> None:
    page.get_by_role("tab", name="Team").click()
    page.locator("#cs-round-status").wait_for()


def test_two_coders_code_blind_and_the_blinds_lift_when_the_round_closes(served, pages):
    folder, url = served
    ana, ben = pages(), pages()  # two browser contexts: two people
    bench.open_app(ana, url)
    team_tab(ana, url)
    ana.locator("#cs-round-coders textarea, #cs-round-coders input").first.fill("ana, ben")
    ana.click("#cs-round-start")
    ana.locator("#cs-round-status", has_text="Round 1 is open").wait_for()
    ana.locator("#cs-round-status", has_text="ana: reviewed 0 of 10").wait_for()
    ana.get_by_role("tab", name="Review").click()
    bench.set_coder(ana, "ana")
    bench.open_app(ben, url)
    bench.set_coder(ben, "ben")
    ana.locator("#cs-card .cs-blind", has_text="not ben's").wait_for()
    ben.locator("#cs-card .cs-blind", has_text="not ana's").wait_for()
    first = bench.current_segment(ana)
    assert bench.current_segment(ben) == first  # the same queue: the round's segments
    before = lines(ben)
    assert before and all(status == "pending" for _, status, _ in before)

    bench.press(ana, "0")  # no code applies
    ana.locator("#cs-side .cs-msg", has_text="No code applies").wait_for()
    assert "no code applies" in codings_shown(ana)
    bench.press(ana, "n", new_segment=True)
    second = bench.current_segment(ana)
    accepted = bench.focused(ana)["code"]
    bench.press(ana, "a")
    assert bench.statuses(ana)[accepted] == "accepted"

    arrive_again(ben)  # ben's suggester never heard of ana's decisions
    assert bench.current_segment(ben) == first
    assert lines(ben) == before
    assert "ana" not in codings_shown(ben) and "no code applies" not in codings_shown(ben)
    bench.press(ben, "n", new_segment=True)
    assert bench.current_segment(ben) == second
    assert bench.statuses(ben).get(accepted) == "pending" and "ana" not in codings_shown(ben)
    arrive_again(ana)
    ana_lines = lines(ana)  # fresh, before ben's decision
    rejected = bench.focused(ben)["code"]
    bench.press(ben, "x")  # ben rejects a suggestion on the segment ana coded: ana's screen does not move
    with Project.open(folder) as project:
        rows = [(d["coder"], d["segment_id"], d["code_id"], d["decision"]) for d in project.store.decisions()]
    assert [r for r in rows if r[0] == "ana"] == [("ana", first, None, "none"), ("ana", second, accepted, "accept")]
    assert [r for r in rows if r[0] == "ben"] == [("ben", second, rejected, "reject")]
    arrive_again(ana)
    assert bench.current_segment(ana) == second and lines(ana) == ana_lines
    assert "ben" not in codings_shown(ana)

    team_tab(ana, url)
    ana.locator("#cs-round-status", has_text="ana: reviewed 2 of 10").wait_for()
    ana.locator("#cs-round-status", has_text="ben: reviewed 1 of 10").wait_for()
    ana.click("#cs-round-close")
    ana.locator("#cs-round-status", has_text="No round is open").wait_for()
    bench.press(ben, "p", new_segment=True)  # the blinds lift at ben's next key
    bench.press(ben, "n", new_segment=True)
    assert ben.locator("#cs-card .cs-blind").count() == 0
    assert "ana" in codings_shown(ben)


def test_the_team_reconciles_a_disagreement_and_undoes_it(served, pages):
    folder, url = served  # after the round above: ana coded a segment that ben reviewed and left uncoded
    page = pages()
    bench.open_app(page, url)
    team_tab(page, url)
    page.locator("#cs-disagreements", has_text="ana: ").first.wait_for()
    with Project.open(folder) as project:
        before = len(project.store.decisions())
    page.wait_for_function("() => document.querySelector('#cs-reconcile-segment input').value !== ''")
    # the first disagreement is chosen
    page.click("#cs-reconcile-agree")  # no code picked: the team agrees that no code applies
    page.locator("#cs-team-note", has_text="no code applies (stored under consensus)").wait_for()
    with Project.open(folder) as project:
        rows = project.store.decisions()[before:]
        assert [(r["coder"], r["code_id"], r["decision"], r["note"]) for r in rows] == [
            ("consensus", None, "none", "reconciled: ana, ben")]
        agreed = rows[0]["segment_id"]
    page.click("#cs-reconcile-undo")
    page.locator("#cs-team-note", has_text=f"Undone: the agreement on segment {agreed}").wait_for()
    with Project.open(folder) as project:
        assert [r["decision"] for r in project.store.decisions()[before:]] == ["none", "undo"]
