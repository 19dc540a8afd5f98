"""What the suggester hands out: a suggested code with its score, rank and confidence, and the evidence behind it.

Apart from :mod:`suggest.estimator` so that what only shows, stores or exports suggestions (the review session,
the suggestions CSV, a saved model's batch) depends on these records, not on the estimator that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Evidence:
    """A coded (or rejected) segment behind a suggestion."""

    segment_id: int
    similarity: float
    coder: str | None
    polarity: int  # +1: coded with the code (or accepted); -1: the code was rejected for it


@dataclass(frozen=True)
class Suggestion:
    code: str
    score: float
    rank: int
    confident: bool
    evidence: tuple[Evidence, ...] = field(default=())
