"""Weights on the unit simplex: the Frank-Wolfe solver of synthetic DiD and an exact
least-squares solver for synthetic control.

Arrays only; the design objects are not seen here.

:func:`frank_wolfe` minimises ``zeta^2 ||x||^2 + ||A x - b||^2 / m`` over the simplex
(``m`` = rows of ``A``) by Frank-Wolfe steps with exact line search, stopping when an iteration
lowers the objective by less than ``min_decrease^2`` -- the solver of Arkhangelsky et al.
(2021) as the R package ``synthdid`` implements it (``sc.weight.fw``), including the
two-stage "sparsify" pass (100 iterations, zero the weights at most a quarter of the largest,
then iterate to convergence), so its weights equal R's to its stopping rule.

:func:`simplex_least_squares` solves ``min ||A x - b||^2`` over the simplex exactly (an
active-set non-negative least-squares solve with the adding-up constraint as a heavily weighted
row, then a KKT check), for synthetic control where no ridge term makes the solution unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

PRE_SPARSIFY_ITERATIONS = 100


@dataclass(frozen=True)
class SimplexFit:
    """Weights, the objective at each iteration, and whether the stopping rule was met."""

    weights: np.ndarray
    values: np.ndarray
    converged: bool


def frank_wolfe(
    y: np.ndarray,
    zeta: float,
    *,
    intercept: bool,
    start: np.ndarray | None,
    min_decrease: float,
    max_iter: int,
) -> SimplexFit:
    """Regress the last column of ``y`` on the others with simplex weights (``sc.weight.fw``).

    Parameters
    ----------
    y : (m, k + 1) array; columns ``:k`` are the regressors ``A``, the last is ``b``.
    zeta : ridge penalty (on the scale of the outcome).
    intercept : demean each column first (an intercept absorbs level differences).
    start : initial weights (uniform when None).
    """
    k = y.shape[1] - 1
    m = y.shape[0]
    x = np.full(k, 1.0 / k) if start is None else np.asarray(start, dtype=float).copy()
    if intercept:
        y = y - y.mean(axis=0)
    a, b = y[:, :k], y[:, k]
    # Every quantity of a step is a Gram-matrix expression, so an iteration costs O(k), not
    # O(mk): half gradient G x - c + eta x; ||A_i - A x||^2 = G_ii - 2 (Gx)_i + x'Gx.
    gram, c, bb = a.T @ a, a.T @ b, float(b @ b)
    eta = m * zeta**2
    zeta2 = zeta**2
    gx = gram @ x
    xgx, cx, xx = float(x @ gx), float(c @ x), float(x @ x)
    values: list[float] = []
    t = 0
    while t < max_iter and (t < 2 or values[t - 2] - values[t - 1] > min_decrease**2):
        t += 1
        half_grad = gx - c + eta * x
        i = int(np.argmin(half_grad))
        # the direction d = e_i - x
        if x[i] != 1.0:
            hg_d = float(half_grad[i] - half_grad @ x)
            d_err2 = float(gram[i, i] - 2.0 * gx[i] + xgx)
            d_d = 1.0 - 2.0 * x[i] + xx
            step = min(1.0, max(0.0, -hg_d / (d_err2 + eta * d_d)))
            if step > 0.0:
                gx = gx + step * (gram[:, i] - gx)
                x = x * (1.0 - step)
                x[i] += step
                xgx, cx, xx = float(x @ gx), float(c @ x), float(x @ x)
        values.append(zeta2 * xx + (xgx - 2.0 * cx + bb) / m)
    converged = t < max_iter or (len(values) > 1 and values[-2] - values[-1] <= min_decrease**2)
    return SimplexFit(x, np.asarray(values), bool(converged))


def sparsify(v: np.ndarray) -> np.ndarray:
    """Zero the weights at most a quarter of the largest and renormalise (R ``synthdid``)."""
    out = np.where(v <= v.max() / 4, 0.0, v)
    return out / out.sum()


def sdid_weights(
    y: np.ndarray,
    zeta: float,
    *,
    intercept: bool,
    start: np.ndarray | None,
    min_decrease: float,
    max_iter: int,
) -> SimplexFit:
    """:func:`frank_wolfe` in R ``synthdid``'s two stages: 100 iterations, sparsify, then on to
    convergence from the sparsified weights."""
    first = frank_wolfe(
        y,
        zeta,
        intercept=intercept,
        start=start,
        min_decrease=min_decrease,
        max_iter=PRE_SPARSIFY_ITERATIONS,
    )
    return frank_wolfe(
        y,
        zeta,
        intercept=intercept,
        start=sparsify(first.weights),
        min_decrease=min_decrease,
        max_iter=max_iter,
    )


def simplex_least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``argmin ||a x - b||^2`` subject to ``x >= 0, sum(x) = 1``.

    Solved as non-negative least squares (Lawson-Hanson, exact active set) with the adding-up
    constraint as an extra row weighted far above the data, then renormalised; the adding-up
    error of the weighted row is of order ``(scale / big)^2``, far below any printed digit.
    """
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1.0)
    big = 1e4 * scale
    aa = np.vstack([a, np.full((1, a.shape[1]), big)])
    bb = np.append(b, big)
    x, _ = nnls(aa, bb, maxiter=50 * a.shape[1] + 100)
    total = x.sum()
    if total <= 0:
        raise ArithmeticError("simplex least squares found no feasible weights")
    return x / total
