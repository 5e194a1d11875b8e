"""The fixed-length confidence interval (FLCI) under smoothness, ``Delta^SD(M)``.

Armstrong & Kolesár's optimal affine interval, as Rambachan & Roth (2023, section 4.1) use it:
an estimator ``theta_hat = w' beta_pre + l' beta_post`` whose worst-case bias over
``Delta^SD(M)`` is finite, and the interval ``theta_hat +- sd * cv_alpha(bias / sd)``, where
``cv_alpha(b)`` is the ``1 - alpha`` quantile of ``|N(b, 1)|``; ``w`` minimises its length.

Every ``delta`` (reference period at 0) is a linear trend plus ``G u`` with ``u`` its second
differences, so the bias ``v' delta`` (``v = (w, l)``) is bounded only when ``v`` annihilates
linear trends, ``sum_t v_t t = 0``, and then its worst case is ``M ||G'v||_1``. The length
``sd(w) cv(M b(w) / sd(w))`` is convex in ``w`` (the perspective of the convex, increasing
``cv``, itself increasing in both arguments, of the convex ``b`` and ``sd``), so a local
optimiser finds the optimum; it runs on the smooth form with ``b`` split into ``sum(t)``,
``-t <= G'v <= t``. The R package searches the same family over a grid of ``sd`` bounds with an
SOCP at each, so its interval can only be as short as this one or longer.

References
----------
Armstrong, T. B. and Kolesár, M. (2018). Optimal inference in a class of regression models.
*Econometrica* 86(2), 655-683.
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. *Review of
Economic Studies* 90(5), 2555-2591.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from vrueval.sensitivity.inputs import EventTimeEstimates

#: Stopping tolerance of the optimiser on the interval's half-length (relative).
FLCI_TOLERANCE = 1e-10


@dataclass(frozen=True)
class FLCI:
    """The interval, its centre's weights on the pre-period coefficients, its worst-case bias
    and the estimator's standard deviation."""

    low: float
    high: float
    weights_pre: np.ndarray
    max_bias: float
    sd: float


def folded_normal_cv(bias: float, alpha: float) -> float:
    """``1 - alpha`` quantile of ``|N(bias, 1)|``."""
    b = abs(float(bias))
    lo = stats.norm.ppf(1 - alpha)  # cv >= max(z_{1-alpha} + b, z_{1-alpha/2})
    lo = max(lo + b - 1.0, 0.0)
    hi = b + stats.norm.ppf(1 - alpha / 2) + 1.0
    return float(
        optimize.brentq(
            lambda c: stats.norm.cdf(c - b) - stats.norm.cdf(-c - b) - (1 - alpha),
            lo,
            hi,
            xtol=1e-14,
            rtol=4 * np.finfo(float).eps,
        )
    )


def _cv_slope(bias: float, c: float) -> float:
    """d cv / d bias, from the implicit function ``Phi(c-b) - Phi(-c-b) = 1 - alpha``."""
    left, right = stats.norm.pdf(c - bias), stats.norm.pdf(c + bias)
    return float((left - right) / (left + right))


def second_difference_map(n_pre: int, n_post: int) -> np.ndarray:
    """``G`` (rows: the non-reference periods) with ``delta = slope * t + G u``, where ``u`` are
    the second differences and ``delta_0 = 0``, ``delta_1 - delta_0 = 0`` fix the trend."""
    n = n_pre + n_post + 1
    system = np.zeros((n, n))
    for r in range(n - 2):
        system[r, r : r + 3] = (1.0, -2.0, 1.0)
    system[n - 2, n_pre] = 1.0
    system[n - 1, n_pre], system[n - 1, n_pre + 1] = -1.0, 1.0
    g = np.linalg.inv(system)[:, : n - 2]
    return np.delete(g, n_pre, axis=0)


def flci(est: EventTimeEstimates, m: float, alpha: float) -> FLCI:
    """The optimal FLCI for ``theta = l' tau_post`` under ``Delta^SD(m)`` at level ``1 - alpha``."""
    n_pre, n_post = est.n_pre, est.n_post
    t_pre = np.arange(-n_pre, 0, dtype=float)
    t_post = np.arange(1, n_post + 1, dtype=float)
    # w = w0 + N z satisfies w't_pre + l't_post = 0 for every z
    w0 = -t_pre * float(est.l_vec @ t_post) / float(t_pre @ t_pre)
    null = _null_space(t_pre)
    g = second_difference_map(n_pre, n_post)
    sigma = est.sigma
    lift = np.vstack([null, np.zeros((n_post, null.shape[1]))])  # z -> v
    v0 = np.r_[w0, est.l_vec]

    def v_of(z: np.ndarray) -> np.ndarray:
        return v0 + lift @ z

    # the smallest-variance estimator: the start, and the answer when m = 0
    q = lift.T @ sigma @ lift
    z_min = -np.linalg.solve(q, lift.T @ sigma @ v0) if null.shape[1] else np.zeros(0)
    if m == 0 or null.shape[1] == 0:
        return _interval(est, v_of(z_min), g, m, alpha)
    k = null.shape[1]
    gv0, glift = g.T @ v0, g.T @ lift
    n_u = g.shape[1]

    def length(x: np.ndarray) -> float:
        z, t = x[:k], x[k:]
        v = v_of(z)
        sd = float(np.sqrt(v @ sigma @ v))
        return sd * folded_normal_cv(m * t.sum() / sd, alpha)

    def gradient(x: np.ndarray) -> np.ndarray:
        z, t = x[:k], x[k:]
        v = v_of(z)
        sd = float(np.sqrt(v @ sigma @ v))
        b = m * t.sum() / sd
        c = folded_normal_cv(b, alpha)
        slope = _cv_slope(b, c)
        d_sd = (lift.T @ sigma @ v) / sd
        return np.r_[(c - b * slope) * d_sd, np.full(n_u, m * slope)]

    # -t <= G'v <= t, as A x >= 0
    cons_a = np.vstack([np.hstack([glift, np.eye(n_u)]), np.hstack([-glift, np.eye(n_u)])])
    cons_b = np.r_[gv0, -gv0]
    start = np.r_[z_min, np.abs(gv0 + glift @ z_min)]
    res = optimize.minimize(  # type: ignore[call-overload]
        length,
        start,
        jac=gradient,
        method="SLSQP",
        constraints=[
            {
                "type": "ineq",
                "fun": lambda x: cons_a @ x + cons_b,
                "jac": lambda x: cons_a,
            }
        ],
        options={"ftol": FLCI_TOLERANCE, "maxiter": 1000},
    )
    best = res.x[:k] if res.success and length(res.x) <= length(start) else z_min
    return _interval(est, v_of(best), g, m, alpha)


def _interval(
    est: EventTimeEstimates, v: np.ndarray, g: np.ndarray, m: float, alpha: float
) -> FLCI:
    sd = float(np.sqrt(v @ est.sigma @ v))
    bias = float(m * np.abs(g.T @ v).sum())
    half = sd * folded_normal_cv(bias / sd, alpha)
    centre = float(v @ est.beta)
    return FLCI(centre - half, centre + half, v[: est.n_pre].copy(), bias, sd)


def _null_space(t: np.ndarray) -> np.ndarray:
    """Columns spanning the vectors orthogonal to ``t``."""
    _, _, vt = np.linalg.svd(t[None, :])
    return vt[1:].T
