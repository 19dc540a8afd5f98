"""Fitting the suggester again while coders review: what a fresh fit must carry over, and how a review session
tells a *refresh* (same project, fitted again on more codings) from a refit after an import or a round.

A refresh is fitted on the side (the app does it in a background thread, on a connection of its own) from the
codings and decisions as they stood at a *mark* (the last decision id it saw); :func:`carry_over` then teaches it
every decision made after the mark, exactly as the decision log stands, so nothing a coder did meanwhile is lost.
:func:`mark_refresh` stamps it; a session whose suggester it replaces keeps its queue and the list on screen and
uses it from the next segment on (:func:`is_refresh_of`), while any other new suggester rebuilds the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from suggest.project_suggester import ProjectSuggester


def refit(project: Any, suggester: ProjectSuggester) -> None:
    """After an import: index new segments and fit the suggester again (review sessions notice and rebuild)."""
    project.build_index()
    suggester.fit()


def last_decision(suggester: ProjectSuggester) -> int:
    """The mark: the id of the newest decision in the log (0 when there is none)."""
    return max((int(d["id"]) for d in suggester.project.store.decisions()), default=0)


def carry_over(suggester: ProjectSuggester, decisions: Iterable[dict[str, Any]]) -> int:
    """Teach ``suggester`` the decisions made after its mark; returns how many segments it relearned.

    Each segment such a decision touched counts for and against its codes (every code, for "no code applies")
    exactly as its standing codings and decisions now say, whether the fit saw the decision or not."""
    touched: dict[int, set[str] | None] = {}
    for d in decisions:
        segment = int(d["segment_id"])
        if d["code_id"] is None:
            touched[segment] = None
        elif touched.get(segment, set()) is not None:
            touched.setdefault(segment, set()).add(d["code_id"])
    if touched:
        suggester.relearn({s: (codes if codes is not None else list(suggester.model.codes_))
                           for s, codes in touched.items()})
    return len(touched)


def mark_refresh(new: ProjectSuggester, old: ProjectSuggester) -> None:
    """Stamp ``new`` as a refresh of ``old`` (and of whatever ``old`` refreshed)."""
    new.refreshes = getattr(old, "refreshes", frozenset()) | {old.run_id}
    new.refresh_run = new.run_id


def is_refresh_of(new: ProjectSuggester, run_id: int | None) -> bool:
    """Whether ``new`` was fitted on the side to replace the suggester of run ``run_id`` (and has not been fitted
    again in place since, as after an import)."""
    return (run_id is not None and run_id in getattr(new, "refreshes", ())
            and getattr(new, "refresh_run", None) == getattr(new, "run_id", None))
