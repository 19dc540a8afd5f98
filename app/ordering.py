"""Keys never overtake each other: a browser tab's review commands are applied strictly in the order pressed.

The page numbers every command it sends (``seq``: 1, 2, 3 ... per page load, ``static/keys.js``), and the server
applies one tab's commands in that order, whatever order their requests arrive in:

- the next one (``seq`` = last applied + 1) is applied at once;
- one that arrives early waits (up to :data:`WAIT` seconds) for its predecessors; if one never comes (its request
  was lost), it is applied after the wait, and the lost one, should it turn up later, counts as stale;
- a duplicate or stale one (``seq`` at or below the last applied) is ignored: it changes nothing.

Waiting never holds the app lock (:attr:`app.core.CodingApp.lock`), so the predecessor can get it; one tab's
commands are applied one at a time (this tab's own condition), other tabs' run as before.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

WAIT = 3.0  # seconds an early command waits for the ones pressed before it


class KeyOrder:
    """The last applied ``seq`` of one browser tab, and the condition its early commands wait on."""

    def __init__(self, wait: float = WAIT) -> None:
        self.wait = wait
        self.applied = 0
        self._turn = threading.Condition()

    def run(self, seq: int | None, apply: Callable[[], None]) -> bool:
        """Call ``apply`` in ``seq``'s turn; False (and nothing done) for a duplicate or stale ``seq``.

        ``seq=None`` (a caller that does not number its commands) is applied at once, in no particular order."""
        if seq is None:
            apply()
            return True
        with self._turn:
            self._turn.wait_for(lambda: self.applied >= seq - 1, timeout=self.wait)
            if seq <= self.applied:
                return False
            try:
                apply()
            finally:  # applied or refused with an error: either way its turn is over
                self.applied = seq
                self._turn.notify_all()
        return True


class KeyOrders:
    """One :class:`KeyOrder` per review session (a browser tab), kept as long as the session lives."""

    def __init__(self, wait: float = WAIT) -> None:
        self.wait = wait
        self._orders: weakref.WeakKeyDictionary[Any, KeyOrder] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def of(self, session: Any) -> KeyOrder:
        with self._lock:
            if session not in self._orders:
                self._orders[session] = KeyOrder(self.wait)
            return self._orders[session]
