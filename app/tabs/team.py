"""The Team tab: blind coding rounds (start, who has reviewed how much, close) and reconciliation: the segments
the round's coders coded differently, each coder's codes and the suggester's, where the team picks the agreed codes.
Agreed codes are stored under the coder ``consensus`` with their decisions (:mod:`suggest.reconcile`); nobody's
codings change. Each coder and the consensus are exported like any coder (Import / export tab)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from index.errors import CodeseedError
from index.rounds import CONSENSUS, all_rounds, close_round, current_round, progress, start_round

from ..render import message
from .base import Tab

HEADERS = ["segment", "document", "text", "codes by coder", "suggester", "agreed"]


# -- handlers -------------------------------------------------------------------------------------------------
def round_text(store) -> str:
    found = current_round(store)
    if found is None:
        done = len(all_rounds(store))
        return f"No round is open ({done} closed)." if done else "No round yet."
    where = ", ".join(found.documents) if found.documents else "all documents"
    lines = [f"**Round {found.id} is open** (blind): {len(found.segment_ids)} segments of {where}, each coded by "
             f"{', '.join(found.coders)}. Each coder sees only their own work; their suggestions learn only from it "
             "and from the codings made before the round."]
    lines += [f"- {p['coder']}: reviewed {p['reviewed']} of {p['total']}" for p in progress(store, found)]
    return "\n".join(lines)


def default_coders(store) -> list[str]:
    rounds = all_rounds(store)
    return list(rounds[-1].coders) if rounds else []


def on_select(app):
    try:
        with app.lock:
            store = app.project.store
            coders = sorted(({c["coder"] for c in store.codings()} | {d["coder"] for d in store.decisions()})
                            - {CONSENSUS})
            documents = [d["name"] for d in store.documents()]
            text, chosen = round_text(store), default_coders(store)
        rows, segments = disagreement_rows(app, chosen)
        return (text, gr.update(choices=documents), gr.update(choices=coders, value=chosen), rows,
                gr.update(choices=segments, value=segments[0][1] if segments else None), "")
    except CodeseedError as exc:
        return (gr.update(),) * 5 + (message(str(exc), error=True),)


def start(app, coders: str, documents: list[str] | None):
    try:
        with app.lock:
            found = start_round(app.project.store, coders or "", documents or None)
            text = round_text(app.project.store)
        return text, message(f"Started round {found.id}. Each coder opens the Review tab under their name.")
    except CodeseedError as exc:
        return gr.update(), message(str(exc), error=True)


def close(app):
    try:
        with app.lock:
            found = close_round(app.project.store)
            app.suggester.fit()  # the shared suggester learns the round's codings (open review tabs follow)
            text = round_text(app.project.store)
        return text, message(f"Closed round {found.id}: compare in the Agreement tab, then reconcile below.")
    except CodeseedError as exc:
        return gr.update(), message(str(exc), error=True)


def disagreement_rows(app, coders: list[str] | None) -> tuple[list[list[Any]], list[tuple[str, int]]]:
    from suggest.reconcile import disagreements

    if not coders or len(coders) < 2:
        return [], []
    predicted = app.round_predictions()
    with app.lock:
        rows = disagreements(app.project.store, list(coders), suggested=predicted)

    def codes(found) -> str:
        return ", ".join(sorted(found)) or "no code"

    table = [[r.segment_id, r.document, r.text[:300], " · ".join(f"{c}: {codes(v)}" for c, v in r.codes.items()),
              codes(r.suggested) if predicted is not None else "", "" if r.agreed is None else codes(r.agreed)]
             for r in rows]
    choices = [(f"{r.segment_id} · {r.document}{' (agreed)' if r.agreed is not None else ''}", r.segment_id)
               for r in rows]
    return table, choices


def refresh(app, coders: list[str] | None, note: str = ""):
    try:
        rows, segments = disagreement_rows(app, coders)
    except CodeseedError as exc:
        return gr.update(), gr.update(), message(str(exc), error=True)
    return rows, gr.update(choices=segments), note


def agree(app, coders: list[str] | None, segment: int | None, codes: list[str] | None):
    from suggest.reconcile import reconcile

    if segment is None:
        return gr.update(), gr.update(), message("Choose a segment to reconcile.", error=True)
    try:
        with app.lock:
            reconcile(app.suggester, int(segment), codes or [], coders=list(coders or []))
        what = ", ".join(sorted(codes)) if codes else "no code applies"
        return refresh(app, coders, message(f"Agreed on segment {segment}: {what} (stored under {CONSENSUS})."))
    except CodeseedError as exc:
        return gr.update(), gr.update(), message(str(exc), error=True)


def undo(app, coders: list[str] | None):
    from suggest.reconcile import undo_last

    try:
        with app.lock:
            taken = undo_last(app.suggester)
        note = "Nothing to undo." if taken is None else f"Undone: the agreement on segment {taken[0]}."
        return refresh(app, coders, message(note))
    except CodeseedError as exc:
        return gr.update(), gr.update(), message(str(exc), error=True)


def code_options(app) -> list[tuple[str, str]]:
    with app.lock:
        return [(f"{c.id}  {c.name}", c.id) for c in app.project.store.codes()]


# -- layout and wiring ----------------------------------------------------------------------------------------
def build(app, shell, tab) -> None:
    status = gr.Markdown(elem_id="cs-round-status")
    with gr.Row():
        coders_box = gr.Textbox(label="Round coders", placeholder="ana, ben", scale=2, elem_id="cs-round-coders")
        documents = gr.Dropdown([], multiselect=True, label="Documents (empty: all)", scale=3)
        start_button = gr.Button("Start round", scale=1, elem_id="cs-round-start")
        close_button = gr.Button("Close round", scale=1, elem_id="cs-round-close")
    gr.Markdown("**Reconcile**: the segments these coders coded differently. Pick the agreed codes (none: no code "
                f"applies); they are stored under *{CONSENSUS}*, and nobody's codings change.")
    coders = gr.Dropdown([], multiselect=True, label="Coders compared", elem_id="cs-reconcile-coders")
    rows = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True, elem_id="cs-disagreements")
    with gr.Row():
        segment = gr.Dropdown([], label="Segment", scale=1, elem_id="cs-reconcile-segment")
        agreed = gr.Dropdown(code_options(app), multiselect=True, label="Agreed codes", scale=3,
                             elem_id="cs-reconcile-codes")
        agree_button = gr.Button("Agree", variant="primary", scale=1, elem_id="cs-reconcile-agree")
        undo_button = gr.Button("Undo", scale=1, elem_id="cs-reconcile-undo")
    note = gr.HTML(js_on_load=None, elem_id="cs-team-note")
    tab.select(lambda: on_select(app), None, [status, documents, coders, rows, segment, note], queue=False)
    start_button.click(lambda c, d: start(app, c, d), [coders_box, documents], [status, note], queue=False)
    close_button.click(lambda: close(app), None, [status, note], queue=False)
    coders.change(lambda c: refresh(app, c), coders, [rows, segment, note], queue=False)
    agree_button.click(lambda c, s, a: agree(app, c, s, a), [coders, segment, agreed], [rows, segment, note],
                       queue=False)
    undo_button.click(lambda c: undo(app, c), coders, [rows, segment, note], queue=False)


TAB = Tab("team", "Team", build)
