"""What a tab is: an id, a label, and a function that lays it out and wires it (inside ``gr.Tab``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FAST = {"queue": False, "show_progress": "hidden"}  # answers within one request: the keyboard waits for nothing


@dataclass(frozen=True)
class Shell:
    """The parts of the page outside the tabs that a tab may read or update."""

    demo: Any  # gr.Blocks: the page (for its load event)
    session: Any  # gr.State: this browser tab's ReviewSession (None until the page loads)
    saved_coder: Any  # gr.BrowserState: the coder name remembered by the browser
    coder_box: Any  # gr.Textbox in the header


@dataclass(frozen=True)
class Tab:
    id: str
    label: str
    build: Callable[..., None]  # build(app: CodingApp, shell: Shell, tab: gr.Tab): components and events
    available: Callable[[], bool] = lambda: True  # False: left out (a part of codeseed not installed)
