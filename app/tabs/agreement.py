"""The Agreement tab: coders compared live (every pair on the segments both reviewed: Cohen's kappa, Krippendorff's
alpha, Gwet's AC1, percent agreement, per code and per document, with 95% document-bootstrap intervals, and the
suggester beside each coder; :mod:`eval.team_agreement`), acceptance of suggestions per coder and code from the
decision log, and (when ``eval`` is installed) a cross-validation of the suggester on the project's human codings."""

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
PAIR_HEADERS = ["coders", "code", "segments", "κ", "κ 95%", "α", "α 95%", "AC1", "AC1 95%", "agreement",
                "agreement 95%"]
DOCUMENT_HEADERS = ["coders", "document", "segments", "κ", "α", "AC1", "agreement"]
BOOTSTRAP = 200  # live: enough for a stable interval in a second or two
UNCODED_NOTE = ("Segments both coders reviewed, **including those both left without a code** (default): a "
                "\"no code applies\" is a judgement too, and text nobody reviewed never counts. Untick to keep only "
                "segments at least one coder coded, as tools that cannot tell \"not coded\" from \"no code "
                "applies\" report.")
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


def _fig(value: float) -> str:
    return "–" if value != value else f"{value:.2f}"


def _range(low: float, high: float) -> str:
    return "–" if low != low else f"{low:.2f} to {high:.2f}"


def pair_rows(results: list[dict], names: dict[str, str]) -> tuple[list[list[Any]], list[list[Any]], str]:
    """The pairs table (overall, then per code), the per-document table and the summary. Pure."""
    rows, documents, lines = [], [], []
    for result in results:
        pair = " · ".join(result["coders"])
        for label, figures in [("all codes (mean)", result["overall"])] + [
                (f"{e['code']} {names.get(e['code'], '')}".strip(), e) for e in result["per_code"]]:
            rows.append([pair, label, result["units"]] + [x for name in ("kappa", "alpha", "ac1", "percent")
                                                          for x in (_fig(figures[name][0]), _range(*figures[name][1:]))])
        for d in result["per_document"]:
            documents.append([pair, d["document"], d["units"], _fig(d["kappa"]), _fig(d["alpha"]), _fig(d["ac1"]),
                              _fig(d["percent"])])
        left = f"; {result['uncoded_left_out']} left out, neither coded" if result["uncoded_left_out"] else ""
        lines.append(f"- **{pair}**: {result['units']} segments both reviewed{left}.")
        for row in result["suggester"] or []:
            lines.append(f"  - {row['coder']} vs the other coder κ {_fig(row['kappa_humans'])}; vs the suggester "
                         f"(fitted before the round) κ {_fig(row['kappa_suggester'])}, on {row['units']} segments")
    if not results:
        lines.append("No two coders have reviewed a segment in common yet. Start a blind round in the **Team** tab "
                     "(or `codeseed round start PROJECT --coders ana,ben`).")
    return rows, documents, "\n".join([UNCODED_NOTE, ""] + lines)


def pairwise(app, include_uncoded: bool):
    from eval.team_agreement import project_agreement

    try:
        predicted = app.round_predictions()
        with app.lock:
            results = project_agreement(app.project, include_uncoded=bool(include_uncoded), n_boot=BOOTSTRAP,
                                        predicted=predicted)
            names = {c.id: c.name for c in app.project.store.codes()}
        return pair_rows(results, names)
    except CodeseedError as exc:
        return gr.update(), gr.update(), f"**Error**: {exc}"


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
    gr.Markdown("**Coders compared** on the segments both reviewed (95% intervals resample whole documents).")
    uncoded = gr.Checkbox(value=True, label="Include segments both left without a code", elem_id="cs-uncoded")
    pairs_summary = gr.Markdown(elem_id="cs-pairs-summary")
    pairs = gr.Dataframe(headers=PAIR_HEADERS, interactive=False, elem_id="cs-pairs")
    documents = gr.Dataframe(headers=DOCUMENT_HEADERS, interactive=False, elem_id="cs-pair-documents",
                             label="Per document")
    for event in (tab.select, uncoded.change):
        event(lambda u: pairwise(app, u), uncoded, [pairs, documents, pairs_summary], queue=False)
    gr.Markdown("**Suggestions accepted and rejected**, from the decision log.")
    summary = gr.Markdown()
    rows = gr.Dataframe(headers=HEADERS, interactive=False, elem_id="cs-agreement")
    refresh = gr.Button("Refresh", size="sm")
    for event in (tab.select, refresh.click):
        event(lambda: agreement(app), None, [rows, summary], queue=False)
    refresh.click(lambda u: pairwise(app, u), uncoded, [pairs, documents, pairs_summary], queue=False)
    if find_spec("eval.project_eval") is not None:
        gr.Markdown("**Evaluation**: cross-validate the suggester on this project's human codings (grouped by "
                    "document), beside simple baselines. Takes a while on big projects.")
        run = gr.Button("Run evaluation", elem_id="cs-run-eval")
        text = gr.Markdown()
        plots = gr.Gallery(label="Plots", columns=2, height=520, object_fit="contain")
        run.click(lambda: run_eval(app), None, [text, plots])


TAB = Tab("agreement", "Agreement", build)
