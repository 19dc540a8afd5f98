"""The coding app: review AI code suggestions at the speed of the keyboard, in the browser (Gradio).

    codeseed app PROJECT [--coder NAME] [--host 127.0.0.1] [--port 7860] [--auth USER:PASSWORD] [--refit-every 50]
    python app_gradio.py PROJECT [same options]

The entry point; the app itself is the ``app`` package (its ``__init__`` maps the rooms: one module per tab in
``app/tabs/``, the HTML renderers in ``app/render.py``, the CSS and keyboard script in ``app/static/``, the
browser's typed command in ``app/commands.py``, who may connect in ``app/serving.py``). What the queue holds,
what a key does and what the screen shows are decided by :mod:`suggest.review` (plain Python, unit-tested).

Keys (also on screen): A accept, X reject, J/K or ↓/↑ move between suggestions, 1-9 focus a suggestion,
N/→ next segment, P/← previous, S skip to the next unreviewed, U (or Ctrl+Z) undo, C or / open the code
picker, E evidence of the focused suggestion, T show or hide the context turns.

Safety: serves 127.0.0.1 unless told otherwise and refuses any other host without --auth; refuses requests that
change the project from pages of other sites; names the project folder only inside the app (behind the login when
there is one); makes no request to any outside address (system fonts, no CDN, no analytics, no share link, no run
history kept in the browser).

Concurrency: one Project (one SQLite connection), one ProjectSuggester and one lock per server; each browser tab
has its own ReviewSession (queue, position, coder) holding that lock for every call, so coders' decisions never
interleave and every coder's decision teaches the suggester the others use. Each tab's key commands are numbered
by the page and applied in that order (app/ordering.py); every --refit-every decisions the suggester is fitted
again in a background thread and swapped in under the lock (app/refresh.py).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from app.core import CodingApp  # noqa: E402
from app.render import render_card, render_side  # noqa: E402
from app.serving import check_serving, is_local, start  # noqa: E402

__all__ = ["CodingApp", "check_serving", "is_local", "render_card", "render_side", "start"]

if __name__ == "__main__":  # python app_gradio.py PROJECT [options]: the same as `codeseed app`
    from codeseed_cli import main

    sys.exit(main(["app", *sys.argv[1:]]))
