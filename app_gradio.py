"""The coding app: review AI code suggestions at the speed of the keyboard, in the browser (Gradio).

    codeseed app PROJECT [--coder NAME] [--host 127.0.0.1] [--port 7860] [--auth USER:PASSWORD]
    python app_gradio.py PROJECT [same options]

A thin edge: what the queue holds, what a key does and what the screen shows are decided by
:mod:`suggest.review` (plain Python, unit-tested); this module renders its :class:`~suggest.review.Card` as
HTML, wires buttons, keys and uploads to it, and turns domain errors into messages.

Keys (also on screen): A accept, X reject, J/K or ↓/↑ move between suggestions, 1-9 focus a suggestion,
N/→ next segment, P/← previous, S skip to the next unreviewed, U (or Ctrl+Z) undo, C or / open the code
picker, E evidence of the focused suggestion, T show or hide the context turns.

Safety: serves 127.0.0.1 unless told otherwise and refuses any other host without --auth; makes no request to
any outside address (system fonts, no CDN, no analytics, no share link, no run history kept in the browser).

Concurrency: one Project (one SQLite connection), one ProjectSuggester and one lock per server; each browser tab
has its own ReviewSession (queue, position, coder) holding that lock for every call, so coders' decisions never
interleave and every coder's decision teaches the suggester the others use.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from index.errors import CodeseedError  # noqa: E402
from index.project import Project  # noqa: E402
from suggest.review import (  # noqa: E402
    ACCEPTED,
    ADDED,
    ORDERS,
    PENDING,
    REJECTED,
    Card,
    QueueFilter,
    ReviewSession,
    attribute_label,
    clip_text,
    codebook_rows,
    parse_attribute,
    refit,
    save_code_description,
)
from suggest.project_suggester import ProjectSuggester  # noqa: E402

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]
KEYS = [("A", "accept"), ("X", "reject"), ("J K ↓ ↑", "move between suggestions"), ("1–9", "focus a suggestion"),
        ("N →", "next segment"), ("P ←", "previous"), ("S", "skip to next unreviewed"), ("U", "undo"),
        ("C /", "add a code"), ("E", "evidence"), ("T", "context")]


# -- safety ------------------------------------------------------------------------------------------------
def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("127.")


def check_serving(host: str, auth: str | None) -> tuple[str, str] | None:
    """The (user, password) to require, if any; refuses to serve beyond this machine without one."""
    credentials = None
    if auth is not None:
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise CodeseedError("--auth takes USER:PASSWORD, both non-empty", field="auth")
        credentials = (user, password)
    if not is_local(host) and credentials is None:
        raise CodeseedError(
            f"refusing to serve on {host}: anyone who can reach this machine could read the transcripts",
            field="host", fix="add --auth USER:PASSWORD (and prefer a trusted network), or leave out --host "
                              "to serve on 127.0.0.1 (this machine only)")
    return credentials


# -- rendering: plain data -> HTML --------------------------------------------------------------------------
def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def render_card(card: Card) -> str:
    if card.segment is None:
        return (f'<div class="cs-card cs-empty" data-segment="" data-token="{card.token}"><h3>Nothing to review</h3>'
                "<p>No segment matches the queue's filters. Change them above, or import transcripts in "
                "<b>Import / export</b>.</p></div>")
    s = card.segment
    share = 100 * card.progress.reviewed / card.progress.total if card.progress.total else 0
    who = s.participant or s.speaker or "unknown speaker"
    who = "" if who == s.document else f" · {esc(who)}"
    state = ('<span class="cs-pill cs-done">reviewed by you</span>' if card.reviewed
             else '<span class="cs-pill">to review</span>')
    attrs = "".join(f'<span class="cs-attr"><i>{esc(k)}</i> {esc(v)}</span>'
                    for k, v in sorted(card.attributes.items()) if k != "participant_id")

    def turns(segments, where):
        if not segments:
            return ""
        rows = "".join(
            f'<div class="cs-turn{" cs-interviewer" if t.is_interviewer else ""}"><b>{esc(t.speaker or "—")}</b> '
            f'{esc(t.text)}</div>' for t in segments)
        return f'<div class="cs-context cs-{where}">{rows}</div>'

    codings = "".join(
        f'<span class="cs-coding{" cs-mine" if c.mine else ""}" title="{esc(c.name)} — {esc(c.origin)}">'
        f'<b>{esc(c.code)}</b> {esc(clip_text(c.name, 48))} <i>{esc(c.coder)}</i></span>' for c in card.codings)
    codings = codings or '<span class="cs-none">no code yet</span>'
    timestamp = f" · {esc(s.timestamp)}" if s.timestamp else ""
    return f"""<div class="cs-card" data-segment="{s.id}" data-token="{card.token}">
  <div class="cs-top">
    <span class="cs-position" title="position in the queue">{card.position} / {card.total}</span>
    <span class="cs-where"><b>{esc(s.document)}</b>{who}{timestamp} · turn {s.position + 1}</span>
    <button class="cs-ctx-toggle" type="button" title="show or hide the turns around it (T)">context (T)</button>
    {state}
  </div>
  <div class="cs-progress" title="{card.progress.reviewed} reviewed, {card.progress.to_review} to review">
    <div style="width:{share:.1f}%"></div></div>
  <div class="cs-progress-label">{card.progress.reviewed} reviewed · {card.progress.to_review} to review
    · {esc(ORDERS[card.order])}</div>
  <div class="cs-attrs">{attrs}</div>
  {turns(card.before, "before")}
  <blockquote class="cs-text" data-segment="{s.id}"><div class="cs-speaker">{esc(s.speaker or "—")}</div>{esc(s.text)}</blockquote>
  {turns(card.after, "after")}
  <div class="cs-codings"><span class="cs-label">Codes on this segment</span>{codings}</div>
</div>"""


STATUS_LABEL = {PENDING: "", ACCEPTED: "✓ accepted", REJECTED: "✗ rejected", ADDED: "＋ added"}


def render_side(card: Card, error: str | None = None, render: int = 0) -> str:
    segment = card.segment.id if card.segment else ""
    message = error or card.message
    kind = " cs-error" if error else ""
    coder = (f'Coding as <b>{esc(card.coder)}</b>' if card.coder
             else '<span class="cs-warn">Enter your coder name (top right) to decide</span>')
    head = (f'<div class="cs-side" data-segment="{segment}" data-token="{card.token}" data-render="{render}">'
            f'<div class="cs-coder-line">{coder}</div>'
            f'<div class="cs-msg{kind}" role="status">{esc(message)}</div>')
    if card.segment is None:
        return head + "</div>"
    if not card.items:
        return head + '<p class="cs-none">No code to suggest: add one with the picker (C).</p></div>'
    rows = []
    for n, item in enumerate(card.items):
        classes = ["cs-sugg", item.status]
        if n == card.focus:
            classes.append("focused")
        if item.confident:
            classes.append("confident")
        score = "" if item.score is None else f"{item.score:.2f}"
        width = 0 if item.score is None else max(2.0, 100 * item.score)
        threshold = ("" if item.threshold is None or item.score is None
                     else f' title="score {item.score:.2f}; suggested from {item.threshold:.2f}"')
        mark = ("" if item.status != PENDING else "suggested" if item.confident else "below threshold")
        evidence = []
        for e in item.evidence:
            if e.polarity > 0:
                why = f"coded by {esc(e.coder or '?')}"
            else:
                why = "this code was rejected for it"
            speaker = "" if e.speaker in (None, e.document) else f" {esc(e.speaker)}"
            evidence.append(f'<li class="{"cs-neg" if e.polarity < 0 else "cs-pos"}"><span class="cs-sim">'
                            f'{e.similarity:.2f}</span> <b>{esc(e.document)}</b>{speaker} '
                            f'<i>({why})</i><div class="cs-quote">{esc(clip_text(e.text, 320))}</div></li>')
        if evidence:
            details = (f'<details class="cs-evidence" data-key="{segment}:{esc(item.code)}"><summary>Evidence: '
                       f'{len(item.evidence)} similar segment{"s" if len(item.evidence) != 1 else ""}</summary>'
                       f'<ul>{"".join(evidence)}</ul></details>')
        elif item.status == PENDING:
            details = '<div class="cs-noevidence">No coded neighbour: the score rests on the codebook description.</div>'
        else:
            details = ""
        theme = f' title="{esc(item.theme)}"' if item.theme else ""
        buttons = ('<span class="cs-mini"><button data-act="accept" title="accept (A)">✓</button>'
                   '<button data-act="reject" title="reject (X)">✗</button></span>' if item.status == PENDING else
                   f'<span class="cs-status">{STATUS_LABEL[item.status]}</span>')
        rows.append(
            f'<li class="{" ".join(classes)}" data-code="{esc(item.code)}" data-index="{n}">'
            f'<div class="cs-row"><span class="cs-key">{n + 1}</span><span class="cs-code">{esc(item.code)}</span>'
            f'<span class="cs-name"{theme}>{esc(item.name)}</span>'
            f'<span class="cs-score"{threshold}><span class="cs-bar"><span style="width:{width:.0f}%"></span></span>'
            f'{score}<small>{mark}</small></span>{buttons}</div>{details}</li>')
    return head + f'<ol class="cs-list">{"".join(rows)}</ol></div>'


def render_keys() -> str:
    keys = "".join(f"<span><kbd>{esc(k)}</kbd> {esc(v)}</span>" for k, v in KEYS)
    return f'<div class="cs-keys" aria-label="keyboard shortcuts">{keys}</div>'


# -- the app ----------------------------------------------------------------------------------------------
class CodingApp:
    """One project served to any number of browser tabs."""

    def __init__(self, project: Project, *, coder: str | None = None, suggester: ProjectSuggester | None = None):
        self.project = project
        self.coder = coder
        self.lock = threading.RLock()
        self.renders = itertools.count(1)  # every answer to the browser is numbered: tests see when one arrived
        with self.lock:
            self.suggester = suggester or ProjectSuggester(project).fit()

    # -- helpers shared by the handlers ----------------------------------------------------------------
    def new_session(self, coder: str | None) -> ReviewSession:
        return ReviewSession(self.project, self.suggester, self.coder or coder, lock=self.lock)

    def view(self, session: ReviewSession, error: str | None = None) -> tuple[str, str]:
        card = session.card()
        return render_card(card), render_side(card, error, render=next(self.renders))

    def choices(self, session: ReviewSession) -> tuple[Any, Any, Any]:
        documents = gr.update(choices=session.documents())
        attributes = gr.update(choices=[(f"{attribute_label(k, v)}  ({n})", attribute_label(k, v))
                                        for k, v, n in session.attribute_choices()])
        picker = gr.update(choices=session.code_choices(), value=None)
        return documents, attributes, picker

    # -- review handlers ---------------------------------------------------------------------------------
    def on_load(self, saved_coder: str | None):
        session = self.new_session(saved_coder)
        coder_box = gr.update(value=session.coder or "", interactive=self.coder is None)
        return (session, coder_box, *self.view(session), *self.choices(session))

    def act(self, command: str, session: ReviewSession | None):
        session = session or self.new_session(None)
        error = None
        try:
            order = json.loads(command or "{}")
            if self.coder is None and "coder" in order and order["coder"] != (session.coder or ""):
                session.set_coder(order["coder"])
            action = order.get("action")
            segment = int(order["segment"]) if str(order.get("segment") or "").isdigit() else None
            if action == "accept":
                session.accept(order.get("code") or None, segment_id=segment)
            elif action == "reject":
                session.reject(order.get("code") or None, segment_id=segment)
            elif action == "next":
                session.next()
            elif action == "previous":
                session.previous()
            elif action == "skip":
                session.skip()
            elif action == "undo":
                session.undo()
        except CodeseedError as exc:
            error = str(exc)
        return (session, *self.view(session, error))

    def pick(self, code: str | None, session: ReviewSession | None):
        session = session or self.new_session(None)
        error = None
        if code:
            try:
                session.add_code(code)
            except CodeseedError as exc:
                error = str(exc)
        return (session, *self.view(session, error), gr.update(value=None))

    def set_coder(self, name: str, session: ReviewSession | None):
        session = session or self.new_session(name)
        error = None
        if self.coder is not None or " ".join(str(name or "").split()) == (session.coder or ""):
            return session, gr.update(), gr.update()  # nothing changed: leave the screen alone
        if self.coder is None:
            try:
                session.set_coder(name)
            except CodeseedError as exc:
                error = str(exc)
        return (session, *self.view(session, error))

    def set_queue(self, order: str, documents: list[str] | None, attributes: list[str] | None, include_coded: bool,
                  session: ReviewSession | None):
        session = session or self.new_session(None)
        error = None
        try:
            filters = QueueFilter(documents=tuple(documents or ()),
                                  attributes=tuple(parse_attribute(a) for a in attributes or ()),
                                  include_coded=bool(include_coded))
            session.set_queue(order, filters)
        except CodeseedError as exc:
            error = str(exc)
        return (session, *self.view(session, error))

    # -- codebook ------------------------------------------------------------------------------------------
    def codebook_table(self) -> list[list[Any]]:
        with self.lock:
            store = self.project.store
            codings = store.codings()
            ids = list({c["segment_id"] for c in codings})
            texts = {s.id: s.text for s in store.segments(segment_ids=ids)} if ids else {}
            rows = codebook_rows(store.codes(), codings, texts)
        return [[("    " * r.depth + ("└ " if r.depth else "")) + r.code, r.name, r.human, r.accepted, r.description,
                 "\n\n".join(f"“{q}”" for q in r.examples)] for r in rows]

    def code_options(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(f"{c.id}  {c.name}", c.id) for c in self.project.store.codes()]

    def describe(self, code_id: str | None) -> str:
        with self.lock:
            found = next((c for c in self.project.store.codes() if c.id == code_id), None)
        return found.description if found else ""

    def save_description(self, code_id: str | None, text: str):
        if not code_id:
            return gr.update(), message("Choose a code first.", error=True)
        try:
            with self.lock:
                save_code_description(self.project, self.suggester, code_id, text or "")
        except CodeseedError as exc:
            return gr.update(), message(str(exc), error=True)
        return self.codebook_table(), message(f"Saved the description of {code_id}; the suggester's prototype for "
                                              "it uses the new words from the next segment on.")

    # -- agreement ------------------------------------------------------------------------------------------
    def agreement(self) -> tuple[list[list[Any]], str]:
        from eval.decisions import acceptance, acceptance_by, standing

        with self.lock:
            decisions = self.project.store.decisions()
            names = {c.id: c.name for c in self.project.store.codes()}
        live = standing(decisions)
        suggested = [r for r in live if r.get("score") is not None]  # decisions on suggestions, not picked codes
        picked = {}
        for r in live:
            if r.get("score") is None and r["decision"] == "accept":
                picked[r["coder"]] = picked.get(r["coder"], 0) + 1
        rows = []
        for row in acceptance_by(suggested, lambda r: (r["coder"], r["code_id"])):
            coder, code = row["key"]
            rows.append([coder, code, names.get(code, ""), row["accepted"], row["rejected"], percent(row["rate"])])
        rows.sort(key=lambda r: (r[0], r[1]))
        for row in acceptance_by(suggested, "coder"):
            rows.append([row["key"], "all codes", "", row["accepted"], row["rejected"], percent(row["rate"])])
        overall = acceptance(suggested)
        undone = sum(1 for r in decisions if r["decision"] == "undo")
        summary = (f"{overall['decisions']} standing decisions on suggestions: {overall['accepted']} accepted, "
                   f"{overall['rejected']} rejected (acceptance {percent(overall['rate'])}); {undone} undone; codes "
                   "added from the picker: " + (", ".join(f"{k} {v}" for k, v in sorted(picked.items())) or "none")
                   + ". Acceptance = accepted / (accepted + rejected), from the decision log.")
        return rows, summary

    def run_eval(self):
        from eval.project_eval import run_project_eval
        from eval.report import summary_table

        out = self.project.folder / "eval"
        began = time.perf_counter()
        try:  # its own connection: the review goes on while the evaluation reads (SQLite WAL)
            with Project.open(self.project.folder) as other:
                with self.lock:
                    other.use_encoder(self.project.encoder)
                result = run_project_eval(other, out=out, n_boot=200)
        except CodeseedError as exc:
            return message(str(exc), error=True), []
        plots = [(str(out / f), f.removesuffix(".png").replace("_", " "))
                 for f in ("per_code.png", "learning_curve.png", "reliability.png", "confusion.png")
                 if (out / f).exists()]
        text = (f"```\n{summary_table(result)}\n```\n\nFull report: `{out / 'report.md'}` "
                f"({time.perf_counter() - began:.0f} s).")
        return text, plots

    # -- ask -----------------------------------------------------------------------------------------------------
    def ask(self, question: str, k: float) -> str:
        from suggest.ask.answer import ask

        try:
            with self.lock:
                result = ask(self.project, question, int(k))
        except CodeseedError as exc:
            return message(str(exc), error=True)
        parts = [f'<div class="cs-understood">Understood: {esc(result.understood.summary())}</div>']
        if not result.quotes:
            parts.append(f'<p class="cs-none">No quotes: {esc(result.empty_reason)}</p>')
        for q in result.quotes:
            attrs = ", ".join(f"{k}={v}" for k, v in q.attributes.items() if k != "participant_id")
            codes = ", ".join(c["id"] for c in q.codes) or "no code"
            parts.append(
                f'<div class="cs-quotecard"><div class="cs-where"><b>{esc(q.cite)}</b> · '
                f'{esc(q.participant or q.speaker or "unknown")} in <b>{esc(q.document)}</b> (turn {q.position + 1}, '
                f'characters {q.start}–{q.end}) · {esc(codes)}</div><blockquote class="cs-text">{esc(q.text)}'
                f'</blockquote><div class="cs-attrs-line">{esc(attrs)}</div></div>')
        return "".join(parts)

    # -- import / export -----------------------------------------------------------------------------------------
    def import_files(self, kind: str, files: Any, attributes: Any = None, coder: str | None = None,
                     skip_bad_rows: bool = False) -> str:
        paths = [Path(f) for f in (files if isinstance(files, list) else [files]) if f]
        if not paths:
            return message("Choose a file first.", error=True)
        extra = Path(attributes) if attributes else None
        try:
            with self.lock:
                if kind == "transcripts":
                    report = self.project.import_documents(paths, attributes=extra)
                    refit(self.project, self.suggester)
                    n = len(report.documents)
                    text = (f"Imported {n} document{'s' if n != 1 else ''}, "
                            f"{sum(d['segments'] for d in report.documents)} segments; index and suggester updated.")
                elif kind == "codebook":
                    report = self.project.import_codebook(paths[0])
                    self.suggester.fit()
                    text = f"Codebook: {report.codes} codes imported; the suggester was fitted again."
                elif kind == "codings":
                    report = self.project.import_codings(paths[0], coder=(coder or "").strip() or None,
                                                         skip_bad_rows=skip_bad_rows)
                    self.suggester.fit()
                    skipped = f"; {len(report.codings_skipped)} rows skipped" if report.codings_skipped else ""
                    text = f"Codings: {report.codings} added{skipped}; the suggester was fitted again."
                else:
                    report = self.project.import_attributes(paths[0])
                    refit(self.project, self.suggester)
                    text = (f"Attributes: {report.participants} participants; "
                            f"{report.linked_segments} segments linked.")
        except CodeseedError as exc:
            return message(_upload_names(str(exc), paths + ([extra] if extra else [])), error=True)
        return message(text)

    def export(self, fmt: str) -> tuple[str | None, str]:
        from index.exchange.refi_project import export_csv, export_refi

        folder = Path(tempfile.mkdtemp(prefix="codeseed-export-"))
        out = folder / (f"{self.project.folder.name}-codings.csv" if fmt == "csv" else f"{self.project.folder.name}.{fmt}")
        try:
            with self.lock:
                if fmt == "csv":
                    report = export_csv(self.project, out)
                else:
                    report = export_refi(self.project, out, format=fmt)
        except CodeseedError as exc:
            return None, message(str(exc), error=True)
        return str(out), message(f"Wrote {out.name}: {report.codings} coded passages. Download it below.")

    # -- layout -----------------------------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        from importlib.util import find_spec

        with gr.Blocks(title=f"codeseed · {self.project.folder.name}", analytics_enabled=False) as demo:
            session = gr.State(None)
            saved_coder = gr.BrowserState(None, storage_key="codeseed-coder", secret="codeseed-coder-name")
            with gr.Row(elem_id="cs-header", equal_height=True):
                gr.HTML(f'<div class="cs-brand"><span class="cs-logo">codeseed</span>'
                        f'<span class="cs-project">{esc(self.project.folder.name)}</span>'
                        f'<span class="cs-tagline">review code suggestions · everything stays on this machine'
                        f'</span></div>', js_on_load=None, scale=4)
                coder_box = gr.Textbox(label="Coder", placeholder="your name", elem_id="cs-coder", scale=1,
                                       min_width=220, max_lines=1, value=self.coder or "",
                                       interactive=self.coder is None, container=False)
            with gr.Tabs(elem_id="cs-tabs"):
                with gr.Tab("Review", id="review"):
                    with gr.Row(elem_id="cs-queue-row", equal_height=True):
                        order = gr.Dropdown([(label.capitalize(), key) for key, label in ORDERS.items()],
                                            value="document", label="Queue order", elem_id="cs-order", scale=2,
                                            filterable=False)
                        documents = gr.Dropdown([], multiselect=True, label="Documents", elem_id="cs-documents",
                                                scale=2)
                        attributes = gr.Dropdown([], multiselect=True, label="Attributes", elem_id="cs-attributes",
                                                 scale=2)
                        include_coded = gr.Checkbox(False, label="Include segments coded before",
                                                    elem_id="cs-include-coded", scale=1)
                    with gr.Row(elem_id="cs-review-row"):
                        with gr.Column(scale=11, min_width=420):
                            card = gr.HTML(elem_id="cs-card", js_on_load=None)
                            gr.HTML(render_keys(), js_on_load=None, elem_id="cs-keys")
                        with gr.Column(scale=9, min_width=380):
                            with gr.Row(elem_classes="cs-buttons"):
                                accept = gr.Button("✓ Accept (A)", variant="primary", elem_id="cs-accept",
                                                   min_width=90)
                                reject = gr.Button("✗ Reject (X)", variant="stop", elem_id="cs-reject", min_width=90)
                                undo = gr.Button("↶ Undo (U)", elem_id="cs-undo", min_width=90)
                            with gr.Row(elem_classes="cs-buttons"):
                                previous = gr.Button("← Previous (P)", elem_id="cs-previous", min_width=90,
                                                     size="sm")
                                skip = gr.Button("Skip (S)", elem_id="cs-skip", min_width=90, size="sm")
                                nxt = gr.Button("Next (N) →", elem_id="cs-next", min_width=90, size="sm")
                            side = gr.HTML(elem_id="cs-side", js_on_load=None)
                            picker = gr.Dropdown([], value=None, label="Add a code (C)", filterable=True,
                                                 elem_id="cs-picker", info="type to search the codebook; Enter adds")
                    command = gr.Textbox(visible=False)

                with gr.Tab("Codebook", id="codebook") as codebook_tab:
                    table = gr.Dataframe(headers=["code", "name", "human codings", "accepted suggestions",
                                                  "description", "example quotes"],
                                         interactive=False, wrap=True, elem_id="cs-codebook",
                                         column_widths=["9%", "22%", "8%", "9%", "27%", "25%"])
                    with gr.Row():
                        code_pick = gr.Dropdown([], label="Code", filterable=True, scale=1, elem_id="cs-code-edit")
                        description = gr.Textbox(label="Description (the suggester reads it)", lines=3, scale=3,
                                                 elem_id="cs-description")
                    save = gr.Button("Save description", elem_id="cs-save-description")
                    codebook_msg = gr.HTML(js_on_load=None)

                with gr.Tab("Agreement", id="agreement") as agreement_tab:
                    agreement_summary = gr.Markdown()
                    agreement_table = gr.Dataframe(headers=["coder", "code", "name", "accepted", "rejected",
                                                            "acceptance"], interactive=False,
                                                   elem_id="cs-agreement")
                    refresh = gr.Button("Refresh", size="sm")
                    has_eval = find_spec("eval.project_eval") is not None
                    if has_eval:
                        gr.Markdown("**Evaluation**: cross-validate the suggester on this project's human codings "
                                    "(grouped by document), beside simple baselines. Takes a while on big projects.")
                        run = gr.Button("Run evaluation", elem_id="cs-run-eval")
                        eval_text = gr.Markdown()
                        eval_plots = gr.Gallery(label="Plots", columns=2, height=520, object_fit="contain")

                if find_spec("suggest.ask.answer") is not None:
                    with gr.Tab("Ask", id="ask"):
                        with gr.Row():
                            question = gr.Textbox(label="Question",
                                                  placeholder="show quotes about stigma in generic services",
                                                  scale=4, elem_id="cs-question")
                            k = gr.Slider(1, 50, value=10, step=1, label="Quotes", scale=1)
                        ask_button = gr.Button("Ask", variant="primary")
                        answer = gr.HTML(js_on_load=None, elem_id="cs-answer")
                        ask_button.click(self.ask, [question, k], answer, queue=False)
                        question.submit(self.ask, [question, k], answer, queue=False)

                with gr.Tab("Import / export", id="import"):
                    gr.Markdown("Every import is all or nothing: a file with a problem is named with its row and "
                                "field, and the project stays as it was.")
                    import_msg = gr.HTML(js_on_load=None, elem_id="cs-import-message")
                    with gr.Row():
                        with gr.Column():
                            transcripts = gr.File(label="Transcripts (.txt .docx .vtt .srt .csv .xlsx .qdpx)",
                                                  file_count="multiple", elem_id="cs-upload-transcripts", height=150)
                            transcript_attrs = gr.File(label="Attributes for them (optional, .csv .xlsx)",
                                                       elem_id="cs-upload-transcript-attributes", height=150)
                            import_transcripts = gr.Button("Import transcripts", elem_id="cs-import-transcripts")
                        with gr.Column():
                            codebook_file = gr.File(label="Codebook (.csv .xlsx .yaml .qdc)",
                                                    elem_id="cs-upload-codebook", height=150)
                            import_codebook = gr.Button("Import codebook", elem_id="cs-import-codebook")
                            attributes_file = gr.File(label="Attributes (.csv .xlsx)", elem_id="cs-upload-attributes", height=150)
                            import_attributes = gr.Button("Import attributes", elem_id="cs-import-attributes")
                        with gr.Column():
                            codings_file = gr.File(label="Codings (.csv .xlsx)", elem_id="cs-upload-codings", height=150)
                            codings_coder = gr.Textbox(label="Coder for rows without a coder column", max_lines=1)
                            skip_bad = gr.Checkbox(False, label="Import the good rows, list the bad ones")
                            import_codings = gr.Button("Import codings", elem_id="cs-import-codings")
                    with gr.Row():
                        export_csv_button = gr.Button("Export codings (.csv)", elem_id="cs-export-csv")
                        export_qdpx_button = gr.Button("Export project for NVivo/ATLAS.ti/MAXQDA (.qdpx)",
                                                       elem_id="cs-export-qdpx")
                    download = gr.File(label="Download", interactive=False, elem_id="cs-download")

            # -- wiring: review (answers within one request, no queue: the keyboard waits for nothing) ---------
            view = [card, side]
            fast = {"queue": False, "show_progress": "hidden"}
            demo.load(self.on_load, [saved_coder], [session, coder_box, *view, documents, attributes, picker], **fast)
            for button, action in ((accept, "accept"), (reject, "reject"), (undo, "undo"), (previous, "previous"),
                                   (skip, "skip"), (nxt, "next")):
                button.click(self.act, [command, session], [session, *view], trigger_mode="multiple",
                             js=f"(c, s) => [window.csCommand('{action}'), s]", **fast)
            picker.input(self.pick, [picker, session], [session, *view, picker], **fast)
            coder_box.change(None, [coder_box], [saved_coder], js="(name) => name")
            coder_box.submit(self.set_coder, [coder_box, session], [session, *view], **fast)
            coder_box.blur(self.set_coder, [coder_box, session], [session, *view], **fast)
            queue_inputs = [order, documents, attributes, include_coded, session]
            for control in (order, documents, attributes, include_coded):
                control.input(self.set_queue, queue_inputs, [session, *view], **fast)

            # -- wiring: other tabs (the slow ones, evaluation and imports, show their progress) ------------------
            codebook_tab.select(lambda: (self.codebook_table(), gr.update(choices=self.code_options())), None,
                                [table, code_pick], queue=False)
            code_pick.input(self.describe, code_pick, description, queue=False)
            save.click(self.save_description, [code_pick, description], [table, codebook_msg])
            agreement_tab.select(self.agreement, None, [agreement_table, agreement_summary], queue=False)
            refresh.click(self.agreement, None, [agreement_table, agreement_summary], queue=False)
            if has_eval:
                run.click(self.run_eval, None, [eval_text, eval_plots])
            import_transcripts.click(lambda f, a: self.import_files("transcripts", f, a),
                                     [transcripts, transcript_attrs], import_msg)
            import_codebook.click(lambda f: self.import_files("codebook", f), [codebook_file], import_msg)
            import_attributes.click(lambda f: self.import_files("attributes", f), [attributes_file], import_msg)
            import_codings.click(lambda f, c, s: self.import_files("codings", f, coder=c, skip_bad_rows=s),
                                 [codings_file, codings_coder, skip_bad], import_msg)
            export_csv_button.click(lambda: self.export("csv"), None, [download, import_msg])
            export_qdpx_button.click(lambda: self.export("qdpx"), None, [download, import_msg])
        return demo

    @staticmethod
    def launch_options() -> dict[str, Any]:
        """What keeps the app on this machine: system fonts, no footer links, no run history, no monitoring."""
        theme = gr.themes.Default(primary_hue="teal", secondary_hue="slate", neutral_hue="slate",
                                  font=SYSTEM_FONTS, font_mono=MONO_FONTS, radius_size="md")
        return {"theme": theme, "css": CSS, "head": HEAD, "footer_links": [], "run_history": False,
                "enable_monitoring": False, "ssr_mode": False, "share": False, "mcp_server": False, "pwa": False,
                "show_error": True, "max_file_size": "500mb"}


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.0f}%"


def message(text: str, *, error: bool = False) -> str:
    return f'<div class="cs-message{" cs-error" if error else ""}" role="status"><pre>{esc(text)}</pre></div>'


def _upload_names(text: str, paths: list[Path]) -> str:
    """Say the uploaded file's own name, not the temporary folder it was uploaded to."""
    for path in sorted(paths, key=lambda p: -len(str(p))):
        text = text.replace(str(path), path.name)
    return text


# -- launching ------------------------------------------------------------------------------------------------
def start(folder: str | Path, *, coder: str | None = None, host: str = "127.0.0.1", port: int = 7860,
          auth: str | None = None, block: bool = True, quiet: bool = False) -> tuple[gr.Blocks, CodingApp]:
    """Open the project and serve it; with ``block=False`` return once it is up (tests, benchmarks)."""
    credentials = check_serving(host, auth)
    project = Project.open(folder)
    try:
        app = CodingApp(project, coder=coder)
        demo = app.build()
        demo.launch(server_name=host, server_port=port, auth=credentials, prevent_thread_lock=True, quiet=True,
                    **app.launch_options())
    except BaseException:
        project.close()
        raise
    if not quiet:
        where = f"http://{'[' + host + ']' if ':' in host else host}:{demo.server_port}"
        print(f"codeseed app: {project.folder} is served at {where} "
              f"({'login required' if credentials else 'this machine only'}"
              f"{', coder ' + coder if coder else ''}). Ctrl+C stops it.", flush=True)
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
            project.close()
    return demo, app


def main(argv: list[str] | None = None) -> int:
    from codeseed_cli import main as cli

    return cli(["app", *(sys.argv[1:] if argv is None else argv)])


# -- front end: styles and keys --------------------------------------------------------------------------------
CSS = """
.gradio-container { max-width: 1320px !important; }
#cs-header { align-items: center; border-bottom: 1px solid var(--border-color-primary); padding-bottom: .4rem; }
#cs-coder { max-width: 260px; margin-left: auto; }
#cs-coder::before { content: "Coder"; font-size: .8rem; color: var(--body-text-color-subdued); }
.cs-tagline { font-size: .8rem; color: var(--body-text-color-subdued); margin-left: .5rem; }
.cs-buttons { gap: .5rem !important; }
#cs-side { margin-top: .25rem; }
.cs-brand { display: flex; align-items: baseline; gap: .75rem; padding: .25rem 0; }
.cs-logo { font-size: 1.45rem; font-weight: 700; letter-spacing: -.01em; color: var(--color-accent); }
.cs-project { font-size: 1rem; color: var(--body-text-color-subdued); }
.cs-card, .cs-side { font-size: 15px; line-height: 1.5; }
.cs-top { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
.cs-position { font-weight: 700; font-variant-numeric: tabular-nums; background: var(--color-accent-soft);
  color: var(--color-accent); border-radius: 999px; padding: .1rem .65rem; }
.cs-where { color: var(--body-text-color-subdued); }
.cs-ctx-toggle { margin-left: auto; font-size: .75rem; color: var(--body-text-color-subdued); background: none;
  border: 1px dashed var(--border-color-primary); border-radius: 999px; padding: .05rem .55rem; cursor: pointer; }
body.cs-hide-context .cs-ctx-toggle { border-style: solid; color: var(--color-accent); }
.cs-pill { font-size: .8rem; border: 1px solid var(--border-color-primary); border-radius: 999px;
  padding: .05rem .6rem; color: var(--body-text-color-subdued); }
.cs-pill.cs-done { border-color: var(--color-accent); color: var(--color-accent); }
.cs-progress { height: 6px; background: var(--border-color-primary); border-radius: 3px; margin: .6rem 0 .2rem;
  overflow: hidden; }
.cs-progress > div { height: 100%; background: var(--color-accent); }
.cs-progress-label { font-size: .8rem; color: var(--body-text-color-subdued); }
.cs-attrs { display: flex; flex-wrap: wrap; gap: .35rem; margin: .6rem 0; }
.cs-attr { font-size: .8rem; background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary);
  border-radius: 6px; padding: .05rem .45rem; }
.cs-attr i { color: var(--body-text-color-subdued); font-style: normal; }
.cs-context { font-size: .88rem; color: var(--body-text-color-subdued); border-left: 3px solid var(--border-color-primary);
  padding: .15rem 0 .15rem .75rem; margin: .35rem 0; }
.cs-turn { margin: .2rem 0; }
.cs-turn b { color: var(--body-text-color); font-weight: 600; }
.cs-interviewer { font-style: italic; }
body.cs-hide-context .cs-context { display: none; }
.cs-text { font-size: 1.12rem; line-height: 1.6; margin: .5rem 0; padding: .8rem 1rem;
  background: var(--background-fill-secondary); border-left: 4px solid var(--color-accent); border-radius: 6px; }
.cs-speaker { font-size: .78rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  color: var(--color-accent); margin-bottom: .2rem; }
.cs-codings { display: flex; flex-wrap: wrap; gap: .35rem; align-items: center; margin-top: .6rem; }
.cs-label { font-size: .8rem; color: var(--body-text-color-subdued); margin-right: .25rem; }
.cs-coding { font-size: .82rem; border-radius: 6px; padding: .1rem .5rem; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); }
.cs-coding.cs-mine { border-color: var(--color-accent); background: var(--color-accent-soft); }
.cs-coding i { color: var(--body-text-color-subdued); }
.cs-none { color: var(--body-text-color-subdued); font-size: .88rem; }
.cs-coder-line { font-size: .85rem; color: var(--body-text-color-subdued); }
.cs-warn { color: #b45309; font-weight: 600; }
.cs-msg { min-height: 1.4rem; font-size: .88rem; margin: .2rem 0 .4rem; color: var(--body-text-color); }
.cs-msg.cs-error, .cs-message.cs-error { color: #b91c1c; font-weight: 600; }
.cs-list { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column; gap: .4rem; }
.cs-sugg { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .45rem .6rem; cursor: pointer;
  background: var(--background-fill-primary); }
.cs-sugg.focused { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
.cs-sugg.accepted { background: #ecfdf5; border-color: #10b981; }
.cs-sugg.added { background: #eff6ff; border-color: #3b82f6; }
.cs-sugg.rejected { opacity: .6; }
.cs-sugg.rejected .cs-name { text-decoration: line-through; }
.cs-row { display: grid; grid-template-columns: 1.4rem 2.4rem minmax(0, 1fr) 6.2rem auto; gap: .5rem;
  align-items: center; }
.cs-key { font-size: .72rem; color: var(--body-text-color-subdued); border: 1px solid var(--border-color-primary);
  border-radius: 4px; text-align: center; }
.cs-code { font-weight: 700; font-variant-numeric: tabular-nums; }
.cs-name { font-size: .92rem; }
.cs-theme { display: block; font-size: .75rem; color: var(--body-text-color-subdued); }
.cs-score { font-variant-numeric: tabular-nums; font-size: .85rem; text-align: right; }
.cs-score small { display: block; font-size: .68rem; color: var(--body-text-color-subdued); white-space: nowrap; }
.cs-bar { display: block; height: 5px; background: var(--border-color-primary); border-radius: 3px; overflow: hidden; }
.cs-bar > span { display: block; height: 100%; background: #94a3b8; }
.cs-sugg.confident .cs-bar > span { background: var(--color-accent); }
.cs-mini { display: flex; gap: .25rem; }
.cs-mini button { border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  border-radius: 5px; width: 1.7rem; height: 1.6rem; padding: 0; cursor: pointer; font-size: .85rem; }
.cs-mini button[data-act=accept]:hover { border-color: var(--color-accent); color: var(--color-accent); }
.cs-mini button[data-act=reject]:hover { border-color: #dc2626; color: #dc2626; }
.cs-status { font-size: .8rem; font-weight: 600; }
.cs-sugg.accepted .cs-status { color: #047857; }
.cs-sugg.added .cs-status { color: #1d4ed8; }
.cs-evidence { margin: .35rem 0 0 1.9rem; font-size: .85rem; }
.cs-evidence summary { cursor: pointer; color: var(--color-accent); }
.cs-evidence ul { padding-left: 0; list-style: none; margin: .3rem 0 0; }
.cs-evidence li { margin: .35rem 0; }
.cs-evidence .cs-neg b { color: #b91c1c; }
.cs-sim { font-variant-numeric: tabular-nums; background: var(--background-fill-secondary); border-radius: 4px;
  padding: 0 .3rem; }
.cs-quote { color: var(--body-text-color-subdued); margin-top: .1rem; }
.cs-noevidence { margin: .25rem 0 0 1.9rem; font-size: .78rem; color: var(--body-text-color-subdued); }
.cs-keys { display: flex; flex-wrap: wrap; gap: .35rem .9rem; font-size: .82rem; color: var(--body-text-color-subdued);
  padding: .5rem .25rem; border-top: 1px solid var(--border-color-primary); }
.cs-keys kbd { font-family: var(--font-mono); font-size: .75rem; border: 1px solid var(--border-color-primary);
  border-bottom-width: 2px; border-radius: 4px; padding: 0 .35rem; background: var(--background-fill-secondary);
  color: var(--body-text-color); }
.cs-message pre { white-space: pre-wrap; font-family: inherit; margin: 0; padding: .6rem .8rem; border-radius: 6px;
  background: var(--background-fill-secondary); }
.cs-message.cs-error pre { background: #fef2f2; border: 1px solid #fecaca; }
.cs-quotecard { margin: .6rem 0 1rem; }
.cs-understood { font-size: .9rem; color: var(--body-text-color-subdued); }
.cs-attrs-line { font-size: .8rem; color: var(--body-text-color-subdued); }
"""

HEAD = """<script>
(() => {
  if (window.csCommand) return;
  const KEYS = {a: 'accept', x: 'reject', j: 'down', arrowdown: 'down', k: 'up', arrowup: 'up',
                n: 'next', arrowright: 'next', p: 'previous', arrowleft: 'previous', s: 'skip', u: 'undo',
                c: 'picker', '/': 'picker', e: 'evidence', t: 'context'};
  const BUTTONS = {accept: 'cs-accept', reject: 'cs-reject', next: 'cs-next', previous: 'cs-previous',
                   skip: 'cs-skip', undo: 'cs-undo'};
  const opened = new Set();
  const side = () => document.querySelector('#cs-side .cs-side');
  const rows = () => Array.from(document.querySelectorAll('#cs-side li.cs-sugg'));
  function focusRow(li) {
    rows().forEach(r => r.classList.toggle('focused', r === li));
    if (li) li.scrollIntoView({block: 'nearest'});
  }
  function move(delta) {
    const all = rows(); if (!all.length) return;
    const at = all.findIndex(r => r.classList.contains('focused'));
    focusRow(all[(at + delta + all.length) % all.length]);
  }
  function coderName() {
    const box = document.querySelector('#cs-coder textarea, #cs-coder input');
    return box ? box.value : '';
  }
  // What a button sends to the server: the action, the segment on screen, the focused code, the coder shown.
  window.csCommand = (action) => {
    const s = side();
    const order = {action: action, segment: s ? s.dataset.segment : '', coder: coderName()};
    if (action === 'accept' || action === 'reject') {
      const li = document.querySelector('#cs-side li.cs-sugg.focused');
      order.code = li ? li.dataset.code : '';
      if (li && li.classList.contains('pending') && coderName().trim()) {  // answer the eye at once
        li.classList.remove('pending'); li.classList.add(action === 'accept' ? 'accepted' : 'rejected');
        const all = rows(), at = all.indexOf(li);
        const next = all.slice(at + 1).concat(all.slice(0, at)).find(r => r.classList.contains('pending'));
        if (next) focusRow(next);
      }
    }
    return JSON.stringify(order);
  };
  // Keys that go to the server are sent one at a time, in the order pressed: a key pressed while the answer to
  // the last one is on its way waits for it (so U after X undoes that X, and A acts on the line now focused).
  const waiting = [];
  let busySince = 0;
  function send(action) {
    if (busySince && performance.now() - busySince < 5000) { waiting.push(action); return; }
    busySince = performance.now();
    window.csKeyAt = busySince;
    window.csKeyAction = action;
    document.getElementById(BUTTONS[action]).click();
  }
  function answered() {
    busySince = 0;
    if (waiting.length) send(waiting.shift());
  }
  function typing(t) {  // keys typed into a text field are the field's; a radio or checkbox keeps letters free
    if (!t) return false;
    if (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') return true;
    return t.tagName === 'INPUT' && !['radio', 'checkbox', 'button', 'submit', 'range'].includes(t.type);
  }
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.altKey || e.metaKey) return;
    if (typing(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    const key = e.key.toLowerCase();
    if (key.startsWith('arrow') && e.target && e.target.closest &&
        (e.target.closest('[role=tablist]') || e.target.tagName === 'INPUT')) return;  // their own arrows
    const action = e.ctrlKey ? (key === 'z' ? 'undo' : null) : (KEYS[key] || (/^[1-9]$/.test(key) ? 'nth' : null));
    const panel = document.getElementById('cs-side');
    if (!action || !panel || panel.offsetParent === null) return;
    e.preventDefault();
    if (BUTTONS[action]) { send(action); return; }
    if (action === 'down') move(1);
    else if (action === 'up') move(-1);
    else if (action === 'nth') { const li = rows()[Number(key) - 1]; if (li) focusRow(li); }
    else if (action === 'picker') {
      const input = document.querySelector('#cs-picker input');
      if (input) { input.focus(); input.click(); }
    } else if (action === 'evidence') {
      const d = document.querySelector('#cs-side li.cs-sugg.focused details');
      if (d) d.open = !d.open;
    } else if (action === 'context') document.body.classList.toggle('cs-hide-context');
  });
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('.cs-ctx-toggle')) { document.body.classList.toggle('cs-hide-context'); return; }
    const li = e.target.closest && e.target.closest('#cs-side li.cs-sugg');
    if (!li) return;
    const act = e.target.closest('button[data-act]');
    if (!e.target.closest('summary')) focusRow(li);
    if (act) { e.preventDefault(); send(act.dataset.act); }
  });
  document.addEventListener('toggle', (e) => {
    const d = e.target;
    if (d.classList && d.classList.contains('cs-evidence')) {
      if (d.open) opened.add(d.dataset.key); else opened.delete(d.dataset.key);
    }
  }, true);
  // After every render: keep evidence open where the coder opened it; note when new content arrived.
  let lastRender = null;
  new MutationObserver(() => {
    const s = side();
    if (!s || s.dataset.render === lastRender) return;
    lastRender = s.dataset.render;
    document.querySelectorAll('#cs-side details.cs-evidence').forEach(d => { d.open = opened.has(d.dataset.key); });
    window.csRender = {render: s.dataset.render, token: s.dataset.token, segment: s.dataset.segment,
                       at: performance.now(), key: window.csKeyAt || null, action: window.csKeyAction || null};
    answered();
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
</script>"""


if __name__ == "__main__":
    sys.exit(main())
