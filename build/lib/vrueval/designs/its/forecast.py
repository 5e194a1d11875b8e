"""Forecast-mode ITS: fit the pre-period only, project it, compare the post-period with it.

The model (trend, seasonality, covariates; no interruption terms) is fitted on the periods
before the first intervention takes effect and projected over the observed post-period. The
counterfactual of period t is the model's prediction ``m_t``; the effect is ``y_t - m_t``.
Its prediction error has two parts, both carried by every interval:

- parameter uncertainty, ``g_t' V g_t`` with ``g_t`` the gradient of ``m_t`` in the
  coefficients and ``V`` their covariance (classical, plain HAC, or the GLS-ARMA model's);
- the outcome's own variation around its mean, ``Sigma``:

  * OLS: ``s^2 I`` (so a period's variance is ``s^2 (1 + x0'(X'X)^-1 x0)``, ``predict.lm``'s
    prediction interval, when ``V`` is classical);
  * GLS with ARMA errors: the best linear predictor given the pre-period residuals
    (Goldberger, 1962), ``m = X_post b + A (y_pre - X_pre b)`` with
    ``A = Sigma_post,pre Sigma_pre^-1``, its gradient ``X_post - A X_pre`` and the conditional
    covariance ``Sigma_post - A Sigma_pre,post``: serially correlated errors widen the
    intervals of sums and means (and the first periods borrow strength from the last
    residuals);
  * Poisson / quasi-Poisson / NB: ``phi mu_t`` (``mu + mu^2 / theta`` for NB), independent
    across periods given the mean, by the delta method on the log link for the parameter part.
    Serial correlation enters only through ``V`` (choose ``inference="hac"``).

Sums and means use the full covariance ``Sigma + G V G'``, so ``mean_effect`` and
``cumulative_effect`` are prediction intervals for the observed average / total gap under no
intervention. Reference distribution: t with the pre-period fit's residual df when the scale is
estimated (OLS, GLS, quasi-Poisson), else the normal; for count models the per-period interval
is the normal approximation on the response scale (its lower bound may be below zero).

References
----------
Goldberger, A. S. (1962). Best linear unbiased prediction in the generalized linear
regression model. *JASA* 57(298), 369-375.
Bernal, J. L., Cummins, S. and Gasparrini, A. (2017). Interrupted time series regression for
the evaluation of public health interventions: a tutorial. *Int. J. Epidemiology* 46(1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from vrueval.designs.its import tables
from vrueval.designs.its.design import Interruption, ITSDesign
from vrueval.designs.its.inference import Covariance
from vrueval.designs.its.models import ModelFit
from vrueval.inference.arma_gls import correlation
from vrueval.inference.hac import Kernel

if TYPE_CHECKING:
    from vrueval.designs.its import ITS
    from vrueval.designs.its.results import ITSForecastResult

FloatArray = np.ndarray


@dataclass(frozen=True)
class Prediction:
    """The counterfactual at the post-period rows: mean, its gradient, the outcome's noise."""

    mean: FloatArray  # m
    grad: FloatArray  # dm / d beta, m x k
    noise: FloatArray  # covariance of y around m under no intervention, m x m


def predict(
    fit: ModelFit,
    X_pre: FloatArray,
    X_post: FloatArray,
    time_pre: np.ndarray,
    time_post: np.ndarray,
    offset_post: FloatArray,
    model: str,
) -> Prediction:
    """Project the pre-period fit over the post-period rows (see the module docstring)."""
    m = len(X_post)
    if model == "gls":
        ar = np.asarray(fit.extra["ar"], dtype=float)
        ma = np.asarray(fit.extra["ma"], dtype=float)
        times = np.r_[time_pre, time_post]
        R = fit.dispersion * correlation(ar, ma, times)
        n = len(time_pre)
        s_pre, s_cross, s_post = R[:n, :n], R[n:, :n], R[n:, n:]
        A = np.linalg.solve(s_pre, s_cross.T).T
        mean = X_post @ fit.beta + A @ fit.resid
        grad = X_post - A @ X_pre
        noise = s_post - A @ s_cross.T
        return Prediction(mean, grad, 0.5 * (noise + noise.T))
    if fit.link == "identity":
        return Prediction(X_post @ fit.beta, X_post, fit.dispersion * np.eye(m))
    mu = np.exp(X_post @ fit.beta + offset_post)
    alpha = 1.0 / float(fit.extra["theta"]) if "theta" in fit.extra else 0.0
    var = fit.dispersion * mu if alpha == 0 else mu + alpha * mu * mu
    return Prediction(mu, X_post * mu[:, None], np.diag(var))


def _critical(level: float, df: float | None) -> float:
    q = 0.5 + level / 2
    return float(special.ndtri(q) if df is None else special.stdtrit(df, q))


def _p(est: float, se: float, df: float | None) -> float:
    if not se > 0:
        return float("nan")
    z = -abs(est) / se
    return float(2 * (special.ndtr(z) if df is None else special.stdtr(df, z)))


def period_table(
    pred: Prediction,
    V: FloatArray,
    observed: FloatArray,
    level: float,
    df: float | None,
) -> dict[str, FloatArray]:
    """Per post-period row: counterfactual with its confidence and prediction intervals, and
    the gap (observed minus counterfactual) with its prediction interval."""
    param = np.einsum("ij,jk,ik->i", pred.grad, V, pred.grad)
    se_mean = np.sqrt(np.maximum(param, 0.0))
    se_pred = np.sqrt(np.maximum(param + np.diag(pred.noise), 0.0))
    c = _critical(level, df)
    gap = observed - pred.mean
    return {
        "counterfactual": pred.mean,
        "counterfactual_low": pred.mean - c * se_mean,
        "counterfactual_high": pred.mean + c * se_mean,
        "prediction_low": pred.mean - c * se_pred,
        "prediction_high": pred.mean + c * se_pred,
        "prediction_se": se_pred,
        "effect": gap,
        "effect_low": gap - c * se_pred,
        "effect_high": gap + c * se_pred,
    }


def summary_table(
    pred: Prediction,
    V: FloatArray,
    observed: FloatArray,
    weights: FloatArray,
    level: float,
    df: float | None,
    label: str,
) -> pd.DataFrame:
    """Mean gap per period, cumulative gap in events (``weights``) and relative change (%)
    over the post-period rows, each with a prediction interval (see the module docstring)."""
    m = len(observed)
    c = _critical(level, df)
    rows = []
    for term, w in (("mean_effect", np.full(m, 1.0 / m)), ("cumulative_effect", weights)):
        est = float(w @ (observed - pred.mean))
        g = w @ pred.grad
        var = float(w @ pred.noise @ w + g @ V @ g)
        se = float(np.sqrt(max(var, 0.0)))
        rows.append((term, est, se, est - c * se, est + c * se, _p(est, se, df), "difference"))
    s_y, s_m = float(weights @ observed), float(weights @ pred.mean)
    g = weights @ pred.grad
    # relative gap S_y / S_m - 1: S_y varies around S_m by the noise, S_m by the parameters
    var = float(weights @ pred.noise @ weights) / s_m**2 + (s_y / s_m**2) ** 2 * float(g @ V @ g)
    se = float(np.sqrt(max(var, 0.0)))
    rel = s_y / s_m - 1
    rows.append(
        (
            "relative_pct",
            100 * rel,
            100 * se,
            100 * (rel - c * se),
            100 * (rel + c * se),
            _p(rel, se, df),
            "percent",
        )
    )
    out = pd.DataFrame(
        rows,
        columns=["term", "estimate", "std_error", "conf_low", "conf_high", "p_value", "scale"],
    )
    out["df"] = np.nan if df is None else float(df)
    out["periods"] = m
    out["interruption"] = label
    return out


def pre_design(d: ITSDesign, interruptions: Sequence[Interruption], step: int) -> ITSDesign:
    """``d`` without its interruption columns, fitting only the rows before the first
    intervention takes effect (its date plus lag); a nuisance term the pre-period cannot
    estimate (a lockdown after it, not excluded) is refused."""
    first = next(i for i in interruptions if not i.nuisance)
    start = (first.period.ordinal - d.periods[0].ordinal) // step + first.lag
    pre = d.time < start
    seg = set(d.effect_cols.values())
    keep = [j for j in range(d.X.shape[1]) if j not in seg]
    X = d.X[:, keep]
    fitted = d.in_fit & pre
    dead = [d.names[j] for j in keep if not np.any(X[fitted, keep.index(j)] != 0)]
    nuisance = [i.label for i in interruptions if i.nuisance]
    if dead or nuisance:
        raise ValueError(
            f"forecast mode fits the pre-period only (before {first.period} + lag {first.lag}), "
            f"which cannot estimate {dead + nuisance}: a lockdown after the intervention must "
            "be left out of the fit (lockdown_handling='exclude') in forecast mode"
        )
    return replace(
        d,
        X=X,
        names=tuple(d.names[j] for j in keep),
        in_fit=fitted,
        intervention_cols=(),
        effect_cols={},
    )


def fit_forecast(
    its: ITS,
    inference: str | None,
    level: float,
    hac_kernel: Kernel,
    hac_lag: int | str,
    hac_adjust: bool,
    window: int | None,
) -> ITSForecastResult:
    """:meth:`vrueval.ITS.forecast`'s work: choose K, fit the pre-period, project, summarise."""
    from vrueval.designs.its import data as its_data
    from vrueval.designs.its.inference import classical, hac
    from vrueval.designs.its.results import ITSForecastResult
    from vrueval.inference.hac import hac_lag as lag_rule

    s = its._settings
    if s["controls"] or s["units"]:
        raise ValueError("forecast mode projects one series, not a comparative or pooled ITS")
    allowed = ("model",) if s["model"] == "gls" else ("classical", "hac")
    method = inference or allowed[0]
    its_data.choice(method, allowed, f"forecast inference for model={s['model']!r}")
    step = its._panel.step
    intr = its._interruptions

    def design(k: int) -> ITSDesign:
        return pre_design(its._design(k), intr, step)

    k, aic_table = 0, None
    if s["seasonality"] == "fourier":
        if s["fourier_k"] == "aic":
            assert its._season_period is not None
            ks = range(0, its._season_period // 2 + 1)
            aics = [its._fit_model(design(j), with_aic=True).aic for j in ks]
            k = int(np.argmin(aics))
            aic_table = pd.DataFrame({"k": list(ks), "aic": aics})
        else:
            k = int(s["fourier_k"])
    d = design(k)
    fit = its._fit_model(d)
    m = d.in_fit
    lag_used = None
    if method == "hac":
        lag_used = lag_rule(int(m.sum()), hac_lag, hac_kernel)  # type: ignore[arg-type]
        cov = hac(fit, d.X[m], d.time[m], hac_kernel, lag_used, hac_adjust, False)
    elif method == "classical":
        cov = classical(fit, s["dispersion"] == "quasi")
    else:
        cov = Covariance(fit.cov_model, float(fit.df_resid), {})

    first = next(i for i in intr if not i.nuisance)
    start = (first.period.ordinal - d.periods[0].ordinal) // step + first.lag
    full = its._design(k)
    post = np.flatnonzero((d.time >= start) & full.in_fit)
    if window is not None:
        post = post[:window]
    if len(post) == 0:
        raise ValueError(f"no observed period after {first.period} to compare the forecast with")
    log = fit.link == "log"
    rate = s["response"] == "rate"
    pop = d.population
    offset = np.log(pop[post]) if log and rate else np.zeros(len(post))
    pred = predict(fit, d.X[m], d.X[post], d.time[m], d.time[post], offset, s["model"])
    observed = d.y[post]
    rate_model = rate and not log
    if rate_model:
        observed = its_data.per_population(observed, pop[post], s["rate_per"])
    weights = pop[post] / s["rate_per"] if rate_model else np.ones(len(post))
    df = cov.df
    cols = period_table(pred, cov.cov, observed, level, df)
    frame = pd.DataFrame(
        {"period": d.periods[post], "observed": observed, **cols},
    )
    label = ",".join(i.label for i in intr if not i.nuisance)
    effects = summary_table(pred, cov.cov, observed, weights, level, df, label)
    effects["first_period"] = str(d.periods[post[0]])
    effects["last_period"] = str(d.periods[post[-1]])
    settings = {
        **s,
        "mode": "forecast",
        "fourier_k": k if s["seasonality"] == "fourier" else None,
        "fourier_k_rule": s["fourier_k"] if s["seasonality"] == "fourier" else None,
        "inference": method,
        "hac_kernel": hac_kernel if method == "hac" else None,
        "hac_lag": lag_used,
        "hac_adjust": hac_adjust if method == "hac" else None,
        "fit_periods": [str(d.periods[m][0]), str(d.periods[m][-1])],
        "reference_distribution": "normal" if df is None else f"t({df:g})",
        "window": window,
    }
    coefficients = tables.coefficient_table(d.names, fit, cov, level)
    return ITSForecastResult(
        effects=effects,
        counterfactual=frame,
        coefficients=coefficients,
        fourier_aic=aic_table,
        settings=settings,
        level=level,
        provenance={"sources": its._sources, "n_obs": int(m.sum())},
    )
