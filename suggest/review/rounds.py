"""The review in a blind coding round (:mod:`index.rounds`): which suggester a coder reviews with, and which
segments their queue holds. A round coder's suggester has a view (:class:`index.rounds.CoderView`); through it the
session sees only the codings and decisions from before the round and the coder's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from index.rounds import current_round
from suggest.project_suggester import ProjectSuggester

SuggesterFor = Callable[[str | None], ProjectSuggester]  # coder -> the suggester they review with


def overlap(project: Any, suggester: ProjectSuggester) -> set[int] | None:
    """The open round's segments when ``suggester`` is a round coder's, else None (no restriction)."""
    if suggester.view is None:
        return None
    found = current_round(project.store)
    return set(found.segment_ids) if found is not None else None


def blind_note(project: Any, suggester: ProjectSuggester) -> str | None:
    """What the card says while the coder codes blind, else None."""
    if suggester.view is None:
        return None
    found = current_round(project.store, segments=False)
    if found is None:
        return None
    others = ", ".join(c for c in found.coders if c != suggester.view.coder)
    return (f"Blind round {found.id}: you see only your own work and what was coded before the round, "
            f"not {others}'s.")
