"""The coding app in a real browser (Debian's Chromium, headless, driven by Playwright) on the bundled sample:
keys, picker, reload, restart, a broken upload, two coders at once, latency, and no request leaving the machine.

The server runs in this process on a free localhost port (benchmarks/app_latency.py has the helpers), so the
test also watches Python's own sockets: nothing may connect anywhere but this machine.
"""

from __future__ import annotations

from contextlib import contextmanager

import importlib.util
import ipaddress
import socket
from pathlib import Path

import pytest

from index.demo import build_demo
from index.project import Project

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("app_latency", ROOT / "benchmarks" / "app_latency.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

import playwright.sync_api  # noqa: E402,F401  part of the dev install: missing, the suite fails rather than skips


def _local(address) -> bool:
    if isinstance(address, (str, bytes)) and not isinstance(address, tuple):
        return True  # a Unix socket
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="module")
def outgoing():
    """Every connection this process opens to an address off this machine (there must be none)."""
    seen: list = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def watch(method):
        def wrapper(self, address):
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address):
                seen.append(address)
            return method(self, address)
        return wrapper

    socket.socket.connect, socket.socket.connect_ex = watch(connect), watch(connect_ex)
    yield seen
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex


class Server:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.demo, self.app, self.url = bench.serve(folder)

    def restart(self) -> None:
        """Stop and serve again on the same address (the browser keeps the coder name per address)."""
        port = int(self.url.rstrip("/").rsplit(":", 1)[1])
        bench.stop(self.demo, self.app)
        self.demo, self.app, self.url = bench.serve(self.folder, port=port)

    def stop(self) -> None:
        bench.stop(self.demo, self.app)


@pytest.fixture(scope="module")
def server(tmp_path_factory, outgoing):
    folder = tmp_path_factory.mktemp("app") / "sample"
    build_demo(folder).close()  # the real model
    running = Server(folder)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = bench.launch_browser(p)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def requested() -> list[str]:
    return []


@contextmanager
def page_factory(browser, requested: list[str], timeout_ms: int):
    """``make()`` opens a page in a context of its own (a coder of their own); all are closed at the end."""
    pages = []

    def make():
        page = bench.new_page(browser, requested)
        page.set_default_timeout(timeout_ms)
        pages.append(page)
        return page

    try:
        yield make
    finally:
        for page in pages:
            page.context.close()


@pytest.fixture
def page_for(browser, requested):
    with page_factory(browser, requested, 20_000) as make:
        yield make


def store_rows(folder: Path, coder: str) -> tuple[list[dict], list[dict]]:
    with Project.open(folder) as project:  # a second connection, as another process would see it
        return ([d for d in project.store.decisions() if d["coder"] == coder],
                [c for c in project.store.codings() if c["coder"] == coder])


def store_rows_all(folder: Path) -> list[dict]:
    """Every coder's decisions."""
    with Project.open(folder) as project:
        return project.store.decisions()


def test_review_by_keyboard_is_stored_at_once_and_survives_a_reload(server, page_for):
    page = page_for()
    bench.open_app(page, server.url)
    assert page.title() == f"codeseed · {server.folder.name}"  # the served title is plain "codeseed"
    # no coder yet: a decision is refused with a clear message and nothing is stored
    bench.press(page, "a")
    assert "enter your coder name" in page.inner_text("#cs-side .cs-msg")
    assert store_rows(server.folder, "ana") == ([], [])
    bench.set_coder(page, "ana")
    segment = bench.current_segment(page)
    top = bench.focused(page)["code"]
    bench.press(page, "a")  # accept the top suggestion
    assert bench.statuses(page)[top] == "accepted"
    second = bench.focused(page)["code"]
    assert second != top
    bench.press(page, "x")  # reject the next one
    third = bench.focused(page)["code"]
    page.keyboard.press("x")  # reject, and undo it at once: keys are sent in the order pressed
    bench.press(page, "u")
    page.locator("#cs-side .cs-msg", has_text=f"Undone: rejecting {third}").wait_for()
    shown = bench.statuses(page)
    assert (shown[top], shown[second], shown[third]) == ("accepted", "rejected", "pending")
    # the picker: C opens it, typing filters the codebook, Enter adds
    listed = set(shown)
    with Project.open(server.folder) as project:
        extra = next(c for c in project.codes() if c.parent and c.id not in listed)
    page.keyboard.press("c")
    page.keyboard.type(extra.name[:25])
    page.locator("#cs-picker [role=option]", has_text=extra.name[:25]).first.wait_for()
    before = bench.last_render(page)
    page.keyboard.press("Enter")
    page.wait_for_function("(b) => window.csRender.render !== b", arg=before)
    assert bench.statuses(page)[extra.id] == "added"
    expected = {top: "accepted", second: "rejected", third: "pending", extra.id: "added"}

    decisions, codings = store_rows(server.folder, "ana")
    assert [(d["segment_id"], d["code_id"], d["decision"]) for d in decisions] == [
        (segment, top, "accept"), (segment, second, "reject"), (segment, third, "reject"), (segment, third, "undo"),
        (segment, extra.id, "accept")]
    assert decisions[0]["score"] is not None and decisions[-1]["score"] is None
    assert {(c["code_id"], c["origin"]) for c in codings} == {(top, "accepted suggestion"), (extra.id, "human")}

    page.reload()
    bench.open_app(page, server.url)
    page.locator("#cs-side .cs-coder-line b", has_text="ana").wait_for()  # the name is remembered in the browser
    assert bench.current_segment(page) == segment  # back where ana left off
    shown = bench.statuses(page)
    assert {code: shown.get(code) for code in expected} == expected
    assert "reviewed by you" in page.inner_text("#cs-card")


def test_a_broken_upload_shows_the_specific_error(server, page_for, tmp_path):
    broken = tmp_path / "broken_codebook.csv"
    broken.write_text("code,parent,name,description\nA,,Alpha,first\nB,Z,Beta,second\n", encoding="utf-8")
    page = page_for()
    bench.open_app(page, server.url)
    page.get_by_role("tab", name="Import / export").click()
    page.set_input_files("#cs-upload-codebook input[type=file]", str(broken))
    page.locator("#cs-upload-codebook", has_text="broken_codebook.csv").wait_for()
    page.click("#cs-import-codebook")
    error = page.locator("#cs-import-message .cs-error")
    error.wait_for()
    text = error.inner_text()
    assert "broken_codebook.csv: field 'parent': code 'B' names parent 'Z', which is not a code" in text
    assert "How to fix" in text and "/tmp" not in text.split("broken_codebook.csv")[0]
    with Project.open(server.folder) as project:
        assert "B" not in {c.id for c in project.codes()}  # all or nothing


def stored(code: str) -> str:
    """A line the server has answered for: marked by the page at once, it loses 'sending' when the answer is in."""
    return f"#cs-side li.cs-sugg[data-code='{code}'].accepted:not(.sending)"


def test_a_decision_shows_as_sending_until_the_server_has_stored_it(server, page_for):
    page = page_for()
    bench.open_app(page, server.url)
    bench.set_coder(page, "eve")
    segment, code = bench.current_segment(page), bench.focused(page)["code"]
    with server.app.lock:  # the server cannot store anything while the test holds its lock: a slow machine
        page.keyboard.press("a")
        page.locator(f"#cs-side li.cs-sugg[data-code='{code}'].accepted.sending").wait_for()  # shown at once
        assert store_rows(server.folder, "eve") == ([], [])  # ... but not stored yet, and the page says so
    page.locator(stored(code)).wait_for()
    decisions, codings = store_rows(server.folder, "eve")
    assert [(d["segment_id"], d["code_id"], d["decision"]) for d in decisions] == [(segment, code, "accept")]
    assert [(c["segment_id"], c["code_id"]) for c in codings] == [(segment, code)]


def test_two_coders_at_once_neither_overwrites_the_other(server, page_for):
    with server.app.lock:  # a third coder decided before (whatever other tests did, this one is known)
        earlier = server.app.new_session("dan")
        earlier.accept()
    others = [d for d in store_rows_all(server.folder) if d["coder"] not in ("ben", "cat")]
    ben, cat = page_for(), page_for()  # two browser contexts: two people
    for page, name in ((ben, "ben"), (cat, "cat")):
        bench.open_app(page, server.url)
        bench.set_coder(page, name)
    chosen = {}
    for page, name in ((ben, "ben"), (cat, "cat")):
        chosen[name] = (bench.current_segment(page), bench.focused(page)["code"])
        page.keyboard.press("a")  # both at once, without waiting for the other
    for page, name in ((ben, "ben"), (cat, "cat")):
        page.locator(stored(chosen[name][1])).wait_for()  # the server's answer, not the page's own mark
    for name in ("ben", "cat"):
        decisions, codings = store_rows(server.folder, name)
        assert [(d["segment_id"], d["code_id"], d["decision"]) for d in decisions] == [(*chosen[name], "accept")]
        assert [(c["segment_id"], c["code_id"]) for c in codings] == [chosen[name]]
    assert [d for d in store_rows_all(server.folder) if d["coder"] not in ("ben", "cat")] == others  # untouched
    # each one's undo takes back their own decision only
    bench.press(ben, "u")
    assert [d["decision"] for d in store_rows(server.folder, "ben")[0]] == ["accept", "undo"]
    assert store_rows(server.folder, "ben")[1] == []
    assert [(c["segment_id"], c["code_id"]) for c in store_rows(server.folder, "cat")[1]] == [chosen["cat"]]
    assert [d for d in store_rows_all(server.folder) if d["coder"] not in ("ben", "cat")] == others


def test_keypress_to_next_segment_latency(server, page_for):
    page = page_for()
    bench.open_app(page, server.url)
    bench.set_coder(page, "bench")
    times = bench.measure(page, decisions=50)
    print("\n" + bench.report(times))
    p50, p95 = bench.percentiles(times["next"])
    assert p50 < 1000 and p95 < 2000  # generous for a busy machine; the figure is printed and in docs/app.md


def test_a_restart_shows_exactly_the_saved_state(server, page_for):
    page = page_for()
    bench.open_app(page, server.url)
    bench.set_coder(page, "dora")
    bench.press(page, "a")
    bench.press(page, "x")
    segment, shown = bench.current_segment(page), bench.statuses(page)
    card = page.inner_text("#cs-card")
    server.restart()
    page.goto(server.url)
    bench.open_app(page, server.url)
    page.locator("#cs-side .cs-coder-line b", has_text="dora").wait_for()
    assert bench.current_segment(page) == segment
    assert {c: s for c, s in bench.statuses(page).items() if s != "pending"} == {
        c: s for c, s in shown.items() if s != "pending"}
    assert page.inner_text("#cs-card") == card


def test_nothing_was_requested_from_any_other_machine(server, requested, outgoing):
    assert requested, "the route recorder saw no request at all"
    assert sorted({h for h in requested if h not in bench.LOCAL}) == []
    assert outgoing == []
