"""Design matrices of segmented regression: trend, seasonality, interruptions, comparators.

For an interruption at time position ``T`` taking effect ``lag`` periods later (``T* = T + lag``)
the level term is ``1[t >= T*]`` and the slope term ``max(0, t - T*)``: the level change is the
jump at the first affected period, the slope change the change in trend per period after it
(Wagner et al., 2002; Bernal, Cummins and Gasparrini, 2017). A comparative ITS stacks the
treated series (``G = 1``) on its controls (``G = 0``) and interacts every term with ``G``; the
treated-by-interruption terms are then the difference between the treated series' changes and
the controls' (Linden, 2015).

References
----------
Wagner, A. K. et al. (2002). Segmented regression analysis of interrupted time series studies in
medication use research. *Journal of Clinical Pharmacy and Therapeutics* 27, 299-309.
Bernal, J. L., Cummins, S. and Gasparrini, A. (2017). Interrupted time series regression for the
evaluation of public health interventions: a tutorial. *Int. J. Epidemiology* 46(1), 348-355.
Linden, A. (2015). Conducting interrupted time-series analysis for single- and multiple-group
comparisons. *Stata Journal* 15(2), 480-500.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

FloatArray = np.ndarray


@dataclass(frozen=True)
class Interruption:
    """An interruption: its label, first period, lag (periods), whether it is a nuisance and
    which changes it has.

    Nuisance interruptions (a lockdown modelled as its own interruption) stay in the
    counterfactual; the others are the interventions being evaluated. ``change`` is ``"both"``
    (a level and a slope change), ``"level"`` (a step only, the trend continuing) or
    ``"slope"`` (a change in trend only, no jump).
    """

    label: str
    period: pd.Period
    lag: int = 0
    nuisance: bool = False
    change: str = "both"


@dataclass(frozen=True)
class Series:
    """One unit's series over the analysis window (rows in time order), with its time-varying
    covariates (rows x p; None without covariates)."""

    unit: str
    periods: pd.PeriodIndex
    value: FloatArray
    population: FloatArray
    covariates: FloatArray | None = None


@dataclass(frozen=True)
class ITSDesign:
    """All rows of the (stacked) design, with which rows enter the fit and why not."""

    X: FloatArray
    names: tuple[str, ...]
    y: FloatArray
    population: FloatArray
    time: np.ndarray  # integer position on the common time axis
    periods: pd.PeriodIndex
    unit: np.ndarray  # unit code of each row
    treated: np.ndarray  # bool: row belongs to the evaluated series
    in_fit: np.ndarray  # bool
    excluded_reason: np.ndarray  # "" when in the fit, else washout / excluded / missing
    intervention_cols: tuple[int, ...]  # zeroed for the counterfactual
    effect_cols: dict[str, int]  # labelled term -> column


def season_position(periods: pd.PeriodIndex, frequency: str) -> np.ndarray:
    """Month (1-12) or quarter (1-4) of each period."""
    # Calendar months and quarters count from January 1970 at ordinal 0: no pandas field lookup.
    per_year = _PER_YEAR.get(periods.freqstr)
    if per_year is not None and per_year == (12 if frequency == "month" else 4):
        return np.asarray(periods.asi8) % per_year + 1
    if frequency == "month":
        return np.asarray(periods.month)
    return np.asarray(periods.quarter)


_PER_YEAR = {"M": 12, "Q-DEC": 4}


def seasonal_columns(
    season: np.ndarray, period: int, kind: str, k: int
) -> tuple[FloatArray, list[str]]:
    """Seasonal regressors: ``period - 1`` dummies (reference: first season) or K Fourier pairs."""
    if kind == "none" or (kind == "fourier" and k == 0):
        return np.empty((len(season), 0)), []
    if kind == "dummies":
        levels = list(range(2, period + 1))
        return (season[:, None] == np.array(levels)[None, :]).astype(float), [
            f"season:{s}" for s in levels
        ]
    cols, names = [], []
    for j in range(1, k + 1):
        angle = 2 * np.pi * j * season / period
        if 2 * j != period:  # sin(pi s) is identically zero at the Nyquist harmonic
            cols.append(np.sin(angle))
            names.append(f"fourier:sin{j}")
        cols.append(np.cos(angle))
        names.append(f"fourier:cos{j}")
    return np.column_stack(cols), names


def segment_columns(
    time: np.ndarray, interruptions: Sequence[Interruption], positions: Sequence[int]
) -> tuple[FloatArray, list[str]]:
    """Level and slope regressors for each interruption at time position ``positions[i]``: only
    the changes its ``change`` asks for, so a term not estimated has no column."""
    cols, names = [], []
    for intr, pos in zip(interruptions, positions, strict=True):
        start = pos + intr.lag
        if intr.change in ("both", "level"):
            cols.append((time >= start).astype(float))
            names.append(f"level_change:{intr.label}")
        if intr.change in ("both", "slope"):
            cols.append(np.maximum(0, time - start).astype(float))
            names.append(f"slope_change:{intr.label}")
    return np.column_stack(cols), names


def build_design(
    treated: Series,
    controls: Sequence[Series],
    *,
    frequency: str,
    step: int,
    interruptions: Sequence[Interruption],
    indicator_windows: Sequence[tuple[pd.Period, pd.Period]],
    excluded_windows: Sequence[tuple[pd.Period, pd.Period]],
    washout: int,
    seasonality: str,
    season_period: int,
    fourier_k: int,
    covariate_names: Sequence[str] = (),
    pooled: bool = False,
    unit_trends: bool = False,
) -> ITSDesign:
    """Stack the series and build every column; see the module docstring for the coding.

    ``pooled``: ``treated`` and ``controls`` are all evaluated units of a pooled ITS, with unit
    fixed effects (intercept and a dummy for every unit but the first), optionally their own
    trends (``unit_trends``), and common seasonality, covariate and interruption terms.

    A single series' columns without covariates depend only on its periods and the options,
    not on its values: they are built once per such layout and shared (read-only) by every
    series on it, so evaluating many areas over the same window builds one matrix. Covariates
    (``covariate_names``, values on each series) enter as columns of their own, common to
    every stacked series, between the seasonal and the interruption terms.
    """
    options: dict[str, Any] = {
        "frequency": frequency,
        "step": step,
        "interruptions": interruptions,
        "indicator_windows": indicator_windows,
        "excluded_windows": excluded_windows,
        "washout": washout,
        "seasonality": seasonality,
        "season_period": season_period,
        "fourier_k": fourier_k,
        "covariate_names": tuple(covariate_names),
        "pooled": pooled,
        "unit_trends": unit_trends,
    }
    if controls or covariate_names:
        return _build(treated, controls, **options)
    key = (
        np.asarray(treated.periods.asi8).tobytes(),
        treated.periods.freqstr,
        frequency,
        step,
        tuple(interruptions),
        tuple(tuple(w) for w in indicator_windows),
        tuple(tuple(w) for w in excluded_windows),
        washout,
        seasonality,
        season_period,
        fourier_k,
    )
    layout = _LAYOUTS.get(key)
    if layout is None:
        n = len(treated.periods)
        blank = Series(treated.unit, treated.periods, np.zeros(n), np.ones(n))
        layout = _build(blank, (), **options)
        for arr in (layout.X, layout.time, layout.treated, layout.in_fit):
            arr.flags.writeable = False
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.pop(next(iter(_LAYOUTS)))
        _LAYOUTS[key] = layout
    y = treated.value.astype(float)
    missing = ~np.isfinite(y) & layout.in_fit
    reason = layout.excluded_reason.copy()
    reason[missing] = "missing"
    return ITSDesign(
        X=layout.X,
        names=layout.names,
        y=y,
        population=treated.population.astype(float),
        time=layout.time,
        periods=treated.periods,
        unit=np.repeat(treated.unit, len(y)),
        treated=layout.treated,
        in_fit=layout.in_fit & ~missing,
        excluded_reason=reason,
        intervention_cols=layout.intervention_cols,
        effect_cols=dict(layout.effect_cols),
    )


_LAYOUTS: dict[tuple[Any, ...], ITSDesign] = {}
_MAX_LAYOUTS = 64


def _build(
    treated: Series,
    controls: Sequence[Series],
    *,
    frequency: str,
    step: int,
    interruptions: Sequence[Interruption],
    indicator_windows: Sequence[tuple[pd.Period, pd.Period]],
    excluded_windows: Sequence[tuple[pd.Period, pd.Period]],
    washout: int,
    seasonality: str,
    season_period: int,
    fourier_k: int,
    covariate_names: tuple[str, ...] = (),
    pooled: bool = False,
    unit_trends: bool = False,
) -> ITSDesign:
    origin = treated.periods[0].ordinal
    all_series = [treated, *controls]
    if controls:
        periods = pd.PeriodIndex(np.concatenate([np.asarray(s.periods) for s in all_series]))
    else:
        periods = treated.periods
    ordinals = np.asarray(periods.asi8)
    time = (ordinals - origin) // step
    unit = np.concatenate([np.repeat(s.unit, len(s.periods)) for s in all_series])
    is_treated = np.concatenate(
        [np.full(len(s.periods), i == 0 or pooled) for i, s in enumerate(all_series)]
    )
    y = np.concatenate([s.value for s in all_series]).astype(float)
    pop = np.concatenate([s.population for s in all_series]).astype(float)
    n = len(y)

    positions = [(intr.period.ordinal - origin) // step for intr in interruptions]
    base = [np.ones(n), time.astype(float)]
    base_names = ["intercept", "time"]
    seas, seas_names = seasonal_columns(
        season_position(periods, frequency), season_period, seasonality, fourier_k
    )
    ind = (
        np.column_stack([_within(ordinals, a, b).astype(float) for a, b in indicator_windows])
        if indicator_windows
        else np.empty((n, 0))
    )
    ind_names = (
        ["lockdown"]
        if len(indicator_windows) == 1
        else [f"lockdown:{i + 1}" for i in range(len(indicator_windows))]
    )[: ind.shape[1]]
    if covariate_names:
        cov = np.vstack([_covariates_of(s, len(covariate_names)) for s in all_series])
        ind = np.column_stack([ind, cov])
        ind_names = [*ind_names, *covariate_names]
    seg, seg_names = segment_columns(time, interruptions, positions)

    nuisance_labels = {i.label for i in interruptions if i.nuisance}
    is_intervention = [name.split(":", 1)[1] not in nuisance_labels for name in seg_names]
    if pooled:
        fe, fe_names = [], []
        for s in controls:
            d = (unit == s.unit).astype(float)
            fe.append(d)
            fe_names.append(f"unit:{s.unit}")
        if unit_trends:
            for s in controls:
                fe.append((unit == s.unit) * time.astype(float))
                fe_names.append(f"unit:{s.unit}:time")
        X = np.column_stack([*base, *fe, seas, ind, seg])
        names = [*base_names, *fe_names, *seas_names, *ind_names, *seg_names]
        offset = len(names) - len(seg_names)
        effect_cols = {nm: offset + j for j, nm in enumerate(seg_names)}
        intervention = tuple(offset + j for j, keep in enumerate(is_intervention) if keep)
    elif not controls:
        X = np.column_stack([*base, seas, ind, seg])
        names = [*base_names, *seas_names, *ind_names, *seg_names]
        offset = len(names) - len(seg_names)
        effect_cols = {nm: offset + j for j, nm in enumerate(seg_names)}
        intervention = tuple(offset + j for j, keep in enumerate(is_intervention) if keep)
    else:
        g = is_treated.astype(float)
        # Extra controls get their own intercept and trend; the first control is the reference.
        extra, extra_names = [], []
        for s in controls[1:]:
            d = (unit == s.unit).astype(float)
            extra += [d, d * time]
            extra_names += [f"unit:{s.unit}", f"unit:{s.unit}:time"]
        common = np.column_stack([*base, *extra, seas, ind, seg])
        common_names = [*base_names, *extra_names, *seas_names, *ind_names]
        common_names += [f"control:{nm}" for nm in seg_names]
        inter = np.column_stack([g, g * time, g[:, None] * seas, g[:, None] * ind])
        inter_names = ["treated", "treated:time"]
        inter_names += [f"treated:{nm}" for nm in [*seas_names, *ind_names]]
        X = np.column_stack([common, inter, g[:, None] * seg])
        names = [*common_names, *inter_names, *seg_names]
        offset = len(names) - len(seg_names)
        effect_cols = {nm: offset + j for j, nm in enumerate(seg_names)}
        first_seg = len(common_names) - len(seg_names)
        effect_cols.update({f"control:{nm}": first_seg + j for j, nm in enumerate(seg_names)})
        intervention = tuple(offset + j for j, keep in enumerate(is_intervention) if keep)

    reason = np.full(n, "", dtype=object)
    out = np.zeros(n, dtype=bool)
    for a, b in excluded_windows:
        hit = _within(ordinals, a, b)
        reason[hit], out[hit] = "excluded", True
    if washout:
        for intr, pos in zip(interruptions, positions, strict=True):
            if not intr.nuisance:
                hit = (time >= pos) & (time < pos + washout)
                reason[hit], out[hit] = "washout", True
    missing = ~np.isfinite(y) & ~out
    reason[missing], out[missing] = "missing", True
    return ITSDesign(
        X=X,
        names=tuple(names),
        y=y,
        population=pop,
        time=time,
        periods=periods,
        unit=unit,
        treated=is_treated,
        in_fit=~out,
        excluded_reason=reason,
        intervention_cols=intervention,
        effect_cols=effect_cols,
    )


def _covariates_of(series: Series, p: int) -> FloatArray:
    if series.covariates is None or series.covariates.shape != (len(series.periods), p):
        raise ValueError(f"the series of {series.unit} carries no covariates of the design's {p}")
    return series.covariates


def _within(ordinals: np.ndarray, first: pd.Period, last: pd.Period) -> np.ndarray:
    """Rows whose period lies in ``first..last`` (inclusive), compared as ordinals."""
    return (ordinals >= first.ordinal) & (ordinals <= last.ordinal)
