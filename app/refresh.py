"""The suggester learns while coders review: after every N decisions it is fitted again in the background.

Within a session the suggester learns each decision at once (an example, a rejection), but its calibration
(thresholds) and its linear channel stay those of its last fit; fitting again pays (docs/benchmarks.md, "Effort
simulation": on NHS comments, fitting again every 50 comments doubles the keys saved, 12% to 25%). So after every
``every`` decisions made with one suggester (the shared one, or a blind round coder's own), :class:`Refresher`:

1. fits a new :class:`ProjectSuggester` with the same settings and view in a background thread, on a connection
   of its own to the project (SQLite WAL: reading beside the app's writes), **never holding the app lock**, from
   the codings and decisions as they stand after a *mark* (the newest decision id);
2. under the app lock, swaps it in: it learns every decision made after the mark (:func:`carry_over`), then takes
   the old one's place. A suggester fitted again meanwhile (an import, a closed round) wins: the refresh is dropped.

Review sessions take it up on their next key and use it from the next segment on; the queue and the list on
screen stay (:func:`suggest.review.refresh.is_refresh_of`). The review tab shows :meth:`Refresher.status`.
"""

from __future__ import annotations

import threading
from typing import Any

from index.project import Project
from suggest.project_suggester import ProjectSuggester
from suggest.review.refresh import carry_over, last_decision, mark_refresh

DEFAULT_EVERY = 50  # decisions between refreshes (`codeseed app --refit-every N`; 0: never)
Key = tuple[str, str] | None  # None: the shared suggester; (round start, coder): a round coder's own


def key_of(suggester: ProjectSuggester) -> Key:
    view = suggester.view
    return None if view is None else (view.since, view.coder)


def fit_aside(project: Project, old: ProjectSuggester) -> tuple[ProjectSuggester, int]:
    """A suggester like ``old`` fitted on a second connection to ``project`` (the caller holds no lock), and the
    mark it was fitted after; it works on ``project`` once returned."""
    aside = Project.open(project.folder)
    try:
        aside.use_encoder(project.encoder)
        twin = ProjectSuggester(aside, group_by=old.group_by, view=old.view, **old.model.get_params())
        mark = last_decision(twin)
        twin.fit()
    finally:
        aside.close()
    twin.project = project
    return twin, mark


class Refresher:
    """Counts the decisions made with each suggester and refits it in the background every ``every`` of them."""

    def __init__(self, app: Any, every: int = DEFAULT_EVERY) -> None:
        if every < 0:
            raise ValueError("every must be 0 (never) or a number of decisions")
        self.app = app
        self.every = every
        self._lock = threading.Lock()  # guards the counts and states below, never held while fitting
        self._counts: dict[Key, int] = {}
        self._running: dict[Key, threading.Thread] = {}
        self._states: dict[Key, str] = {}

    def decided(self, suggester: ProjectSuggester, n: int = 1) -> None:
        """``n`` decisions were made with ``suggester``; the ``every``-th starts a refresh (unless one is running)."""
        if not self.every:
            return
        key = key_of(suggester)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + n
            if self._counts[key] < self.every or key in self._running:
                return
            self._counts[key] = 0
            thread = threading.Thread(target=self._refresh, args=(key, suggester, suggester.run_id), daemon=True,
                                      name=f"codeseed-refresh-{key[1] if key else 'shared'}")
            self._running[key] = thread
            self._states[key] = "Refreshing the suggestions…"
        thread.start()

    def _refresh(self, key: Key, old: ProjectSuggester, run_id: int) -> None:
        state = None
        try:
            new, mark = fit_aside(self.app.project, old)
            with self.app.lock:
                if self.app.current_suggester(key) is old and old.run_id == run_id:
                    carry_over(new, [d for d in self.app.project.store.decisions() if d["id"] > mark])
                    mark_refresh(new, old)
                    self.app.install_suggester(key, new)
                    state = f"Suggestions refreshed from {len(new.model.examples_)} coded segments."
        except Exception as error:  # a background thread: say it on screen rather than die unseen
            state = f"The suggestions could not be refreshed ({error}); they keep learning each decision."
        with self._lock:
            self._running.pop(key, None)
            if state is not None:
                self._states[key] = state
            else:
                self._states.pop(key, None)

    def status(self, suggester: ProjectSuggester | None) -> str:
        """What the review tab says about the refresh of ``suggester``: running, done, or nothing."""
        if suggester is None:
            return ""
        with self._lock:
            return self._states.get(key_of(suggester), "")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running refreshes (tests, shutting down); False if one is still running."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in threads)
