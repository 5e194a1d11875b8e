"""Counterfactual paths and impact summaries with delta-method intervals.

The counterfactual is the fitted mean with the intervention terms set to zero (trend,
seasonality and nuisance terms such as a lockdown kept). Every interval propagates the
coefficient covariance the user chose (HAC, GLS-ARMA, bootstrap), so the bands carry both
parameter uncertainty and the serial correlation that covariance accounts for; they are
confidence intervals for the mean path, not prediction intervals for single observations.
With fixed-b HAC every row is a contrast with its own variance factor and t degrees of freedom
(:meth:`~vrueval.designs.its.inference.Covariance.contrasts`).

References
----------
Zhang, F., Wagner, A. K. and Ross-Degnan, D. (2011). Simulation-based power calculation and
confidence intervals for interrupted time series. *Journal of Clinical Epidemiology* 64,
1252-1261 (absolute and relative effects of segmented regression with their intervals).
Oehlert, G. W. (1992). A note on the delta method. *The American Statistician* 46(1), 27-29.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from vrueval.designs.its.inference import Covariance
from vrueval.inference import intervals

FloatArray = np.ndarray


@dataclass(frozen=True)
class Paths:
    """Fitted and counterfactual means and their gradients wrt the coefficients."""

    fitted: FloatArray
    counterfactual: FloatArray
    grad_fitted: FloatArray
    grad_cf: FloatArray
    log_link: bool


def critical_value(level: float, df: float | None) -> float:
    return intervals.critical_value(level, df)


def paths(
    X: FloatArray, beta: FloatArray, intervention: tuple[int, ...], offset: FloatArray, log: bool
) -> Paths:
    """Mean paths with and without the intervention terms, and their Jacobians."""
    Xcf = X.copy()
    Xcf[:, list(intervention)] = 0.0
    if not log:
        return Paths(X @ beta, Xcf @ beta, X, Xcf, False)
    mu = np.exp(X @ beta + offset)
    mu_cf = np.exp(Xcf @ beta + offset)
    return Paths(mu, mu_cf, X * mu[:, None], Xcf * mu_cf[:, None], True)


def se_crit(grad: FloatArray, cov: Covariance, level: float) -> tuple[FloatArray, FloatArray]:
    """Standard error and two-sided critical value of each row's contrast ``grad @ beta``."""
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grad, cov.cov, grad), 0.0))
    if cov.fixed_b is None:
        return se, np.full(len(se), critical_value(level, cov.df))
    factor, df = cov.contrasts(grad)
    return se * np.sqrt(factor), np.asarray(special.stdtrit(df, 0.5 + level / 2), dtype=float)


def _bounds_positive(
    value: FloatArray, grad: FloatArray, cov: Covariance, level: float
) -> tuple[FloatArray, FloatArray]:
    """Interval for a positive mean on the log scale (log link), exponentiated back."""
    se_log, crit = se_crit(grad / value[:, None], cov, level)
    return value * np.exp(-crit * se_log), value * np.exp(crit * se_log)


def counterfactual_table(p: Paths, cov: Covariance, level: float) -> dict[str, FloatArray]:
    """Per-period fitted, counterfactual, effect and relative change with bounds."""
    gf, gc = p.grad_fitted, p.grad_cf
    if p.log_link:
        f_lo, f_hi = _bounds_positive(p.fitted, gf, cov, level)
        c_lo, c_hi = _bounds_positive(p.counterfactual, gc, cov, level)
    else:
        se_f, crit_f = se_crit(gf, cov, level)
        se_c, crit_c = se_crit(gc, cov, level)
        f_lo, f_hi = p.fitted - crit_f * se_f, p.fitted + crit_f * se_f
        c_lo, c_hi = p.counterfactual - crit_c * se_c, p.counterfactual + crit_c * se_c
    effect = p.fitted - p.counterfactual
    se_e, crit_e = se_crit(gf - gc, cov, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(p.fitted / p.counterfactual)
        g_ratio = gf / p.fitted[:, None] - gc / p.counterfactual[:, None]
    se_r, crit_r = se_crit(np.nan_to_num(g_ratio), cov, level)
    return {
        "fitted": p.fitted,
        "fitted_low": f_lo,
        "fitted_high": f_hi,
        "counterfactual": p.counterfactual,
        "counterfactual_low": c_lo,
        "counterfactual_high": c_hi,
        "effect": effect,
        "effect_low": effect - crit_e * se_e,
        "effect_high": effect + crit_e * se_e,
        "relative_pct": 100 * np.expm1(log_ratio),
        "relative_pct_low": 100 * np.expm1(log_ratio - crit_r * se_r),
        "relative_pct_high": 100 * np.expm1(log_ratio + crit_r * se_r),
    }


def impact_table(
    p: Paths,
    cov: Covariance,
    window: np.ndarray,
    weights: FloatArray,
    level: float,
    label: str,
) -> pd.DataFrame:
    """Mean effect per period, cumulative effect and relative change (%) over ``window`` rows.

    ``weights`` turn each period's effect into events (1 for count models; population / rate
    base for a rate model), so ``cumulative_effect`` is in events: negative values are events
    prevented relative to the counterfactual.
    """
    w = weights[window]
    gf, gc = p.grad_fitted[window], p.grad_cf[window]
    eff = p.fitted[window] - p.counterfactual[window]
    sf, sc = float(w @ p.fitted[window]), float(w @ p.counterfactual[window])
    grads = np.vstack(
        [
            (gf - gc).mean(axis=0),
            (w[:, None] * (gf - gc)).sum(axis=0),
            (w @ gf) / sf - (w @ gc) / sc,
        ]
    )
    se, crit = se_crit(grads, cov, level)
    if cov.fixed_b is None:
        dfs: list[float | None] = [cov.df] * 3
    else:
        dfs = [float(d) for d in cov.contrasts(grads)[1]]
    rows: list[tuple[str, float, float, float, float, float, str]] = []
    for i, (term, e) in enumerate((("mean_effect", eff.mean()), ("cumulative_effect", w @ eff))):
        s_i, c_i, est = float(se[i]), float(crit[i]), float(e)
        p_i = _p(est, s_i, dfs[i])
        rows.append((term, est, s_i, est - c_i * s_i, est + c_i * s_i, p_i, "difference"))
    lr = float(np.log(sf / sc))
    s_r, c_r = float(se[2]), float(crit[2])
    rows.append(
        (
            "relative_pct",
            float(100 * np.expm1(lr)),
            s_r,
            float(100 * np.expm1(lr - c_r * s_r)),
            float(100 * np.expm1(lr + c_r * s_r)),
            _p(lr, s_r, dfs[2]),
            "percent",
        )
    )
    out = pd.DataFrame(
        rows,
        columns=["term", "estimate", "std_error", "conf_low", "conf_high", "p_value", "scale"],
    )
    out["periods"] = len(eff)
    out["interruption"] = label
    return out


def _p(est: float, se: float, df: float | None) -> float:
    if se <= 0:
        return float("nan")
    z = abs(est) / se
    return float(intervals.two_sided_p(z, None if df is None or not np.isfinite(df) else df))
