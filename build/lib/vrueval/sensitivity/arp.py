"""The conditional and hybrid tests of Andrews, Roth & Pakes (2023) for moment inequalities
with a linear nuisance parameter.

H0: there is a nuisance ``x`` with ``E[y] - X x <= 0``, where ``y ~ N(mu, Sigma)``. The statistic
is the value of the linear program ``eta = min_{eta, x} eta`` subject to
``y - X x <= eta * sd`` (``sd``: the moments' standard deviations); by duality
``eta = max gamma'y`` over ``gamma >= 0, gamma'X = 0, gamma'sd = 1``. Conditional on the optimal
vertex ``gamma`` and on the part of ``y`` independent of ``gamma'y``, ``eta`` is a normal
truncated to ``[v_lo, v_up]``; the conditional test rejects when ``eta`` exceeds the truncated
normal's ``1 - alpha`` quantile (and zero). The hybrid first rejects when ``eta`` exceeds the
least-favourable critical value at size ``kappa`` (simulated under ``mu = 0``), and otherwise
runs the conditional test at size ``(alpha - kappa) / (1 - kappa)`` with ``v_up`` capped at
that value (ARP 2023, section 4; Rambachan & Roth 2023, section 3).

Where the LP solution is non-degenerate (exactly ``k + 1`` binding moments of full rank) the
truncation points have a closed form; otherwise they are found along the line
``y(c) = s + Sigma gamma c / gamma'Sigma gamma`` as the ends of ``{c : eta(y(c)) = c}``, the
interval on which ``gamma`` stays optimal, by Newton steps on the convex piecewise-linear
``eta(y(c))`` (ARP 2023, appendix, algorithm 1 does the same by bisection).

For the small problems event studies give (a few dozen moments, a handful of nuisance
directions) the dual polytope's vertices are enumerated once (:func:`dual_vertices`, every
basis of ``k + 1`` moments): then ``eta = max_j gamma_j'y`` for any ``y``, and the set on which
the optimal vertex stays optimal along ``y(c)`` is an interval with a closed form, in the
degenerate case too. The linear programs above are the fallback for larger problems.

References
----------
Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear conditional moment
inequalities. *Review of Economic Studies* 90(6), 2763-2791.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
from scipy import sparse, special
from scipy.optimize import linprog

#: A multiplier above this counts as binding (the package's ``tol_lambda``).
BINDING = 1e-6
#: Enumerate the dual vertices when there are at most this many candidate bases.
MAX_BASES = 200_000


class SolverError(RuntimeError):
    """The linear program behind a test did not solve."""


@dataclass(frozen=True)
class Moments:
    """``y(theta) = y0 - a * theta`` with nuisance columns ``x`` and covariance ``sigma``."""

    y0: np.ndarray
    a: np.ndarray
    x: np.ndarray
    sigma: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.sigma), 0.0, None))


def dual_vertices(x: np.ndarray, sd: np.ndarray) -> np.ndarray | None:
    """Rows: the vertices of ``{gamma >= 0 : gamma'x = 0, gamma'sd = 1}`` (none: ``eta`` is
    unbounded below and nothing is rejected). None when there are too many bases to try."""
    m, k = x.shape
    if comb(m, k + 1) > MAX_BASES:
        return None
    w = np.column_stack([sd, x])
    if k + 1 > m or np.linalg.matrix_rank(w) < k + 1:
        # nuisance directions the moments cannot tell apart: keep a basis of them
        q, r, _ = np.linalg.svd(x, full_matrices=False)
        keep = r > 1e-10 * max(r.max(initial=0.0), 1e-300)
        x = q[:, keep]
        k = x.shape[1]
        w = np.column_stack([sd, x])
        if np.linalg.matrix_rank(w) < k + 1:
            return np.zeros((0, m))  # sd lies in the nuisance span
    bases = np.array(list(combinations(range(m), k + 1)), dtype=int)
    mats = np.transpose(w[bases], (0, 2, 1))  # W_S'
    sv = np.linalg.svd(mats, compute_uv=False)
    ok = sv[:, -1] > 1e-10 * sv[:, 0]
    bases, mats = bases[ok], mats[ok]
    rhs = np.zeros((len(bases), k + 1, 1))
    rhs[:, 0, 0] = 1.0
    g = np.linalg.solve(mats, rhs)[:, :, 0]
    feasible = np.all(g >= -1e-12, axis=1)
    out = np.zeros((int(feasible.sum()), m))
    rows = np.repeat(np.arange(len(out)), k + 1)
    out[rows, bases[feasible].ravel()] = np.clip(g[feasible], 0.0, None).ravel()
    if len(out) == 0:
        return out
    _, first = np.unique(np.round(out / np.abs(out).max(), 10), axis=0, return_index=True)
    return out[np.sort(first)]


def eta_lp(y: np.ndarray, x: np.ndarray, sd: np.ndarray) -> tuple[float, np.ndarray]:
    """The statistic ``eta`` and the optimal dual vertex ``gamma`` (``gamma'sd = 1``)."""
    if x.shape[1] == 0:
        j = int(np.argmax(y / sd))
        gamma = np.zeros(len(y))
        gamma[j] = 1.0 / sd[j]
        return float(y[j] / sd[j]), gamma
    k = x.shape[1]
    cost = np.zeros(k + 1)
    cost[0] = 1.0
    res = linprog(
        cost,
        A_ub=np.column_stack([-sd, -x]),
        b_ub=-y,
        bounds=[(None, None)] * (k + 1),
        method="highs-ds",
    )
    if res.status != 0:
        raise SolverError(f"the ARP linear program did not solve: {res.message}")
    assert res.x is not None and res.ineqlin is not None
    return float(res.x[0]), -np.asarray(res.ineqlin.marginals, dtype=float)


def least_favourable_cv(
    x: np.ndarray,
    sigma: np.ndarray,
    kappa: float,
    draws: int,
    seed: int,
    vertices: np.ndarray | None = None,
) -> float:
    """The ``1 - kappa`` quantile of ``eta`` under ``E[y] = 0``, by simulation: from the dual
    vertices when given, else one LP for all draws (the blocks are independent, so the sum of
    their optima is minimised block by block)."""
    sd = np.sqrt(np.clip(np.diag(sigma), 0.0, None))
    xi = _normal_draws(sigma, draws, seed)
    if vertices is not None:
        if len(vertices) == 0:
            return np.inf
        return float(np.quantile(np.max(xi @ vertices.T, axis=1), 1 - kappa))
    if x.shape[1] == 0:
        return float(np.quantile(np.max(xi / sd, axis=1), 1 - kappa))
    m, k = x.shape
    block = sparse.csr_matrix(np.column_stack([-sd, -x]))
    a_ub = sparse.kron(sparse.identity(draws, format="csr"), block, format="csr")
    cost = np.tile(np.r_[1.0, np.zeros(k)], draws)
    res = linprog(  # type: ignore[call-overload]
        cost,
        A_ub=a_ub,
        b_ub=-xi.ravel(),
        bounds=[(None, None)] * ((k + 1) * draws),
        method="highs",
    )
    if res.status != 0:
        raise SolverError(f"the least-favourable critical value did not solve: {res.message}")
    eta = res.x.reshape(draws, k + 1)[:, 0]
    return float(np.quantile(eta, 1 - kappa))


def _normal_draws(sigma: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """``draws`` rows from N(0, sigma); sigma may be singular (more moments than coefficients)."""
    w, v = np.linalg.eigh((sigma + sigma.T) / 2)
    root = v * np.sqrt(np.clip(w, 0.0, None))
    z = np.random.default_rng(seed).standard_normal((draws, len(w)))
    return z @ root.T


def test(
    moments: Moments,
    theta: float,
    alpha: float,
    *,
    lf_cv: float | None = None,
    kappa: float = 0.0,
    vertices: np.ndarray | None = None,
) -> bool:
    """True when H0 (``theta`` is consistent with the restriction) is rejected at ``alpha``.

    ``lf_cv`` (with ``kappa``) makes it the least-favourable hybrid; None, the conditional test.
    ``vertices`` (from :func:`dual_vertices`) replace the linear programs.
    """
    y = moments.y0 - moments.a * theta
    x, sigma, sd = moments.x, moments.sigma, moments.sd
    if vertices is not None:
        if len(vertices) == 0:
            return False
        values = vertices @ y
        best = int(np.argmax(values))
        eta, gamma = float(values[best]), vertices[best]
    else:
        eta, gamma = eta_lp(y, x, sd)
    size = alpha
    if lf_cv is not None:
        if eta > lf_cv:
            return True
        size = (alpha - kappa) / (1 - kappa)
    sigma_g = float(np.sqrt(max(gamma @ sigma @ gamma, 0.0)))
    if sigma_g < 1e-10:
        return eta > 0
    binding = gamma > BINDING
    k = x.shape[1]
    w_b = np.column_stack([sd[binding], x[binding]])
    if vertices is not None:
        v_lo, v_up = _truncation_by_vertices(y, sigma, gamma, vertices)
    elif binding.sum() == k + 1 and np.linalg.matrix_rank(w_b) == k + 1:
        v_lo, v_up = _truncation_closed_form(y, x, sd, sigma, binding, w_b)
    else:
        v_lo, v_up = _truncation_by_lp(y, x, sd, sigma, gamma, eta)
    if lf_cv is not None:
        v_up = min(v_up, lf_cv)
    z, z_lo, z_up = eta / sigma_g, v_lo / sigma_g, v_up / sigma_g
    slack = 1e-8 * max(1.0, abs(z))
    if not z_lo - slack <= z <= z_up + slack:
        # the statistic outside its own truncation region: a numerical failure of the
        # conditioning; the package does not reject here either
        return False
    if z_up - z_lo <= 1e-12:
        return z > 0
    crit = max(0.0, _truncnorm_quantile(1 - size, z_lo, z_up))
    return bool(z > crit)


def _truncnorm_quantile(p: float, lo: float, hi: float) -> float:
    """``p`` quantile of the standard normal truncated to ``[lo, hi]``, in log space in the
    tails (``scipy.stats.truncnorm.ppf`` gives the same to 1e-9 but 50 times slower)."""
    if lo >= 0:
        a, b = special.log_ndtr(-lo), special.log_ndtr(-hi)
        log_sf = a + np.log1p(-p * -np.expm1(b - a))
        return float(-special.ndtri_exp(log_sf))
    if hi <= 0:
        return -_truncnorm_quantile(1 - p, -hi, -lo)
    return float(special.ndtri(special.ndtr(lo) + p * (special.ndtr(hi) - special.ndtr(lo))))


def _truncation_by_vertices(
    y: np.ndarray, sigma: np.ndarray, gamma: np.ndarray, vertices: np.ndarray
) -> tuple[float, float]:
    """``{c : gamma'y(c) >= gamma_j'y(c) for every vertex j}``, with ``y(c) = s + b c``,
    ``gamma'b = 1`` and ``gamma's = 0``: each vertex bounds ``c`` on one side."""
    b = sigma @ gamma / float(gamma @ sigma @ gamma)
    s = y - b * float(gamma @ y)
    num = vertices @ s
    den = 1.0 - vertices @ b
    scale = max(1.0, float(np.abs(vertices).max()) * float(np.abs(b).max()))
    lower, upper = den > 1e-12 * scale, den < -1e-12 * scale
    v_lo = float(np.max(num[lower] / den[lower])) if lower.any() else -np.inf
    v_up = float(np.min(num[upper] / den[upper])) if upper.any() else np.inf
    return v_lo, v_up


def _truncation_closed_form(
    y: np.ndarray,
    x: np.ndarray,
    sd: np.ndarray,
    sigma: np.ndarray,
    binding: np.ndarray,
    w_b: np.ndarray,
) -> tuple[float, float]:
    """Truncation points when the binding set ``B`` is a basis: the non-binding moments'
    slacks ``G y`` (``G = W_Bc W_B^{-1} S_B - S_Bc``) must stay non-negative."""
    m = len(y)
    free = ~binding
    v = np.zeros(m)
    v[binding] = np.linalg.solve(w_b.T, np.eye(w_b.shape[0])[:, 0])
    if not free.any():
        return -np.inf, np.inf
    w_c = np.column_stack([sd[free], x[free]])
    g = np.zeros((int(free.sum()), m))
    g[:, binding] = w_c @ np.linalg.inv(w_b)
    g[:, free] -= np.eye(int(free.sum()))
    var = float(v @ sigma @ v)
    rho = g @ sigma @ v / var
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = -(g @ y) / rho + float(v @ y)
    pos, neg = rho > 1e-12, rho < -1e-12
    v_lo = float(np.max(bound[pos])) if pos.any() else -np.inf
    v_up = float(np.min(bound[neg])) if neg.any() else np.inf
    return v_lo, v_up


def _truncation_by_lp(
    y: np.ndarray,
    x: np.ndarray,
    sd: np.ndarray,
    sigma: np.ndarray,
    gamma: np.ndarray,
    eta: float,
) -> tuple[float, float]:
    """Ends of ``{c : eta(y(c)) = c}`` along ``y(c) = s + b c``, ``b = Sigma gamma / gamma'Sigma
    gamma``. ``eta(y(c)) - c`` is convex, piecewise linear and zero exactly there; from a point
    outside, the dual vertex at that point gives a line below ``eta(y(c))`` whose crossing with
    ``c`` lies between the end and the point (a Newton step that ends in finitely many)."""
    b = sigma @ gamma / float(gamma @ sigma @ gamma)
    s = y - b * float(gamma @ y)
    scale = max(1.0, abs(eta))
    tol = 1e-9 * scale

    def end(direction: float) -> float:
        c = eta + direction * max(100.0, 20.0 * scale)
        value, g = eta_lp(s + b * c, x, sd)
        while value - c <= tol:  # gamma still optimal this far out: go further
            if abs(c - eta) >= 1e6 * scale:
                return direction * np.inf
            c = eta + 10 * (c - eta)
            value, g = eta_lp(s + b * c, x, sd)
        for _ in range(100):
            slope = float(g @ b)
            if abs(slope - 1.0) < 1e-14:
                break
            c = float(g @ s) / (1.0 - slope)
            value, g = eta_lp(s + b * c, x, sd)
            if value - c <= tol:
                break
        return c

    return end(-1.0), end(1.0)
