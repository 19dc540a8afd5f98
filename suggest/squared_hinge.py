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
# From this many examples on, the Newton iterations start from the solution on a fifth of them (seeded, so a fit
# is still a function of its data alone): about 30% fewer products on all of them at 50,000 NHS comments.
SAMPLE_START_FROM = 25_000


class Blocks:
    """X = [sparse | dense | 1]: products with a (p + q + 1, m) stack of weight columns, and back.

    Products come in two precisions: float64 (:meth:`times`, :meth:`transpose_times`) for the gradient and the
    margins, which decide convergence, and float32 (``single=True``) for the conjugate-gradient steps, which only
    need a direction whose error is small beside the current gradient (float32 rounding is relative to the
    vectors multiplied, so it shrinks with the gradient). Float32 halves the bytes read and doubles BLAS's rate:
    at 100,000 NHS comments the products were most of the fit."""

    def __init__(self, sparse, dense: np.ndarray) -> None:
        self.sparse = sparse
        self.sparse_t = sparse.T.tocsr() if sparse is not None else None  # rows of X' gathered, not scattered
        self.sparse32 = sparse.astype(np.float32) if sparse is not None else None
        self.sparse_t32 = self.sparse_t.astype(np.float32) if sparse is not None else None
        self.dense = np.ascontiguousarray(dense, dtype=np.float64)
        self.dense32 = np.ascontiguousarray(dense, dtype=np.float32)
        self.p = 0 if sparse is None else sparse.shape[1]
        self.n, self.q = self.dense.shape
        self.width = self.p + self.q + 1

    def times(self, W: np.ndarray, *, single: bool = False) -> np.ndarray:
        """X @ W, (n, m)."""
        if single:
            W = W.astype(np.float32)
        out = (self.dense32 if single else self.dense) @ W[self.p:self.p + self.q]
        out += W[-1]
        if self.sparse is not None:
            out += (self.sparse32 if single else self.sparse) @ W[:self.p]
        return out

    def transpose_times(self, R: np.ndarray, *, single: bool = False) -> np.ndarray:
        """X' @ R, (p + q + 1, m)."""
        if single:
            R = R.astype(np.float32)
        out = np.empty((self.width, R.shape[1]), dtype=R.dtype)
        if self.sparse is not None:
            out[:self.p] = (self.sparse_t32 if single else self.sparse_t) @ R
        out[self.p:self.p + self.q] = (self.dense32 if single else self.dense).T @ R
        out[-1] = R.sum(axis=0)
        return out


def fit_squared_hinge(sparse, dense: np.ndarray, Y: np.ndarray, C: float, *, tol: float = TOL,
                      start: np.ndarray | None = None) -> np.ndarray:
    """Weights (p + q + 1, K) minimising each code's objective: rows [sparse block | dense block | intercept].

    ``Y`` is (n, K) of 0/1 (1: the example has the code). ``start`` (same shape as the result) is where the
    Newton iterations begin (by default zero, or from :data:`SAMPLE_START_FROM` examples on the solution on a
    seeded fifth of them); the minimiser does not depend on it.
    """
    if start is None and len(Y) >= SAMPLE_START_FROM:
        start = sample_start(sparse, dense, Y, C)
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
        t = exact_step(W[:, running], Z[:, running], S, U, signs[:, running], C)
        W[:, running] += t * S
        Z[:, running] = X.times(W[:, running])  # in float64: U came from float32 products
    return W


def sample_start(sparse, dense: np.ndarray, Y: np.ndarray, C: float) -> np.ndarray:
    """Weights solved (loosely, to 1e-3) on a seeded fifth of the examples with C scaled by five, so that loss and
    regulariser weigh as they do on all of them: a start near the full minimiser. Codes the sample holds on no
    example, or on every one, start at zero."""
    Y = np.asarray(Y)
    n = len(Y)
    rows = np.sort(np.random.default_rng(0).choice(n, n // 5, replace=False))
    positives = Y[rows].sum(axis=0)
    learnable = (positives > 0) & (positives < len(rows))
    width = (0 if sparse is None else sparse.shape[1]) + dense.shape[1] + 1
    start = np.zeros((width, Y.shape[1]))
    if learnable.any():
        start[:, learnable] = fit_squared_hinge(None if sparse is None else sparse[rows], dense[rows],
                                                Y[rows][:, learnable], C * n / len(rows), tol=1e-3)
    return start


def _newton_direction(X: Blocks, G: np.ndarray, active: np.ndarray, C: float,
                      stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CG on (I + 2C X_A' X_A) s = -g for every column at once, the products in float32; returns s and X @ s.

    Columns whose residual is small enough leave the products; the running ones are kept contiguous. X @ s is
    one float64 product at the end rather than a sum kept over the iterations (an (n, K) update per step)."""
    K = G.shape[1]
    S = np.zeros(G.shape)
    live = np.arange(K)
    mask = active.astype(np.float32)
    R = -G
    P = R.copy()
    S_live = np.zeros_like(G)
    rr = np.einsum("ij,ij->j", R, R)
    for _ in range(MAX_CG):
        HP = X.transpose_times(X.times(P, single=True) * mask, single=True).astype(np.float64)
        HP *= 2 * C
        HP += P
        alpha = rr / np.einsum("ij,ij->j", P, HP)
        S_live += alpha * P
        R -= alpha * HP
        rr_new = np.einsum("ij,ij->j", R, R)
        going = np.sqrt(rr_new) > stop
        if not going.all():
            S[:, live[~going]] = S_live[:, ~going]
            if not going.any():
                break
            live, stop, mask = live[going], stop[going], mask[:, going]
            R, P, rr, rr_new, S_live = R[:, going], P[:, going], rr[going], rr_new[going], S_live[:, going]
        P *= rr_new / rr
        P += R
        rr = rr_new
    else:
        S[:, live] = S_live
    return S, X.times(S)


def exact_step(W: np.ndarray, Z: np.ndarray, S: np.ndarray, U: np.ndarray, signs: np.ndarray,
               C: float) -> np.ndarray:
    """Per column, the exact step t > 0 minimising f(w + t s).

    f'(t) = w.s + t s.s + 2C sum over the examples inside the margin at t of (z + t u - y) u is continuous,
    increasing and linear between the steps where an example enters or leaves the margin (z + t u = y). Examples
    whose side never changes for t > 0 add fixed terms; only those that cross are sorted by where they cross, and
    the root is read off the first piece whose right end has a non-negative slope. One pass over each code's
    margins instead of one per trial step (the trial steps were 30% of the fit at 100,000 examples)."""
    ws, ss = np.einsum("ij,ij->j", W, S), np.einsum("ij,ij->j", S, S)
    t = np.ones(W.shape[1])
    for k, (z, u, y) in enumerate(zip(Z.T.copy(), U.T.copy(), signs.T.copy())):  # one code at a time, in cache
        yz, yu = y * z, y * u
        inside = (yz < 1) | (yz == 1) & (yu < 0)  # inside the margin for every small enough t > 0
        slope0 = ws[k] + 2 * C * np.dot(inside, (z - y) * u)  # an inside example adds (z - y) u + t u^2
        slope1 = ss[k] + 2 * C * np.dot(inside, u * u)
        rows = np.flatnonzero((yu > 0) & (yz < 1) | (yu < 0) & (yz > 1))  # those that leave / enter for some t > 0
        at = (1 - yz[rows]) / yu[rows]
        order = np.argsort(at, kind="stable")
        rows, at = rows[order], at[order]
        sign = np.where(yu[rows] > 0, -1.0, 1.0)  # moving outward leaves the margin, inward enters it
        u_rows = u[rows]
        c0 = slope0 + 2 * C * np.concatenate(([0.0], np.cumsum(sign * (z[rows] - y[rows]) * u_rows)))
        c1 = slope1 + 2 * C * np.concatenate(([0.0], np.cumsum(sign * u_rows * u_rows)))
        # piece j runs from at[j-1] (0 for j = 0) to at[j] (inf for the last); its slope at its right end
        right = np.append(at, np.inf)
        with np.errstate(invalid="ignore"):
            slope_right = np.where(np.isinf(right), np.where(c1 > 0, np.inf, c0), c0 + c1 * right)
        reached = slope_right >= 0
        piece = int(np.argmax(reached)) if reached.any() else len(at)
        if c1[piece] > 0:
            t[k] = max(-c0[piece] / c1[piece], 0.0 if piece == 0 else at[piece - 1])
        elif c0[piece] == 0:
            t[k] = 1.0
    return t
