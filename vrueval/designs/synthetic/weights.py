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

:func:`penalized_simplex` is the penalised synthetic control of Abadie and L'Hour (2021), a
quadratic programme on the simplex with a linear term, solved exactly by :func:`simplex_qp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from vrueval.designs.synthetic import compiled

PRE_SPARSIFY_ITERATIONS = 100


@dataclass(frozen=True)
class SimplexFit:
    """Weights (one row a problem), the last objective value and whether each problem met
    the stopping rule (rather than the iteration limit)."""

    weights: np.ndarray
    values: np.ndarray
    converged: np.ndarray


def frank_wolfe(
    y: np.ndarray,
    zeta: float,
    *,
    intercept: bool,
    start: np.ndarray | None,
    min_decrease: float,
    max_iter: int,
) -> SimplexFit:
    """Regress the last column of ``y`` on the others with simplex weights (``sc.weight.fw``),
    for a batch of problems at once.

    Parameters
    ----------
    y : (B, m, k + 1) array, or (m, k + 1) for one problem; columns ``:k`` are the regressors
        ``A``, the last is ``b``.
    zeta : ridge penalty (on the scale of the outcome).
    intercept : demean each column first (an intercept absorbs level differences).
    start : (B, k) or (k,) initial weights (uniform when None).

    Each problem runs exactly the iterations it would run alone (it stops on its own rule), so
    a batch of placebo problems gives the numbers of solving them one by one, in one loop.
    """
    single = y.ndim == 2
    if single:
        y = y[None]
        start = None if start is None else np.asarray(start, dtype=float)[None]
    n_b, m, k1 = y.shape
    k = k1 - 1
    x = np.full((n_b, k), 1.0 / k) if start is None else np.array(start, dtype=float)
    if intercept:
        y = y - y.mean(axis=1, keepdims=True)
    a, b = y[:, :, :k], y[:, :, k]
    # Every quantity of a step is a Gram-matrix expression, so an iteration costs O(k), not
    # O(mk): half gradient G x - c + eta x; ||A_i - A x||^2 = G_ii - 2 (Gx)_i + x'Gx.
    gram = np.einsum("bmi,bmj->bij", a, a)
    c = np.einsum("bmi,bm->bi", a, b)
    bb = np.einsum("bm,bm->b", b, b)
    eta = m * zeta**2
    zeta2 = zeta**2
    limit = min_decrease**2
    gx = np.einsum("bij,bj->bi", gram, x)
    if compiled.AVAILABLE:
        x, values, converged = compiled.frank_wolfe_loop(
            gram, c, bb, x, gx, eta=eta, zeta2=zeta2, limit=limit, m=m, max_iter=max_iter
        )
    else:
        x, values, converged = _numpy_loop(gram, c, bb, x, gx, eta, zeta2, limit, m, max_iter)
    if single:
        return SimplexFit(x[0], values[:1], converged[:1])
    return SimplexFit(x, values, converged)


def _numpy_loop(
    gram: np.ndarray,
    c: np.ndarray,
    bb: np.ndarray,
    x: np.ndarray,
    gx: np.ndarray,
    eta: float,
    zeta2: float,
    limit: float,
    m: int,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loop of :func:`frank_wolfe` in numpy, every problem of the batch stepped together
    (numba absent, or ``VRUEVAL_NO_NUMBA=1``; :mod:`~vrueval.designs.synthetic.compiled`
    runs the same operations compiled)."""
    n_b = x.shape[0]
    values = np.full(n_b, np.nan)
    converged = np.zeros(n_b, dtype=bool)
    # the problems still iterating, and their working copies (shrunk as problems stop)
    active = np.arange(n_b)
    xa, ga, ca, ba, gra = x.copy(), gx, c, bb, gram
    xx, xgx, cx = (xa * xa).sum(1), (xa * ga).sum(1), (ca * xa).sum(1)
    previous = np.full(n_b, np.nan)
    t = 0
    while t < max_iter and len(active):
        t += 1
        r = np.arange(len(active))
        half_grad = ga - ca + eta * xa
        i = np.argmin(half_grad, axis=1)
        xi = xa[r, i]
        hg_d = half_grad[r, i] - (half_grad * xa).sum(1)
        d_err2 = gra[r, i, i] - 2.0 * ga[r, i] + xgx
        moving = xi != 1.0  # at a vertex already: no direction
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(moving, -hg_d / (d_err2 + eta * (1.0 - 2.0 * xi + xx)), 0.0)
        step = np.clip(step, 0.0, 1.0)
        ga = ga + step[:, None] * (gra[r, :, i] - ga)
        xa = xa * (1.0 - step)[:, None]
        xa[r, i] += step
        xx, xgx, cx = (xa * xa).sum(1), (xa * ga).sum(1), (ca * xa).sum(1)
        value = zeta2 * xx + (xgx - 2.0 * cx + ba) / m
        if t >= 2:
            stop = previous - value <= limit
            if stop.any():
                done = active[stop]
                x[done], values[done], converged[done] = xa[stop], value[stop], True
                go = ~stop
                active, xa, ga, ca, ba, gra = active[go], xa[go], ga[go], ca[go], ba[go], gra[go]
                xx, xgx, cx, value = xx[go], xgx[go], cx[go], value[go]
        previous = value
    x[active], values[active] = xa, previous
    return x, values, converged


def sparsify(v: np.ndarray) -> np.ndarray:
    """Zero the weights at most a quarter of the largest and renormalise (R ``synthdid``);
    row by row for a batch."""
    out = np.where(v <= v.max(axis=-1, keepdims=True) / 4, 0.0, v)
    return out / out.sum(axis=-1, keepdims=True)


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
    constraint as an extra row weighted far above the data, which finds the support; the
    weights on it are then re-solved with the constraint exact.
    """
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1.0)
    big = 1e4 * scale
    aa = np.vstack([a, np.full((1, a.shape[1]), big)])
    bb = np.append(b, big)
    x, _ = nnls(aa, bb, maxiter=50 * a.shape[1] + 100)
    total = x.sum()
    if total <= 0:
        raise ArithmeticError("simplex least squares found no feasible weights")
    x = x / total
    return _polished(a, b, x)


def _polished(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Re-solve on the support found, with the adding-up constraint exact (the KKT system of
    least squares under ``sum = 1``); kept when every weight stays positive."""
    on = np.flatnonzero(x > 0)
    k = len(on)
    if k == 1:
        return x
    a_s = a[:, on]
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = a_s.T @ a_s
    kkt[:k, k] = kkt[k, :k] = 1.0
    rhs = np.append(a_s.T @ b, 1.0)
    sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]
    if (sol <= 0).any():
        return x
    out = np.zeros_like(x)
    out[on] = sol / sol.sum()
    return out


def simplex_qp(q: np.ndarray, c: np.ndarray, *, max_iter: int | None = None) -> np.ndarray:
    """``argmin x' q x / 2 + c' x`` subject to ``x >= 0, sum(x) = 1``, exactly, for a
    positive semi-definite ``q`` (a primal active-set method).

    Starting from the best vertex, each step solves the equality-constrained problem on the
    current support (the KKT system of ``q`` restricted to it and the adding-up row): a
    solution inside the simplex is taken, one outside is approached until a weight reaches
    zero (that weight leaves the support); where ``q`` is singular on the support and the
    objective falls along a flat direction, the step follows it to the boundary. At a
    support's optimum the gradient is equal on the support; the donor off it with the
    lowest gradient below that level joins, and none below it is the optimality certificate
    (the KKT conditions of the simplex).
    """
    n = len(c)
    scale = max(float(np.abs(q).max()), float(np.abs(c).max()), 1.0)
    diag = 0.5 * np.diag(q) + c
    x = np.zeros(n)
    x[int(np.argmin(diag))] = 1.0
    limit = max_iter if max_iter is not None else 20 * n + 50
    for _ in range(limit):
        on = np.flatnonzero(x > 0)
        step = _support_step(q, c, x, on)
        if step is not None:
            x = step
            continue
        g = q @ x + c
        level = g[on].mean()
        off = np.setdiff1d(np.arange(n), on)
        if len(off) == 0 or g[off].min() >= level - 1e-10 * scale:
            return x
        j = off[int(np.argmin(g[off]))]
        # a small move onto donor j lowers the objective (its gradient is below the level)
        x = _entered(q, c, x, j)
    raise ArithmeticError(f"simplex_qp did not converge in {limit} active-set steps")


def _support_step(q: np.ndarray, c: np.ndarray, x: np.ndarray, on: np.ndarray) -> np.ndarray | None:
    """The next point within the support ``on``, or None when ``x`` is optimal on it."""
    k = len(on)
    if k == 1:
        return None
    q_s, c_s, x_s = q[np.ix_(on, on)], c[on], x[on]
    g = q_s @ x_s + c_s
    # optimal on the support: the gradient is level there (the multiplier of the sum)
    if np.ptp(g) <= 1e-10 * max(1.0, float(np.abs(g).max())):
        return None
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = q_s
    kkt[:k, k] = kkt[k, :k] = 1.0
    rhs = np.append(-c_s, 1.0)
    sol, *_ = np.linalg.lstsq(kkt, rhs, rcond=None)
    solved = bool(np.abs(kkt @ sol - rhs).max() <= 1e-9 * max(1.0, float(np.abs(rhs).max())))
    new = _move_on_support(x_s, sol[:k], solved, q_s, np.ones(k), g)
    if new is None:
        return None
    out = np.zeros_like(x)
    out[on] = np.maximum(new, 0.0)
    return out / out.sum()


def _move_on_support(
    x_s: np.ndarray,
    optimum: np.ndarray,
    solved: bool,
    q_s: np.ndarray,
    sums: np.ndarray,
    g: np.ndarray,
) -> np.ndarray | None:
    """One active-set move within the support: to the optimum of its affine hull when the KKT
    system was ``solved`` and the optimum is feasible, else along the direction as far as the
    first weight reaching zero (set exactly to zero); None when that direction is unbounded.

    When the KKT system is singular and inconsistent, the objective is linear and falling along
    a flat direction of ``q_s`` that keeps the sums (``sums``: the rows of the sum constraints);
    that direction is followed to the boundary.
    """
    if solved:
        d = optimum - x_s
    else:
        _, sv, vt = np.linalg.svd(np.vstack([q_s, sums]))
        rank = int((sv > 1e-10 * max(float(sv[0]), 1.0)).sum())
        null = vt[rank:].T
        d = -null @ (null.T @ g)
    reach = _ray_length(x_s, d)
    if solved and reach >= 1.0:
        return x_s + d
    if not np.isfinite(reach):
        return None
    new = x_s + reach * d
    neg = d < 0
    blocking = np.flatnonzero(neg)[int(np.argmin(x_s[neg] / -d[neg]))]
    new[blocking] = 0.0
    return new


def _ray_length(x: np.ndarray, d: np.ndarray) -> float:
    """How far from ``x`` along ``d`` before a weight reaches zero."""
    neg = d < 0
    if not neg.any():
        return np.inf
    return float(np.min(x[neg] / -d[neg]))


def _entered(q: np.ndarray, c: np.ndarray, x: np.ndarray, j: int) -> np.ndarray:
    """Move from ``x`` towards the vertex ``j`` by the exact line search (at least a sliver,
    so ``j`` joins the support)."""
    d = -x.copy()
    d[j] += 1.0
    g = q @ x + c
    slope, curve = float(g @ d), float(d @ q @ d)
    t = 1.0 if curve <= 0 else min(1.0, -slope / curve)
    t = max(t, 1e-12)
    return x + t * d


def penalized_simplex(a: np.ndarray, b: np.ndarray, penalty: float) -> np.ndarray:
    """``argmin ||b - a x||^2 + penalty * sum_j x_j ||b - a_j||^2`` on the simplex: the
    penalised synthetic control of Abadie and L'Hour (2021), ``a_j`` the j-th donor's column.

    ``penalty = 0`` is :func:`simplex_least_squares` (synthetic control); as it grows the
    weight moves onto the donor nearest ``b`` (nearest-neighbour matching); in between, the
    penalty trades the fit of the average against each donor's own distance, which makes the
    solution unique and sparse where plain synthetic control has many.
    """
    if penalty == 0:
        return simplex_least_squares(a, b)
    distance = ((a - b[:, None]) ** 2).sum(axis=0)
    return simplex_qp(2.0 * a.T @ a, -2.0 * a.T @ b + penalty * distance)


def block_simplex_qp(
    q: np.ndarray,
    c: np.ndarray,
    blocks: np.ndarray,
    *,
    start: np.ndarray | None = None,
    max_iter: int | None = None,
) -> np.ndarray:
    """``argmin x' q x / 2 + c' x`` with ``x >= 0`` and the weights of each block summing to
    one (a product of simplices), exactly, for a positive semi-definite ``q``.

    :func:`simplex_qp`'s primal active-set method with one adding-up row a block: each block
    starts at its best vertex; a step solves the equality-constrained problem on the current
    support or follows a flat falling direction to the boundary; at a support's optimum the
    gradient is level within each block's support, and the weight off the support whose
    gradient lies furthest below its block's level joins (none below it: the KKT conditions).
    ``blocks`` gives each weight's block, numbered from 0; ``start``, a feasible point to
    begin from instead (a good one saves most of the steps; the optimum does not depend on it).
    """
    blocks = np.asarray(blocks, dtype=int)
    n, nb = len(c), int(blocks.max()) + 1
    member = np.zeros((n, nb))
    member[np.arange(n), blocks] = 1.0
    scale = max(float(np.abs(q).max()), float(np.abs(c).max()), 1.0)
    diag = 0.5 * np.diag(q) + c
    if start is not None:
        x = np.maximum(np.asarray(start, dtype=float), 0.0)
        x = x / (member @ (member.T @ x))
    else:
        x = np.zeros(n)
        for b in range(nb):
            idx = np.flatnonzero(blocks == b)
            x[idx[int(np.argmin(diag[idx]))]] = 1.0
    limit = max_iter if max_iter is not None else 20 * n + 50
    for _ in range(limit):
        on = np.flatnonzero(x > 0)
        step = _block_support_step(q, c, x, on, member)
        if step is not None:
            x = step
            continue
        g = q @ x + c
        level = (member[on].T @ g[on]) / member[on].sum(axis=0)
        below = g - level[blocks]
        below[on] = np.inf
        j = int(np.argmin(below))
        if below[j] >= -1e-10 * scale:
            return x
        x = _block_entered(q, c, x, j, blocks)
    raise ArithmeticError(f"block_simplex_qp did not converge in {limit} active-set steps")


def _block_support_step(
    q: np.ndarray, c: np.ndarray, x: np.ndarray, on: np.ndarray, member: np.ndarray
) -> np.ndarray | None:
    """The next point within the support ``on``, or None when ``x`` is optimal on it."""
    k = len(on)
    e = member[on]
    e = e[:, e.sum(axis=0) > 0]
    nb = e.shape[1]
    if k == nb:  # a vertex in every block: nothing to move within the support
        return None
    q_s, c_s, x_s = q[np.ix_(on, on)], c[on], x[on]
    g = q_s @ x_s + c_s
    tol = 1e-10 * max(1.0, float(np.abs(g).max()))
    spread = [np.ptp(g[e[:, b] > 0]) for b in range(nb)]
    if max(spread) <= tol:
        return None
    kkt = np.zeros((k + nb, k + nb))
    kkt[:k, :k] = q_s
    kkt[:k, k:] = e
    kkt[k:, :k] = e.T
    rhs = np.concatenate([-c_s, np.ones(nb)])
    limit = 1e-9 * max(1.0, float(np.abs(rhs).max()))
    try:  # non-singular whenever q is on the support (a ridge): a direct solve
        sol = np.linalg.solve(kkt, rhs)
    except np.linalg.LinAlgError:
        sol = np.full(len(rhs), np.inf)
    if not np.abs(kkt @ sol - rhs).max() <= limit:
        sol, *_ = np.linalg.lstsq(kkt, rhs, rcond=None)
    solved = bool(np.abs(kkt @ sol - rhs).max() <= limit)
    moved = _move_on_support(x_s, sol[:k], solved, q_s, e.T, g)
    if moved is None:
        return None
    new = np.maximum(moved, 0.0)
    new = new / (e @ (e.T @ new))  # each block sums to one again (rounding)
    out = np.zeros_like(x)
    out[on] = new
    return out


def _block_entered(
    q: np.ndarray, c: np.ndarray, x: np.ndarray, j: int, blocks: np.ndarray
) -> np.ndarray:
    """Move block ``blocks[j]`` from ``x`` towards its vertex ``j`` by the exact line search."""
    d = np.zeros_like(x)
    inside = blocks == blocks[j]
    d[inside] = -x[inside]
    d[j] += 1.0
    g = q @ x + c
    slope, curve = float(g @ d), float(d @ q @ d)
    t = 1.0 if curve <= 0 else min(1.0, -slope / curve)
    t = max(t, 1e-12)
    return x + t * d
