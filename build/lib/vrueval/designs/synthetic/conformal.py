"""Conformal inference for one treated unit (Chernozhukov, Wüthrich and Zhu 2021). Arrays only.

A null hypothesis fixes the treated unit's untreated outcomes in the post-periods tested
(observed outcome minus the hypothesised effect). Under it those periods can be fitted like
pre-periods: the synthetic control is refitted on the pre-periods and them together, and its
residuals ``u_1 .. u_T`` are, when the model is right and the errors stationary and weakly
dependent, exchangeable over time (exactly, for the moving-block scheme, when they are
stationary). The test statistic ``S(u) = sum_{post} |u_t| / sqrt(T_post)`` is compared with its
values over permutations of time:

* ``"moving_block"``: the ``T`` cyclic shifts of the series (the paper's default for serially
  dependent errors; no randomness); ``p = #{shifts with S >= S(observed)} / T``.
* ``"iid"``: ``draws`` random permutations (seeded; for independent errors), counting the
  observed order, ``p = (1 + #{S_b >= S}) / (1 + draws)``.

The level-``1 - alpha`` confidence set is every effect whose null is not rejected
(``p > alpha``), found on a grid around the estimate whose ends widen until they are rejected,
then refined by bisection at each end. For one post-period at a time it is a pointwise interval
(``att:t=<period>``); for ``att`` it is the set of constant effects over the whole post-period
(the paper's inference on a constant effect), whose null at zero is the joint null of no
effect in any post-period.

The refit uses the same weights rule as the estimate (the simplex weights, their penalty, and
for the augmented method its ridge correction with the penalty chosen on the data, as the
authors' R package ``augsynth`` does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Weights = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Points of the first grid, how often its width may double, bisection steps at each end.
GRID_POINTS = 41
WIDEN = 8
BISECT = 30


@dataclass(frozen=True)
class Conformal:
    """Per tested block (``att`` first, then each post-period): p-value of no effect and the
    confidence set's ends (``-inf`` or ``inf`` on a side where it does not close within the
    widest grid, so a set closed on one side is its half-line; NaN when it is empty)."""

    p_value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    permutations: np.ndarray


def statistic(u: np.ndarray) -> np.ndarray:
    """``sum |u| / sqrt(k)`` over the last axis."""
    return np.abs(u).sum(axis=-1) / np.sqrt(u.shape[-1])


class Test:
    """The conformal test of effects ``theta`` in post-periods ``cols`` (indices into the
    post-periods), with fixed permutations."""

    def __init__(
        self,
        y: np.ndarray,
        n0: int,
        t0: int,
        cols: np.ndarray,
        weights: Weights,
        orders: np.ndarray | None,
    ) -> None:
        keep = np.concatenate([np.arange(t0), t0 + cols])
        self._y0 = y[:n0, keep]
        self._y1 = y[n0, keep].copy()
        self._k = len(cols)
        self._weights = weights
        self._orders = orders  # None: the cyclic shifts

    @property
    def permutations(self) -> int:
        return len(self._y1) if self._orders is None else len(self._orders) + 1

    def p_value(self, theta: float) -> float:
        y1 = self._y1.copy()
        y1[-self._k :] -= theta
        w = self._weights(self._y0.T, y1)
        u = y1 - w @ self._y0
        observed = float(statistic(u[-self._k :]))
        tol = 1e-12 * max(1.0, abs(observed))
        if self._orders is None:
            n = len(u)
            shifted = np.stack([np.roll(u, s) for s in range(n)])
            return float(np.mean(statistic(shifted[:, -self._k :]) >= observed - tol))
        draws = statistic(u[self._orders][:, -self._k :])
        return float((1 + np.sum(draws >= observed - tol)) / (1 + len(draws)))


def confidence_set(
    test: Test, estimate: float, width: float, alpha: float
) -> tuple[float, float, float]:
    """``(p at 0, low, high)``: the hull of the effects not rejected at ``alpha``."""
    p0 = test.p_value(0.0)
    width = max(width, 1e-8 * max(1.0, abs(estimate)))
    last: tuple[np.ndarray, np.ndarray] | None = None
    for _ in range(WIDEN + 1):
        grid = estimate + width * np.linspace(-1.0, 1.0, GRID_POINTS)
        kept = np.array([_accepted(test.p_value(float(g)), alpha) for g in grid])
        if not kept.any():
            width /= 4.0  # the set may be narrower than one grid step: look closer
            continue
        last = grid, kept
        if kept[0] or kept[-1]:
            width *= 2.0  # not closed within the grid: look wider
            continue
        inside = np.flatnonzero(kept)
        low = _edge(test, alpha, float(grid[inside[0]]), float(grid[inside[0] - 1]))
        high = _edge(test, alpha, float(grid[inside[-1]]), float(grid[inside[-1] + 1]))
        return p0, low, high
    if last is None:
        return p0, float("nan"), float("nan")
    # open at one end or both: a set closed on one side is the half-line it is (the statistic
    # grows without bound on that side only when the fit absorbs shifts the other way)
    grid, kept = last
    inside = np.flatnonzero(kept)
    low = (
        -np.inf
        if kept[0]
        else _edge(test, alpha, float(grid[inside[0]]), float(grid[inside[0] - 1]))
    )
    high = (
        np.inf
        if kept[-1]
        else _edge(test, alpha, float(grid[inside[-1]]), float(grid[inside[-1] + 1]))
    )
    return p0, low, high


def _accepted(p: float, alpha: float) -> bool:
    """Not rejected: ``p >= alpha``, read to 1e-12 (``1 - 0.95`` is 0.050000000000000044,
    which a p-value of 0.05 must reach). The project's tests reject only when p < alpha
    (:func:`vrueval.inference.draws.attainable_p_warning`), as augsynth's
    ``compute_permute_ci`` keeps ``grid[ps >= alpha]``."""
    return p >= alpha - 1e-12


def _edge(test: Test, alpha: float, inside: float, outside: float) -> float:
    """Bisect between an accepted effect and a rejected one."""
    for _ in range(BISECT):
        mid = 0.5 * (inside + outside)
        if _accepted(test.p_value(mid), alpha):
            inside = mid
        else:
            outside = mid
    return inside


def conformal(
    y: np.ndarray,
    n0: int,
    t0: int,
    gap: np.ndarray,
    weights: Weights,
    level: float,
    scheme: str,
    draws: int,
    rng: np.random.Generator | None,
) -> Conformal:
    """The test of ``att`` (constant effect, every post-period) and of each post-period."""
    t1 = y.shape[1] - t0
    alpha = 1.0 - level
    post = gap[t0:]
    width = 2.0 * max(float(np.sqrt(np.mean(post**2))), float(np.sqrt(np.mean(gap[:t0] ** 2))))
    blocks = [np.arange(t1)] + [np.array([j]) for j in range(t1)]
    estimates = [float(post.mean()), *post.tolist()]
    p, low, high, count = [], [], [], []
    for cols, est in zip(blocks, estimates, strict=True):
        orders = None
        if scheme == "iid":
            assert rng is not None
            n = t0 + len(cols)
            orders = np.stack([rng.permutation(n) for _ in range(draws)])
        test = Test(y, n0, t0, cols, weights, orders)
        count.append(test.permutations)
        res = confidence_set(test, est, width, alpha)
        p.append(res[0])
        low.append(res[1])
        high.append(res[2])
    return Conformal(np.array(p), np.array(low), np.array(high), np.array(count))
