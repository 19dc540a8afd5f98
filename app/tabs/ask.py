"""The Ask tab: a question in, verbatim quotes out, with what was understood of it (:mod:`suggest.ask`)."""

from __future__ import annotations

from importlib.util import find_spec

import gradio as gr

from index.errors import CodeseedError

from ..render import message, render_quotes
from .base import Tab


def answer(app, question: str, k: float) -> str:
    from suggest.ask.answer import ask

    try:
        with app.lock:
            result = ask(app.project, question, int(k))
    except CodeseedError as exc:  # bad question, and the index layer's ModelError / IndexMismatchError too
        return message(str(exc), error=True)
    return render_quotes(result)


def build(app, shell, tab) -> None:
    with gr.Row():
        question = gr.Textbox(label="Question", placeholder="show quotes about stigma in generic services", scale=4,
                              elem_id="cs-question")
        k = gr.Slider(1, 50, value=10, step=1, label="Quotes", scale=1)
    ask_button = gr.Button("Ask", variant="primary")
    quotes = gr.HTML(js_on_load=None, elem_id="cs-answer")
    for event in (ask_button.click, question.submit):
        event(lambda q, n: answer(app, q, n), [question, k], quotes, queue=False)


TAB = Tab("ask", "Ask", build, available=lambda: find_spec("suggest.ask.answer") is not None)
