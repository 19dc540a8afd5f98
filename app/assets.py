"""The app's files for the browser, shipped as package data (``app/static/``, declared in pyproject.toml):
``app.css`` (its look on Gradio's theme) and ``keys.js`` (the review keys and the command a button sends).
A new file goes in ``static/`` and is read here; pyproject's package data takes every ``*.css`` and ``*.js``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

STATIC = files("app") / "static"


@cache
def read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def css() -> str:
    return read("app.css")


def head() -> str:
    """What goes into the page's <head>: the keys script, inline (nothing is fetched from elsewhere)."""
    return f"<script>\n{read('keys.js')}</script>"
