"""Residual diagnostics of a segmented regression and the warnings they raise.

Durbin-Watson, Breusch-Godfrey (LM form, n R^2 with lagged residuals zero-filled), Ljung-Box,
the residual autocorrelation function, the Pearson dispersion of count models, and an F test of
residual seasonality.

References
----------
Durbin, J. and Watson, G. S. (1950). Testing for serial correlation in least squares regression
I. *Biometrika* 37, 409-428.
Breusch, T. S. (1978). Testing for autocorrelation in dynamic linear models. *Australian
Economic Papers* 17, 334-355. Godfrey, L. G. (1978). *Econometrica* 46, 1293-1301.
Ljung, G. M. and Box, G. E. P. (1978). On a measure of lack of fit in time series models.
*Biometrika* 65, 297-303.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

FloatArray = np.ndarray


def acf(r: FloatArray, nlags: int) -> FloatArray:
    """Sample autocorrelations of ``r`` at lags 1..nlags (mean removed, biased denominator)."""
    d = r - r.mean()
    full = np.correlate(d, d, mode="full")[len(d) - 1 :]
    return full[1 : nlags + 1] / full[0]


def ljung_box(r: FloatArray, lags: int) -> tuple[float, float]:
    n = len(r)
    rho = acf(r, lags)
    q = n * (n + 2) * float(np.sum(rho**2 / (n - np.arange(1, lags + 1))))
    return q, float(special.chdtrc(lags, q))


def breusch_godfrey(r: FloatArray, X: FloatArray, order: int) -> tuple[float, float]:
    n = len(r)
    lagged = np.column_stack([np.r_[np.zeros(j), r[:-j]] for j in range(1, order + 1)])
    Z = np.column_stack([X, lagged])
    coef, *_ = np.linalg.lstsq(Z, r, rcond=None)
    e = r - Z @ coef
    r2 = 1 - float(e @ e) / float((r - r.mean()) @ (r - r.mean()))
    lm = n * r2
    return lm, float(special.chdtrc(order, lm))


def seasonal_f_test(r: FloatArray, season: np.ndarray, period: int) -> tuple[float, float]:
    """F test that residual means differ by season (one-way ANOVA, as scipy's f_oneway)."""
    counts = np.bincount(season, minlength=period + 1)[1:]
    present = counts > 0
    if present.sum() < 2 or np.any(counts[present] < 2):
        return float("nan"), float("nan")
    sums = np.bincount(season, weights=r, minlength=period + 1)[1:][present]
    counts = counts[present]
    n, g = len(r), len(counts)
    between = float(np.sum(sums * sums / counts) - r.sum() ** 2 / n)
    within = float(r @ r - np.sum(sums * sums / counts))
    if within <= 0:
        return float("nan"), float("nan")
    f = (between / (g - 1)) / (within / (n - g))
    return float(f), float(special.fdtrc(g - 1, n - g, f))


def residual_diagnostics(
    resid: FloatArray,
    X: FloatArray,
    season: np.ndarray | None,
    season_period: int | None,
) -> dict[str, Any]:
    """Autocorrelation and seasonality diagnostics of one series' residuals (in time order)."""
    n = len(resid)
    lb_lags = max(1, min(2 * season_period if season_period else 10, n // 5))
    bg_order = max(1, min(season_period or 4, n // 10))
    dw = float(np.sum(np.diff(resid) ** 2) / (resid @ resid))
    lb, lb_p = ljung_box(resid, lb_lags)
    bg, bg_p = breusch_godfrey(resid, X, bg_order)
    out: dict[str, Any] = {
        "durbin_watson": dw,
        "ljung_box": lb,
        "ljung_box_lags": lb_lags,
        "ljung_box_p": lb_p,
        "breusch_godfrey": bg,
        "breusch_godfrey_order": bg_order,
        "breusch_godfrey_p": bg_p,
        "residual_acf": acf(resid, max(1, min(24, n // 4))).tolist(),
    }
    if season is not None and season_period:
        f, p = seasonal_f_test(resid, season, season_period)
        out["residual_seasonality_f"] = f
        out["residual_seasonality_p"] = p
    return out


def warnings_for(
    diag: dict[str, Any],
    *,
    n_pre: int,
    season_period: int | None,
    seasonality: str,
    hac_lag: int | None,
    n: int,
    inference: str,
) -> list[str]:
    """Plain-language warnings about the fit's assumptions."""
    out = []
    if n_pre < 8:
        out.append(f"short pre-period: {n_pre} points before the interruption (fewer than 8)")
    if season_period and seasonality != "none" and n_pre < 2 * season_period:
        out.append(
            f"short pre-period: {n_pre} points is fewer than two seasonal cycles "
            f"({2 * season_period}); seasonal terms are poorly identified"
        )
    if hac_lag is not None and hac_lag > n / 4:
        out.append(f"HAC lag {hac_lag} is large for n = {n} (more than n/4); estimates are noisy")
    if diag.get("residual_seasonality_p", 1.0) < 0.05 and seasonality == "none":
        out.append(
            "residual seasonality (F test p = {:.3g}); consider seasonality='dummies' or "
            "'fourier'".format(diag["residual_seasonality_p"])
        )
    if inference == "classical" and diag["ljung_box_p"] < 0.05:
        out.append(
            "residual autocorrelation (Ljung-Box p = {:.3g}) with classical standard errors, "
            "which then understate uncertainty; use inference='hac' or model='gls'".format(
                diag["ljung_box_p"]
            )
        )
    if inference == "model" and diag["ljung_box_p"] < 0.05:
        out.append(
            "standardised GLS residuals remain autocorrelated (Ljung-Box p = {:.3g}); "
            "consider a higher ARMA order".format(diag["ljung_box_p"])
        )
    disp = diag.get("pearson_dispersion")
    if disp is not None and diag.get("dispersion_fixed") and disp > 1.5:
        out.append(
            f"overdispersion: Pearson dispersion {disp:.3g} with the dispersion fixed at 1; "
            "use dispersion='quasi' or model='negbin'"
        )
    return out
