"""The Review tab: one segment at a time, its ranked suggestions with their evidence, decided by keyboard.

What the queue holds and what each key does are :mod:`suggest.review`'s; the keys themselves are in
``static/keys.js``, which presses the hidden buttons below and sends a :class:`~app.commands.Command`.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from index.errors import CodeseedError
from index.types import coder_name
from suggest.review import ORDERS, QueueFilter, ReviewSession, attribute_label, parse_attribute

from ..commands import Command
from ..render import render_keys
from .base import FAST, Tab

# (action, label, variant, size) in two rows (four, then three); each action is one of app.commands.ACTIONS
BUTTONS = (("accept", "✓ Accept (A)", "primary", "lg"), ("reject", "✗ Reject (X)", "stop", "lg"),
           ("none", "∅ No code (0)", "secondary", "lg"), ("undo", "↶ Undo (U)", "secondary", "lg"),
           ("previous", "← Previous (P)", "secondary", "sm"), ("skip", "Skip (S)", "secondary", "sm"),
           ("next", "Next (N) →", "secondary", "sm"))
DECIDING = ("accept", "reject", "none", "undo")  # the actions that write a decision (and teach the suggester)


# -- handlers -------------------------------------------------------------------------------------------------
def choices(session: ReviewSession) -> tuple[Any, Any, Any]:
    documents = gr.update(choices=session.documents())
    attributes = gr.update(choices=[(f"{attribute_label(k, v)}  ({n})", attribute_label(k, v))
                                    for k, v, n in session.attribute_choices()])
    picker = gr.update(choices=session.code_choices(), value=None)
    return documents, attributes, picker


def on_load(app, saved_coder: str | None):
    try:
        session = app.new_session(saved_coder)
    except CodeseedError as exc:  # no session: the card says why; the lists stay empty
        return (None, gr.update(value=saved_coder or ""), *app.failure(str(exc)), *(gr.update(),) * 3)
    coder_box = gr.update(value=session.coder or "", interactive=app.coder is None)
    try:
        lists = choices(session)
    except CodeseedError:  # the card below says what is wrong
        lists = (gr.update(),) * 3
    return (session, coder_box, *app.view(session), *lists)


def act(app, command: str, session: ReviewSession | None):
    """One key's command, applied in the order the page numbered it (app.ordering); a decision counts towards the
    next background refresh of the suggester it taught (app.refresh)."""
    error = None
    try:
        session = session or app.new_session(None)
        parsed = Command.parse(command)
        applied = app.key_orders.of(session).run(parsed.seq,
                                                 lambda: parsed.apply(session, fixed_coder=app.coder is not None))
        if applied and parsed.action in DECIDING:
            app.refresher.decided(session.suggester)
    except CodeseedError as exc:
        if session is None:
            return (None, *app.failure(str(exc)))
        error = str(exc)
    return (session, *app.view(session, error))


def pick(app, code: str | None, session: ReviewSession | None):
    error = None
    try:
        session = session or app.new_session(None)
        if code:
            session.add_code(code)
            app.refresher.decided(session.suggester)
    except CodeseedError as exc:
        if session is None:
            return (None, *app.failure(str(exc)), gr.update(value=None))
        error = str(exc)
    return (session, *app.view(session, error), gr.update(value=None))


def set_coder(app, name: str, session: ReviewSession | None):
    error = None
    try:
        session = session or app.new_session(name)
        if app.coder is not None or coder_name(name) == session.coder:
            return session, gr.update(), gr.update()  # nothing changed: leave the screen alone
        session.set_coder(name)
    except CodeseedError as exc:
        if session is None:
            return (None, *app.failure(str(exc)))
        error = str(exc)
    return (session, *app.view(session, error))


def set_queue(app, order: str, documents: list[str] | None, attributes: list[str] | None, include_coded: bool,
              session: ReviewSession | None):
    error = None
    try:
        session = session or app.new_session(None)
        filters = QueueFilter(documents=tuple(documents or ()),
                              attributes=tuple(parse_attribute(a) for a in attributes or ()),
                              include_coded=bool(include_coded))
        session.set_queue(order, filters)
    except CodeseedError as exc:
        if session is None:
            return (None, *app.failure(str(exc)))
        error = str(exc)
    return (session, *app.view(session, error))


# -- layout and wiring ----------------------------------------------------------------------------------------
def queue_controls() -> tuple[Any, Any, Any, Any]:
    with gr.Row(elem_id="cs-queue-row", equal_height=True):
        order = gr.Dropdown([(label.capitalize(), key) for key, label in ORDERS.items()], value="document",
                            label="Queue order", elem_id="cs-order", scale=2, filterable=False)
        documents = gr.Dropdown([], multiselect=True, label="Documents", elem_id="cs-documents", scale=2)
        attributes = gr.Dropdown([], multiselect=True, label="Attributes", elem_id="cs-attributes", scale=2)
        include_coded = gr.Checkbox(False, label="Include segments coded before", elem_id="cs-include-coded",
                                    scale=1)
    return order, documents, attributes, include_coded


def review_panes() -> tuple[Any, Any, Any, dict[str, Any]]:
    """The card (left) and the buttons, suggestions and code picker (right)."""
    buttons = {}
    with gr.Row(elem_id="cs-review-row"):
        with gr.Column(scale=11, min_width=420):
            card = gr.HTML(elem_id="cs-card", js_on_load=None)
            gr.HTML(render_keys(), js_on_load=None, elem_id="cs-keys")
        with gr.Column(scale=9, min_width=380):
            for row in (BUTTONS[:4], BUTTONS[4:]):
                with gr.Row(elem_classes="cs-buttons"):
                    for action, label, variant, size in row:
                        buttons[action] = gr.Button(label, variant=variant, elem_id=f"cs-{action}", min_width=90,
                                                    size=size)
            side = gr.HTML(elem_id="cs-side", js_on_load=None)
            picker = gr.Dropdown([], value=None, label="Add a code (C)", filterable=True, elem_id="cs-picker",
                                 info="type to search the codebook; Enter adds")
    return card, side, picker, buttons


def build(app, shell, tab) -> None:
    order, documents, attributes, include_coded = queue_controls()
    card, side, picker, buttons = review_panes()
    command = gr.Textbox(visible=False)  # what a button sends: window.csCommand(action), read by Command.parse
    session, view = shell.session, [card, side]
    shell.demo.load(lambda saved: on_load(app, saved), [shell.saved_coder],
                    [session, shell.coder_box, *view, documents, attributes, picker], **FAST)
    for action, button in buttons.items():
        button.click(lambda c, s: act(app, c, s), [command, session], [session, *view], trigger_mode="multiple",
                     js=f"(c, s) => [window.csCommand('{action}'), s]", **FAST)
    picker.input(lambda c, s: pick(app, c, s), [picker, session], [session, *view, picker], **FAST)
    shell.coder_box.change(None, [shell.coder_box], [shell.saved_coder], js="(name) => name")
    for event in (shell.coder_box.submit, shell.coder_box.blur):
        event(lambda n, s: set_coder(app, n, s), [shell.coder_box, session], [session, *view], **FAST)
    queue_inputs = [order, documents, attributes, include_coded, session]
    for control in (order, documents, attributes, include_coded):
        control.input(lambda *a: set_queue(app, *a), queue_inputs, [session, *view], **FAST)


TAB = Tab("review", "Review", build)
