"""The pieces of an ``ITS`` result: effects table, counterfactual path and impact, diagnostics.

Functions of the design, the fit and the covariance; :class:`vrueval.ITS` orchestrates them.
The effects' numbers are computed in the fit; the effects DataFrame, the counterfactual and
impact tables and the diagnostics are built on first access (see
:class:`~vrueval.designs.its.results.ITSResult`), so fitting many series stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from vrueval.designs.its import data as its_data
from vrueval.designs.its.design import Interruption, ITSDesign, season_position
from vrueval.designs.its.diagnostics import residual_diagnostics, warnings_for
from vrueval.designs.its.effects import counterfactual_table, impact_table, paths
from vrueval.designs.its.inference import Covariance
from vrueval.designs.its.models import ModelFit


@dataclass(frozen=True)
class Effects:
    """The numbers of the effects table, one entry a term (treated first, then ``control:``)."""

    terms: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    p_value: np.ndarray
    statistic: np.ndarray
    df: np.ndarray
    scale: str
    interruption: tuple[str, ...]
    nuisance: tuple[bool, ...]

    def frame(self) -> pd.DataFrame:
        """The effects table (a fresh DataFrame on every call).

        Its text columns are the same for every series fitted with the same terms, so they are
        built once (:func:`_template`) and copied; the numbers fill its single float block.
        Building an 11-column DataFrame from scratch costs as much as the fit itself.
        """
        frame = _template(self.terms, self.scale, self.interruption, self.nuisance).copy()
        columns = (
            self.estimate,
            self.std_error,
            self.conf_low,
            self.conf_high,
            self.p_value,
            self.statistic,
            self.df,
        )
        block = _number_block(frame)
        if block is not None:
            for row, values in zip(block, columns, strict=True):
                row[:] = values  # the copy's own float block: six times faster than iloc
        else:
            frame.iloc[:, 1:8] = np.column_stack(columns).astype(float)
        return frame


def _number_block(frame: pd.DataFrame) -> np.ndarray | None:
    """The (7, n) float array behind columns 1-7 of a fresh copy of a template, or None when
    pandas lays the frame out otherwise (then the caller assigns through ``iloc``)."""
    for block in getattr(getattr(frame, "_mgr", None), "blocks", ()):
        values = getattr(block, "values", None)
        locs = getattr(getattr(block, "mgr_locs", None), "as_slice", None)
        if (
            isinstance(values, np.ndarray)
            and values.dtype == np.float64
            and locs == slice(1, 8, 1)
            and values.shape == (7, len(frame))
            and values.flags.writeable
        ):
            return values
    return None


_TEMPLATES: dict[tuple[Any, ...], pd.DataFrame] = {}


def _template(
    terms: tuple[str, ...], scale: str, interruption: tuple[str, ...], nuisance: tuple[bool, ...]
) -> pd.DataFrame:
    """An effects table with these text columns and NaN numbers (never handed out itself)."""
    key = (terms, scale, interruption, nuisance)
    found = _TEMPLATES.get(key)
    if found is None:
        nan = np.full(len(terms), np.nan)
        found = pd.DataFrame(
            {
                "term": list(terms),
                **{c: nan for c in _NUMBERS},
                "scale": [scale] * len(terms),
                "interruption": list(interruption),
                "nuisance": list(nuisance),
            }
        )
        if len(_TEMPLATES) >= 256:
            _TEMPLATES.pop(next(iter(_TEMPLATES)))
        _TEMPLATES[key] = found
    return found


_NUMBERS = ("estimate", "std_error", "conf_low", "conf_high", "p_value", "statistic", "df")


def effect_numbers(
    d: ITSDesign,
    fit: ModelFit,
    cov: Covariance,
    level: float,
    interruptions: Sequence[Interruption],
) -> Effects:
    """Level and slope changes (treated first, then ``control:`` terms) as Wald statistics.

    The numbers are :func:`~vrueval.inference.intervals.wald_table`'s, computed in one go with
    a df per term (fixed-b HAC gives each contrast its own). ``scipy.special`` is called
    directly: it is what ``scipy.stats.t`` and ``scipy.stats.norm`` evaluate, without their
    argument-checking overhead.
    """
    names = [n for n in d.effect_cols if not n.startswith("control:")]
    names += [n for n in d.effect_cols if n.startswith("control:")]
    idx = [d.effect_cols[n] for n in names]
    est = fit.beta[idx]
    se = np.sqrt(np.diag(cov.cov)[idx])
    q = 0.5 + level / 2
    crit: Any
    p: Any
    with np.errstate(divide="ignore", invalid="ignore"):
        if cov.fixed_b is not None:
            factor, df = cov.contrasts(np.eye(len(fit.beta))[idx])
            se = se * np.sqrt(factor)
            stat = est / se
            crit = special.stdtrit(df, q)
            p = 2 * special.stdtr(df, -np.abs(stat))
        else:
            stat = est / se
            df = np.full(len(idx), np.nan if cov.df is None else float(cov.df))
            if cov.df is None:
                crit, p = special.ndtri(q), 2 * special.ndtr(-np.abs(stat))
            else:
                crit = special.stdtrit(cov.df, q)
                p = 2 * special.stdtr(cov.df, -np.abs(stat))
    low, high = est - crit * se, est + crit * se
    log = fit.link == "log"
    if log:
        est, low, high = np.exp(est), np.exp(low), np.exp(high)
    several = len(interruptions) > 1
    nuisance = {i.label for i in interruptions if i.nuisance}
    labels = tuple(n.rsplit(":", 1)[1] for n in names)
    return Effects(
        terms=tuple(n if several else n.rsplit(":", 1)[0] for n in names),
        estimate=est,
        std_error=se,
        conf_low=low,
        conf_high=high,
        p_value=p,
        statistic=stat,
        df=df,
        scale="ratio" if log else "difference",
        interruption=labels,
        nuisance=tuple(lab in nuisance for lab in labels),
    )


def coefficient_table(
    names: Sequence[str], fit: ModelFit, cov: Covariance, level: float
) -> pd.DataFrame:
    """Every coefficient on the linear-predictor scale as a Wald test, by the same rule as the
    effects (with fixed-b HAC, each coefficient's own variance factor and df; ``df`` NaN for
    the normal reference)."""
    k = len(fit.beta)
    q = 0.5 + level / 2
    se = np.sqrt(np.maximum(np.diag(cov.cov), 0.0))
    factor, df = cov.contrasts(np.eye(k))
    se = se * np.sqrt(factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = fit.beta / se
        normal = ~np.isfinite(df)
        crit = np.where(normal, special.ndtri(q), special.stdtrit(np.where(normal, 1.0, df), q))
        p = np.where(
            normal,
            2 * special.ndtr(-np.abs(stat)),
            2 * special.stdtr(np.where(normal, 1.0, df), -np.abs(stat)),
        )
    return pd.DataFrame(
        {
            "term": list(names),
            "estimate": fit.beta,
            "std_error": se,
            "conf_low": fit.beta - crit * se,
            "conf_high": fit.beta + crit * se,
            "p_value": p,
            "statistic": stat,
            "df": np.where(normal, np.nan, df),
        }
    )


def effects_table(
    d: ITSDesign,
    fit: ModelFit,
    cov: Covariance,
    level: float,
    interruptions: Sequence[Interruption],
) -> pd.DataFrame:
    """:func:`effect_numbers` as the effects table."""
    return effect_numbers(d, fit, cov, level, interruptions).frame()


def path_tables(
    d: ITSDesign,
    fit: ModelFit,
    cov: Covariance,
    level: float,
    *,
    interruptions: Sequence[Interruption],
    response: str,
    rate_per: float | None,
    step: int,
    window: int | None,
    pooled: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-period counterfactual frame and the impact over the window after the intervention."""
    t = d.treated
    log = fit.link == "log"
    pop = d.population[t]
    off = np.log(pop) if log and response == "rate" else np.zeros(int(t.sum()))
    p = paths(d.X[t], fit.beta, d.intervention_cols, off, log)
    cols = counterfactual_table(p, cov, level)
    observed = d.y[t]
    rate_model = response == "rate" and not log
    if rate_model:
        assert rate_per is not None
        observed = its_data.per_population(observed, pop, rate_per)
    frame = pd.DataFrame(
        {
            **({"unit": d.unit[t]} if pooled else {}),
            "period": d.periods[t],
            "observed": observed,
            "in_fit": d.in_fit[t],
            "excluded_reason": d.excluded_reason[t],
            **cols,
        }
    )
    interventions = [i for i in interruptions if not i.nuisance]
    first = interventions[0]
    start_pos = (first.period.ordinal - d.periods[0].ordinal) // step + first.lag
    # Only fitted months count: excluded months (lockdown, washout, missing) have no fitted data,
    # and an effect there would be pure extrapolation of the slope change.
    post = np.flatnonzero((d.time[t] >= start_pos) & d.in_fit[t])
    if window is not None and pooled:  # the first ``window`` fitted periods of each unit
        units = d.unit[t][post]
        rank = pd.Series(np.ones(len(post))).groupby(units).cumsum().to_numpy()
        post = post[rank <= window]
    elif window is not None:
        post = post[:window]
    weights = pop / rate_per if rate_model and rate_per else np.ones(len(pop))
    label = ",".join(i.label for i in interventions)
    impact = impact_table(p, cov, post, weights, level, label)
    impact["first_period"] = str(d.periods[t][post[0]])
    impact["last_period"] = str(d.periods[t][post[-1]])
    return frame, impact


def diagnostics(
    d: ITSDesign,
    fit: ModelFit,
    *,
    settings: dict[str, Any],
    season_period: int | None,
    interruptions: Sequence[Interruption],
    inference: str,
    lag: int | None,
    fixed_b: bool,
    n_time: int,
) -> tuple[dict[str, Any], list[str]]:
    """Residual diagnostics of the evaluated series and the warnings they raise."""
    s = settings
    m = d.in_fit
    tr = d.treated[m]
    resid = fit.pearson[tr] if len(fit.pearson) == int(m.sum()) else fit.pearson
    season = season_position(d.periods[m][tr], s["frequency"]) if season_period else None
    diag = residual_diagnostics(resid, d.X[m][tr], season, season_period)
    diag["n_obs"] = int(m.sum())
    diag["aic"] = fit.aic
    if fit.link == "log":
        diag["pearson_dispersion"] = float(fit.extra["pearson_dispersion"])
        diag["dispersion_fixed"] = s["dispersion"] == "model"
    for key, value in fit.extra.items():
        if key != "pearson_dispersion":
            diag[key] = value
    first = min(i.period for i in interruptions)
    n_pre = int((d.treated & m & (d.periods < first)).sum())
    diag["n_pre"] = n_pre
    warns = warnings_for(
        diag,
        n_pre=n_pre,
        season_period=season_period,
        seasonality=s["seasonality"],
        hac_lag=None if fixed_b else lag,
        n=n_time,
        inference=inference,
    )
    if s["model"] == "gls" and not fit.extra.get("converged", True):
        warns.append("the ARMA parameters' optimiser did not report convergence")
    return diag, warns


def reference_distribution(cov: Covariance, effects: Effects) -> str:
    """Plain-language reference distribution of the intervals, for the settings."""
    if cov.fixed_b is not None:
        dfs = ", ".join(
            f"{t}: t({v:.3g})" for t, v in zip(effects.terms, effects.df.tolist(), strict=True)
        )
        return f"fixed-b t, Satterthwaite df per contrast ({dfs})"
    return "normal" if cov.df is None else f"t({cov.df:g})"
