"""The Markdown report: one function per section, :func:`markdown` puts them together."""

from __future__ import annotations

from typing import Any

import numpy as np

from .report_text import fmt, interval, markdown_table, number, ordered_methods

__all__ = ["markdown"]

HOW_TO_READ = ["", "## How to read this", "",
               "- **micro-F1**: F1 over all (segment, code) cells; **macro-F1**: mean of per-code F1 over the "
               "evaluated codes; **κ**: Cohen's kappa of a code's presence/absence (chance-corrected).",
               "- **hit@k**: share of segments with a true code among the top k ranked codes; **MRR**: mean of "
               "1/rank of the first true code.",
               "- **coverage**: share of segments with at least one confident (predicted) code; **hit@1 covered**: "
               "hit@1 on those segments only. The suggester abstains when no score reaches its code's threshold.",
               "- **ECE**: expected calibration error of the top-1 score (0 = a score of 0.7 is right 70% of the "
               "time). Not given for the SVM, whose scores are margins.",
               "- Every method is fitted on the training part of each fold only; all methods see the same folds."]


def markdown(result: dict[str, Any], plots: dict[str, str] | None = None) -> str:
    """The whole report as Markdown; ``plots`` maps a caption to a PNG file beside the report."""
    plots = plots or {}
    lines = _overview(result) + _methods_section(result) + _reference_section(result)
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({file})" for name, file in plots.items()]
    lines += _learning_curve_section(result)
    lines += _suggester_sections(result)
    lines += _human_sections(result)
    lines += _decision_sections(result)
    lines += HOW_TO_READ
    return "\n".join(lines) + "\n"


def _overview(result: dict[str, Any]) -> list[str]:
    """Title, description, dataset, split, notes and timing."""
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
                 if k.endswith("_seconds") and number(v) is not None]
        if "segments_encoded" in timing:
            parts.append(f"{timing['segments_encoded']} segments newly encoded")
        if timing.get("encoder"):
            parts.append(f"encoder {timing['encoder']}")
        lines.append("- time: " + ", ".join(parts))
    return lines


def _methods_section(result: dict[str, Any]) -> list[str]:
    """The suggester and the baselines side by side."""
    lines: list[str] = []
    lines += ["", "## Suggester and baselines (same folds)", ""]
    header = ["method", "micro-F1 [95% CI]", "macro-F1", "mean κ", "hit@1 [95% CI]", "hit@3 [95% CI]", "hit@5",
              "MRR", "coverage", "hit@1 covered", "ECE", "seconds (all folds)"]
    rows = []
    for name in ordered_methods(result):
        m = result["methods"][name]
        rows.append([f"**{m['label']}**" if name == "suggester" else m["label"],
                     fmt(m["micro_f1"]) + interval(m.get("micro_f1_ci")), fmt(m["macro_f1"]), fmt(m["mean_kappa"]),
                     fmt(m["hit@1"]) + interval(m.get("hit@1_ci")), fmt(m["hit@3"]) + interval(m.get("hit@3_ci")),
                     fmt(m["hit@5"]), fmt(m["mrr"]), fmt(m["coverage"]), fmt(m["hit@1_covered"]), fmt(m["ece"]),
                     fmt(m.get("seconds"), 1)])
    lines += markdown_table(header, rows)
    any_m = next(iter(result["methods"].values()))
    lines += ["", f"Intervals: 95% percentile bootstrap resampling the {any_m.get('bootstrap_groups')} groups "
              f"({any_m.get('n_boot')} replicates, seed 0). Ranking figures (hit@k, MRR, coverage) are over the "
              f"{any_m.get('ranked_segments')} tested segments with at least one true code."]
    uncoded = [(result["methods"][n]["label"], result["methods"][n].get("abstained_on_uncoded"),
                result["methods"][n].get("codes_on_uncoded"))
               for n in ordered_methods(result) if result["methods"][n].get("abstained_on_uncoded") is not None]
    if uncoded:
        lines += ["", "Segments without any true code: share on which the method made no confident suggestion "
                  "(higher is better), and confident codes per such segment, all false (lower is better): "
                  + "; ".join(f"{label} {fmt(v)}, {fmt(n)}" for label, v, n in uncoded) + "."]
    return lines


def _reference_section(result: dict[str, Any]) -> list[str]:
    """Published figures, with the codes reaching their kappa thresholds."""
    lines: list[str] = []
    reference = result.get("reference")
    if reference:
        lines += ["", "## Published figures for comparison", "", str(reference.get("text", "")).strip(), ""]
        thresholds = reference.get("kappa_at_least") or []
        if thresholds:
            header = ["method", "mean κ", *[f"codes with κ ≥ {t}" for t in thresholds], "max κ"]
            rows = []
            for name in ordered_methods(result):
                m = result["methods"][name]
                kappas = [number(r["kappa"]) for r in m["per_code"]]
                valid = [k for k in kappas if k is not None]
                rows.append([m["label"], fmt(m["mean_kappa"]),
                             *[f"{sum(k >= t for k in valid)} of {len(kappas)}" for t in thresholds],
                             fmt(max(valid) if valid else None)])
            lines += markdown_table(header, rows)
    return lines


def _learning_curve_section(result: dict[str, Any]) -> list[str]:
    """The suggester's learning curve."""
    lines: list[str] = []
    d = result["dataset"]
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
            return fmt(p[key]) + (f" ({low:.3f}–{high:.3f})" if p.get("repeats", 1) > 1 and low is not None else "")

        lines += markdown_table(["examples per code", "training segments", "micro-F1", "hit@1", "hit@3"],
                                        [[p["examples_per_code"], fmt(p["training_segments"], 0), spread(p, "micro_f1"),
                                  spread(p, "hit@1"), spread(p, "hit@3")] for p in lc["points"]])
    return lines


def _suggester_sections(result: dict[str, Any]) -> list[str]:
    """Per code, most frequent confusions and calibration of the suggester."""
    lines: list[str] = []
    s = result["methods"].get("suggester")
    if s:
        others = [n for n in ordered_methods(result) if n != "suggester"]
        lines += ["", "## Per code (suggester, with F1 of the baselines)", ""]
        named = any(r.get("name") and r["name"] != r["code"] for r in s["per_code"])
        header = ["code", *(["name"] if named else []), "support", "predicted", "precision", "recall",
                  "F1 [95% CI]", "κ [95% CI]", *[f"F1 {result['methods'][n]['label']}" for n in others]]
        rows = []
        order = sorted(range(len(s["per_code"])), key=lambda j: -s["per_code"][j]["support"])
        for j in order:
            r = s["per_code"][j]
            rows.append([r["code"], *([r.get("name", "")] if named else []), r["support"], r["predicted"],
                         fmt(r["precision"]), fmt(r["recall"]), fmt(r["f1"]) + interval(r.get("f1_ci"), 2),
                         fmt(r["kappa"]) + interval(r.get("kappa_ci"), 2),
                         *[fmt(result["methods"][n]["per_code"][j]["f1"]) for n in others]])
        lines += markdown_table(header, rows)
        confusion = s.get("confusion")
        if confusion:
            matrix = np.asarray(confusion["matrix"])
            off = [(matrix[i, j], confusion["codes"][i], confusion["codes"][j])
                   for i in range(len(matrix)) for j in range(len(matrix)) if i != j and matrix[i, j] > 0]
            off.sort(reverse=True)
            if off:
                lines += ["", "## Most frequent confusions (true code → suggester's top-1)", ""]
                lines += markdown_table(["true", "top-1", "segments"], [[t, p, fmt(v, 1)] for v, t, p in off[:15]])
        if s.get("reliability"):
            lines += ["", "## Calibration of the suggester's top-1 score", "",
                      f"ECE {fmt(s['ece'])} (10 equal-width bins; correct = the top-1 code is a true code).", ""]
            lines += markdown_table(["score bin", "segments", "mean score", "share correct"],
                                    [[f"{b['lower']:.1f}–{b['upper']:.1f}", b["count"], fmt(b["mean_score"]),
                                      fmt(b["accuracy"])] for b in s["reliability"] if b["count"]])
    return lines


def _human_sections(result: dict[str, Any]) -> list[str]:
    human = result.get("human")
    lines: list[str] = []
    if not human:
        return lines
    lines += ["", "## Human–human agreement", "",
              f"{human['units']} segments coded by two or more of the coders {', '.join(human['coders'])}.", ""]
    rows = []
    overall = human["overall"]
    rows.append(["per code, mean over codes", fmt(overall["mean_pairwise_kappa"]), fmt(overall["fleiss_kappa"]),
                 fmt(overall["krippendorff_alpha"]), fmt(overall["gwet_ac1"]), fmt(overall["observed_agreement"])])
    if human.get("nominal"):
        n = human["nominal"]
        rows.insert(0, ["the label itself (single-label coding)", fmt(n["mean_pairwise_kappa"]),
                        fmt(n["fleiss_kappa"]), fmt(n["krippendorff_alpha"]), fmt(n["gwet_ac1"]),
                        fmt(n["observed_agreement"])])
    lines += markdown_table(["view", "mean pairwise Cohen κ", "Fleiss κ", "Krippendorff α", "Gwet AC1",
                             "observed agreement"], rows)
    lines += ["", "Per code (presence/absence):", ""]
    lines += markdown_table(["code", "applications", "mean pairwise κ", "Fleiss κ", "Krippendorff α", "Gwet AC1"],
                            [[code, v["support"], fmt(v["mean_pairwise_kappa"]), fmt(v["fleiss_kappa"]),
                              fmt(v["krippendorff_alpha"]), fmt(v["gwet_ac1"])]
                             for code, v in human["per_code"].items()])
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
        rows = [[r["coder"], r["units"], *[fmt(r.get(k)) for k in keys]] for r in vs]

        def mean(key: str) -> float:
            values = [number(r.get(key)) for r in vs]
            values = [v for v in values if v is not None]
            return float(np.mean(values)) if values else float("nan")

        lines += markdown_table(header, rows + [["**mean**", "", *[f"**{fmt(mean(k))}**" for k in keys]]])
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
             f"{dec['undone']} undone and not counted): acceptance rate {fmt(o['rate'])}.", ""]
    for title, key in (("By code", "by_code"), ("By coder", "by_coder"), ("By day", "by_day"),
                       ("By run of 50 decisions", "by_window"), ("By suggestion score", "by_score")):
        rows = [[r["key"], r["accepted"], r["rejected"], fmt(r["rate"])] for r in dec[key] if r["decisions"]]
        if rows:
            lines += [f"{title}:", ""] + markdown_table(["", "accepted", "rejected", "rate"], rows) + [""]
    return lines
