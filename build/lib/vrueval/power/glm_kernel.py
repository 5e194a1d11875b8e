"""Power of a Poisson (quasi-likelihood) ITS: the segmented GLM refitted for all draws at once.

A log-link GLM's estimate is not linear in the outcome, so, unlike the OLS kernel in
:mod:`vrueval.power.kernels`, the planted effect cannot be carried as a polynomial: every effect
size needs a refit. What stays fixed is the design, so the fits are batched: iteratively
reweighted least squares runs on every simulated series together (one k x k solve per draw
and iteration), warm-started from the fit at no effect. The variance of the tested coefficient
is then the one :class:`vrueval.ITS` reports for ``model="poisson"``: the HAC sandwich (Bartlett
or EWC; plain with the normal reference, or fixed-b with the contrast's own Satterthwaite df)
or the quasi-Poisson model variance with ``t(n - k)``.

Each effect size costs one batched refit, so :class:`GLMPlanted` caches them and asks the MDE
search for a coarse scan first (see :meth:`vrueval.power.search.Search.crossing`).

References
----------
McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed. Chapman & Hall.
Zhang, F., Wagner, A. K. and Ross-Degnan, D. (2011). Simulation-based power calculation for
designing interrupted time series analyses of health policy interventions. *J. Clin.
Epidemiol.* 64(11), 1252-1261.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from vrueval.inference.hac import kernel_matrix
from vrueval.power.kernels import Planted, per_effect, t_critical

FloatArray = np.ndarray
_MAX_ITER = 100


@dataclass(frozen=True)
class GLMOptions:
    """The planned test: ``inference`` "hac" (``kernel``, ``lag``, ``adjust``, ``fixed_b``) or
    "classical" (quasi-Poisson scale)."""

    inference: str
    kernel: str = "bartlett"
    lag: int = 0
    adjust: bool = True
    fixed_b: bool = True


@dataclass(frozen=True)
class GLMFits:
    """Each draw's estimate of the tested coefficient, its variance and df, and the fit."""

    estimate: FloatArray
    variance: FloatArray
    df: FloatArray
    beta: FloatArray  # (S, k), to warm-start neighbouring effect sizes
    iterations: int


def fit_batch(
    X: FloatArray,
    Y: FloatArray,
    offset: FloatArray,
    column: int,
    time: np.ndarray,
    options: GLMOptions,
    beta0: FloatArray | None = None,
) -> GLMFits:
    """Poisson GLMs of every column of ``Y`` (n x S) on the design ``X`` with ``offset``.

    Converges as :func:`vrueval.designs.its.models.fit_glm` does (relative deviance change below
    1e-12), then computes the tested coefficient's variance as :class:`vrueval.ITS` does.
    """
    n, k = X.shape
    beta, mu, its = _irls(X, Y, offset, beta0)
    # a draw with an infinite MLE (all zeros where a non-negative column is non-zero, e.g. a
    # post-period without events) or no fit has no test: its estimate and variance are NaN,
    # so it never rejects
    failed = ~np.all(np.isfinite(beta), axis=1) | _separated(X, Y)
    mu = np.where(failed[None, :], 1.0, mu)
    xtwx = _weighted_gram(X, mu)
    unit = np.broadcast_to(np.eye(k)[column], (Y.shape[1], k))[..., None]
    bread_col = _solve(xtwx, unit)[..., 0]  # (S, k): the bread's row `column`
    beta = np.where(failed[:, None], np.nan, beta)
    h = X @ bread_col.T  # (n, S): row `column` of the bread times x_t
    resid = Y - mu
    if options.inference == "classical":
        phi = np.sum(resid * resid / mu, axis=0) / (n - k)
        return GLMFits(
            beta[:, column],
            phi * bread_col[:, column],
            np.full(Y.shape[1], float(n - k)),
            beta,
            its,
        )
    g = resid * h  # each row's contribution to the coefficient's score sum
    K = kernel_matrix(np.asarray(time), options.kernel, options.lag)  # type: ignore[arg-type]
    v = np.einsum("ns,ns->s", g, K @ g)
    scale = n / (n - k) if options.adjust else 1.0
    if not options.fixed_b:
        return GLMFits(beta[:, column], v * scale, np.full(Y.shape[1], np.inf), beta, its)
    sw = np.sqrt(mu)
    q, _ = np.linalg.qr(sw.T[:, :, None] * X[None, :, :])  # each draw's weighted design basis
    factor, df = fixed_b_single(K, q, (sw * h).T)
    return GLMFits(beta[:, column], v * factor, df, beta, its)


def fixed_b_single(K: FloatArray, Q: FloatArray, g: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:func:`vrueval.inference.hac.fixed_b_adjustment` for one contrast and many draws.

    ``Q`` (S, n, k) and ``g`` (S, n) are each draw's orthonormal design basis and standardised
    influence vector; returns the factor and df, shape (S,). Same moments, reorganised so no
    n x n array is formed per draw: with ``A = g o Q``, ``g'(K o QQ')g = sum(A o KA)``.
    """
    g2 = g * g
    A = g[:, :, None] * Q
    KA = np.matmul(K, A)
    mean = g2 @ np.diag(K) - np.sum(A * KA, axis=(1, 2))  # tr(P M)
    p2 = np.einsum("si,si->s", g2, g2 @ (K * K).T)  # ||P||_F^2
    PQ = g[:, :, None] * KA
    pq2 = np.sum(PQ * PQ, axis=(1, 2))
    qpq = np.matmul(Q.transpose(0, 2, 1), PQ)
    qpq2 = np.sum(qpq * qpq, axis=(1, 2))
    second = p2 - 2.0 * pq2 + qpq2  # tr((P M)^2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return g2.sum(axis=1) / mean, mean * mean / second


def _weighted_gram(X: FloatArray, w: FloatArray) -> FloatArray:
    """Every draw's ``X' diag(w_s) X``, shape (S, k, k), as one batched matrix product."""
    return np.matmul(X.T[None, :, :] * w.T[:, None, :], X)


def _irls(
    X: FloatArray, Y: FloatArray, offset: FloatArray, beta0: FloatArray | None
) -> tuple[FloatArray, FloatArray, int]:
    """Batched IRLS for Poisson GLMs with log link; returns beta (S, k), mu (n, S), iterations."""
    if np.any(Y < 0):
        raise ValueError("a Poisson model needs non-negative outcomes")
    off = np.broadcast_to(offset[:, None] if np.ndim(offset) == 1 else offset, Y.shape)
    if beta0 is None:
        mu = np.maximum(Y, 0.1)
        eta = np.log(mu)
    else:
        eta = X @ beta0.T + off
        mu = np.exp(eta)
    dev_old = np.full(Y.shape[1], np.inf)
    beta = np.zeros((Y.shape[1], X.shape[1]))
    it = 0
    for it in range(1, _MAX_ITER + 1):  # noqa: B007
        z = eta - off + (Y - mu) / mu
        xtwx = _weighted_gram(X, mu)
        xtwz = (mu * z).T @ X
        beta = _solve(xtwx, xtwz[..., None])[..., 0]
        eta = X @ beta.T + off
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            mu = np.exp(eta)
            dev = 2 * np.sum(special.xlogy(Y, Y / mu) - (Y - mu), axis=0)
            change = np.abs(dev - dev_old) / (np.abs(dev) + 0.1)
        converged = change < 1e-12
        if np.all(converged | ~np.isfinite(dev)):
            break
        dev_old = dev
    else:
        beta = np.where(converged[:, None], beta, np.nan)  # not converged: no fit
    bad = ~np.all(np.isfinite(mu), axis=0) | np.any(mu <= 0, axis=0)
    beta[bad] = np.nan
    return beta, np.where(bad[None, :], 1.0, mu), it


def _solve(A: FloatArray, b: FloatArray) -> FloatArray:
    """Batched solve; a singular draw gets NaN instead of stopping the others."""
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for s in range(A.shape[0]):
            try:
                out[s] = np.linalg.solve(A[s], b[s])
            except np.linalg.LinAlgError:
                pass
        return out


def _separated(X: FloatArray, Y: FloatArray) -> np.ndarray:
    """Draws with no events on the support of a non-negative column (infinite MLE)."""
    nonneg = np.all(X >= 0, axis=0)
    support = (X[:, nonneg] > 0).astype(float)  # (n, m)
    return np.any(support.T @ Y == 0, axis=0)


@dataclass(frozen=True)
class GLMPlanted(Planted):
    """The Poisson ITS test for ``S`` draws as a function of the planted effect ``delta``.

    ``Y + delta * P`` are the outcomes with the effect planted (``P``: ``Y`` on the treated
    post-period rows). The fields of :class:`Planted` hold the fit at no effect (``e1``, ``b``,
    ``c`` are not used); :meth:`fits` refits for other effects (cached).
    """

    # each effect size is a batched refit: a coarse scan first, and the MDE to 0.1 percentage
    # point, well inside its Monte Carlo interval
    search_stride = 10
    search_tolerance = 1e-3

    X: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    Y: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    P: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    offset: FloatArray = field(default_factory=lambda: np.zeros(0))
    column: int = 0
    time: FloatArray = field(default_factory=lambda: np.zeros(0))
    options: GLMOptions = field(default_factory=lambda: GLMOptions("hac"))
    cache: dict[float, GLMFits] = field(default_factory=dict, compare=False)

    @classmethod
    def build(
        cls,
        X: FloatArray,
        column: int,
        Y: FloatArray,
        P: FloatArray,
        offset: FloatArray,
        time: np.ndarray,
        options: GLMOptions,
    ) -> GLMPlanted:
        base = fit_batch(X, Y, offset, column, time, options)
        nan = np.full(Y.shape[1], np.nan)
        out = cls(
            base.estimate,
            nan,
            base.variance,
            nan,
            nan,
            base.df,
            X=X,
            Y=Y,
            P=P,
            offset=np.asarray(offset, dtype=float),
            column=column,
            time=np.asarray(time),
            options=options,
        )
        out.cache[0.0] = base
        return out

    def fits(self, delta: float) -> GLMFits:
        delta = float(delta)
        if delta not in self.cache:
            warm = self.cache[0.0].beta
            self.cache[delta] = fit_batch(
                self.X,
                self.Y + delta * self.P,
                self.offset,
                self.column,
                self.time,
                self.options,
                warm,
            )
        return self.cache[delta]

    def _each(self, delta: float | FloatArray, what: str) -> FloatArray:
        return per_effect(lambda d: getattr(self.fits(d), what), delta)

    def estimate(self, delta: float | FloatArray) -> FloatArray:
        return self._each(delta, "estimate")

    def std_error(self, delta: float | FloatArray) -> FloatArray:
        return np.sqrt(np.maximum(self._each(delta, "variance"), 0.0))

    def degrees_of_freedom(self, delta: float | FloatArray) -> FloatArray:
        return self._each(delta, "df")

    def critical(self, level: float) -> FloatArray:
        """Undefined (NaN): fixed-b df, hence critical values, change with the effect."""
        return np.full(self.n_draws, np.nan)

    def rejects(
        self, delta: float | FloatArray, level: float, critical: FloatArray | None = None
    ) -> FloatArray:
        """Rejections with each effect's own df, or against ``critical`` when it is given
        (finite: e.g. calibrated on the draws at no effect)."""
        stat = np.abs(self.statistic(delta))
        if critical is not None and np.all(np.isfinite(critical)):
            return stat > critical
        return stat > t_critical(self.degrees_of_freedom(delta), level)

    def select(self, keep: np.ndarray) -> GLMPlanted:
        offset = self.offset if self.offset.ndim < 2 else self.offset[:, keep]
        return GLMPlanted.build(
            self.X, self.column, self.Y[:, keep], self.P[:, keep], offset, self.time, self.options
        )
