"""The Agreement tab: acceptance of suggestions per coder and code from the decision log, and (when ``eval`` is
installed) a cross-validation of the suggester on the project's human codings."""

from __future__ import annotations

import time
from importlib.util import find_spec
from typing import Any

import gradio as gr

from index.errors import CodeseedError
from index.project import Project

from ..render import message, percent
from .base import Tab

HEADERS = ["coder", "code", "name", "accepted", "rejected", "acceptance"]
PLOTS = ("per_code.png", "learning_curve.png", "reliability.png", "confusion.png")


# -- handlers -------------------------------------------------------------------------------------------------
def acceptance_rows(decisions: list[dict], names: dict[str, str]) -> tuple[list[list[Any]], str]:
    """Per coder and code, then per coder: accepted, rejected, acceptance; and a summary line. Pure."""
    from eval.decisions import acceptance, acceptance_by, standing

    live = standing(decisions)
    suggested = [r for r in live if r.get("score") is not None]  # decisions on suggestions, not picked codes
    picked: dict[str, int] = {}
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


def agreement(app):
    try:
        with app.lock:
            decisions = app.project.store.decisions()
            names = {c.id: c.name for c in app.project.store.codes()}
        return acceptance_rows(decisions, names)
    except CodeseedError as exc:
        return gr.update(), f"**Error**: {exc}"


def run_eval(app):
    from eval.project_eval import run_project_eval
    from eval.report import summary_table

    out = app.project.folder / "eval"
    began = time.perf_counter()
    try:  # its own connection: the review goes on while the evaluation reads (SQLite WAL)
        with Project.open(app.project.folder) as other:
            with app.lock:
                other.use_encoder(app.project.encoder)
            result = run_project_eval(other, out=out, n_boot=200)
    except CodeseedError as exc:
        return message(str(exc), error=True), []
    plots = [(str(out / f), f.removesuffix(".png").replace("_", " ")) for f in PLOTS if (out / f).exists()]
    text = (f"```\n{summary_table(result)}\n```\n\nFull report: `{out / 'report.md'}` "
            f"({time.perf_counter() - began:.0f} s).")
    return text, plots


# -- layout and wiring ----------------------------------------------------------------------------------------
def build(app, shell, tab) -> None:
    summary = gr.Markdown()
    rows = gr.Dataframe(headers=HEADERS, interactive=False, elem_id="cs-agreement")
    refresh = gr.Button("Refresh", size="sm")
    for event in (tab.select, refresh.click):
        event(lambda: agreement(app), None, [rows, summary], queue=False)
    if find_spec("eval.project_eval") is not None:
        gr.Markdown("**Evaluation**: cross-validate the suggester on this project's human codings (grouped by "
                    "document), beside simple baselines. Takes a while on big projects.")
        run = gr.Button("Run evaluation", elem_id="cs-run-eval")
        text = gr.Markdown()
        plots = gr.Gallery(label="Plots", columns=2, height=520, object_fit="contain")
        run.click(lambda: run_eval(app), None, [text, plots])


TAB = Tab("agreement", "Agreement", build)
