"""Linear regression with ARMA(p, q) errors by exact Gaussian (RE)ML generalised least squares.

``y = X b + e``, ``e ~ N(0, s^2 R(phi, theta))`` with ``R`` the correlation matrix of a
stationary ARMA(p, q) process evaluated at the observations' time positions (so gaps are
honoured). ``b`` and ``s^2`` are profiled out; the ARMA parameters maximise the profile
(restricted) likelihood, as ``nlme::gls(correlation = corARMA(...))`` does. The coefficient
covariance is ``s^2 (X' R^-1 X)^-1`` with ``s^2 = RSS / (n - k)`` under either method, as in
nlme (its ML ``sigma`` is RSS / n, but ``vcov`` rescales by n / (n - k)).

With one ARMA parameter (AR(1), MA(1)) the optimiser's answer is polished to the root of the
analytic profile score, so the estimates are reproducible to about 1e-14 relative whatever the
BLAS build; with more, BFGS stops at a gradient norm of 1e-9.

References
----------
Pinheiro, J. C. and Bates, D. M. (2000). *Mixed-Effects Models in S and S-PLUS*, Springer,
sections 5.1-5.3 (gls, corAR1, corARMA, the restricted likelihood).
Monahan, J. F. (1984). A note on enforcing stationarity in autoregressive-moving average models.
*Biometrika* 71(2), 403-404 (the partial-autocorrelation parametrisation used here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import linalg, optimize
from statsmodels.tsa.arima_process import arma_acf

from vrueval.options import choice

FloatArray = np.ndarray
Method = Literal["REML", "ML"]


@dataclass(frozen=True)
class ARMAGLSFit:
    """Estimates of a GLS fit with ARMA errors."""

    beta: FloatArray
    cov: FloatArray
    sigma2: float
    ar: FloatArray  # phi_1..phi_p in e_t = sum phi_j e_{t-j} + a_t + sum theta_j a_{t-j}
    ma: FloatArray
    resid: FloatArray  # y - X b (response scale)
    std_resid: FloatArray  # whitened residuals / s: approximately i.i.d. N(0, 1) if the model holds
    objective: float  # -2 x profile (restricted) log likelihood, up to a constant
    method: str
    converged: bool
    # one-parameter fits: the optimum was polished to the root of the analytic score (to machine
    # precision); False where it was not (ARMA(p, q) by BFGS, or no root found)
    polished: bool = False


_TRTRS: Any = linalg.get_lapack_funcs("trtrs", dtype=np.float64)


def solve_triangular(a: FloatArray, b: FloatArray, lower: bool = False) -> FloatArray:
    """``scipy.linalg.solve_triangular(a, b, lower=lower, check_finite=False)`` for float64
    inputs: the same LAPACK call (``dtrtrs``, with scipy's handling of C-ordered ``a``) without
    the input validation, which costs more than the solve for the small systems fitted here."""
    if a.dtype != np.float64 or b.dtype != np.float64:
        return linalg.solve_triangular(a, b, lower=lower, check_finite=False)
    if a.flags.f_contiguous:
        x, info = _TRTRS(a, b, lower=lower, trans=0)
    else:
        x, info = _TRTRS(a.T, b, lower=not lower, trans=1)
    if info > 0:
        raise linalg.LinAlgError(f"singular matrix: resolution failed at diagonal {info - 1}")
    if info < 0:
        raise ValueError(f"illegal value in {-info}-th argument of internal trtrs")
    return x


def _pacf_to_coef(u: FloatArray) -> FloatArray:
    """Map unconstrained reals to the coefficients of a stationary AR polynomial (Monahan 1984)."""
    r = np.tanh(u)
    phi = np.zeros(len(r))
    for k in range(len(r)):
        prev = phi[:k].copy()
        phi[k] = r[k]
        phi[:k] = prev - r[k] * prev[::-1]
    return phi


def correlation(ar: FloatArray, ma: FloatArray, time: np.ndarray) -> FloatArray:
    """ARMA correlation matrix at integer time positions ``time``."""
    lags = np.abs(time[:, None] - time[None, :])
    acf = arma_acf(np.r_[1.0, -ar], np.r_[1.0, ma], lags=int(lags.max()) + 1)
    return acf[lags]


def _whiten(
    y: FloatArray, X: FloatArray, ar: FloatArray, ma: FloatArray, time: np.ndarray, fast: bool
) -> tuple[FloatArray, FloatArray, float]:
    """``R^(-1/2) y``, ``R^(-1/2) X`` and ``log det R``."""
    if fast:  # AR(1) on consecutive points: Prais-Winsten, O(n)
        phi = float(ar[0])
        c = np.sqrt(1.0 - phi * phi)
        yw = np.empty_like(y)
        Xw = np.empty_like(X)
        yw[0] = y[0]
        Xw[0] = X[0]
        yw[1:] = (y[1:] - phi * y[:-1]) / c
        Xw[1:] = (X[1:] - phi * X[:-1]) / c
        return yw, Xw, (len(y) - 1) * np.log(1.0 - phi * phi)
    chol = linalg.cholesky(correlation(ar, ma, time), lower=True)
    yw = solve_triangular(chol, y, lower=True)
    Xw = solve_triangular(chol, X, lower=True)
    return yw, Xw, 2.0 * float(np.sum(np.log(np.diag(chol))))


def _profile(
    y: FloatArray,
    X: FloatArray,
    ar: FloatArray,
    ma: FloatArray,
    time: np.ndarray,
    fast: bool,
    method: Method,
) -> tuple[float, FloatArray, FloatArray, FloatArray, float, FloatArray]:
    yw, Xw, logdet = _whiten(y, X, ar, ma, time, fast)
    q, r = np.linalg.qr(Xw)
    beta = solve_triangular(r, q.T @ yw)
    rw = yw - Xw @ beta
    rss = float(rw @ rw)
    n, k = X.shape
    if method == "ML":
        obj = n * np.log(rss / n) + logdet
    else:
        obj = (n - k) * np.log(rss / (n - k)) + logdet + 2.0 * np.log(np.abs(r.diagonal())).sum()
    return obj, beta, r, rw, rss, Xw


def _one_parameter_correlation(
    coef: float, kind: Literal["ar", "ma"], time: np.ndarray
) -> tuple[FloatArray, FloatArray]:
    """AR(1) or MA(1) correlation matrix at ``time`` and its derivative in the coefficient."""
    lags = np.abs(time[:, None] - time[None, :]).astype(float)
    if kind == "ar":
        corr = coef**lags
        deriv = np.where(lags > 0, lags * coef ** np.maximum(lags - 1.0, 0.0), 0.0)
        return corr, deriv
    one = lags == 1
    corr = np.where(lags == 0, 1.0, np.where(one, coef / (1.0 + coef * coef), 0.0))
    deriv = np.where(one, (1.0 - coef * coef) / (1.0 + coef * coef) ** 2, 0.0)
    return corr, deriv


def profile_score(
    y: FloatArray,
    X: FloatArray,
    time: np.ndarray,
    coef: float,
    kind: Literal["ar", "ma"],
    method: Method,
) -> float:
    """Derivative of the profile objective (-2 x (restricted) log likelihood) in the AR(1)
    or MA(1) coefficient.

    With ``e`` the GLS residual, ``A = X' R^-1 X`` and ``dR`` the derivative of the
    correlation matrix: ``d RSS = -e' R^-1 dR R^-1 e`` (``b`` is profiled out),
    ``d log|R| = tr(R^-1 dR)`` and, for REML, ``d log|A| = -tr(A^-1 X' R^-1 dR R^-1 X)``.
    """
    if kind == "ar" and bool(np.all(np.diff(time) == 1)):
        return _prais_winsten_score(y, X, coef, method)
    return _matrix_score(y, X, time, coef, kind, method)


def _matrix_score(
    y: FloatArray,
    X: FloatArray,
    time: np.ndarray,
    coef: float,
    kind: Literal["ar", "ma"],
    method: Method,
) -> float:
    """:func:`profile_score` from the explicit correlation matrix (any spacing; O(n^3))."""
    n, k = X.shape
    corr, deriv = _one_parameter_correlation(coef, kind, time)
    chol = linalg.cholesky(corr, lower=True)
    yw = solve_triangular(chol, y, lower=True)
    Xw = solve_triangular(chol, X, lower=True)
    q, r = np.linalg.qr(Xw)
    rw = yw - q @ (q.T @ yw)
    rss = float(rw @ rw)
    r_inv_e = solve_triangular(chol.T, rw)
    chol_inv = solve_triangular(chol, np.eye(len(y)), lower=True)
    d_logdet = float(np.sum((chol_inv.T @ chol_inv) * deriv))
    d_rss = -float(r_inv_e @ deriv @ r_inv_e)
    if method == "ML":
        return n * d_rss / rss + d_logdet
    scaled_q = solve_triangular(chol.T, q)
    return (n - k) * d_rss / rss + d_logdet - float(np.sum(scaled_q * (deriv @ scaled_q)))


def _prais_winsten_score(y: FloatArray, X: FloatArray, phi: float, method: Method) -> float:
    """:func:`profile_score` for AR(1) on consecutive points in O(n k^2): with ``W`` the
    Prais-Winsten transform (``W'W = R^-1``), ``d RSS = 2 (W e)'(dW e)``,
    ``d log|R| = -2 (n - 1) phi / (1 - phi^2)`` and ``d log|A| = 2 tr(A^-1 X'W' dW X)``."""
    c2 = 1.0 - phi * phi
    c = np.sqrt(c2)

    def whiten(v: FloatArray) -> tuple[FloatArray, FloatArray]:
        w = np.empty_like(v)
        dw = np.zeros_like(v)
        w[0] = v[0]
        w[1:] = (v[1:] - phi * v[:-1]) / c
        dw[1:] = -v[:-1] / c + w[1:] * (phi / c2)
        return w, dw

    n, k = X.shape
    Xw, dXw = whiten(X)
    q, r = np.linalg.qr(Xw)
    yw = whiten(y)[0]
    beta = solve_triangular(r, q.T @ yw)
    ew, dew = whiten(y - X @ beta)
    rss = float(ew @ ew)
    d_rss = 2.0 * float(ew @ dew)
    d_logdet = -2.0 * (n - 1) * phi / c2
    if method == "ML":
        return n * d_rss / rss + d_logdet
    d_logdet_a = 2.0 * float(np.trace(solve_triangular(r, q.T @ dXw)))
    return (n - k) * d_rss / rss + d_logdet + d_logdet_a


def polish_one_parameter(
    y: FloatArray,
    X: FloatArray,
    time: np.ndarray,
    coef: float,
    kind: Literal["ar", "ma"],
    method: Method,
) -> tuple[float, bool]:
    """The root of :func:`profile_score` next to ``coef`` (an optimiser's answer), and whether
    it was found.

    The score changes sign across the optimum; the root is bracketed in steps widening from
    1e-7 and found by Brent's method to machine precision. Where no sign change is found (an
    optimum on the stationarity boundary) or the score cannot be evaluated, ``coef`` is
    returned unchanged with ``False``: it is then only as precise as the optimiser (about 1e-8).
    """
    limit = 1.0 - 1e-12

    def score(c: float) -> float:
        return profile_score(y, X, time, c, kind, method)

    try:
        centre = score(coef)
        if centre == 0.0:
            return coef, True
        for step in (1e-7, 1e-6, 1e-5, 1e-4):
            other = float(np.clip(coef - step * np.sign(centre), -limit, limit))
            if np.sign(score(other)) != np.sign(centre):
                lo, hi = sorted((coef, other))
                root = optimize.brentq(score, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)
                return float(root), True
    except (linalg.LinAlgError, ValueError):
        pass
    return coef, False


def fit_arma_gls(
    y: FloatArray,
    X: FloatArray,
    time: np.ndarray,
    p: int = 1,
    q: int = 0,
    method: Method = "REML",
) -> ARMAGLSFit:
    """Fit ``y = X b + e`` with ARMA(``p``, ``q``) errors by profile (RE)ML.

    Parameters
    ----------
    y, X : arrays
        Response (n,) and design (n, k).
    time : integer array
        Time position of each observation (strictly increasing; gaps allowed).
    p, q : int
        AR and MA orders (p + q >= 1).
    method : {"REML", "ML"}
        Restricted (nlme's default) or full maximum likelihood.
    """
    if p < 0 or q < 0 or p + q < 1:
        raise ValueError(f"ARMA orders must be >= 0 with p + q >= 1, got p={p}, q={q}")
    choice(method, ("REML", "ML"), "method")
    time = np.asarray(time, dtype=np.int64)
    fast = p == 1 and q == 0 and bool(np.all(np.diff(time) == 1))

    def split(u: FloatArray) -> tuple[FloatArray, FloatArray]:
        return _pacf_to_coef(u[:p]), -_pacf_to_coef(u[p:])

    def objective(u: FloatArray) -> float:
        ar, ma = split(np.atleast_1d(u))
        try:
            return _profile(y, X, ar, ma, time, fast, method)[0]
        except (linalg.LinAlgError, ValueError):
            return np.inf

    no_ma = np.zeros(0)

    def objective_ar1(a: float) -> float:
        # AR(1): the partial autocorrelation is the coefficient, tanh(a) (Monahan's map).
        try:
            return _profile(y, X, np.tanh(np.array([a])), no_ma, time, fast, method)[0]
        except (linalg.LinAlgError, ValueError):
            return np.inf

    if p + q == 1:
        one = optimize.minimize_scalar(
            objective_ar1 if q == 0 else lambda a: objective(np.array([a])),
            bounds=(-7.0, 7.0),
            method="bounded",
            options={"xatol": 1e-10},
        )
        u_hat, converged = np.array([one.x]), bool(one.success)
        # Brent's method on function values stops within sqrt(machine epsilon) of the optimum
        # (about 1e-8 relative), where rounding differences between BLAS builds move the
        # estimates at the 1e-9 level; the root of the exact score pins it to about 1e-14.
        coef = float(np.tanh(u_hat[0])) if q == 0 else -float(np.tanh(u_hat[0]))
        coef, polished = polish_one_parameter(y, X, time, coef, "ar" if q == 0 else "ma", method)
        u_hat = np.array([np.arctanh(coef) if q == 0 else np.arctanh(-coef)])
    else:
        res = optimize.minimize(
            objective, np.zeros(p + q), method="BFGS", options={"gtol": 1e-9, "maxiter": 500}
        )
        u_hat, converged = np.asarray(res.x), bool(res.success)
        polished = False
    ar, ma = split(u_hat)
    obj, beta, r, rw, rss, _ = _profile(y, X, ar, ma, time, fast, method)
    n, k = X.shape
    sigma2 = rss / (n - k) if method == "REML" else rss / n
    rinv = solve_triangular(r, np.eye(k))
    # As nlme does for both methods, the covariance uses the unbiased RSS / (n - k).
    cov = rss / (n - k) * (rinv @ rinv.T)
    return ARMAGLSFit(
        beta=beta,
        cov=0.5 * (cov + cov.T),
        sigma2=sigma2,
        ar=ar,
        ma=ma,
        resid=y - X @ beta,
        std_resid=rw / np.sqrt(sigma2),
        objective=float(obj),
        method=method,
        converged=converged,
        polished=polished,
    )
