"""Figures as text: number formatting, strict JSON, Markdown tables, method order and the summary table
printed on stdout."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["METHOD_ORDER", "number", "fmt", "interval", "to_json", "ordered_methods", "markdown_table",
           "summary_table"]

METHOD_ORDER = ("suggester", "suggester_no_code", "tfidf_svm", "knn", "zero_shot", "most_frequent")


def number(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def fmt(x: Any, digits: int = 3) -> str:
    v = number(x)
    return "–" if v is None else f"{v:.{digits}f}"


def interval(pair: Any, digits: int = 3) -> str:
    if not pair or number(pair[0]) is None or number(pair[1]) is None:
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


def ordered_methods(result: dict[str, Any]) -> list[str]:
    names = list(result["methods"])
    return sorted(names, key=lambda n: METHOD_ORDER.index(n) if n in METHOD_ORDER else len(METHOD_ORDER))



def markdown_table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out



# -- the stdout table ------------------------------------------------------------------------------------
def summary_table(result: dict[str, Any]) -> str:
    """Methods side by side (suggester first): the headline figures with their 95% intervals."""
    d = result["dataset"]
    head = (f"{d['name']}: {d['tested_segments']} segments tested of {d['segments']}, {d['codes']} codes, "
            f"{d['groups']} groups; {d['split']}")
    columns = ["method", "micro-F1 [95% CI]", "macro-F1", "mean κ", "hit@1 [95% CI]", "hit@3 [95% CI]",
               "MRR", "coverage", "hit@1 cov.", "ECE", "s/fold"]
    rows = []
    for name in ordered_methods(result):
        m = result["methods"][name]
        per_fold = m.get("seconds_per_fold") or []
        rows.append([m["label"], fmt(m["micro_f1"]) + interval(m.get("micro_f1_ci")), fmt(m["macro_f1"]),
                     fmt(m["mean_kappa"]), fmt(m["hit@1"]) + interval(m.get("hit@1_ci")),
                     fmt(m["hit@3"]) + interval(m.get("hit@3_ci")), fmt(m["mrr"]), fmt(m["coverage"]),
                     fmt(m["hit@1_covered"]), fmt(m["ece"]),
                     fmt(sum(per_fold) / len(per_fold), 1) if per_fold else "–"])
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
    lines = [head, "  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)
