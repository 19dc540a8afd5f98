"""Write an evaluation result as Markdown, JSON and PNG plots, and summarise it as a text table.

The report's rooms: :mod:`eval.report_text` (number formatting, JSON, the stdout summary table),
:mod:`eval.report_markdown` (the sections of report.md), :mod:`eval.report_plots` (the PNGs).

Files written into the output folder:

``report.md``           everything a reader needs, with the definitions of the figures
``results.json``        the full result (NaN written as null)
``per_code.png``        per-code F1 and kappa of the suggester with 95% group-bootstrap intervals
``confusion.png``       true code vs the suggester's top-1 code (row-normalised)
``learning_curve.png``  micro-F1 and hit@1 against examples per code
``reliability.png``     reliability diagram of the top-1 score (methods with probability-like scores)

Plots use matplotlib's Agg backend and its bundled font: no display, no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .report_markdown import markdown
from .report_plots import plot_confusion, plot_learning_curve, plot_per_code, plot_reliability
from .report_text import summary_table, to_json

__all__ = ["write_report", "summary_table", "to_json", "markdown"]


def write_report(result: dict[str, Any], out: Path | str) -> dict[str, Path]:
    """Write report.md, results.json and the plots into ``out`` (created if needed); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    plots: dict[str, str] = {}
    s = result["methods"].get("suggester")
    names = {c: n for c, n in ((r["code"], r.get("name") or r["code"]) for r in (s or {}).get("per_code", []))}
    if s:
        plot_per_code(s, out / "per_code.png")
        plots["per-code F1 and κ"] = "per_code.png"
        if s.get("confusion"):
            plot_confusion(s, names, out / "confusion.png")
            plots["confusion"] = "confusion.png"
    if result.get("learning_curve"):
        plot_learning_curve(result, out / "learning_curve.png")
        plots["learning curve"] = "learning_curve.png"
    if any(m.get("reliability") for m in result["methods"].values()):
        plot_reliability(result, out / "reliability.png")
        plots["reliability"] = "reliability.png"
    for file in plots.values():
        written[file.removesuffix(".png")] = out / file
    (out / "results.json").write_text(to_json(result) + "\n", encoding="utf-8")
    written["json"] = out / "results.json"
    (out / "report.md").write_text(markdown(result, plots), encoding="utf-8")
    written["markdown"] = out / "report.md"
    return written
