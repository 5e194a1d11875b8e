"""Estimators behind ``ITS``: OLS, Poisson / negative binomial GLM (log link, offset), GLS-ARMA.

Each returns a :class:`ModelFit` holding what inference needs: coefficients, the model-based
("classical") covariance, the bread and per-observation scores for a sandwich, and residuals.
Arrays only; the design object is not seen here.

References
----------
McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., Chapman & Hall
(IRLS; the Pearson estimate of the quasi-likelihood dispersion, section 9.2).
Lawless, J. F. (1987). Negative binomial and mixed Poisson regression. *Canadian Journal of
Statistics* 15(3), 209-225 (maximum likelihood for the NB2 shape parameter, as MASS::glm.nb).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special

from vrueval.inference.arma_gls import fit_arma_gls, solve_triangular

FloatArray = np.ndarray


@dataclass(frozen=True)
class ModelFit:
    """A fitted mean model. ``link`` is "identity" or "log"; ``df`` the residual df."""

    beta: FloatArray
    cov_model: FloatArray
    bread: FloatArray
    scores: FloatArray
    resid: FloatArray  # response-scale residuals y - mu
    pearson: FloatArray  # Pearson residuals (OLS: raw residuals; GLS: whitened, standardised)
    mu: FloatArray
    link: str
    df_resid: int
    dispersion: float
    aic: float
    extra: dict[str, Any] = field(default_factory=dict)
    weights: FloatArray | None = None  # GLM working (Fisher) weights; None: all ones


def _qr(X: FloatArray) -> tuple[FloatArray, FloatArray]:
    q, r = np.linalg.qr(X)
    diag = np.abs(np.diag(r))
    if diag.min() < 1e-10 * diag.max():
        raise np.linalg.LinAlgError("the design matrix is rank deficient")
    return q, r


def _qr_beta(X: FloatArray, y: FloatArray) -> FloatArray:
    """Least-squares coefficients by QR (the inputs are finite: no re-checking)."""
    q, r = _qr(X)
    return solve_triangular(r, q.T @ y)


def _r_inverse_gram(r: FloatArray) -> FloatArray:
    """``(X'X)^-1 = R^-1 R^-T`` from the QR factor R of X."""
    rinv = solve_triangular(r, np.eye(r.shape[0]))
    return rinv @ rinv.T


def _qr_solve(X: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    q, r = _qr(X)
    beta = solve_triangular(r, q.T @ y)
    return beta, _r_inverse_gram(r)


def fit_ols(y: FloatArray, X: FloatArray) -> ModelFit:
    """Ordinary least squares; ``cov_model = s^2 (X'X)^-1`` with ``s^2 = RSS / (n - k)``."""
    n, k = X.shape
    beta, xtx_inv = _qr_solve(X, y)
    mu = X @ beta
    resid = y - mu
    rss = float(resid @ resid)
    s2 = rss / (n - k)
    aic = n * np.log(2 * np.pi * rss / n) + n + 2 * (k + 1)
    return ModelFit(
        beta=beta,
        cov_model=s2 * xtx_inv,
        bread=xtx_inv,
        scores=X * resid[:, None],
        resid=resid,
        pearson=resid,
        mu=mu,
        link="identity",
        df_resid=n - k,
        dispersion=s2,
        aic=float(aic),
    )


def _irls(
    y: FloatArray, X: FloatArray, offset: FloatArray, alpha: float, beta0: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    """IRLS for a log-link GLM with variance mu + alpha mu^2 (alpha = 0: Poisson)."""
    mu = np.maximum(y, 0.1) if beta0 is None else np.exp(X @ beta0 + offset)
    eta = np.log(mu) if beta0 is None else X @ beta0 + offset
    dev_old = np.inf
    beta = np.zeros(X.shape[1]) if beta0 is None else beta0
    it = 0
    for it in range(1, 101):  # noqa: B007
        w = mu / (1.0 + alpha * mu)
        z = eta - offset + (y - mu) / mu
        sw = np.sqrt(w)
        beta = _qr_beta(X * sw[:, None], z * sw)
        eta = X @ beta + offset
        mu = np.exp(eta)
        dev = _deviance(y, mu, alpha)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-12:
            break
        dev_old = dev
    w = mu / (1.0 + alpha * mu)
    bread = _r_inverse_gram(_qr(X * np.sqrt(w)[:, None])[1])
    return beta, mu, bread, it


def _deviance(y: FloatArray, mu: FloatArray, alpha: float) -> float:
    ylogy = special.xlogy(y, y / mu)
    if alpha == 0:
        return float(2 * np.sum(ylogy - (y - mu)))
    th = 1.0 / alpha
    return float(2 * np.sum(ylogy - (y + th) * np.log((y + th) / (mu + th))))


def _nb_loglik(y: FloatArray, mu: FloatArray, theta: float) -> float:
    return float(
        np.sum(
            special.gammaln(y + theta)
            - special.gammaln(theta)
            - special.gammaln(y + 1)
            + theta * np.log(theta / (theta + mu))
            + special.xlogy(y, mu / (theta + mu))
        )
    )


def _nb_theta(y: FloatArray, mu: FloatArray) -> float:
    """Maximum-likelihood NB2 shape for fixed ``mu``: a bounded search on log(theta) finds the
    basin, Newton steps on the score then find its root (as ``MASS::theta.ml``), because the
    likelihood is too flat near the top for the search alone to locate it precisely."""
    res = optimize.minimize_scalar(
        lambda lt: -_nb_loglik(y, mu, float(np.exp(lt))),
        bounds=(-8.0, 16.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    start = theta = float(np.exp(res.x))
    for _ in range(50):
        score = float(
            np.sum(
                special.digamma(y + theta)
                - special.digamma(theta)
                + np.log(theta)
                + 1.0
                - np.log(theta + mu)
                - (y + theta) / (theta + mu)
            )
        )
        info = -float(
            np.sum(
                special.polygamma(1, y + theta)
                - special.polygamma(1, theta)
                + 1.0 / theta
                - 2.0 / (theta + mu)
                + (y + theta) / (theta + mu) ** 2
            )
        )
        if not (np.isfinite(score) and np.isfinite(info) and info > 0):
            return start
        step = score / info
        theta += step
        if theta <= 0:
            return start
        if abs(step) < 1e-12 * theta:
            break
    return theta


def fit_glm(
    y: FloatArray,
    X: FloatArray,
    offset: FloatArray,
    family: str,
    quasi: bool,
) -> ModelFit:
    """Poisson or NB2 GLM with log link and ``offset``.

    ``quasi=True`` scales the model covariance by the Pearson dispersion
    ``sum(r_P^2) / (n - k)`` (R's quasipoisson). For ``"negbin"`` the shape theta is estimated
    by maximum likelihood, alternating with IRLS as ``MASS::glm.nb`` does.
    """
    n, k = X.shape
    if np.any(y < 0):
        raise ValueError("a count model needs non-negative outcomes")
    alpha, theta = 0.0, np.inf
    beta, mu, bread, iters = _irls(y, X, offset, 0.0, None)
    extra: dict[str, Any] = {"iterations": iters}
    if family == "negbin":
        for _ in range(100):
            new_theta = _nb_theta(y, mu)
            beta, mu, bread, _ = _irls(y, X, offset, 1.0 / new_theta, beta)
            done = abs(new_theta - theta) < 1e-8 * new_theta
            theta = new_theta
            if done:
                break
        alpha = 1.0 / theta
        extra["theta"] = theta
        loglik = _nb_loglik(y, mu, theta)
        aic = -2 * loglik + 2 * (k + 1)
    else:
        loglik = float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))
        aic = -2 * loglik + 2 * k
    var = mu + alpha * mu * mu
    pearson = (y - mu) / np.sqrt(var)
    phi = float(pearson @ pearson) / (n - k)
    extra["pearson_dispersion"] = phi
    scale = phi if quasi else 1.0
    return ModelFit(
        beta=beta,
        cov_model=scale * bread,
        bread=bread,
        scores=X * ((y - mu) * mu / var)[:, None],
        resid=y - mu,
        pearson=pearson,
        mu=mu,
        link="log",
        df_resid=n - k,
        dispersion=scale,
        aic=float(aic),
        extra=extra,
        weights=mu * mu / var,
    )


def fit_gls(
    y: FloatArray,
    X: FloatArray,
    time: np.ndarray,
    p: int,
    q: int,
    method: str,
    with_aic: bool = False,
) -> ModelFit:
    """Regression with ARMA(p, q) errors; see :func:`vrueval.inference.arma_gls.fit_arma_gls`.

    The AIC (from the ML fit, as REML likelihoods are not comparable across mean models) is
    computed only when ``with_aic``; otherwise it is NaN.
    """
    res = fit_arma_gls(y, X, time, p, q, "ML" if method == "ML" else "REML")
    n, k = X.shape
    aic = np.nan
    if with_aic:
        ml = fit_arma_gls(y, X, time, p, q, "ML") if method != "ML" else res
        aic = ml.objective + n * (1 + np.log(2 * np.pi)) + 2 * (k + p + q + 1)
    return ModelFit(
        beta=res.beta,
        cov_model=res.cov,
        bread=res.cov / res.sigma2,
        scores=np.empty((0, k)),
        resid=res.resid,
        pearson=res.std_resid,
        mu=X @ res.beta,
        link="identity",
        df_resid=n - k,
        dispersion=res.sigma2,
        aic=float(aic),
        extra={
            "ar": res.ar.tolist(),
            "ma": res.ma.tolist(),
            "method": res.method,
            "converged": res.converged,
            "polished": res.polished,
        },
    )
