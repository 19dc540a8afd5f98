"""How fast the coding app answers the keyboard, measured in a real browser on the bundled sample.

    python benchmarks/app_latency.py [--decisions 50] [--screenshot docs/review.png] [--project DIR]

Builds the sample project (real model) in a temporary folder (or uses --project, which it then changes: every
benchmark decision is stored), serves the app in this process on a free localhost port, and drives Debian's
Chromium headless with Playwright. For each of N decisions it presses X (reject) or A (accept) on the focused
suggestion and waits for the server's answer on screen, then presses N and waits for the next segment with its
freshly computed suggestions. Times are taken inside the page, from the keydown event to the DOM mutation that
brings the server's answer (``performance.now()``): the whole round trip, the suggester and the rendering.

With --screenshot it first saves a picture of the review tab (coder "ana", a decision made, evidence open).

The browser test (tests/test_app_browser.py) uses the same helpers.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LOCAL = ("127.0.0.1", "localhost", "::1", "[::1]")


# -- server --------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path | str, *, coder: str | None = None, port: int | None = None) -> tuple[Any, Any, str]:
    """Serve the app for ``folder`` in this process; returns (blocks, app, url)."""
    from app_gradio import start

    port = port or free_port()
    demo, app = start(folder, coder=coder, host="127.0.0.1", port=port, block=False, quiet=True)
    return demo, app, f"http://127.0.0.1:{port}/"


def stop(demo: Any, app: Any) -> None:
    demo.close()
    app.project.close()


# -- browser -------------------------------------------------------------------------------------------------
def launch_browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def new_page(browser: Any, requested: list[str], *, width: int = 1440, height: int = 1000) -> Any:
    """A page in a fresh context (its own storage: another coder) that records every host it asks for and
    refuses anything not on this machine."""
    context = browser.new_context(viewport={"width": width, "height": height})

    def route(r: Any) -> None:
        host = urlparse(r.request.url).hostname or r.request.url.split(":")[0]
        requested.append(host)
        if host in LOCAL or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda r: requested.append(urlparse(r.url).hostname or r.url.split(":")[0]))
    return page


def open_app(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#cs-side .cs-side[data-render]")
    page.wait_for_function("() => window.csRender !== undefined")


def set_coder(page: Any, name: str) -> None:
    box = page.locator("#cs-coder textarea, #cs-coder input").first
    box.fill(name)
    before = last_render(page)
    box.press("Enter")
    page.wait_for_function("(b) => window.csRender && window.csRender.render !== b", arg=before)
    page.locator("#cs-side .cs-coder-line b", has_text=name).wait_for()
    page.evaluate("() => document.activeElement.blur()")  # out of the text box: keys go to the app


def last_render(page: Any) -> str | None:
    return page.evaluate("() => window.csRender ? window.csRender.render : null")


def press(page: Any, key: str, *, new_segment: bool = False) -> float:
    """Press ``key``; wait for the server's next answer on screen (and a new segment); milliseconds it took."""
    before = page.evaluate("() => ({render: window.csRender.render, segment: window.csRender.segment})")
    page.keyboard.press(key)
    condition = "window.csRender.render !== b.render"
    if new_segment:
        condition += " && window.csRender.segment !== b.segment"
    page.wait_for_function(f"(b) => {condition}", arg=before)
    r = page.evaluate("() => window.csRender")
    return float(r["at"] - r["key"])


def focused(page: Any) -> dict[str, str]:
    return page.evaluate("""() => {
        const li = document.querySelector('#cs-side li.cs-sugg.focused');
        return li ? {code: li.dataset.code, status: li.className} : {};
    }""")


def statuses(page: Any) -> dict[str, str]:
    """code -> status of every line on screen."""
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('#cs-side li.cs-sugg'))
        .map(li => [li.dataset.code, ['pending', 'accepted', 'rejected', 'added'].find(s => li.classList.contains(s))]))""")


def current_segment(page: Any) -> int:
    return int(page.get_attribute("#cs-side .cs-side", "data-segment"))


# -- measuring -------------------------------------------------------------------------------------------------
def measure(page: Any, decisions: int = 50) -> dict[str, list[float]]:
    """Decide on the focused suggestion (X, every third A), then go to the next segment (N); ``decisions`` times."""
    times: dict[str, list[float]] = {"decide": [], "next": []}
    press(page, "n", new_segment=True)  # warm: the first request of a page opens its event stream
    for i in range(decisions):
        times["decide"].append(press(page, "a" if i % 3 == 2 else "x"))
        times["next"].append(press(page, "n", new_segment=True))
    return times


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


def report(times: dict[str, list[float]]) -> str:
    n50, n95 = percentiles(times["next"])
    d50, d95 = percentiles(times["decide"])
    return (f"key N -> next segment's suggestions on screen: p50 {n50:.0f} ms, p95 {n95:.0f} ms "
            f"({len(times['next'])} segments)\n"
            f"key A/X -> decision stored and shown:        p50 {d50:.0f} ms, p95 {d95:.0f} ms "
            f"({len(times['decide'])} decisions)")


def screenshot(page: Any, path: Path | str) -> None:
    """The review tab as a new user sees it after a first decision, with the evidence of a suggestion open."""
    set_coder(page, "ana")
    for _ in range(12):  # a segment with context turns and a confident suggestion resting on coded neighbours
        if (page.locator("#cs-card .cs-context").count() and page.locator("#cs-side li.cs-sugg.focused.confident").count()
                and page.locator("#cs-side li.cs-sugg details.cs-evidence").count() >= 3):
            break
        press(page, "n", new_segment=True)
    press(page, "a")
    nth = page.evaluate("""() => Array.from(document.querySelectorAll('#cs-side li.cs-sugg'))
        .findIndex(li => li.classList.contains('pending') && li.querySelector('details'))""")
    page.keyboard.press(str(nth + 1))  # focus the next suggestion that has evidence, and open it
    page.keyboard.press("e")
    page.locator("#cs-side li.cs-sugg.focused details[open]").wait_for()
    page.mouse.move(0, 0)
    time.sleep(0.3)  # let the evidence finish opening
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--screenshot", metavar="PNG", help="also save a picture of the review tab")
    parser.add_argument("--project", help="an existing project (its decisions are added to!)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.project) if args.project else Path(tmp) / "sample"
        if not args.project:
            from index.demo import build_demo

            build_demo(folder).close()
        demo, app, url = serve(folder)
        requested: list[str] = []
        try:
            with sync_playwright() as p:
                browser = launch_browser(p)
                if args.screenshot:
                    shot = new_page(browser, requested, width=1440, height=1040)
                    open_app(shot, url)
                    screenshot(shot, args.screenshot)
                    print(f"Saved {args.screenshot}")
                page = new_page(browser, requested)
                open_app(page, url)
                set_coder(page, "bench")
                times = measure(page, args.decisions)
                browser.close()
        finally:
            stop(demo, app)
    print(report(times))
    outside = sorted({h for h in requested if h not in LOCAL})
    print("requests to other hosts: " + (", ".join(outside) if outside else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
