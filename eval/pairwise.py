"""Agreement between two coders on the segments both reviewed, live: per code, overall and per document, with
95% intervals. Pure: ratings in, numbers out (the project side is :mod:`eval.team_agreement`).

Ratings are ``{coder: {segment: codes}}`` as :func:`index.rounds.ratings` gives them: a segment is a key when
the coder reviewed it, and an empty set means "reviewed; no code applies".

* **Units**: the segments both coders reviewed. By default they include those both left uncoded (a deliberate
  "no code applies" from each, or rejections only): agreeing that nothing applies is a judgement a coder made,
  and text nobody reviewed is never counted. ``include_uncoded=False`` keeps only segments at least one of the
  two coded, the figure tools that cannot tell "not coded" from "no code applies" report; it is lower where
  much talk needs no code, and both are shown so a reader can see how much the choice matters.
* **Per code** (presence/absence): Cohen's kappa, Krippendorff's alpha (nominal), Gwet's AC1 (categories 0/1)
  and percent agreement, exactly as :func:`eval.agreement.human_agreement` computes them for ``codeseed eval``
  (the same function gives the point estimates). **Overall**: their mean over the codes either coder applied.
* **Intervals**: 95% percentile intervals from a cluster bootstrap that resamples whole documents
  (:func:`eval.metrics.bootstrap_ci`), so segments of one interview are not taken as independent.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from . import metrics
from .agreement import human_agreement, suggester_vs_coders

Ratings = Mapping[str, Mapping[Hashable, "set[Hashable]"]]
FIGURES = ("kappa", "alpha", "ac1", "percent")
_KEYS = {"kappa": "mean_pairwise_kappa", "alpha": "krippendorff_alpha", "ac1": "gwet_ac1",
         "percent": "observed_agreement"}

__all__ = ["FIGURES", "shared", "pair_agreement", "code_figures"]


def shared(ratings: Ratings, a: str, b: str, *, include_uncoded: bool = True) -> list[Hashable]:
    """Segments both coders reviewed (without those neither coded, unless ``include_uncoded``)."""
    units = [u for u in ratings.get(a, {}) if u in ratings.get(b, {})]
    if not include_uncoded:
        units = [u for u in units if ratings[a][u] or ratings[b][u]]
    return units


def code_figures(pairs: Sequence[tuple[int, int]]) -> dict[str, float]:
    """kappa, alpha, AC1 and percent agreement for one code: (coder a applied it, coder b applied it) per unit."""
    x = [p[0] for p in pairs]
    y = [p[1] for p in pairs]
    matrix = [list(p) for p in pairs]
    return {"kappa": metrics.cohen_kappa(x, y), "alpha": metrics.krippendorff_alpha_nominal(matrix),
            "ac1": metrics.gwet_ac1(matrix, categories=[0, 1]), "percent": float(np.mean([p == q for p, q in pairs]))}


def _overall(rows: Sequence[tuple[frozenset, frozenset]], codes: Sequence[Hashable]) -> dict[str, float]:
    """The mean over codes either coder applied (NaN skipped), of each figure, for (codes a, codes b) rows."""
    used = [c for c in codes if any(c in x or c in y for x, y in rows)]
    out = {}
    per = [code_figures([(int(c in x), int(c in y)) for x, y in rows]) for c in used] if rows else []
    for name in FIGURES:
        values = np.array([p[name] for p in per], dtype=float)
        out[name] = float(np.nanmean(values)) if values.size and not np.isnan(values).all() else float("nan")
    return out


def _figures_by_code(rows: Sequence[tuple[frozenset, frozenset]], codes: Sequence[Hashable]) -> dict[Any, Any]:
    """Every figure per code and overall (key None) for (codes a, codes b) rows: one bootstrap replicate."""
    out: dict[Any, Any] = {code: code_figures([(int(code in x), int(code in y)) for x, y in rows]) for code in codes}
    out[None] = _overall(rows, codes)
    return out


def _intervals(by_group: dict[Hashable, list[Any]], codes: Sequence[Hashable], n_boot: int) -> dict[Any, Any]:
    """95% percentile intervals of every figure (per code, and overall under None), documents resampled whole.

    One pass: each replicate draws documents once (:func:`eval.metrics.bootstrap_statistics`, seed 0) and computes
    every figure on them; replicates where a figure is undefined (NaN) are left out of its interval."""
    keys = [*codes, None]
    if n_boot <= 0 or len(by_group) < 2:
        return {k: {name: (float("nan"), float("nan")) for name in FIGURES} for k in keys}
    replicates: list[dict[Any, Any]] = []

    def statistic(items: list[Any]) -> float:
        replicates.append(_figures_by_code(items, codes))
        return 0.0

    metrics.bootstrap_statistics(by_group, statistic, n_resamples=n_boot, seed=0)
    out: dict[Any, Any] = {}
    for key in keys:
        out[key] = {}
        for name in FIGURES:
            values = np.array([r[key][name] for r in replicates], dtype=float)
            values = values[~np.isnan(values)]
            out[key][name] = ((float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))
                              if values.size else (float("nan"), float("nan")))
    return out


def pair_agreement(ratings: Ratings, a: str, b: str, codes: Sequence[Hashable], groups: Mapping[Hashable, Hashable],
                   *, include_uncoded: bool = True, n_boot: int = 500,
                   predicted: Mapping[Hashable, "set[Hashable]"] | None = None) -> dict[str, Any] | None:
    """Everything the Agreement tab shows for coders ``a`` and ``b``; None when they share no segment.

    ``groups`` maps each segment to its document (the bootstrap's cluster and the per-document rows);
    ``predicted`` (optional) the suggester's confident codes per segment, set beside each coder as in eval.
    """
    units = shared(ratings, a, b, include_uncoded=include_uncoded)
    if not units:
        return None
    pair = {a: {u: set(ratings[a][u]) for u in units}, b: {u: set(ratings[b][u]) for u in units}}
    exact = human_agreement(pair, codes)
    rows = {u: (frozenset(pair[a][u]), frozenset(pair[b][u])) for u in units}
    by_group: dict[Hashable, list[Any]] = {}
    for u in units:
        by_group.setdefault(groups.get(u), []).append(rows[u])
    used = [c for c in codes if any(c in x or c in y for x, y in rows.values())]
    ranges = _intervals(by_group, used, n_boot)
    per_code = []
    for code in used:
        figures = exact["per_code"][code]
        support = (sum(code in pair[a][u] for u in units), sum(code in pair[b][u] for u in units))
        entry: dict[str, Any] = {"code": code, "applied": support}
        for name in FIGURES:
            entry[name] = (float(figures[_KEYS[name]]), *ranges[code][name])
        per_code.append(entry)
    overall = {name: (float(exact["overall"][_KEYS[name]]), *ranges[None][name]) for name in FIGURES}
    per_document = [{"document": g, "units": len(items), **_overall(items, codes)} for g, items in by_group.items()]
    beside = suggester_vs_coders(pair, predicted, codes) if predicted is not None else None
    everything = len(shared(ratings, a, b))
    return {"coders": [a, b], "units": len(units), "include_uncoded": include_uncoded,
            "uncoded_left_out": everything - len(units), "overall": overall, "per_code": per_code,
            "per_document": per_document, "suggester": beside}
