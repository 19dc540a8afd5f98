"""The Ask tab as a chat in a real browser (Debian's Chromium, headless, Playwright) on the bundled sample with the
real model: a three-turn conversation whose filter chips follow each turn, one chip removed with one click, a
count with its chart and a number opened to its quotes, and the conversation back after a reload."""

from __future__ import annotations

import pytest
from test_app_browser import bench  # the server and browser helpers of benchmarks/app_latency.py, loaded once

from index.demo import build_demo
from index.project import Project


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample (real model) served in this process; (its folder, its address)."""
    folder = tmp_path_factory.mktemp("ask-app") / "sample"
    build_demo(folder).close()
    running = bench.serve(folder)
    yield folder, running[2]
    bench.stop(*running[:2])


@pytest.fixture
def page(served):
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as p:
        browser = bench.launch_browser(p)
        page = bench.new_page(browser, requested)
        page.set_default_timeout(30_000)
        yield page
        browser.close()
    assert not {h for h in requested if h not in bench.LOCAL}


def chips(page) -> list[str]:
    return [t.replace("×", "").strip() for t in page.locator("#cs-chips button.cs-chip:visible").all_inner_texts()]


def wait_chips(page, n: int) -> None:
    page.wait_for_function("(n) => [...document.querySelectorAll('#cs-chips button.cs-chip')]"
                           ".filter(b => b.offsetParent !== null).length === n", arg=n)


def ask(page, question: str, answers: int) -> str:
    """Type a question, send it, wait for the ``answers``-th answer; its text."""
    box = page.locator("#cs-question textarea, #cs-question input").first
    box.fill(question)
    box.press("Enter")
    page.wait_for_function("(n) => document.querySelectorAll('#cs-chat .cs-changes').length >= n "
                           "|| document.querySelector('#cs-chat .cs-message') !== null", arg=answers)
    error = page.locator("#cs-chat .cs-message")
    assert error.count() == 0, error.last.inner_text()  # the app's own message: say what went wrong
    return page.locator("#cs-chat .cs-changes").last.inner_text()


def test_a_three_turn_conversation_with_chips_removed_by_one_click(served, page):
    folder, url = served
    bench.open_app(page, url)
    bench.set_coder(page, "ana")
    page.get_by_role("tab", name="Ask").click()
    page.locator("#cs-question").wait_for()
    assert ask(page, "show quotes about stigma in generic services", 1) == "Changed: new question"
    wait_chips(page, 1)
    assert chips(page) == ["setting = generic"]
    changed = ask(page, "only women", 2)
    assert changed == "Changed: added gender = female; kept setting = generic · topic: stigma"
    wait_chips(page, 2)
    assert chips(page) == ["setting = generic", "gender = female"]
    changed = ask(page, "and in specialist services?", 3)
    assert changed.startswith("Changed: replaced setting = generic by setting = specialist")
    page.locator("#cs-chips button.cs-chip:visible", has_text="setting = specialist").wait_for()
    assert chips(page) == ["setting = specialist", "gender = female"]
    last = page.locator("#cs-chat .cs-understood").last.inner_text()
    assert last.startswith("Understood: setting = specialist · gender = female · topic: stigma")

    page.locator("#cs-chips button.cs-chip:visible", has_text="gender = female").click()  # one click removes it
    wait_chips(page, 1)
    assert chips(page) == ["setting = specialist"]
    assert page.locator("#cs-chat .cs-changes").last.inner_text() == "Changed: removed gender = female"
    with Project.open(folder) as project:  # kept in the project, per coder
        turns = project.store.ask_turns("ana")
    assert [t["question"] for t in turns][:3] == ["show quotes about stigma in generic services", "only women",
                                                 "and in specialist services?"]
    assert [f["label"] for f in turns[-1]["state"]["filters"]] == ["setting = specialist"]

    ask(page, "how many participants mention stigma, by gender?", 5)
    page.locator("#cs-count-table").wait_for()
    page.locator("#cs-count-chart").wait_for()
    cell = page.locator("#cs-count-table [role=gridcell]").nth(4)  # first row, "coded: segments"
    cell.click()
    page.wait_for_function("() => [...document.querySelectorAll('#cs-chat .cs-changes')].some("
                           "e => e.innerText.includes('segments behind'))")

    page.reload()
    bench.open_app(page, url)
    page.get_by_role("tab", name="Ask").click()
    page.locator("#cs-chat .cs-changes", has_text="removed gender = female").wait_for()
    page.locator("#cs-chips button.cs-chip:visible", has_text="setting = specialist").wait_for()
    page.click("#cs-start-over")
    wait_chips(page, 0)
