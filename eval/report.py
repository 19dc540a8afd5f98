"""Write an evaluation result as Markdown, JSON and PNG plots, and summarise it as a text table.

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

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["write_report", "summary_table", "to_json", "markdown"]

METHOD_ORDER = ("suggester", "tfidf_svm", "knn", "zero_shot", "most_frequent")


def _num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _f(x: Any, digits: int = 3) -> str:
    v = _num(x)
    return "–" if v is None else f"{v:.{digits}f}"


def _ci(pair: Any, digits: int = 3) -> str:
    if not pair or _num(pair[0]) is None or _num(pair[1]) is None:
        return ""
    return f" [{pair[0]:.{digits}f}, {pair[1]:.{digits}f}]"


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) or math.isinf(float(value)) else float(value)
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


def to_json(result: dict[str, Any]) -> str:
    """The result as strict JSON (NaN and infinities become null)."""
    return json.dumps(_clean(result), indent=2, ensure_ascii=False, allow_nan=False)


def _methods(result: dict[str, Any]) -> list[str]:
    names = list(result["methods"])
    return sorted(names, key=lambda n: METHOD_ORDER.index(n) if n in METHOD_ORDER else len(METHOD_ORDER))


# -- the stdout table ------------------------------------------------------------------------------------
def summary_table(result: dict[str, Any]) -> str:
    """Methods side by side (suggester first): the headline figures with their 95% intervals."""
    d = result["dataset"]
    head = (f"{d['name']}: {d['tested_segments']} segments tested of {d['segments']}, {d['codes']} codes, "
            f"{d['groups']} groups; {d['split']}")
    columns = ["method", "micro-F1 [95% CI]", "macro-F1", "mean κ", "hit@1 [95% CI]", "hit@3 [95% CI]",
               "MRR", "coverage", "hit@1 cov.", "ECE", "s/fold"]
    rows = []
    for name in _methods(result):
        m = result["methods"][name]
        per_fold = m.get("seconds_per_fold") or []
        rows.append([m["label"], _f(m["micro_f1"]) + _ci(m.get("micro_f1_ci")), _f(m["macro_f1"]),
                     _f(m["mean_kappa"]), _f(m["hit@1"]) + _ci(m.get("hit@1_ci")),
                     _f(m["hit@3"]) + _ci(m.get("hit@3_ci")), _f(m["mrr"]), _f(m["coverage"]),
                     _f(m["hit@1_covered"]), _f(m["ece"]),
                     _f(sum(per_fold) / len(per_fold), 1) if per_fold else "–"])
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
    lines = [head, "  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


# -- Markdown ------------------------------------------------------------------------------------------------
def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def markdown(result: dict[str, Any], plots: dict[str, str] | None = None) -> str:
    plots = plots or {}
    d = result["dataset"]
    spec = result.get("spec") or {}
    lines = [f"# Evaluation: {d['name']}", ""]
    if spec.get("description"):
        lines += [spec["description"].strip(), ""]
    lines += [f"- segments: {d['segments']} ({d['tested_segments']} tested), codes: {d['codes']}, "
              f"groups: {d['groups']}, codes per segment: {d['codes_per_segment']:.2f}, "
              f"segments without a code: {d['uncoded_segments']}",
              f"- split: {d['split']} ({d['folds']} folds)",
              f"- codebook prototypes: {'yes' if d.get('prototypes') else 'no'}"]
    if spec.get("file"):
        lines.append(f"- spec: `{spec['file']}`, data: `{spec.get('data')}`")
    if spec.get("project"):
        lines.append(f"- project: `{spec['project']}`")
    for note in result.get("notes") or []:
        lines.append(f"- {note}")
    timing = result.get("timing") or {}
    if timing:
        parts = [f"{k.replace('_seconds', '').replace('_', ' ')} {v:.1f} s" for k, v in timing.items()
                 if k.endswith("_seconds") and _num(v) is not None]
        if "segments_encoded" in timing:
            parts.append(f"{timing['segments_encoded']} segments newly encoded")
        if timing.get("encoder"):
            parts.append(f"encoder {timing['encoder']}")
        lines.append("- time: " + ", ".join(parts))
    lines += ["", "## Suggester and baselines (same folds)", ""]
    header = ["method", "micro-F1 [95% CI]", "macro-F1", "mean κ", "hit@1 [95% CI]", "hit@3 [95% CI]", "hit@5",
              "MRR", "coverage", "hit@1 covered", "ECE", "seconds (all folds)"]
    rows = []
    for name in _methods(result):
        m = result["methods"][name]
        rows.append([f"**{m['label']}**" if name == "suggester" else m["label"],
                     _f(m["micro_f1"]) + _ci(m.get("micro_f1_ci")), _f(m["macro_f1"]), _f(m["mean_kappa"]),
                     _f(m["hit@1"]) + _ci(m.get("hit@1_ci")), _f(m["hit@3"]) + _ci(m.get("hit@3_ci")),
                     _f(m["hit@5"]), _f(m["mrr"]), _f(m["coverage"]), _f(m["hit@1_covered"]), _f(m["ece"]),
                     _f(m.get("seconds"), 1)])
    lines += _table(header, rows)
    any_m = next(iter(result["methods"].values()))
    lines += ["", f"Intervals: 95% percentile bootstrap resampling the {any_m.get('bootstrap_groups')} groups "
              f"({any_m.get('n_boot')} replicates, seed 0). Ranking figures (hit@k, MRR, coverage) are over the "
              f"{any_m.get('ranked_segments')} tested segments with at least one true code."]
    uncoded = [(result["methods"][n]["label"], result["methods"][n].get("abstained_on_uncoded"))
               for n in _methods(result) if result["methods"][n].get("abstained_on_uncoded") is not None]
    if uncoded:
        lines += ["", "Segments without any true code: share on which the method made no confident suggestion "
                  "(higher is better): " + "; ".join(f"{label} {_f(v)}" for label, v in uncoded) + "."]
    reference = result.get("reference")
    if reference:
        lines += ["", "## Published figures for comparison", "", str(reference.get("text", "")).strip(), ""]
        thresholds = reference.get("kappa_at_least") or []
        if thresholds:
            header = ["method", "mean κ", *[f"codes with κ ≥ {t}" for t in thresholds], "max κ"]
            rows = []
            for name in _methods(result):
                m = result["methods"][name]
                kappas = [_num(r["kappa"]) for r in m["per_code"]]
                valid = [k for k in kappas if k is not None]
                rows.append([m["label"], _f(m["mean_kappa"]),
                             *[f"{sum(k >= t for k in valid)} of {len(kappas)}" for t in thresholds],
                             _f(max(valid) if valid else None)])
            lines += _table(header, rows)
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({file})" for name, file in plots.items()]
    lc = result.get("learning_curve")
    if lc:
        folds = lc["folds"]
        which = (f"all {len(folds)} folds" if len(folds) == d["folds"] and len(folds) > 1
                 else "fold " + ", ".join(str(f + 1) for f in folds))
        lines += ["", "## Learning curve (suggester)", "",
                  f"Trained on n examples per code drawn at random from the training part of {which}, tested on "
                  f"the {lc['test_segments']} test segments (predictions pooled over the folds); each size is drawn "
                  f"{lc.get('repeats', 1)} times (seeds {lc['seed']} to {lc['seed'] + lc.get('repeats', 1) - 1}): mean, and "
                  "lowest–highest in brackets. 'all' is the whole training part. A segment drawn for one code counts for every "
                  "code it has, so frequent codes end with more than n examples.", ""]

        def spread(p: dict[str, Any], key: str) -> str:
            low, high = p.get(f"{key}_range") or [None, None]
            return _f(p[key]) + (f" ({low:.3f}–{high:.3f})" if p.get("repeats", 1) > 1 and low is not None else "")

        lines += _table(["examples per code", "training segments", "micro-F1", "hit@1", "hit@3"],
                        [[p["examples_per_code"], _f(p["training_segments"], 0), spread(p, "micro_f1"),
                          spread(p, "hit@1"), spread(p, "hit@3")] for p in lc["points"]])
    s = result["methods"].get("suggester")
    if s:
        others = [n for n in _methods(result) if n != "suggester"]
        lines += ["", "## Per code (suggester, with F1 of the baselines)", ""]
        named = any(r.get("name") and r["name"] != r["code"] for r in s["per_code"])
        header = ["code", *(["name"] if named else []), "support", "predicted", "precision", "recall",
                  "F1 [95% CI]", "κ [95% CI]", *[f"F1 {result['methods'][n]['label']}" for n in others]]
        rows = []
        order = sorted(range(len(s["per_code"])), key=lambda j: -s["per_code"][j]["support"])
        for j in order:
            r = s["per_code"][j]
            rows.append([r["code"], *([r.get("name", "")] if named else []), r["support"], r["predicted"],
                         _f(r["precision"]), _f(r["recall"]), _f(r["f1"]) + _ci(r.get("f1_ci"), 2),
                         _f(r["kappa"]) + _ci(r.get("kappa_ci"), 2),
                         *[_f(result["methods"][n]["per_code"][j]["f1"]) for n in others]])
        lines += _table(header, rows)
        confusion = s.get("confusion")
        if confusion:
            matrix = np.asarray(confusion["matrix"])
            off = [(matrix[i, j], confusion["codes"][i], confusion["codes"][j])
                   for i in range(len(matrix)) for j in range(len(matrix)) if i != j and matrix[i, j] > 0]
            off.sort(reverse=True)
            if off:
                lines += ["", "## Most frequent confusions (true code → suggester's top-1)", ""]
                lines += _table(["true", "top-1", "segments"], [[t, p, _f(v, 1)] for v, t, p in off[:15]])
        if s.get("reliability"):
            lines += ["", "## Calibration of the suggester's top-1 score", "",
                      f"ECE {_f(s['ece'])} (10 equal-width bins; correct = the top-1 code is a true code).", ""]
            lines += _table(["score bin", "segments", "mean score", "share correct"],
                            [[f"{b['lower']:.1f}–{b['upper']:.1f}", b["count"], _f(b["mean_score"]),
                              _f(b["accuracy"])] for b in s["reliability"] if b["count"]])
    lines += _human_sections(result)
    lines += _decision_sections(result)
    lines += ["", "## How to read this", "",
              "- **micro-F1**: F1 over all (segment, code) cells; **macro-F1**: mean of per-code F1 over the "
              "evaluated codes; **κ**: Cohen's kappa of a code's presence/absence (chance-corrected).",
              "- **hit@k**: share of segments with a true code among the top k ranked codes; **MRR**: mean of "
              "1/rank of the first true code.",
              "- **coverage**: share of segments with at least one confident (predicted) code; **hit@1 covered**: "
              "hit@1 on those segments only. The suggester abstains when no score reaches its code's threshold.",
              "- **ECE**: expected calibration error of the top-1 score (0 = a score of 0.7 is right 70% of the "
              "time). Not given for the SVM, whose scores are margins.",
              "- Every method is fitted on the training part of each fold only; all methods see the same folds."]
    return "\n".join(lines) + "\n"


def _human_sections(result: dict[str, Any]) -> list[str]:
    human = result.get("human")
    lines: list[str] = []
    if not human:
        return lines
    lines += ["", "## Human–human agreement", "",
              f"{human['units']} segments coded by two or more of the coders {', '.join(human['coders'])}.", ""]
    rows = []
    overall = human["overall"]
    rows.append(["per code, mean over codes", _f(overall["mean_pairwise_kappa"]), _f(overall["fleiss_kappa"]),
                 _f(overall["krippendorff_alpha"]), _f(overall["gwet_ac1"]), _f(overall["observed_agreement"])])
    if human.get("nominal"):
        n = human["nominal"]
        rows.insert(0, ["the label itself (single-label coding)", _f(n["mean_pairwise_kappa"]),
                        _f(n["fleiss_kappa"]), _f(n["krippendorff_alpha"]), _f(n["gwet_ac1"]),
                        _f(n["observed_agreement"])])
    lines += _table(["view", "mean pairwise Cohen κ", "Fleiss κ", "Krippendorff α", "Gwet AC1",
                     "observed agreement"], rows)
    lines += ["", "Per code (presence/absence):", ""]
    lines += _table(["code", "applications", "mean pairwise κ", "Fleiss κ", "Krippendorff α", "Gwet AC1"],
                    [[code, v["support"], _f(v["mean_pairwise_kappa"]), _f(v["fleiss_kappa"]),
                      _f(v["krippendorff_alpha"]), _f(v["gwet_ac1"])] for code, v in human["per_code"].items()])
    vs = result.get("suggester_vs_coders")
    if vs:
        lines += ["", "## Is the suggester as reliable as a second coder?", "",
                  "Each coder's agreement with the other human coders (mean over them) beside that coder's "
                  "agreement with the suggester's out-of-fold predictions, on the same segments.", ""]
        nominal = "nominal_kappa_suggester" in vs[0]
        header = ["coder", "segments", "κ with humans (per code)", "κ with suggester (per code)"]
        keys = ["kappa_humans", "kappa_suggester"]
        if nominal:
            header += ["κ with humans (label)", "κ with suggester (top-1 label)",
                       "coder = others' majority", "suggester = others' majority"]
            keys += ["nominal_kappa_humans", "nominal_kappa_suggester", "majority_of_others_human",
                     "majority_of_others_suggester"]
        rows = [[r["coder"], r["units"], *[_f(r.get(k)) for k in keys]] for r in vs]

        def mean(key: str) -> float:
            values = [_num(r.get(key)) for r in vs]
            values = [v for v in values if v is not None]
            return float(np.mean(values)) if values else float("nan")

        lines += _table(header, rows + [["**mean**", "", *[f"**{_f(mean(k))}**" for k in keys]]])
        if nominal:
            lines += ["", "*Others' majority*: the most frequent label among the other coders (any of them on a "
                      "tie); the coder and the suggester are measured against the same reference."]
    return lines


def _decision_sections(result: dict[str, Any]) -> list[str]:
    dec = result.get("decisions")
    if not dec:
        return []
    o = dec["overall"]
    lines = ["", "## Decisions on suggestions", "",
             f"{o['decisions']} standing decisions ({o['accepted']} accepted, {o['rejected']} rejected; "
             f"{dec['undone']} undone and not counted): acceptance rate {_f(o['rate'])}.", ""]
    for title, key in (("By code", "by_code"), ("By coder", "by_coder"), ("By day", "by_day"),
                       ("By run of 50 decisions", "by_window"), ("By suggestion score", "by_score")):
        rows = [[r["key"], r["accepted"], r["rejected"], _f(r["rate"])] for r in dec[key] if r["decisions"]]
        if rows:
            lines += [f"{title}:", ""] + _table(["", "accepted", "rejected", "rate"], rows) + [""]
    return lines


# -- plots ---------------------------------------------------------------------------------------------------
def _save(plt, fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _plot_per_code(s: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    rows = sorted(s["per_code"], key=lambda r: r["support"])
    labels = [f"{(r.get('name') or r['code'])[:40]} ({r['support']})" for r in rows]
    y = np.arange(len(rows))
    fig, axes = plt.subplots(1, 2, figsize=(11, max(3.0, 0.28 * len(rows) + 1.2)), sharey=True)
    for ax, key, title in ((axes[0], "f1", "F1"), (axes[1], "kappa", "Cohen κ")):
        values = np.array([_num(r[key]) if _num(r[key]) is not None else np.nan for r in rows])
        ci = [r.get(f"{key}_ci") or [None, None] for r in rows]
        low = np.array([values[i] - _num(c[0]) if _num(c[0]) is not None else 0 for i, c in enumerate(ci)])
        high = np.array([_num(c[1]) - values[i] if _num(c[1]) is not None else 0 for i, c in enumerate(ci)])
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


def _plot_confusion(s: dict[str, Any], names: dict[str, str], path: Path) -> None:
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


def _plot_learning_curve(result: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    lc = result["learning_curve"]
    points = lc["points"]
    x = np.arange(len(points))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for key, style in (("micro_f1", "o-"), ("hit@1", "s-"), ("hit@3", "^--")):
        line, = ax.plot(x, [_num(p[key]) if _num(p[key]) is not None else np.nan for p in points], style, label=key)
        ranges = [p.get(f"{key}_range") or [np.nan, np.nan] for p in points]
        ax.fill_between(x, [_num(r[0]) if _num(r[0]) is not None else np.nan for r in ranges],
                        [_num(r[1]) if _num(r[1]) is not None else np.nan for r in ranges],
                        color=line.get_color(), alpha=0.15, linewidth=0)
    zero = result["methods"].get("zero_shot")
    if zero and _num(zero.get("hit@1")) is not None:
        ax.axhline(zero["hit@1"], color="grey", linestyle=":", label="hit@1 codebook matching (no examples)")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{p['examples_per_code']}\n({p['training_segments']:.0f})" for p in points], fontsize=8)
    ax.set_xlabel("examples per code (training segments)")
    ax.set_ylim(0, 1)
    ax.set_title("Suggester learning curve", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    _save(plt, fig, path)


def _plot_reliability(result: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name in _methods(result):
        m = result["methods"][name]
        if not m.get("reliability"):
            continue
        bins = [b for b in m["reliability"] if b["count"]]
        ax.plot([b["mean_score"] for b in bins], [b["accuracy"] for b in bins], "o-" if name == "suggester" else ".--",
                label=f"{m['label']} (ECE {_f(m['ece'], 2)})", linewidth=2 if name == "suggester" else 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("top-1 score (bin mean)")
    ax.set_ylabel("share of top-1 codes that are right")
    ax.set_title("Reliability of the top-1 score", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    _save(plt, fig, path)


def write_report(result: dict[str, Any], out: Path | str) -> dict[str, Path]:
    """Write report.md, results.json and the plots into ``out`` (created if needed); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    plots: dict[str, str] = {}
    s = result["methods"].get("suggester")
    names = {c: n for c, n in ((r["code"], r.get("name") or r["code"]) for r in (s or {}).get("per_code", []))}
    if s:
        _plot_per_code(s, out / "per_code.png")
        plots["per-code F1 and κ"] = "per_code.png"
        if s.get("confusion"):
            _plot_confusion(s, names, out / "confusion.png")
            plots["confusion"] = "confusion.png"
    if result.get("learning_curve"):
        _plot_learning_curve(result, out / "learning_curve.png")
        plots["learning curve"] = "learning_curve.png"
    if any(m.get("reliability") for m in result["methods"].values()):
        _plot_reliability(result, out / "reliability.png")
        plots["reliability"] = "reliability.png"
    for file in plots.values():
        written[file.removesuffix(".png")] = out / file
    (out / "results.json").write_text(to_json(result) + "\n", encoding="utf-8")
    written["json"] = out / "results.json"
    (out / "report.md").write_text(markdown(result, plots), encoding="utf-8")
    written["markdown"] = out / "report.md"
    return written
