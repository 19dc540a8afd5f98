"""What every tab of the coding app shares: one project, one suggester, one lock, and how an error is shown.

A :class:`CodingApp` is one project served to any number of browser tabs. While a blind coding round is open
(:mod:`index.rounds`), each of its coders gets a suggester of their own (:meth:`CodingApp.suggester_for`), fitted on
the codings in place before the round and that coder's decisions only; everyone else shares ``app.suggester``. Each browser tab's review state is a
:class:`~suggest.review.ReviewSession` (its queue, position and coder) that holds ``app.lock`` for every call, so
coders' decisions never interleave on the one SQLite connection and every coder's decision teaches the suggester
the others use. Anything else touching the project holds ``app.lock`` too.

Two helpers keep the review loop honest: :attr:`CodingApp.key_orders` applies each tab's key commands in the order
pressed (:mod:`app.ordering`), and :attr:`CodingApp.refresher` fits the suggester again in the background after
every so many decisions (:mod:`app.refresh`; ``refit_every``, 0: never), swapping it in under the lock.

Errors: every handler catches :class:`~index.errors.CodeseedError` (the root of every error a user can act on:
bad input, project state, and the index layer's ``ModelError`` / ``IndexMismatchError``) and shows
``str(error)`` as the app's own message (:func:`app.render.message`), never Gradio's generic popup.
"""

from __future__ import annotations

import itertools
import threading

from index.errors import CodeseedError
from index.types import coder_name
from index.project import Project
from index.rounds import view_for
from suggest.project_suggester import ProjectSuggester
from suggest.review import ReviewSession

from .ordering import KeyOrders
from .refresh import DEFAULT_EVERY, Key, Refresher
from .render import render_card, render_failure, render_side


class CodingApp:
    """One project served to any number of browser tabs; ``build()`` gives the Gradio page."""

    def __init__(self, project: Project, *, coder: str | None = None, suggester: ProjectSuggester | None = None,
                 refit_every: int = DEFAULT_EVERY):
        self.project = project
        self.coder = coder_name(coder)  # fixed by the server (--coder): the coder box is read-only
        self.lock = threading.RLock()
        self.renders = itertools.count(1)  # every answer to the browser is numbered: tests see when one arrived
        self.coder_suggesters: dict[tuple[str, str], ProjectSuggester] = {}  # (round start, coder) -> suggester
        self.predictions: dict[int, dict[int, set[str]] | None] = {}  # round id -> the pre-round suggester's codes
        self.key_orders = KeyOrders()  # each browser tab's commands, applied in the order pressed
        self.refresher = Refresher(self, refit_every)  # fits the suggesters again in the background as coders decide
        with self.lock:
            self.suggester = suggester or ProjectSuggester(project).fit()

    def suggester_for(self, coder: str | None) -> ProjectSuggester:
        """The suggester ``coder`` reviews with: their own while they code in an open round, else the shared one."""
        with self.lock:
            view = view_for(self.project.store, coder)
            if view is None:
                return self.suggester
            key = (view.since, view.coder)
            if key not in self.coder_suggesters:
                self.coder_suggesters[key] = ProjectSuggester(self.project, view=view).fit()
            return self.coder_suggesters[key]

    def current_suggester(self, key: Key) -> ProjectSuggester | None:
        """The suggester in use under ``key`` (None: the shared one; else a round coder's), if any."""
        return self.suggester if key is None else self.coder_suggesters.get(key)

    def install_suggester(self, key: Key, suggester: ProjectSuggester) -> None:
        """Put ``suggester`` in the place of the one under ``key`` (the caller holds :attr:`lock`)."""
        if key is None:
            self.suggester = suggester
        else:
            self.coder_suggesters[key] = suggester

    def round_predictions(self) -> dict[int, set[str]] | None:
        """The confident codes of the suggester fitted before the latest round, per round segment (cached)."""
        from eval.team_agreement import round_predictions
        from index.rounds import all_rounds

        with self.lock:
            rounds = all_rounds(self.project.store)
            if not rounds:
                return None
            if rounds[-1].id not in self.predictions:
                self.predictions[rounds[-1].id] = round_predictions(self.project)
            return self.predictions[rounds[-1].id]

    def new_session(self, coder: str | None) -> ReviewSession:
        coder = self.coder or coder
        return ReviewSession(self.project, self.suggester_for(coder), coder, lock=self.lock,
                             suggester_for=self.suggester_for)

    def view(self, session: ReviewSession, error: str | None = None) -> tuple[str, str]:
        """The review card and side panel for ``session`` (with ``error`` shown), or the error that stopped them."""
        render = next(self.renders)
        try:
            card = session.card()
        except CodeseedError as exc:
            return render_failure(str(exc), render)
        status = self.refresher.status(session.suggester)
        return render_card(card), render_side(card, error, render=render, status=status)

    def failure(self, text: str) -> tuple[str, str]:
        """The review card and side panel when no session could be made: the error instead."""
        return render_failure(text, next(self.renders))

    def build(self):
        """The Gradio page: the header and one tab per entry of :data:`app.tabs.TABS`."""
        from .layout import build

        return build(self)
