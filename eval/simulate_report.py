"""The effort simulation's report: a Markdown table with both queue orders side by side, the figures as JSON,
and one PNG (keys against segments coded; the share of true codes in the top 3 and at rank 1 beside codebook
matching). Plots use matplotlib's Agg backend: no display, no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .simulate import curves, records_as_dicts

MAX_POINTS = 250  # per line in the plot
ORDER_LABELS = {"document": "document order", "uncertain": "least confident first"}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _at(x: int | None, first: int) -> str:
    """Where the suggester first beats codebook matching; ``first``: where the first full window ends."""
    if x is None:
        return "not within the pass"
    return f"{x} segments coded" + (" (the first full window)" if x == first else "")


def summary_rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary table: one column per queue order, then coding by hand."""
    runs = result["runs"]
    orders = list(runs)
    s = {o: runs[o]["summary"] for o in orders}
    first, seed = s[orders[0]], result["seed"]
    header = ["", *(ORDER_LABELS.get(o, o) for o in orders), "by hand"]

    def row(label: str, cell, hand: str = "") -> list[str]:
        return [label, *(cell(s[o]) for o in orders), hand]

    rows = [
        row("segments simulated", lambda x: str(x["segments"]), str(first["segments"])),
        row("keys per segment", lambda x: _num(x["keys_per_segment"]), _num(first["hand_keys_per_segment"])),
        row("keys saved", lambda x: _pct(x["keys_saved"]), "–"),
        row("decisions per segment", lambda x: _num(x["decisions_per_segment"]),
            _num(first["hand_decisions_per_segment"])),
        row("… accepted / rejected / added", lambda x: " / ".join(_num(x[k]) for k in (
            "accepted_per_segment", "rejected_per_segment", "added_per_segment")),
            f"0 / 0 / {_num(first['hand_decisions_per_segment'])}"),
        row("true codes accepted from the list", lambda x: _pct(x["true_codes_accepted"]), "–"),
        row("true codes in the top 3 (codebook matching)",
            lambda x: f"{_pct(x['top3'])} ({_pct(x['codebook_top3'])})", "–"),
        row("rank 1 is a true code (codebook matching)",
            lambda x: f"{_pct(x['top1'])} ({_pct(x['codebook_top1'])})", "–"),
        row("top 3 first beats codebook matching at",
            lambda x: _at(x["beats_codebook_top3_at"], seed + min(x["window"], x["segments"])), "–"),
        row("rank 1 first beats codebook matching at",
            lambda x: _at(x["beats_codebook_top1_at"], seed + min(x["window"], x["segments"])), "–"),
    ]
    return header, rows


def summary_table(result: dict[str, Any]) -> str:
    header, rows = summary_rows(result)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(result: dict[str, Any], plot: str | None = None) -> str:
    window = next(iter(result["runs"].values()))["summary"].get("window")
    parts = [f"# Effort simulation: {result['name']}", "",
             f"A simulated coder goes through the review queue after a seed of {result['seed']} coded segments; "
             f"the suggester learns from each decision as in the app"
             + (f" and is fitted again every {result['refit_every']} segments (as restarting the app would)"
                if result.get("refit_every") else ", which fits it once, when it starts")
             + f". Lines acted on: {result['shown']} "
             "(see docs/benchmarks.md, *Effort simulation*, for the definitions).", "",
             summary_table(result), ""]
    if window:
        parts += [f"\"First beats\": the first point where the share over the last {window} segments exceeds codebook "
                  "matching's on the same segments.", ""]
    parts += [f"- {note}" for note in result.get("notes", [])]
    if plot:
        parts += ["", f"![effort against segments coded]({plot})"]
    return "\n".join(parts) + "\n"


def to_json(result: dict[str, Any]) -> str:
    runs = {o: {"summary": r["summary"], "records": records_as_dicts(r["records"])} for o, r in result["runs"].items()}
    return json.dumps({**{k: v for k, v in result.items() if k != "runs"}, "runs": runs}, indent=2, default=str)


def plot(result: dict[str, Any], path: Path) -> None:
    """Per queue order (columns): cumulative keys with the suggester and by hand; trailing-window share of true
    codes in the top 3 and at rank 1, beside codebook matching."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    orders = list(result["runs"])
    fig, axes = plt.subplots(2, len(orders), figsize=(5.2 * len(orders), 6.4), squeeze=False, sharex="col")
    for col, order in enumerate(orders):
        run = result["runs"][order]
        c = _thin(curves(run["records"], run["summary"]["window"]))
        top, bottom = axes[0][col], axes[1][col]
        top.plot(c["coded"], c["hand_keys"], color="grey", label="coding by hand")
        top.plot(c["coded"], c["keys"], color="tab:blue", label="with the suggester")
        top.set_title(f"{ORDER_LABELS.get(order, order)}: keys (cumulative)", fontsize=10)
        top.set_ylabel("keys")
        top.legend(fontsize=8, loc="upper left")
        for key, colour, style, label in (("top3", "tab:blue", "-", "suggester: top 3"),
                                          ("codebook_top3", "tab:orange", "-", "codebook matching: top 3"),
                                          ("top1", "tab:blue", ":", "suggester: rank 1"),
                                          ("codebook_top1", "tab:orange", ":", "codebook matching: rank 1")):
            points = [(x, y) for x, y in zip(c["coded"], c[key]) if y is not None]
            if points:
                bottom.plot(*zip(*points), color=colour, linestyle=style, label=label)
        bottom.set_ylim(0, 1.02)
        bottom.set_title(f"true codes found (last {run['summary']['window']} segments)", fontsize=10)
        bottom.set_xlabel("segments coded (seed included)")
        bottom.legend(fontsize=7, loc="lower right")
    refit = f", refitted every {result['refit_every']}" if result.get("refit_every") else ""
    fig.suptitle(f"{result['name']}: seed {result['seed']}{refit}, lines acted on: {result['shown']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    _shrink(path)


def _shrink(path: Path) -> None:
    """A few flat colours: a 64-colour palette keeps the picture and makes the file a third of the size."""
    from PIL import Image  # matplotlib's own dependency

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64)
    small.save(path, optimize=True)


def _thin(c: dict[str, list], most: int = MAX_POINTS) -> dict[str, list]:
    """Every k-th point (and the last), so a long pass makes a small picture."""
    n = len(c["coded"])
    step = max(1, -(-n // most))
    keep = sorted(set(range(0, n, step)) | {n - 1}) if n else []
    return {key: [values[i] for i in keep] for key, values in c.items()}


def write_simulation_report(result: dict[str, Any], out: Path | str) -> dict[str, Path]:
    """``simulation.md``, ``simulation.json`` and ``simulation.png`` in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "simulation.md", "json": out / "simulation.json", "plot": out / "simulation.png"}
    plot(result, paths["plot"])
    paths["json"].write_text(to_json(result), encoding="utf-8")
    paths["markdown"].write_text(markdown(result, paths["plot"].name), encoding="utf-8")
    return paths
