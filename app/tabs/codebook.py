"""The Codebook tab: every code with its human codings, accepted suggestions, description and example quotes;
a description edited here is what the suggester reads for that code from the next segment on."""

from __future__ import annotations

from typing import Any

import gradio as gr

from index.errors import CodeseedError
from suggest.review import codebook_rows, save_code_description

from ..render import message
from .base import Tab

HEADERS = ["code", "name", "human codings", "accepted suggestions", "description", "example quotes"]


# -- handlers -------------------------------------------------------------------------------------------------
def table(app) -> list[list[Any]]:
    with app.lock:
        store = app.project.store
        codings = store.codings()
        ids = list({c["segment_id"] for c in codings})
        texts = {s.id: s.text for s in store.segments(segment_ids=ids)} if ids else {}
        rows = codebook_rows(store.codes(), codings, texts)
    return [[("    " * r.depth + ("└ " if r.depth else "")) + r.code, r.name, r.human, r.accepted, r.description,
             "\n\n".join(f"“{q}”" for q in r.examples)] for r in rows]


def on_select(app):
    try:
        with app.lock:
            options = [(f"{c.id}  {c.name}", c.id) for c in app.project.store.codes()]
        return table(app), gr.update(choices=options), ""
    except CodeseedError as exc:
        return gr.update(), gr.update(), message(str(exc), error=True)


def describe(app, code_id: str | None):
    try:
        with app.lock:
            found = next((c for c in app.project.store.codes() if c.id == code_id), None)
    except CodeseedError as exc:
        return gr.update(), message(str(exc), error=True)
    return (found.description if found else ""), ""


def save_description(app, code_id: str | None, text: str):
    if not code_id:
        return gr.update(), message("Choose a code first.", error=True)
    try:
        with app.lock:
            save_code_description(app.project, app.suggester, code_id, text or "")
        rows = table(app)
    except CodeseedError as exc:
        return gr.update(), message(str(exc), error=True)
    return rows, message(f"Saved the description of {code_id}; the suggester's prototype for it uses the new words "
                         "from the next segment on.")


# -- layout and wiring ----------------------------------------------------------------------------------------
def build(app, shell, tab) -> None:
    rows = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True, elem_id="cs-codebook",
                        column_widths=["9%", "22%", "8%", "9%", "27%", "25%"])
    with gr.Row():
        code_pick = gr.Dropdown([], label="Code", filterable=True, scale=1, elem_id="cs-code-edit")
        description = gr.Textbox(label="Description (the suggester reads it)", lines=3, scale=3,
                                 elem_id="cs-description")
    save = gr.Button("Save description", elem_id="cs-save-description")
    note = gr.HTML(js_on_load=None)
    tab.select(lambda: on_select(app), None, [rows, code_pick, note], queue=False)
    code_pick.input(lambda c: describe(app, c), code_pick, [description, note], queue=False)
    save.click(lambda c, t: save_description(app, c, t), [code_pick, description], [rows, note])


TAB = Tab("codebook", "Codebook", build)
