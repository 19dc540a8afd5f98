"""Running totals over the suggester's examples, so that scoring one segment never reads every example.

Scoring needs, per code, the mean cosine of the query to the code's examples (example prototypes), how many
examples the code has (the prototype channel's fade), and which examples still carry any code (an example whose
codings were all undone no longer votes). Computed from the example matrix each time, these cost a pass over all
examples per query: 100,000 examples × 384 floats is 150 MB read for one suggestion. Kept as per-code sums of
the example vectors (d × codes), they cost a product with the codes instead, and the totals are updated in
place as decisions add or take back codings. Derived from ``vectors`` and ``Y``; never saved. Pure numpy.
"""

from __future__ import annotations

import numpy as np


class ExampleStats:
    """Per-code vector sums and counts of a 0/1 example × code matrix, kept equal to a fresh computation."""

    def __init__(self, vectors: np.ndarray, Y: np.ndarray) -> None:
        member = np.asarray(Y, dtype=np.float64)
        self.sums = np.asarray(vectors, dtype=np.float64).T @ member  # d x codes
        self.counts = member.sum(axis=0).astype(np.float64)  # examples per code
        self.codes_per_row = np.asarray(Y, dtype=np.int64).sum(axis=1)  # codes each example carries
        self.rows = len(member)

    def set(self, row: int, code: int, vector: np.ndarray, value: int, was: int) -> None:
        """Example ``row`` (appended if it is the next row) now has ``value`` (0/1) for ``code``; it had ``was``."""
        if row == self.rows:
            self.codes_per_row = np.append(self.codes_per_row, 0)
            self.rows += 1
        change = value - was
        if change:
            self.sums[:, code] += change * np.asarray(vector, dtype=np.float64).ravel()
            self.counts[code] += change
            self.codes_per_row[row] += change

    def active(self) -> np.ndarray:
        """Which examples carry at least one code (and so vote as neighbours)."""
        return self.codes_per_row > 0

    def mean_similarity(self, vectors: np.ndarray, examples: np.ndarray, Y: np.ndarray,
                        own_rows: list[int | None]) -> tuple[np.ndarray, np.ndarray]:
        """(n, codes) mean cosine of each query to each code's examples, and how many examples each mean is
        over; ``own_rows[q]``, query q's own example row (or None), never counts for q."""
        sims = np.asarray(vectors, dtype=np.float64) @ self.sums
        counts = np.zeros((len(vectors), len(self.counts))) + self.counts
        for q, row in enumerate(own_rows):
            if row is not None:
                member = np.asarray(Y[row], dtype=np.float64)
                sims[q] -= float(np.asarray(vectors[q], dtype=np.float64) @ examples[row]) * member
                counts[q] -= member
        return sims / np.maximum(counts, 1.0), counts
