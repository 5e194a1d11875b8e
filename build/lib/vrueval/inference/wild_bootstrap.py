"""Wild cluster restricted (WCR) bootstrap for one coefficient, vectorised over draws.

Estimand and test: H0 ``beta = r`` for one coefficient of a linear model estimated by (weighted)
least squares with absorbed fixed effects; the statistic is the CR1 t. Bootstrap samples impose
the null (restricted residuals), multiply each cluster's residuals by one draw of Rademacher or
Webb weights, and refit. The p-value is symmetric: the share of draws with ``|t*| >= |t|``
(``k / B``, as boottest reports it; 0 when no draw is as extreme, see
:mod:`vrueval.inference.draws`). An enumeration of all ``2^G`` Rademacher patterns cannot go
below ``2 / 2^G`` (the all-ones pattern reproduces ``t`` and its negation mirrors it): with
``G <= 5`` it cannot reject at 5% and its interval is the whole line.

Why it is fast: after partialling out everything but the tested regressor, a bootstrap t needs
only cluster-level quantities. With ``s_g = x_g' u_g`` and ``C[h, g] = x_h' (M_Z E_g u_g)_h`` (how
cluster g's restricted residuals feed cluster h's bootstrap score), each draw ``v`` gives
``N* = v's`` and scores ``K*_h = (C v)_h - (x_h'x_h / x'x) N*``: about B x G^2 multiply-adds,
computed once as matrix products. Restricted residuals are linear in ``r``, so every quantity is
too, and inverting the test for a confidence interval costs B x G per trial value.

References
----------
Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. *Review of Economics and Statistics* 90(3), 414-427.
Roodman, D., MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2019). Fast and wild: bootstrap
inference in Stata using boottest. *Stata Journal* 19(1), 4-60.
Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. *Canadian
Journal of Economics* 56(3), 839-858.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from vrueval.inference.cluster import cluster_codes, group_sums
from vrueval.inference.draws import check_draws
from vrueval.options import choice

BootWeights = Literal["rademacher", "webb"]
BOOT_WEIGHTS: tuple[str, ...] = get_args(BootWeights)
FloatArray = np.ndarray

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True)
class WildBootstrapResult:
    """p-value of H0 beta = null, confidence interval by test inversion, and the draws' t."""

    estimate: float
    std_error: float  # CR1
    statistic: float
    p_value: float
    conf_low: float
    conf_high: float
    draws: int
    weights: str
    enumerated: bool
    null: float


def draw_weights(
    n_clusters: int, draws: int, kind: BootWeights, rng: np.random.Generator
) -> tuple[FloatArray, bool]:
    """A draws x G matrix of cluster weights; every sign pattern when Rademacher has few."""
    choice(kind, BOOT_WEIGHTS, "bootstrap weights")
    if kind == "rademacher" and 2**n_clusters <= draws:
        grid = np.array(list(itertools.product((-1.0, 1.0), repeat=n_clusters)))
        return grid, True
    if kind == "rademacher":
        return rng.integers(0, 2, size=(draws, n_clusters)).astype(float) * 2 - 1, False
    return _WEBB[rng.integers(0, 6, size=(draws, n_clusters))], False


class _Engine:
    """Cluster-level pieces of the bootstrap, linear in the null value ``r``."""

    def __init__(
        self,
        x: FloatArray,
        y: FloatArray,
        clusters: np.ndarray,
        absorb: Callable[[FloatArray], FloatArray],
        small_sample: float,
    ) -> None:
        codes, g = cluster_codes(clusters)
        self.g = g
        self.xx = float(x @ x)
        self.beta = float(x @ y) / self.xx
        e = y - self.beta * x
        score = group_sums(x * e, codes, g)[:, 0]
        self.c = small_sample
        self.se = float(np.sqrt(self.c * np.sum(score**2)) / self.xx)
        # s(r) = a - r b ; C(r) = C0 - r C1 (restricted residuals u(r) = y - r x)
        self.a = group_sums(x * y, codes, g)[:, 0]
        self.b = group_sums(x * x, codes, g)[:, 0]
        self.d = self.b / self.xx
        self.c0 = self._coupling(x, y, codes, absorb)
        self.c1 = self._coupling(x, x, codes, absorb)

    def _coupling(
        self,
        x: FloatArray,
        u: FloatArray,
        codes: np.ndarray,
        absorb: Callable[[FloatArray], FloatArray],
    ) -> FloatArray:
        embedded = np.zeros((len(u), self.g))
        embedded[np.arange(len(u)), codes] = u
        return group_sums(x[:, None] * absorb(embedded), codes, self.g)  # rows h, cols g

    def prepare(self, v: FloatArray) -> None:
        self.va, self.vb = v @ self.a, v @ self.b
        self.vc0, self.vc1 = v @ self.c0.T, v @ self.c1.T

    def p_value(self, r: float) -> tuple[float, float]:
        t_obs = (self.beta - r) / self.se
        num = self.va - r * self.vb
        k = self.vc0 - r * self.vc1 - num[:, None] * self.d[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = num / np.sqrt(self.c * np.einsum("bg,bg->b", k, k))
        t_star = np.nan_to_num(t_star, nan=0.0)
        return float(np.mean(np.abs(t_star) >= np.abs(t_obs) * (1 - 1e-12))), t_obs


def wild_cluster_bootstrap(
    x: FloatArray,
    y: FloatArray,
    clusters: np.ndarray,
    absorb: Callable[[FloatArray], FloatArray],
    *,
    others: FloatArray | None = None,
    draws: int = 9999,
    weights: BootWeights = "webb",
    seed: int | None = None,
    level: float = 0.95,
    null: float = 0.0,
    small_sample: float = 1.0,
    conf_int: bool = True,
) -> WildBootstrapResult:
    """WCR bootstrap test of ``beta = null`` and its inverted confidence interval.

    Parameters
    ----------
    x, y : arrays (n,)
        Tested regressor and outcome with the fixed effects absorbed (star space if weighted).
    clusters : array (n,)
        Cluster labels.
    absorb : callable
        Residual maker of the absorbed effects (star space); applied to G embedded vectors once.
    others : array (n, m), optional
        Other absorbed regressors, partialled out too.
    small_sample : float
        CR1 factor in the t statistics (it cancels in the p-value).
    draws : int
        Random draws, checked by :func:`vrueval.inference.draws.check_draws` (at least
        ``ceil(2 / (1 - level)) - 1``); Rademacher weights enumerate every sign pattern instead
        when there are no more than ``draws`` of them.
    """
    draws = check_draws(draws, level, "draws")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    absorb_all = absorb
    if others is not None and others.size:
        q, _ = np.linalg.qr(others)

        def absorb_all(v: FloatArray) -> FloatArray:
            m = absorb(v)
            return m - q @ (q.T @ m)

        x = x - q @ (q.T @ x)
        y = y - q @ (q.T @ y)
    eng = _Engine(x, y, clusters, absorb_all, small_sample)
    rng = np.random.default_rng(seed)
    v, enumerated = draw_weights(eng.g, draws, weights, rng)
    eng.prepare(v)
    p, t_obs = eng.p_value(null)
    low = high = np.nan
    if conf_int and enumerated and 2 / len(v) >= 1 - level:
        # every null value keeps the all-ones pattern and its mirror image at least as extreme
        # as the observed t, so p >= 2 / 2^G everywhere: no value is rejected
        low, high = -np.inf, np.inf
    elif conf_int:
        low, high = _invert(eng, 1 - level)
    return WildBootstrapResult(
        eng.beta, eng.se, t_obs, p, low, high, len(v), weights, enumerated, null
    )


def _invert(eng: _Engine, alpha: float) -> tuple[float, float]:
    """Bounds where the bootstrap p-value crosses alpha, by bracketing then bisection."""

    def rejects(r: float) -> bool:
        return eng.p_value(r)[0] < alpha

    bounds = []
    for sign in (-1.0, 1.0):
        inner, step = eng.beta, 2.0 * eng.se
        outer = eng.beta + sign * step
        tries = 0
        while not rejects(outer):
            inner, step = outer, step * 2
            outer = eng.beta + sign * step
            tries += 1
            if tries > 40:
                return -np.inf, np.inf
        for _ in range(60):
            mid = (inner + outer) / 2
            if rejects(mid):
                outer = mid
            else:
                inner = mid
            if abs(outer - inner) < 1e-6 * eng.se:
                break
        bounds.append((inner + outer) / 2)
    return bounds[0], bounds[1]
