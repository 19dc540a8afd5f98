"""The learned blend: the suggester's channels weighted by how well each predicts in the project's own
cross-validation, instead of by fixed priors. Pure numpy.

The fixed blend (:mod:`suggest.channels`) mixes the neighbour vote share with the linear channel at
``knn_weight`` and fades the prototype channel in by ``n_c / (n_c + prototype_strength)``, then Platt-scales
the mix. With ``learned_blend`` the suggester keeps each channel's out-of-fold score per (example, code) —
the features in :data:`FEATURES` — and fits **one** small logistic regression shared by all codes that maps
them to a probability; it replaces the blend and Platt scaling, and the thresholds are chosen from its
out-of-fold probabilities as before.

Few parameters, and regularised toward today's blend: the L2 penalty pulls the coefficients toward the Platt
fit of the fixed blend (its coefficient on the ``blend`` feature, zero on every other feature), so with few
out-of-fold positives the learned blend *is* the fixed blend, and a channel gets weight only as far as the
project's own data show it predicts. Under ``min_positives`` positives there is no fit at all (the fixed blend
and Platt scaling are used): 20 per coefficient, 360 — Foye's 30 quotes and NHS at 5 examples per code (about
300 out-of-fold positives) never reach it, NHS at 10 per code does. At 10 per coefficient the NHS curve at 5 per
code lost 0.019 micro-F1 to the fixed blend (docs/benchmarks.md, "Learned blend").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from suggest.calibration import apply_platt, fit_platt

#: What the learned blend sees for a (segment, code): each a column of :meth:`Channels.features`.
FEATURES = (
    "blend",            # the fixed blend, before Platt scaling (so the learned blend can stay today's)
    "knn",              # the neighbours' weighted vote share
    "linear",           # the linear channel's squashed decision (0 where the code has no linear model)
    "linear_fitted",    # 1 where the code has a linear model
    "prototype",        # the prototype channel's softmax over codes
    "codebook",         # cosine to the code's codebook text
    "examples",         # mean cosine to the code's coded examples (0 where it has none)
    "nearest",          # cosine of the most similar of the k neighbours carrying the code (0 where none does)
    "log_examples",     # log(1 + number of examples of the code)
    "top1",             # 1 for the code the fixed blend ranks first for the segment
    "blend_margin",     # fixed blend minus the segment's best fixed blend (0 for the top code)
    "codebook_margin",  # codebook cosine minus the segment's best codebook cosine
    "examples_margin",  # example cosine minus the segment's best example cosine
    "nearest_margin",   # nearest-example cosine minus the segment's best nearest-example cosine
    "logit_blend",      # log(b / (1 - b)) of the fixed blend b (softened by 0.001): its natural scale for a logit
)


@dataclass
class Channels:
    """The channels' scores for n segments and all codes, each (n, n_codes); ``counts`` (n_codes,)."""

    blend: np.ndarray
    knn: np.ndarray
    counts: np.ndarray
    linear: np.ndarray | None = None  # NaN where the code has no linear model
    prototype: np.ndarray | None = None
    codebook: np.ndarray | None = None
    examples: np.ndarray | None = None  # NaN where the code has no examples
    nearest: np.ndarray | None = None  # NaN where none of the k neighbours carries the code

    def features(self) -> np.ndarray:
        """(n, n_codes, len(FEATURES)), in the order of :data:`FEATURES`; absent channels are 0."""
        n, n_codes = self.blend.shape
        zero, missing = np.zeros((n, n_codes)), np.full((n, n_codes), np.nan)
        linear = missing if self.linear is None else self.linear
        examples = missing if self.examples is None else self.examples
        nearest = missing if self.nearest is None else self.nearest
        codebook = zero if self.codebook is None else self.codebook
        has_examples, has_nearest = ~np.isnan(examples), ~np.isnan(nearest)
        examples, nearest = np.where(has_examples, examples, 0.0), np.where(has_nearest, nearest, 0.0)
        columns = {
            "blend": self.blend, "knn": self.knn,
            "linear": np.nan_to_num(linear, nan=0.0), "linear_fitted": (~np.isnan(linear)).astype(float),
            "prototype": zero if self.prototype is None else self.prototype,
            "codebook": codebook, "examples": examples, "nearest": nearest,
            "log_examples": np.broadcast_to(np.log1p(self.counts), (n, n_codes)),
            "top1": _is_top(self.blend), "blend_margin": _margin(self.blend),
            "codebook_margin": _margin(codebook),
            "examples_margin": _margin(np.where(has_examples, examples, -1.0), where=has_examples),
            "nearest_margin": _margin(np.where(has_nearest, nearest, -1.0), where=has_nearest),
            "logit_blend": _logit(self.blend),
        }
        return np.stack([np.asarray(columns[name], dtype=np.float64) for name in FEATURES], axis=-1)

    def probabilities(self, platt: tuple[float, float], stack: "LearnedBlend | None") -> np.ndarray:
        """Calibrated scores: the learned blend where there is one, else the Platt-scaled fixed blend."""
        return stack.probabilities(self.features()) if stack is not None else apply_platt(self.blend, *platt)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, 1.0)  # float32 sums can pass 1 by 1e-7
    return np.log((p + 1e-3) / (1 + 1e-3 - p))


def _is_top(scores: np.ndarray) -> np.ndarray:
    if scores.shape[1] == 0:
        return np.zeros_like(scores)
    return (np.arange(scores.shape[1]) == np.argmax(scores, axis=1)[:, None]).astype(float)


def _margin(scores: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    if scores.shape[1] == 0:
        return np.zeros_like(scores)
    margin = scores - scores.max(axis=1, keepdims=True)
    return margin if where is None else np.where(where, margin, -1.0)


@dataclass(frozen=True)
class LearnedBlend:
    """p = sigmoid(features · weights + bias); ``features`` names the columns the weights are for."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if len(self.features) != features.shape[-1]:
            raise ValueError(f"the learned blend was fitted on {len(self.features)} features, "
                             f"given {features.shape[-1]}")
        return _sigmoid(features @ np.asarray(self.weights) + self.bias)

    def to_json(self) -> dict:
        return {"features": list(self.features), "weights": list(self.weights), "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict | None) -> "LearnedBlend | None":
        if data is None:
            return None
        if tuple(data["features"]) != FEATURES:  # a blend from another version: refit rather than misread
            raise ValueError("the learned blend was fitted on other features")
        return cls(tuple(data["features"]), tuple(float(w) for w in data["weights"]), float(data["bias"]))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def fit_calibration(oof: np.ndarray, Y: np.ndarray, *, learned: bool
                    ) -> tuple[tuple[float, float], "LearnedBlend | None", np.ndarray]:
    """What the suggester's calibration fits on out-of-fold channel scores ``oof`` (n, n_codes, F; feature 0 the
    fixed blend, see ``CodeSuggester.channel_scores``): Platt scaling of the fixed blend and, if ``learned``, the
    learned blend. Returns (Platt's (a, b), the learned blend or None, out-of-fold probabilities, NaN: unscored)."""
    valid = ~np.isnan(oof).any(axis=-1)
    platt = fit_platt(oof[..., 0][valid], Y[valid])
    stack = fit_learned_blend(oof, Y, platt) if learned else None
    probabilities = stack.probabilities(oof) if stack is not None else apply_platt(oof[..., 0], *platt)
    probabilities[~valid] = np.nan
    return platt, stack, probabilities


def fit_learned_blend(features: np.ndarray, Y: np.ndarray, platt: tuple[float, float], *, l2: float = 1.0,
                      min_positives: int | None = None, iterations: int = 100,
                      max_rows: int = 500_000) -> LearnedBlend | None:
    """Fit the shared logistic regression on out-of-fold ``features`` (n, n_codes, F) against ``Y`` (n, n_codes).

    The penalty ``l2/2 · |w - w_platt|²`` on standardised features pulls toward the Platt fit ``platt`` of the
    fixed blend (feature 0). Rows with a NaN feature are left out. None under ``min_positives`` positives
    (default: 20 per coefficient, twice the usual events-per-variable rule for logistic regression). Past ``max_rows``
    (segment, code) rows a seeded uniform sample of them is fitted: 18 coefficients need no more, and memory stays
    bounded on a large project (NHS, 5,000 examples × 45 codes, is under it).
    """
    if min_positives is None:
        min_positives = 20 * (features.shape[-1] + 1)
    X = features.reshape(-1, features.shape[-1])
    y = np.asarray(Y, dtype=np.float64).reshape(-1)
    keep = ~np.isnan(X).any(axis=1)
    X, y = X[keep], y[keep]
    if len(y) > max_rows:
        pick = np.sort(np.random.default_rng(0).choice(len(y), max_rows, replace=False))
        X, y = X[pick], y[pick]
    if y.sum() < min_positives or y.sum() == len(y):
        return None
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    Z = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
    prior = np.zeros(Z.shape[1])
    a, b = platt
    prior[0], prior[-1] = a * scale[0], b + a * mean[0]  # the Platt map of the blend, in standardised units
    penalty = np.full(Z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is free
    w = _newton(Z, y, prior, penalty, iterations)
    weights = w[:-1] / scale
    bias = w[-1] - float(weights @ mean)
    return LearnedBlend(FEATURES, tuple(float(x) for x in weights), float(bias))


def _newton(Z: np.ndarray, y: np.ndarray, prior: np.ndarray, penalty: np.ndarray, iterations: int) -> np.ndarray:
    """Minimise the penalised log-loss by Newton steps, halving a step that does not lower it."""
    def loss(w: np.ndarray) -> float:
        z = Z @ w
        return float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(penalty * (w - prior) ** 2))

    w, current = prior.copy(), loss(prior)
    for _ in range(iterations):
        p = _sigmoid(Z @ w)
        gradient = Z.T @ (p - y) + penalty * (w - prior)
        hessian = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        for _ in range(30):
            if loss(w - step) <= current:
                break
            step = step / 2
        w, previous = w - step, current
        current = loss(w)
        if np.abs(step).max() < 1e-9 or previous - current < 1e-10 * max(1.0, abs(current)):
            break
    return w
