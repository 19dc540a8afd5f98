"""How each channel scores a code for a query, and the fixed blend of them: pure numpy on the arrays the estimator
gathers (the neighbours' rows and similarities, the linear channel's decisions, the prototype similarities).

Apart from :mod:`suggest.estimator` so that the scoring rules are stated once, beside the code, and can be read
and tested without a fitted suggester. How a code c gets its score for a segment q:

* **neighbours** — the k most similar coded segments vote, each with weight ``max(0, cos)^power``;
  ``knn_c`` is the weighted share of votes for c (:func:`vote_share`). These neighbours are the *evidence*
  shown to the coder (:mod:`suggest.evidence`).
* **linear** — :class:`suggest.linear.LinearChannel` (word n-grams + embedding), for codes with enough
  examples. Blended with the neighbours as ``knn_weight * knn_c + (1 - knn_weight) * linear_c``
  (:func:`with_linear`).
* **prototype** — the codebook's own words (name, description, inclusion criteria) embedded: a softmax
  over codes of ``sim_c / temperature`` (:func:`prototype_softmax`). Blended in with weight
  ``prototype_strength / (prototype_strength + n_c)`` where n_c is the number of examples of c (:func:`fade_in`),
  so a new codebook gets suggestions from its descriptions alone and examples take over as they accumulate.
  ``sim_c`` is ``cos(q, prototype_c)``; with ``example_prototypes`` (default on) it is the mean of that and
  the mean cosine of q to c's examples (:mod:`suggest.prototypes`), so a code's prototype moves from what the
  codebook says toward what the coder has coded with it (Foye, 1–4 quotes per code: hit@1 0.567 → 0.633,
  docs/benchmarks.md).
* **rejections** — a code rejected for a segment near q is lowered by ``1 - max(0, cos)^negative_power``
  (near-duplicates strongly, loosely related segments hardly); a code rejected for q itself is never
  proposed for q again (:mod:`suggest.evidence`).

With ``learned_blend`` the learned blend also sees :func:`nearest_carrier` (:mod:`suggest.stacking`).
"""

from __future__ import annotations

import numpy as np


def vote_share(sims: np.ndarray, votes: np.ndarray, power: float) -> np.ndarray:
    """(n, n_codes) weighted share of the neighbours' votes for each code: ``sims`` (n, k) their similarities
    (-inf: padding, no vote), ``votes`` (n, k, n_codes) their codes, each neighbour weighing ``max(0, cos)^power``."""
    weights = np.where(np.isfinite(sims), np.clip(sims, 0, None), 0.0) ** power
    total = weights.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkc->nc", weights, votes) / np.where(total > 0, total, 1.0)


def nearest_carrier(sims: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """(n, n_codes) similarity of the most similar of the k neighbours carrying each code (NaN: none of them)."""
    nearest = np.where(votes > 0, sims[:, :, None], -np.inf).max(axis=1, initial=-np.inf)
    return np.where(np.isfinite(nearest), nearest, np.nan)


def with_linear(knn: np.ndarray, linear: np.ndarray, knn_weight: float) -> np.ndarray:
    """The vote share blended with the linear channel's decisions (NaN: the code has no linear model, the vote
    share alone)."""
    return np.where(np.isnan(linear), knn, knn_weight * knn + (1 - knn_weight) * linear)


def prototype_softmax(similarity: np.ndarray, temperature: float) -> np.ndarray:
    """(n, n_codes) softmax over codes of ``similarity / temperature``."""
    logits = similarity / temperature
    logits -= logits.max(axis=1, keepdims=True)
    proto = np.exp(logits)
    return proto / proto.sum(axis=1, keepdims=True)


def fade_in(blend: np.ndarray, prototype: np.ndarray, counts: np.ndarray, strength: float) -> np.ndarray:
    """The prototype channel mixed into ``blend`` with weight ``strength / (strength + n_c)``, ``counts`` the
    number of examples ``n_c`` of each code: all prototype without examples, fading as they accumulate."""
    alpha = counts / (counts + strength)
    return alpha * blend + (1 - alpha) * prototype
