"""Partially pooled synthetic control weights for staggered adoption (Ben-Michael, Feller and
Rothstein 2022): arrays only; the design is :mod:`vrueval.designs.synthetic.multisynth`.

Treated unit ``j`` (first treated at column ``T_j``) has its own simplex weights ``gamma_j`` over
its donors, fitted on its ``L_j`` pre-periods ``T_j - 1, ..., T_j - L_j`` (its lags). Its
imbalance at lag ``l`` is ``delta_jl = Y_j,T_j-l - sum_i gamma_ij Y_i,T_j-l`` (zero at a lag
beyond ``L_j``), and the weights of all treated units together minimise

    nu * || (1/J) sum_j delta_j ||^2  +  (1 - nu) * (1/J) sum_j ||delta_j||^2
        +  lambda * sum_j ||gamma_j||^2,

the pooled (average) imbalance against the unit-level imbalance, with a ridge penalty. ``nu = 0``
is a separate synthetic control for every unit, ``nu = 1`` balances only the average. With
``fixedeff`` every series in unit ``j``'s problem (the unit and its donors) is first de-meaned by
its mean over ``j``'s lags, so each synthetic control is shifted to the unit's own pre-period
level (an intercept). The problem is one quadratic programme on a product of simplices, solved
exactly by :func:`~vrueval.designs.synthetic.weights.block_simplex_qp`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vrueval.designs.synthetic.weights import (
    block_simplex_qp,
    simplex_least_squares,
    simplex_qp,
)

#: The most weights (treated units x their donors) the dense exact solver takes.
MAX_WEIGHTS = 6000


@dataclass(frozen=True)
class Problem:
    """The treated units' lag matrices.

    Attributes
    ----------
    targets : each treated unit's lagged outcomes, lag 1 first (length ``L_j``).
    donors : each unit's donors' lagged outcomes, ``(L_j, n_j)``, rows as ``targets``.
    """

    targets: tuple[np.ndarray, ...]
    donors: tuple[np.ndarray, ...]

    @property
    def max_lag(self) -> int:
        return max(len(t) for t in self.targets)


@dataclass(frozen=True)
class PooledFit:
    """Weights (one array a treated unit, over its donors), the imbalances and ``nu``."""

    weights: tuple[np.ndarray, ...]
    imbalance: tuple[np.ndarray, ...]
    nu: float
    pooled: float  # || (1/J) sum_j delta_j ||
    separate: float  # sqrt((1/J) sum_j ||delta_j||^2)


def problem(
    y: np.ndarray,
    rows: Sequence[int],
    starts: Sequence[int],
    donor_rows: Sequence[np.ndarray],
    lags: Sequence[int],
    fixedeff: bool,
) -> Problem:
    """Lag matrices from the unit x period matrix ``y``: treated unit ``rows[j]`` first treated
    at column ``starts[j]``, its donors ``donor_rows[j]``, its ``lags[j]`` pre-periods."""
    targets, donors = [], []
    for r, s, dr, lag in zip(rows, starts, donor_rows, lags, strict=True):
        cols = np.arange(s - 1, s - lag - 1, -1)
        t, a = y[r, cols], y[np.ix_(dr, cols)].T
        if fixedeff:
            t, a = t - t.mean(), a - a.mean(axis=0)
        targets.append(t)
        donors.append(a)
    return Problem(tuple(targets), tuple(donors))


#: The default ridge as a share of the lagged outcomes' mean square (see :func:`default_ridge`).
DEFAULT_RIDGE_SHARE = 1e-6


def default_ridge(p: Problem) -> float:
    """A ridge negligible against the fit (``1e-6`` of the mean square of the lagged outcomes,
    de-meaned with ``fixedeff``) that makes the objective strictly convex: without one, a unit
    with fewer lags than donors has many weightings fitting equally well, and which one an
    exact solver returns (and so the post-period effect) would depend on its path."""
    cells = [np.concatenate([t, a.ravel()]) for t, a in zip(p.targets, p.donors, strict=True)]
    square = float(np.mean(np.concatenate(cells) ** 2))
    return DEFAULT_RIDGE_SHARE * square if square > 0 else DEFAULT_RIDGE_SHARE


def imbalances(p: Problem, weights: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    return tuple(t - a @ w for t, a, w in zip(p.targets, p.donors, weights, strict=True))


def measures(p: Problem, deltas: Sequence[np.ndarray]) -> tuple[float, float]:
    """The pooled and the unit-level (root mean square over units) imbalance."""
    total = np.zeros(p.max_lag)
    for d in deltas:
        total[: len(d)] += d
    pooled = float(np.linalg.norm(total / len(deltas)))
    separate = float(np.sqrt(np.mean([d @ d for d in deltas])))
    return pooled, separate


def solve(
    p: Problem, nu: float, ridge: float, start: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, ...]:
    """The weights minimising the objective of the module docstring, exactly (``start``:
    weights to begin the active-set search from, e.g. the separate fits')."""
    j_units = len(p.targets)
    if nu == 0.0 and ridge == 0.0:  # separable, plain synthetic control a unit
        return tuple(simplex_least_squares(a, t) for t, a in zip(p.targets, p.donors, strict=True))
    if nu == 0.0:  # separable: one ridge-penalised synthetic control a unit
        return tuple(
            simplex_qp(
                2.0 * (a.T @ a / j_units + ridge * np.eye(a.shape[1])), -2.0 * a.T @ t / j_units
            )
            for t, a in zip(p.targets, p.donors, strict=True)
        )
    lmax = p.max_lag
    sizes = [a.shape[1] for a in p.donors]
    n = int(sum(sizes))
    if n > MAX_WEIGHTS:
        raise ValueError(
            f"{j_units} treated units x their donors make {n} weights; the exact solver holds "
            f"their {n} x {n} quadratic form and stops at {MAX_WEIGHTS}: fit fewer units or donors"
        )
    # the donors of every unit side by side, each padded to the longest lag
    wide = np.zeros((lmax, n))
    total = np.zeros(lmax)
    h = np.zeros((n, n))
    lin = np.zeros(n)
    first = 0
    for t, a, k in zip(p.targets, p.donors, sizes, strict=True):
        sl = slice(first, first + k)
        wide[: len(t), sl] = a
        total[: len(t)] += t
        h[sl, sl] += (1.0 - nu) / j_units * (a.T @ a)
        lin[sl] -= (1.0 - nu) / j_units * (a.T @ t)
        first += k
    h += nu / j_units**2 * (wide.T @ wide) + ridge * np.eye(n)
    lin -= nu / j_units**2 * (wide.T @ total)
    blocks = np.repeat(np.arange(j_units), sizes)
    if start is None:
        start = solve(p, 0.0, ridge)
    x = block_simplex_qp(2.0 * h, 2.0 * lin, blocks, start=np.concatenate(list(start)))
    return tuple(np.split(x, np.cumsum(sizes)[:-1]))


def fit(p: Problem, nu: float | None, ridge: float) -> PooledFit:
    """Solve with ``nu``, or with the paper's default: the pooled imbalance of the separate
    synthetic controls (``nu = 0``) over their unit-level imbalance (between 0 and 1; near 1
    when the units' imbalances share a sign, so pooling is cheap and worth weighting)."""
    if nu is None:
        separate = solve(p, 0.0, ridge)
        pooled0, sep0 = measures(p, imbalances(p, separate))
        nu = pooled0 / sep0 if sep0 > 0 else 0.0
        weights = separate if nu == 0.0 else solve(p, nu, ridge, separate)
    else:
        weights = solve(p, nu, ridge)
    deltas = imbalances(p, weights)
    pooled, sep = measures(p, deltas)
    return PooledFit(weights, deltas, float(nu), pooled, sep)
