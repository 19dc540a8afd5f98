"""What coders did with the suggestions: acceptance rates from the project's decision log. Pure functions.

Input is the decision log as :meth:`index.store.store.Store.decisions` returns it: dicts with ``id``,
``segment_id``, ``code_id``, ``coder``, ``decision`` ('accept', 'reject' or 'undo'), ``score``,
``undoes`` (for an 'undo' row: the id of the decision it takes back) and ``created_at`` (ISO 8601, UTC).
The log is append-only; a decision that a later 'undo' row took back does not count. Only the
*standing* accepts and rejects are counted (:func:`standing`), the same rule as
:meth:`~index.store.store.Store.standing_decisions`.

The acceptance rate is ``accepted / (accepted + rejected)``: the share of reviewed suggestions a coder
kept. It is a precision of sorts, measured on the suggestions coders chose to review, so it is not
comparable across projects without knowing how they reviewed (all suggestions, or only the confident ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["standing", "acceptance", "acceptance_by", "acceptance_over_time", "acceptance_by_score",
           "decision_summary"]

Row = Mapping[str, Any]


def standing(decisions: Iterable[Row]) -> list[Row]:
    """Accept and reject rows that no 'undo' row took back, in log order (by id)."""
    rows = sorted(decisions, key=lambda r: r["id"])
    undone = {r["undoes"] for r in rows if r["decision"] == "undo" and r.get("undoes") is not None}
    return [r for r in rows if r["decision"] in ("accept", "reject") and r["id"] not in undone]


def acceptance(rows: Iterable[Row]) -> dict[str, Any]:
    """``{"accepted", "rejected", "decisions", "rate"}`` for standing rows; rate is None without decisions."""
    rows = list(rows)
    accepted = sum(1 for r in rows if r["decision"] == "accept")
    rejected = sum(1 for r in rows if r["decision"] == "reject")
    total = accepted + rejected
    return {"accepted": accepted, "rejected": rejected, "decisions": total,
            "rate": accepted / total if total else None}


def acceptance_by(decisions: Iterable[Row], key: str | Callable[[Row], Any]) -> list[dict[str, Any]]:
    """Acceptance per value of ``key`` (a column such as 'code_id' or 'coder', or a function of a row),
    over standing decisions; in order of first appearance."""
    get = key if callable(key) else (lambda r: r[key])
    buckets: dict[Any, list[Row]] = {}
    for row in standing(decisions):
        buckets.setdefault(get(row), []).append(row)
    return [{"key": k, **acceptance(v)} for k, v in buckets.items()]


def acceptance_over_time(decisions: Iterable[Row], *, by: str = "day", window: int = 50) -> list[dict[str, Any]]:
    """Acceptance per UTC day (``by="day"``, key ``YYYY-MM-DD``) or per run of ``window`` standing
    decisions in log order (``by="window"``, key ``"1-50"``, ``"51-100"``, ...; the last may be shorter)."""
    rows = standing(decisions)
    if by == "day":
        return acceptance_by(rows, lambda r: str(r["created_at"])[:10])
    if by != "window":
        raise ValueError("by must be 'day' or 'window'")
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    out = []
    for start in range(0, len(rows), int(window)):
        chunk = rows[start:start + int(window)]
        out.append({"key": f"{start + 1}-{start + len(chunk)}", **acceptance(chunk)})
    return out


def acceptance_by_score(decisions: Iterable[Row], *, bins: int = 5) -> list[dict[str, Any]]:
    """Acceptance per band of the suggestion's score (equal-width bands on [0, 1]; rows without a score
    are left out): do coders accept high-scored suggestions more often, as calibration promises?"""
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    rows = [r for r in standing(decisions) if r.get("score") is not None]
    out = []
    for b in range(int(bins)):
        low, high = b / bins, (b + 1) / bins
        inside = [r for r in rows if low <= float(r["score"]) < high or (b == bins - 1 and float(r["score"]) >= 1.0)]
        out.append({"key": f"{low:.1f}-{high:.1f}", **acceptance(inside)})
    return out


def decision_summary(decisions: Iterable[Row], *, window: int = 50) -> dict[str, Any]:
    """Everything above in one JSON-ready dict (``overall``, ``by_code``, ``by_coder``, ``by_day``,
    ``by_window``, ``by_score``, how many decisions were ``undone``, and how many standing "no code applies"
    (``no_code``: not a decision on a suggestion, so outside the acceptance rates))."""
    rows = list(decisions)
    live = standing(rows)
    undone = {r["undoes"] for r in rows if r["decision"] == "undo"}
    return {
        "overall": acceptance(live),
        "undone": sum(1 for r in rows if r["decision"] == "undo"),
        "no_code": sum(1 for r in rows if r["decision"] == "none" and r["id"] not in undone),
        "by_code": acceptance_by(live, "code_id"),
        "by_coder": acceptance_by(live, "coder"),
        "by_day": acceptance_over_time(live, by="day"),
        "by_window": acceptance_over_time(live, by="window", window=window),
        "by_score": acceptance_by_score(live),
    }
