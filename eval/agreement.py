"""Agreement between coders, and between the suggester and each coder. Pure: codings in, numbers out.

Codings are given as ``{coder: {unit: set_of_codes}}``: a coder *rated* a unit when the unit is a key of
that coder's mapping (an empty set means "looked at it and applied no code"). Only units rated by two or
more coders are compared. Every coefficient comes from :mod:`eval.metrics`.

Two views, both reported:

* **per code** (presence/absence, the usual view for multi-label qualitative coding): for each code, the
  units x coders matrix of 0/1 "did this coder apply the code"; pairwise Cohen's kappa for every pair of
  coders on the units both rated, Fleiss' kappa (three or more coders who all rated every unit),
  Krippendorff's alpha (nominal; missing ratings allowed) and Gwet's AC1 (categories 0/1).
  "Overall" is the mean over codes (NaN values skipped).
* **nominal** (only when every coder gave exactly one code per unit, e.g. AnnoMI's main therapist
  behaviour): the same coefficients on the label itself.

:func:`suggester_vs_coders` answers "is the suggester as reliable as a second coder?": for each coder, the
mean kappa of that coder with each *other* human coder beside the kappa of that coder with the suggester,
on the same units.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from . import metrics

Codings = Mapping[Hashable, Mapping[Hashable, "set[Hashable] | frozenset[Hashable]"]]

__all__ = ["shared_units", "is_single_label", "human_agreement", "suggester_vs_coders"]


def shared_units(codings: Codings) -> list[Hashable]:
    """Units rated by at least two coders, in order of first appearance."""
    seen: dict[Hashable, int] = {}
    for units in codings.values():
        for unit in units:
            seen[unit] = seen.get(unit, 0) + 1
    return [u for u, n in seen.items() if n >= 2]


def is_single_label(codings: Codings, units: Sequence[Hashable] | None = None) -> bool:
    """True when every coder gave exactly one code to every unit it rated (among ``units`` if given)."""
    wanted = set(units) if units is not None else None
    return all(len(codes) == 1 for by_unit in codings.values() for u, codes in by_unit.items()
               if wanted is None or u in wanted)


def _nanmean(values: list[float]) -> float:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    if arr.size == 0 or np.isnan(arr).all():
        return float("nan")
    return float(np.nanmean(arr))


def _coefficients(matrix: list[list[Any]], coders: list[Hashable], categories: list | None) -> dict[str, Any]:
    """Agreement coefficients for one units x coders matrix (None = not rated)."""
    pairs = []
    for a, b in itertools.combinations(range(len(coders)), 2):
        both = [(row[a], row[b]) for row in matrix if row[a] is not None and row[b] is not None]
        if not both:
            continue
        kappa = metrics.cohen_kappa([x for x, _ in both], [y for _, y in both])
        observed = float(np.mean([x == y for x, y in both]))
        pairs.append({"coders": [coders[a], coders[b]], "units": len(both), "kappa": kappa,
                      "observed_agreement": observed})
    complete = all(v is not None for row in matrix for v in row)
    fleiss = metrics.fleiss_kappa(matrix) if complete and len(coders) >= 3 else None
    return {
        "units": len(matrix),
        "coders": len(coders),
        "mean_pairwise_kappa": _nanmean([p["kappa"] for p in pairs]),
        "observed_agreement": _nanmean([p["observed_agreement"] for p in pairs]),
        "fleiss_kappa": fleiss,
        "krippendorff_alpha": metrics.krippendorff_alpha_nominal(matrix),
        "gwet_ac1": metrics.gwet_ac1(matrix, categories=categories),
        "pairs": pairs,
    }


def human_agreement(codings: Codings, codes: Sequence[Hashable]) -> dict[str, Any] | None:
    """Agreement among human coders on the units two or more of them rated; None if there are none.

    Returns ``{"units", "coders", "per_code": {code: {...}}, "overall": {...}, "nominal": {...} | None}``
    where each ``{...}`` holds ``mean_pairwise_kappa``, ``observed_agreement``, ``fleiss_kappa`` (None
    unless >= 3 coders rated every unit), ``krippendorff_alpha``, ``gwet_ac1`` and the ``pairs``.
    """
    units = shared_units(codings)
    if not units:
        return None
    coders = [c for c in codings if any(u in codings[c] for u in units)]
    per_code: dict[Hashable, dict[str, Any]] = {}
    for code in codes:
        matrix = [[(1 if code in codings[c][u] else 0) if u in codings[c] else None for c in coders]
                  for u in units]
        per_code[code] = _coefficients(matrix, coders, [0, 1])
        per_code[code]["support"] = int(sum(v == 1 for row in matrix for v in row))
    used = [v for v in per_code.values() if v["support"] > 0]
    overall = {key: _nanmean([v[key] for v in used if v[key] is not None])
               for key in ("mean_pairwise_kappa", "observed_agreement", "krippendorff_alpha", "gwet_ac1")}
    fleiss = [v["fleiss_kappa"] for v in used if v["fleiss_kappa"] is not None]
    overall["fleiss_kappa"] = _nanmean(fleiss) if fleiss else None
    overall["codes"] = len(used)
    nominal = None
    if is_single_label(codings, units):
        matrix = [[next(iter(codings[c][u])) if u in codings[c] else None for c in coders] for u in units]
        nominal = _coefficients(matrix, coders, None)
    return {"units": len(units), "coders": [str(c) for c in coders], "per_code": per_code,
            "overall": overall, "nominal": nominal}


def suggester_vs_coders(codings: Codings, predicted: Mapping[Hashable, "set[Hashable]"],
                        codes: Sequence[Hashable], *, top1: Mapping[Hashable, Hashable] | None = None,
                        ) -> list[dict[str, Any]] | None:
    """Each coder's agreement with the other humans beside its agreement with the suggester.

    ``predicted`` maps each unit to the suggester's confident codes; ``top1`` (optional) to its best code,
    used for the nominal comparison when the coding is single-label. Units are those rated by two or more
    coders (and present in ``predicted``). Per coder returns: ``units``; ``kappa_humans`` and
    ``kappa_suggester`` (mean over the codes some coder applied to these units of per-code Cohen kappa:
    the coder vs each other coder, averaged over the others; the coder vs the suggester; NaN kappas, where
    both sides are constant and equal, are skipped); and, for single-label coding with ``top1``,
    ``nominal_kappa_humans`` and ``nominal_kappa_suggester``, and ``majority_of_others_human`` /
    ``majority_of_others_suggester``: how often the coder's label, and the suggester's top-1 code, is the
    most frequent label among the *other* coders (any of them on a tie) -- the same reference for both.
    None if no unit was rated twice.
    """
    units = [u for u in shared_units(codings) if u in predicted]
    if not units:
        return None
    coders = [c for c in codings if any(u in codings[c] for u in units)]
    single = top1 is not None and is_single_label(codings, units)
    # the same codes on both sides: those some human applied to these units
    used = [code for code in codes if any(code in codings[c].get(u, ()) for c in coders for u in units)]
    rows = []
    for coder in coders:
        mine = [u for u in units if u in codings[coder]]
        if not mine:
            continue
        human_by_code, machine_by_code = [], []
        for code in used:
            own = [1 if code in codings[coder][u] else 0 for u in mine]
            machine = [1 if code in predicted[u] else 0 for u in mine]
            machine_by_code.append(metrics.cohen_kappa(own, machine))
            others = []
            for other in coders:
                if other == coder:
                    continue
                both = [u for u in mine if u in codings[other]]
                if both:
                    others.append(metrics.cohen_kappa([1 if code in codings[coder][u] else 0 for u in both],
                                                      [1 if code in codings[other][u] else 0 for u in both]))
            human_by_code.append(_nanmean(others))
        row = {"coder": str(coder), "units": len(mine), "kappa_humans": _nanmean(human_by_code),
               "kappa_suggester": _nanmean(machine_by_code)}
        if single:
            row.update(_nominal_figures(codings, coders, coder, mine, top1))
        rows.append(row)
    return rows


def _nominal_figures(codings: Codings, coders: list[Hashable], coder: Hashable, mine: list[Hashable],
                     top1: Mapping[Hashable, Hashable]) -> dict[str, float]:
    """Single-label coding: the coder's label against the suggester's top-1 and against the other coders."""
    out: dict[str, float] = {}
    label = [next(iter(codings[coder][u])) for u in mine]
    out["nominal_kappa_suggester"] = metrics.cohen_kappa(label, [top1[u] for u in mine])
    others = []
    for other in coders:
        both = [u for u in mine if u in codings[other]] if other != coder else []
        if both:
            others.append(metrics.cohen_kappa([next(iter(codings[coder][u])) for u in both],
                                              [next(iter(codings[other][u])) for u in both]))
    out["nominal_kappa_humans"] = _nanmean(others)
    # the same reference for both: the most frequent label among the *other* coders (ties: any)
    human_hits, machine_hits = [], []
    for u in mine:
        votes: dict[Hashable, int] = {}
        for other in coders:
            if other != coder and u in codings[other]:
                label_other = next(iter(codings[other][u]))
                votes[label_other] = votes.get(label_other, 0) + 1
        if votes:
            best = max(votes.values())
            majority = {k for k, n in votes.items() if n == best}
            human_hits.append(next(iter(codings[coder][u])) in majority)
            machine_hits.append(top1[u] in majority)
    out["majority_of_others_human"] = float(np.mean(human_hits)) if human_hits else float("nan")
    out["majority_of_others_suggester"] = float(np.mean(machine_hits)) if machine_hits else float("nan")
    return out
