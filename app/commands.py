"""What a review button sends from the browser, read and checked in one place.

The page (``static/keys.js``, ``window.csCommand``) sends one JSON object per button press::

    {"action": "accept", "segment": "42", "code": "W", "coder": "ana", "seq": 7}

``seq`` numbers the page's commands in the order pressed (1, 2, 3 ... per page load): the server applies one tab's
commands in that order (:mod:`app.ordering`), so U pressed right after X undoes that X whatever order the two
requests arrive in. :meth:`Command.parse` turns it into a typed :class:`Command` or raises a :class:`CodeseedError` that names the
field at fault; nothing else in the app reads the raw text. A new review action is one more name in ``ACTIONS``
and one more branch in :meth:`Command.apply`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from index.errors import CodeseedError
from suggest.review import ReviewSession

# action -> what it does to the session (accept and reject act on `code`, or the focused suggestion if empty)
ACTIONS = ("accept", "reject", "none", "next", "previous", "skip", "undo")  # none: no code applies (key 0)
FIELDS = ("action", "segment", "code", "coder", "seq")
FIX = "reload the page; if it happens again, report it with the text above"


@dataclass(frozen=True)
class Command:
    action: str
    segment: int | None = None  # the segment on screen when the key was pressed (None: none shown)
    code: str | None = None  # the focused suggestion's code, for accept/reject
    coder: str | None = None  # the coder name in the box (None: not sent)
    seq: int | None = None  # the page's number for this command, 1 for the first after loading (None: not sent)

    @classmethod
    def parse(cls, text: str | None) -> Command:
        try:
            raw = json.loads(text or "")
        except ValueError:
            raise CodeseedError(f"the browser sent a command that is not JSON: {clip(text)}", field="command",
                                fix=FIX) from None
        if not isinstance(raw, dict):
            raise CodeseedError(f"the browser sent {clip(text)}, not a command object", field="command", fix=FIX)
        unknown = sorted(set(raw) - set(FIELDS))
        if unknown:
            raise CodeseedError(f"unknown field {unknown[0]!r} in the command (known: {', '.join(FIELDS)})",
                                field="command", fix=FIX)
        action = raw.get("action")
        if action not in ACTIONS:
            raise CodeseedError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})", field="action", fix=FIX)
        return cls(action=action, segment=_segment(raw.get("segment")), code=_text(raw, "code") or None,
                   coder=_text(raw, "coder"), seq=_seq(raw.get("seq")))

    def apply(self, session: ReviewSession, *, fixed_coder: bool) -> None:
        """Do it to ``session``: first take up a changed coder name (unless the server fixed it), then act."""
        if not fixed_coder and self.coder is not None and self.coder != (session.coder or ""):
            session.set_coder(self.coder)
        if self.action == "accept":
            session.accept(self.code, segment_id=self.segment)
        elif self.action == "reject":
            session.reject(self.code, segment_id=self.segment)
        elif self.action == "none":
            session.no_code(segment_id=self.segment)
        else:
            getattr(session, self.action)()  # next, previous, skip, undo: the session's methods of that name


def _segment(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise CodeseedError(f"segment {value!r} is not a segment id", field="segment", fix=FIX)


def _seq(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise CodeseedError(f"seq {clip(value)} is not a command number (1, 2, 3 ...)", field="seq", fix=FIX)


def _text(raw: dict, field: str) -> str | None:
    value = raw.get(field)
    if value is None or isinstance(value, str):
        return value
    raise CodeseedError(f"{field} {value!r} is not text", field=field, fix=FIX)


def clip(text: Any, limit: int = 80) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
