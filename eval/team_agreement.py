"""The project side of the Agreement tab: every pair of coders on the segments both reviewed, and the suggester
beside them (:mod:`eval.pairwise` does the numbers).

The suggester set beside the coders is the one they coded with: fitted on the codings and decisions in place
before the latest round started (open or closed), and asked about the round's segments, which it never saw coded.
Without a round the coders' shared segments may be among its examples, so it is left out (``codeseed eval``
cross-validates it instead).
"""

from __future__ import annotations

import itertools
from typing import Any

from index.project import Project
from index.rounds import CoderView, all_rounds, ratings

from .pairwise import pair_agreement

__all__ = ["round_predictions", "project_agreement"]


def round_predictions(project: Project) -> dict[int, set[str]] | None:
    """The confident codes of the suggester fitted on what was there before the latest round, per round segment."""
    from suggest.project_suggester import ProjectSuggester

    rounds = all_rounds(project.store)
    if not rounds:
        return None
    latest = rounds[-1]
    before = CoderView(coder="\0", since=latest.started_at)  # nobody's own rows: only those before the round
    suggester = ProjectSuggester(project, view=before).fit()
    ids = list(latest.segment_ids)
    ranked = suggester.suggest(ids, top=len(suggester.codes), store=False)
    return {i: {s.code for s in ranked[i] if s.confident} for i in ids}


def project_agreement(project: Project, *, include_uncoded: bool = True, n_boot: int = 500,
                      predicted: dict[int, set[str]] | None = None) -> list[dict[str, Any]]:
    """``pair_agreement`` for every pair of coders who reviewed a segment in common (by coder name)."""
    store = project.store
    found = ratings(store)
    codes = [c.id for c in store.codes()]
    documents = {s.id: s.document for s in store.segments()}
    out = []
    for a, b in itertools.combinations(sorted(found), 2):
        result = pair_agreement(found, a, b, codes, documents, include_uncoded=include_uncoded, n_boot=n_boot,
                                predicted=predicted)
        if result is not None:
            out.append(result)
    return out
