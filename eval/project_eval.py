"""`codeseed eval PROJECT`: cross-validate the suggester on a project's own human codings.

What counts:

* **Truth**: codings whose origin is 'human' or 'import' (made by people, in codeseed or another QDA
  program). Accepted suggestions are left out: they are the suggester's own output, and grading it on them
  would flatter it. A segment's truth is every code any human coder applied to it (what the suggester
  learns from).
* **Segments**: segments with at least one human coding, and segments a coder marked "no code applies" (a
  standing ``none`` decision): those are known negatives, tested as segments without a true code (is the
  suggester silent there?) and, with the extra method ``suggester_no_code``, taught as the product teaches them
  (a rejection of every code). Any other uncoded segment is not known to be negative (it may simply not have
  been coded yet), so it is neither trained on nor tested.
* **Codes**: codes with at least one human coding.
* **Folds**: grouped K-fold by document or by participant (``--group-by``), so an interview is never
  both taught and tested.
* **Human–human**: segments coded by two or more coders give pairwise Cohen's kappa, Fleiss' kappa,
  Krippendorff's alpha and Gwet's AC1 (see :mod:`eval.agreement`), and the suggester's out-of-fold
  predictions are set beside each coder.
* **Decisions**: acceptance rates from the decision log (:mod:`eval.decisions`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from index.errors import ProjectError
from index.project import Project
from suggest.project_suggester import prototype_text, suggestable_codes

from .decisions import decision_summary
from .methods import CodedData, SuggesterMethod, default_methods
from .runner import evaluate
from .splits import grouped_kfold

__all__ = ["HUMAN_ORIGINS", "project_data", "run_project_eval"]

HUMAN_ORIGINS = ("human", "import")


def project_data(project: Project, *, group_by: str = "document", progress: bool = False) -> CodedData:
    """The project's human-coded segments as :class:`eval.runner.CodedData` (vectors from the project cache)."""
    if group_by not in ("document", "participant"):
        raise ValueError("group_by must be 'document' or 'participant'")
    store = project.store
    all_codes = store.codes()
    if not all_codes:
        raise ProjectError("the project has no codebook", file=str(project.folder),
                           fix=f"import one: codeseed import {project.folder} --codebook codebook.csv")
    human = [c for c in store.codings() if c["origin"] in HUMAN_ORIGINS]
    if not human:
        raise ProjectError("the project has no human codings to evaluate against", file=str(project.folder),
                           fix=f"import some: codeseed import {project.folder} --codings codings.csv --coder NAME")
    by_segment: dict[int, dict[str, set[str]]] = {}
    for c in human:
        by_segment.setdefault(c["segment_id"], {}).setdefault(c["code_id"], set()).add(c["coder"])
    coded = {code for codes in by_segment.values() for code in codes}
    codes = [c for c in suggestable_codes(all_codes, coded) if c.id in coded]
    no_code = no_code_segments(store)
    segments = store.segments(segment_ids=list(by_segment) + [s for s in no_code if s not in by_segment])
    texts = [s.text for s in segments]
    vectors, _ = project.embed(texts, progress=progress)
    prototype_texts = [prototype_text(c) for c in codes]
    prototypes, _ = project.embed(prototype_texts)
    column = {c.id: j for j, c in enumerate(codes)}
    Y = np.zeros((len(segments), len(codes)), dtype=np.int8)
    codings: dict[str, dict[int, set[str]]] = {}
    for i, s in enumerate(segments):
        for coder in no_code.get(s.id, ()):  # reviewed, no code: a rating of its own for human agreement
            codings.setdefault(coder, {}).setdefault(s.id, set())
        for code, coders in by_segment.get(s.id, {}).items():
            if code in column:
                Y[i, column[code]] = 1
            for coder in sorted(coders):
                codings.setdefault(coder, {}).setdefault(s.id, set()).add(code)
    codings = {coder: codings[coder] for coder in sorted(codings)}
    groups = [f"participant:{s.participant}" if group_by == "participant" and s.participant
              else f"document:{s.document_id}" for s in segments]
    notes = [f"truth: {len(human)} human codings (origin human or import) on {len(segments)} segments; "
             "accepted suggestions are not used as truth"]
    if no_code:
        notes.append(f"{sum(s not in by_segment for s in no_code)} segments marked 'no code applies' (and no human "
                     "coding) are tested as segments without a true code")
    left_out = [c.id for c in suggestable_codes(all_codes, coded) if c.id not in coded]
    if left_out:
        notes.append(f"{len(left_out)} codes without human codings are not evaluated: {', '.join(left_out[:20])}"
                     + (" ..." if len(left_out) > 20 else ""))
    if group_by == "participant" and any(not s.participant for s in segments):
        notes.append("segments without a participant are grouped by their document")
    return CodedData(name=project.folder.name, texts=texts, vectors=vectors, Y=Y, groups=groups,
                     codes=[c.id for c in codes], names=[c.name for c in codes], prototypes=prototypes,
                     unit_ids=[s.id for s in segments], codings=codings, notes=notes,
                     prototype_texts=prototype_texts)


def no_code_segments(store) -> dict[int, list[str]]:
    """Segment -> the coders whose standing decision on it is "no code applies"."""
    out: dict[int, list[str]] = {}
    for row in store.standing_decisions():
        if row["decision"] == "none":
            out.setdefault(row["segment_id"], []).append(row["coder"])
    return out


def run_project_eval(project: Project, *, folds: int = 5, group_by: str = "document", out: Any = None,
                     progress: bool = False, n_boot: int = 1000, learning_curve: bool = True,
                     tune: bool = False) -> dict[str, Any]:
    """Cross-validate on the project's human codings; with ``out``, write the report there. ``tune`` adds
    ``suggester_tuned``: what ``codeseed tune`` would install, done inside each training fold (minutes per fold)."""
    began = time.perf_counter()
    data = project_data(project, group_by=group_by, progress=progress)
    try:
        fold_list = grouped_kfold(data.groups, folds)
    except ValueError as error:
        raise ProjectError(f"cannot cross-validate: {error}", file=str(project.folder),
                           fix="code segments in at least two documents (or participants), "
                               "or use --group-by document") from None
    methods = default_methods(prototypes=data.prototypes is not None)
    if not data.Y.any(axis=1).all():  # "no code applies" segments: also as the product learns from them
        methods.insert(1, SuggesterMethod(no_code=True))
    tuned = None
    if tune:
        from index.encoder import Encoder

        from .tune_check import TunedSuggesterMethod

        tuned = TunedSuggesterMethod(Encoder(project.settings["model"]).resolved.path, progress=progress)
        methods.insert(1, tuned)
    result = evaluate(data, fold_list, split=f"grouped {len(fold_list)}-fold cross-validation by {group_by}",
                      n_boot=n_boot, progress=progress, methods=methods,
                      learning_curve_sizes=None if not learning_curve else (1, 2, 5, 10, 20, None))
    if tuned is not None:
        result["notes"] += tuned.notes
    decisions = project.store.decisions()
    result["decisions"] = decision_summary(decisions) if decisions else None
    result["spec"] = {"project": str(project.folder)}
    result["timing"] = {"evaluation_seconds": result["seconds"],
                        **{f"{k}_seconds": v for k, v in result["seconds_by_step"].items()},
                        "total_seconds": round(time.perf_counter() - began, 2),
                        "encoder": project.encoder.identifier}
    if out is not None:
        from .report import write_report

        write_report(result, out)
    return result
