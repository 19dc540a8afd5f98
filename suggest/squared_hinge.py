"""One L2-regularised squared-hinge linear SVM per code, all codes solved together in the primal.

The objective is scikit-learn's ``LinearSVC`` (liblinear's L2R_L2LOSS_SVC) for each code k separately::

    f(w) = 1/2 ||w||^2 + C * sum_i max(0, 1 - y_ik * w . x_i)^2        y_ik in {-1, +1}

with liblinear's intercept: a feature of value 1 appended to every x_i, its weight regularised like the
others. It is strictly convex, so its minimiser is unique and any solver that reaches it gives the same
weights (``tests/test_linear.py`` checks ours against ``LinearSVC`` solved to a tight tolerance).

How: a finite Newton method (Keerthi & DeCoste 2005, "L2-SVM-MFN"): each Newton step solves
``(I + 2C X_A' X_A) s = -g`` (A: the examples inside the margin) by conjugate gradients, then an exact line
search on the piecewise-quadratic objective. Every code runs its own CG, in lockstep: the Hessian-vector
products of all still-running codes are one sparse product for the TF-IDF block and one dense BLAS product for
the embedding block, where liblinear walks the same examples once per code. Codes whose CG (or whose Newton
iterations) have finished drop out of the products.

Features come as two blocks, ``sparse`` (n, p) CSR and ``dense`` (n, q), never stacked into one matrix.
Pure numpy/scipy; no I/O.
"""

from __future__ import annotations

import numpy as np

TOL = 1e-4  # stop when ||gradient|| <= TOL * ||gradient at w = 0||, per code
CG_FORCING = 0.1  # each Newton step's CG stops at ||residual|| <= CG_FORCING * ||gradient||
MAX_NEWTON = 50
ADAPTIVE = False
MAX_CG = 250


class Blocks:
    """X = [sparse | dense | 1]: products with a (p + q + 1, m) stack of weight columns, and back."""

    def __init__(self, sparse, dense: np.ndarray) -> None:
        self.sparse = sparse
        self.sparse_t = sparse.T.tocsr() if sparse is not None else None  # rows of X' gathered, not scattered
        self.dense = np.ascontiguousarray(dense, dtype=np.float64)
        self.p = 0 if sparse is None else sparse.shape[1]
        self.n, self.q = self.dense.shape
        self.width = self.p + self.q + 1

    def times(self, W: np.ndarray) -> np.ndarray:
        """X @ W, (n, m)."""
        out = self.dense @ W[self.p:self.p + self.q]
        out += W[-1]
        if self.sparse is not None:
            out += self.sparse @ W[:self.p]
        return out

    def transpose_times(self, R: np.ndarray) -> np.ndarray:
        """X' @ R, (p + q + 1, m)."""
        out = np.empty((self.width, R.shape[1]))
        if self.sparse is not None:
            out[:self.p] = self.sparse_t @ R
        out[self.p:self.p + self.q] = self.dense.T @ R
        out[-1] = R.sum(axis=0)
        return out


def fit_squared_hinge(sparse, dense: np.ndarray, Y: np.ndarray, C: float, *, tol: float = TOL,
                      start: np.ndarray | None = None) -> np.ndarray:
    """Weights (p + q + 1, K) minimising each code's objective: rows [sparse block | dense block | intercept].

    ``Y`` is (n, K) of 0/1 (1: the example has the code). ``start`` (same shape as the result) is where the
    Newton iterations begin (zero by default); the minimiser does not depend on it.
    """
    X = Blocks(sparse, dense)
    signs = np.where(np.asarray(Y) > 0, 1.0, -1.0)
    K = signs.shape[1]
    W = np.zeros((X.width, K)) if start is None else np.array(start, dtype=np.float64)
    Z = X.times(W)
    # the gradient at w = 0 is -2C X' y: its norm is each code's yardstick
    g0 = np.linalg.norm(X.transpose_times(-2 * C * signs), axis=0)
    running = np.arange(K)
    for _ in range(MAX_NEWTON):
        active = signs[:, running] * Z[:, running] < 1
        G = W[:, running] + 2 * C * X.transpose_times(np.where(active, Z[:, running] - signs[:, running], 0.0))
        gnorm = np.linalg.norm(G, axis=0)
        unfinished = gnorm > tol * g0[running]
        running, G, active, gnorm = running[unfinished], G[:, unfinished], active[:, unfinished], gnorm[unfinished]
        if len(running) == 0:
            break
        forcing = np.minimum(CG_FORCING, np.sqrt(gnorm / g0[running])) if ADAPTIVE else CG_FORCING
        S, U = _newton_direction(X, G, active, C, forcing * gnorm)
        t = _line_search(W[:, running], Z[:, running], S, U, signs[:, running], C)
        W[:, running] += t * S
        Z[:, running] += t * U
    return W


def _newton_direction(X: Blocks, G: np.ndarray, active: np.ndarray, C: float,
                      stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CG on (I + 2C X_A' X_A) s = -g for every column at once; returns s and X @ s.

    Columns whose residual is small enough leave the products; the running ones are kept contiguous."""
    K = G.shape[1]
    S, U = np.zeros_like(G), np.zeros((X.n, K))
    live = np.arange(K)
    mask = active.astype(np.float64)
    R = -G
    P = R.copy()
    S_live, U_live = np.zeros_like(G), np.zeros((X.n, K))
    rr = np.einsum("ij,ij->j", R, R)
    for _ in range(MAX_CG):
        Q = X.times(P)
        HP = X.transpose_times(Q * mask)
        HP *= 2 * C
        HP += P
        alpha = rr / np.einsum("ij,ij->j", P, HP)
        S_live += alpha * P
        U_live += alpha * Q
        R -= alpha * HP
        rr_new = np.einsum("ij,ij->j", R, R)
        going = np.sqrt(rr_new) > stop
        if not going.all():
            done = ~going
            S[:, live[done]], U[:, live[done]] = S_live[:, done], U_live[:, done]
            if not going.any():
                return S, U
            live, stop, mask = live[going], stop[going], mask[:, going]
            R, P, rr, rr_new = R[:, going], P[:, going], rr[going], rr_new[going]
            S_live, U_live = S_live[:, going], U_live[:, going]
        P *= rr_new / rr
        P += R
        rr = rr_new
    S[:, live], U[:, live] = S_live, U_live
    return S, U


def _line_search(W: np.ndarray, Z: np.ndarray, S: np.ndarray, U: np.ndarray, signs: np.ndarray,
                 C: float) -> np.ndarray:
    """Per column, the step t > 0 minimising f(w + t s): the root of the piecewise-linear, increasing
    derivative, by Newton's method kept inside a bracket (exact once the right piece is found)."""
    ws, ss = np.einsum("ij,ij->j", W, S), np.einsum("ij,ij->j", S, S)
    K = W.shape[1]
    t = np.ones(K)
    lo, hi = np.zeros(K), np.full(K, np.inf)
    for _ in range(60):
        margin = Z + t * U
        active = signs * margin < 1
        slope = ws + t * ss + 2 * C * np.einsum("ij,ij->j", np.where(active, margin - signs, 0.0), U)
        curve = ss + 2 * C * np.einsum("ij,ij->j", np.where(active, U, 0.0), U)
        lo = np.where(slope < 0, t, lo)
        hi = np.where(slope > 0, t, hi)
        step = t - slope / curve
        inside = (step > lo) & (step < hi)
        new = np.where(inside, step, np.where(np.isfinite(hi), (lo + hi) / 2, 2 * t))
        new = np.where(slope == 0, t, new)
        if np.all(np.abs(new - t) <= 1e-12 * np.maximum(t, 1.0)):
            return new
        t = new
    return t
