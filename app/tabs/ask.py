"""The Ask tab: a conversation (:mod:`suggest.ask.chat`). Each answer shows what changed, what was understood and the
quote cards; the active filters are chips, each removed with one click; "Start over" clears. Counting questions
add a bar chart and a table whose numbers open the quotes behind them. Summaries come from a model on this
machine only when one is named in "Summaries by a local model"; until then nothing is sent anywhere.

One conversation per coder (the name in the header; "anonymous" without one), kept in the project, so it is there
again after a restart. Every call holds ``app.lock``: the project has one SQLite connection.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

import gradio as gr
import pandas as pd

from index.errors import CodeseedError

from ..render import esc, message, render_reply, render_turn
from .base import FAST, Tab

COUNT_COLUMNS = ["group", "segments", "participants", "coded: participants", "coded: segments",
                 "search: participants", "search: segments"]
MAX_CHIPS = 8  # chip buttons made once and shown as needed (a question rarely filters on more attributes)
NO_MODEL = "No model is configured: nothing is sent anywhere. Name one to get summaries (\"summarise what they say\")."


class Chats:
    """The Ask conversations of one served project, one per coder, and the model named for summaries."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.by_coder: dict[str, Any] = {}
        self.llm: str | None = None

    def of(self, coder: str | None):
        from suggest.ask.chat import ANONYMOUS, Conversation

        name = " ".join(str(self.app.coder or coder or "").split()) or ANONYMOUS
        if name not in self.by_coder:
            self.by_coder[name] = Conversation(self.app.project, coder=name)
        conversation = self.by_coder[name]
        conversation.llm = self.llm
        return conversation


# -- handlers: each returns (chat, no-filter note, the chips..., question box, count table, bar chart, count group) --
def _chips(conversation) -> list:
    filters = conversation.state.filters
    shown = [gr.update(value=f"{f.label}  ×", visible=True) for f in filters[:MAX_CHIPS]]
    return [gr.update(visible=not filters)] + shown + [gr.update(visible=False)] * (MAX_CHIPS - len(shown))


def _outputs(conversation, messages: list[dict], reply=None) -> tuple:
    chips = _chips(conversation)
    table = reply.count if reply is not None else None
    if table is None or not table.rows:
        return messages, *chips, "", gr.update(), gr.update(), gr.update(visible=False)
    rows = [[r.group, r.segments, r.participants, len(r.coded.participants), len(r.coded.segments),
             len(r.search.participants), len(r.search.segments)] for r in table.rows]
    bars = pd.DataFrame([{"group": r.group, "participants": len(c.participants), "counted": way}
                         for r in table.rows if r.group != "all" or len(table.rows) == 1
                         for way, c in (("coded", r.coded), ("by search", r.search))])
    return (messages, *chips, "", gr.update(value=pd.DataFrame(rows, columns=COUNT_COLUMNS)),
            gr.update(value=bars, x="group", y="participants", color="counted", title=f"Participants: {table.topic}"),
            gr.update(visible=True))


def history(chats: Chats, coder: str | None) -> tuple:
    """The coder's conversation as kept in the project (after a reload or a restart). The question box is left
    as it is: this runs when the tab is opened, and a question typed before it returns must not be wiped."""
    with chats.app.lock:
        conversation = chats.of(coder)
        messages = []
        for turn in conversation.history():
            messages += [{"role": "user", "content": esc(turn["question"])},
                         {"role": "assistant", "content": render_turn(turn["answer"])}]
        outputs = list(_outputs(conversation, messages))
        outputs[2 + MAX_CHIPS] = gr.update()  # chat, the no-filter note, the chips, then the question box
        return tuple(outputs)


def send(chats: Chats, coder: str | None, question: str, messages: list[dict] | None) -> tuple:
    messages = list(messages or [])
    with chats.app.lock:
        conversation = chats.of(coder)
        try:
            reply = conversation.say(question)
        except CodeseedError as exc:
            messages += [{"role": "user", "content": esc(question)},
                         {"role": "assistant", "content": message(str(exc), error=True)}]
            return _outputs(conversation, messages)
    if reply.intent == "reset":
        return _outputs(conversation, [])
    messages += [{"role": "user", "content": esc(question)}, {"role": "assistant", "content": render_reply(reply)}]
    return _outputs(conversation, messages, reply)


def remove(chats: Chats, coder: str | None, index: int, messages: list[dict] | None) -> tuple:
    """The ×  of the ``index``-th chip: that filter goes, and the question is answered again."""
    messages = list(messages or [])
    with chats.app.lock:
        conversation = chats.of(coder)
        filters = conversation.state.filters
        if index >= len(filters):  # a chip of a state already changed: show the current one
            return _outputs(conversation, messages)
        try:
            reply = conversation.remove_filter(filters[index].key)
        except CodeseedError as exc:
            return _outputs(conversation, messages + [{"role": "assistant", "content": message(str(exc), error=True)}])
    messages += [{"role": "assistant", "content": render_reply(reply)}]
    return _outputs(conversation, messages, reply)


def open_cell(chats: Chats, coder: str | None, table: Any, messages: list[dict] | None, evt: gr.SelectData) -> tuple:
    """A click on a number of the count table: the quotes behind it."""
    row, column = evt.index
    if column < 3:  # the group and the base counts open nothing
        return (gr.update(),) * (MAX_CHIPS + 6)
    group = str(table.iloc[row, 0]) if isinstance(table, pd.DataFrame) else str(table["data"][row][0])
    way = "coded" if column in (3, 4) else "search"
    return send(chats, coder, f"open {group} {way}", messages)


def export(chats: Chats, coder: str | None) -> str:
    """The coder's conversations as a Markdown file with the quotes (for the download button)."""
    import tempfile
    from pathlib import Path

    from suggest.ask.chat_text import export_markdown

    with chats.app.lock:
        conversation = chats.of(coder)
        text = export_markdown(chats.app.project, conversation.coder)
    folder = Path(tempfile.mkdtemp(prefix="codeseed-ask-"))
    path = folder / f"ask-{''.join(c if c.isalnum() else '-' for c in conversation.coder)}.md"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def set_model(chats: Chats, spec: str) -> str:
    spec = (spec or "").strip()
    if not spec:
        chats.llm = None
        return message(NO_MODEL)
    from suggest.ask.langchain_adapter import model_location

    try:
        where = model_location(spec)
    except CodeseedError as exc:
        chats.llm = None
        return message(str(exc), error=True)
    chats.llm = spec
    return message(f"Summaries by {where}. The quotes of an answer are sent to it, and nowhere else.")


# -- layout and wiring --------------------------------------------------------------------------------------------
def build(app, shell, tab) -> None:
    chats = Chats(app)
    chat = gr.Chatbot(elem_id="cs-chat", height=560, show_label=False, feedback_options=None, buttons=["copy"],
                      placeholder="Ask for quotes, then narrow them: “only women”, “and in specialist services?”, "
                                  "“more like the second one”, “what codes do these have?”, “how many participants "
                                  "mention this, by setting?”")

    with gr.Row(elem_id="cs-chips", elem_classes="cs-chips"):
        no_filter = gr.HTML('<span class="cs-none">No filters: every participant counts.</span>', js_on_load=None,
                            elem_id="cs-no-filter")
        chips = [gr.Button("", size="sm", elem_classes="cs-chip", min_width=60, scale=0, visible=False,
                           elem_id=f"cs-chip-{i}") for i in range(MAX_CHIPS)]
    with gr.Row(equal_height=True):
        question = gr.Textbox(show_label=False, placeholder="show quotes about stigma in generic services", scale=6,
                              elem_id="cs-question", max_lines=3)
        ask_button = gr.Button("Ask", variant="primary", elem_id="cs-ask", scale=1, min_width=80)
        reset = gr.Button("Start over", elem_id="cs-start-over", scale=1, min_width=80)
        download = gr.DownloadButton("Export (Markdown)", elem_id="cs-ask-export", scale=1, min_width=80)
    with gr.Group(visible=False, elem_id="cs-count") as count_group:
        bars = gr.BarPlot(pd.DataFrame({"group": [], "participants": [], "counted": []}), x="group", y="participants",
                          color="counted", height=260, elem_id="cs-count-chart")
        table = gr.Dataframe(headers=COUNT_COLUMNS, interactive=False, elem_id="cs-count-table",
                             label="Counts — click a number to see the quotes behind it")
    with gr.Accordion("Summaries by a local model", open=False):
        model = gr.Textbox(label="Model on this machine", placeholder="ollama:llama3.1 or "
                           "openai-compatible:http://127.0.0.1:8080/v1:MODEL", elem_id="cs-llm")
        model_status = gr.HTML(message(NO_MODEL), js_on_load=None, elem_id="cs-llm-status")

    outputs = [chat, no_filter, *chips, question, table, bars, count_group]
    for i, chip in enumerate(chips):
        chip.click(lambda c, m, i=i: remove(chats, c, i, m), [shell.coder_box, chat], outputs, **FAST)
    for event in (ask_button.click, question.submit):
        event(lambda c, q, m: send(chats, c, q, m), [shell.coder_box, question, chat], outputs, **FAST)
    reset.click(lambda c, m: send(chats, c, "start over", m), [shell.coder_box, chat], outputs, **FAST)

    def opened(c: str, t: Any, m: list, evt: gr.SelectData) -> tuple:
        return open_cell(chats, c, t, m, evt)

    table.select(opened, [shell.coder_box, table, chat], outputs, **FAST)
    model.change(lambda s: set_model(chats, s), [model], [model_status], **FAST)
    download.click(lambda c: export(chats, c), [shell.coder_box], [download], **FAST)
    for event in (tab.select, shell.coder_box.submit):  # the coder's own conversation, as kept in the project
        event(lambda c: history(chats, c), [shell.coder_box], outputs, **FAST)


TAB = Tab("ask", "Ask", build, available=lambda: find_spec("suggest.ask.answer") is not None)
