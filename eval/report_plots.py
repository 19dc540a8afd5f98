"""The report's PNG plots, drawn with matplotlib's Agg backend and its bundled font (no display, no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .report_text import fmt, number, ordered_methods

__all__ = ["plot_per_code", "plot_confusion", "plot_learning_curve", "plot_reliability"]


def _save(plt, fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_per_code(s: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    rows = sorted(s["per_code"], key=lambda r: r["support"])
    labels = [f"{(r.get('name') or r['code'])[:40]} ({r['support']})" for r in rows]
    y = np.arange(len(rows))
    fig, axes = plt.subplots(1, 2, figsize=(11, max(3.0, 0.28 * len(rows) + 1.2)), sharey=True)
    for ax, key, title in ((axes[0], "f1", "F1"), (axes[1], "kappa", "Cohen κ")):
        values = np.array([number(r[key]) if number(r[key]) is not None else np.nan for r in rows])
        ci = [r.get(f"{key}_ci") or [None, None] for r in rows]
        low = np.array([values[i] - number(c[0]) if number(c[0]) is not None else 0 for i, c in enumerate(ci)])
        high = np.array([number(c[1]) - values[i] if number(c[1]) is not None else 0 for i, c in enumerate(ci)])
        ax.barh(y, np.nan_to_num(values), color="#4C72B0")
        ax.errorbar(np.nan_to_num(values), y, xerr=[np.clip(np.nan_to_num(low), 0, None),
                                                    np.clip(np.nan_to_num(high), 0, None)],
                    fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        ax.set_xlim(min(0.0, float(np.nanmin(values)) if np.isfinite(values).any() else 0.0) - 0.02, 1.0)
        ax.set_title(f"{title} per code (95% group-bootstrap CI)", fontsize=10)
        ax.axvline(0, color="grey", linewidth=0.5)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(labels, fontsize=7)
    _save(plt, fig, path)


def plot_confusion(s: dict[str, Any], names: dict[str, str], path: Path) -> None:
    plt = _pyplot()
    confusion = s["confusion"]
    matrix = np.asarray(confusion["matrix"], dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    normalised = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    labels = [names.get(c, c)[:30] for c in confusion["codes"]]
    size = max(4.0, 0.22 * len(labels) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    fontsize = 8 if len(labels) <= 15 else 5
    ax.set_xticklabels(labels, rotation=90, fontsize=fontsize)
    ax.set_yticklabels(labels, fontsize=fontsize)
    ax.set_xlabel("suggester's top-1 code")
    ax.set_ylabel("true code")
    ax.set_title("True code vs top-1 suggestion (share of the true code's segments)", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    _save(plt, fig, path)


def plot_learning_curve(result: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    lc = result["learning_curve"]
    points = lc["points"]
    x = np.arange(len(points))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for key, style in (("micro_f1", "o-"), ("hit@1", "s-"), ("hit@3", "^--")):
        line, = ax.plot(x, [number(p[key]) if number(p[key]) is not None else np.nan for p in points], style, label=key)
        ranges = [p.get(f"{key}_range") or [np.nan, np.nan] for p in points]
        ax.fill_between(x, [number(r[0]) if number(r[0]) is not None else np.nan for r in ranges],
                        [number(r[1]) if number(r[1]) is not None else np.nan for r in ranges],
                        color=line.get_color(), alpha=0.15, linewidth=0)
    zero = result["methods"].get("zero_shot")
    if zero and number(zero.get("hit@1")) is not None:
        ax.axhline(zero["hit@1"], color="grey", linestyle=":", label="hit@1 codebook matching (no examples)")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{p['examples_per_code']}\n({p['training_segments']:.0f})" for p in points], fontsize=8)
    ax.set_xlabel("examples per code (training segments)")
    ax.set_ylim(0, 1)
    ax.set_title("Suggester learning curve", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    _save(plt, fig, path)


def plot_reliability(result: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name in ordered_methods(result):
        m = result["methods"][name]
        if not m.get("reliability"):
            continue
        bins = [b for b in m["reliability"] if b["count"]]
        ax.plot([b["mean_score"] for b in bins], [b["accuracy"] for b in bins], "o-" if name == "suggester" else ".--",
                label=f"{m['label']} (ECE {fmt(m['ece'], 2)})", linewidth=2 if name == "suggester" else 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("top-1 score (bin mean)")
    ax.set_ylabel("share of top-1 codes that are right")
    ax.set_title("Reliability of the top-1 score", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    _save(plt, fig, path)
