"""Power of an interrupted time series (and a comparative ITS) on the real pre-period series.

The test is the one :class:`vrueval.ITS` runs with ``model="ols"`` or ``model="poisson"``:
segmented regression of the series (stacked on its controls for a comparative ITS) on trend,
seasonality and a level and slope change at the interruption, with the HAC (or classical)
variance and its reference distribution. Its design matrix is built by the same code as
:class:`vrueval.ITS`'s; OLS draws are solved in closed form (:mod:`vrueval.power.kernels`),
Poisson draws by batched refits (:mod:`vrueval.power.glm_kernel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.compute import pmap
from vrueval.data.panel import Panel
from vrueval.designs.its import data as its_data
from vrueval.designs.its.design import (
    Interruption,
    Series,
    build_design,
    season_position,
    seasonal_columns,
)
from vrueval.designs.its.models import fit_glm
from vrueval.designs.its.options import TABLE as ITS_OPTIONS
from vrueval.designs.its.options import HacLagRule, Response, Seasonality
from vrueval.inference.hac import Kernel
from vrueval.inference.hac import hac_lag as lag_rule
from vrueval.power import analytic as an
from vrueval.power import simulate as sim
from vrueval.power.glm_kernel import GLMOptions, GLMPlanted
from vrueval.power.kernels import Planted, ols_coefficient
from vrueval.power.results import PowerResult
from vrueval.power.scales import PERIODS_PER_YEAR, Baseline
from vrueval.power.study import (
    DEFAULT_EFFECTS,
    Critical,
    Direction,
    assemble,
    check_common,
    check_seed,
    choice,
    post_vru_warning,
)

Method = Literal["sieve", "placebo"]
Term = Literal["level_change", "slope_change"]
Inference = Literal["hac", "classical"]  # the ITS inference methods the kernels simulate
Model = Literal["ols", "poisson"]  # the ITS models the kernels simulate
#: The design's defaults and allowed values (its options table): the study's are these.
_DESIGN = ITS_OPTIONS.defaults()
_ALLOWED = {
    name: option.allowed
    for name, option in (*ITS_OPTIONS.constructor.items(), *ITS_OPTIONS.fit.items())
    if option.allowed is not None
}


def its(
    panel: Panel,
    *,
    post: int,
    unit: str | None = None,
    outcome: str | None = None,
    controls: Sequence[str] = (),
    pre: int | None = None,
    start: Any = None,
    end: Any = None,
    effects: Sequence[float] = DEFAULT_EFFECTS,
    level: float = _DESIGN["level"],
    power: float = 0.8,
    method: Method = "sieve",
    n_sims: int = 1000,
    seed: int | None = None,
    model: Model = _DESIGN["model"],
    seasonality: Seasonality = _DESIGN["seasonality"],
    fourier_k: int | Literal["aic"] = _DESIGN["fourier_k"],
    response: Response | None = _DESIGN["response"],
    rate_per: float = _DESIGN["rate_per"],
    inference: Inference = "hac",
    hac_kernel: Kernel = _DESIGN["hac_kernel"],
    hac_lag: int | HacLagRule = _DESIGN["hac_lag"],
    hac_fixed_b: bool = _DESIGN["hac_fixed_b"],
    hac_adjust: bool = _DESIGN["hac_adjust"],
    term: Term = "level_change",
    exclude: tuple[int, int] | None = None,
    ar_order: int | Literal["aic"] = "aic",
    direction: Direction = "decrease",
    critical: Critical = "nominal",
) -> PowerResult:
    """Power and minimum detectable effect of an ITS (comparative ITS with ``controls``).

    Estimand and test: the ``term`` (level change by default) of :class:`vrueval.ITS` with
    ``model="ols"`` or ``"poisson"`` (quasi-Poisson, log link, log-population offset when
    ``response="rate"``, its default for Poisson), tested two-sided at ``level``. Effects are
    relative changes (``-0.1``: a 10% fall) planted multiplicatively into the evaluated series
    from the interruption on.

    Draws (``method``):

    * ``"sieve"`` (default): the real series' trend and seasonality, with residuals regenerated
      by an AR(``ar_order``) sieve driven by the real innovations; ``pre`` real periods (all by
      default) followed by ``post`` new ones. Needs ``seed``.
    * ``"placebo"``: every window of ``pre`` + ``post`` consecutive real periods, the placebo
      interruption after ``pre`` of them (``pre`` defaults to half the periods left after
      ``post``). Deterministic, but short series give few windows: read the Monte Carlo error.

    Assumptions: the pre-period series is representative of the evaluation period (no new
    shocks, e.g. COVID-19, which the data should exclude: pass ``end``); the effect is a constant
    proportional change from the interruption.

    Parameters
    ----------
    panel : Panel
        Real data for the pre-intervention period (quarterly or monthly).
    post : int
        Periods observed after the interruption in the planned evaluation.
    unit, outcome, controls, start, end
        As :class:`vrueval.ITS`; ``start``/``end`` limit the real data used.
    effects : sequence of float
        Relative effects at which to report power.
    level, power : float
        Confidence level of the test, and the target power of the MDE.
    model, seasonality, fourier_k, response, rate_per
        The planned analysis' options, with :class:`vrueval.ITS`'s defaults (its options table,
        :data:`vrueval.designs.its.options.TABLE`): no seasonality unless asked for (plan
        monthly or quarterly data with ``seasonality="dummies"``, as the analysis would);
        ``fourier_k`` must be a number (ITS's default, "aic", chooses K on the analysis' own
        data, which a power study does not have); response "count" for OLS and "rate" for
        Poisson. A Poisson study needs ``method="sieve"``: its series are the fitted Poisson
        mean ``mu`` plus ``sqrt(mu)`` times AR-sieve Pearson residuals (negative values set to
        0, counted in the diagnostics), the population carried forward from the last real
        period. A draw whose model has no finite fit (e.g. no events after the start) never
        rejects; the diagnostics count them.
    inference, hac_kernel, hac_lag, hac_fixed_b, hac_adjust
        As :meth:`vrueval.ITS.fit`, with its defaults (fixed-b HAC, Bartlett, LLSW lag; the
        inference ITS uses for the OLS and Poisson models simulated here, "hac").
    exclude : (first, last), optional
        Post-period positions (0 = the first period from the interruption) left out of the
        fit, as :class:`vrueval.ITS` leaves out a lockdown with ``lockdown_handling="exclude"``;
        ``post`` counts them.
    direction : {"decrease", "increase"}
        The MDE is searched among falls (default) or rises.
    critical : {"nominal", "calibrated"}
        Nominal t critical values, or the level-quantile of |t| at no effect over the draws
        (size-adjusted power).

    References
    ----------
    Zhang, F., Wagner, A. K. and Ross-Degnan, D. (2011). Simulation-based power calculation for
    designing interrupted time series analyses of health policy interventions. *J. Clin.
    Epidemiol.* 64(11), 1252-1261. Buhlmann, P. (1997). Sieve bootstrap for time series.
    *Bernoulli* 3(2), 123-148.
    """
    common = check_common(effects, level, power, n_sims, direction, critical)
    its_data.check_panel(panel)
    choice(method, get_args(Method), "method")
    choice(term, get_args(Term), "term")
    choice(inference, get_args(Inference), "inference")
    choice(hac_kernel, _ALLOWED["hac_kernel"], "hac_kernel")
    if not isinstance(hac_fixed_b, bool):
        raise ValueError(f"hac_fixed_b must be True or False, got {hac_fixed_b!r}")
    if model not in get_args(Model):
        raise ValueError(
            f"power simulation implements model='ols' and model='poisson', got model={model!r}; "
            "for a negative binomial or GLS analysis plan with the nearest of the two"
        )
    response = response or ("rate" if model == "poisson" else "count")
    choice(response, _ALLOWED["response"], "response")
    if model == "poisson" and method != "sieve":
        raise ValueError("a Poisson power study simulates by method='sieve'")
    check_seed(seed, needed=method == "sieve")
    if not isinstance(post, int) or isinstance(post, bool) or post < 1:
        raise ValueError(f"post must be a positive integer number of periods, got {post!r}")
    if exclude is not None:
        first_x, last_x = (int(v) for v in exclude)
        if not 0 <= first_x <= last_x < post or (first_x == 0 and last_x == post - 1):
            raise ValueError(
                f"exclude must be (first, last) post-period positions within 0..{post - 1} that "
                f"leave a post-period to fit, got {exclude!r}"
            )
        exclude = (first_x, last_x)
    season_period = its_data.SEASON_PERIOD.get(panel.frequency)
    choice(seasonality, _ALLOWED["seasonality"], "seasonality")
    if seasonality != "none" and season_period is None:
        raise ValueError(f"seasonality={seasonality!r} needs monthly or quarterly data")
    if seasonality == "fourier" and fourier_k == "aic":
        raise ValueError(
            "fourier_k='aic' chooses K by AIC on the analysis' own data, which a power study "
            f"does not have: give the K to simulate, 1..{(season_period or 2) // 2}"
        )
    if seasonality == "fourier" and not (
        isinstance(fourier_k, int) and 1 <= fourier_k <= (season_period or 2) // 2
    ):
        raise ValueError(f"fourier_k must be an integer in 1..{(season_period or 2) // 2}")

    outcome = its_data.pick(outcome, panel.outcomes, "outcome")
    controls = [controls] if isinstance(controls, str) else list(controls)
    codes = [areas.resolve(c, panel.geography) for c in controls]
    unit = its_data.pick(unit, [u for u in panel.units if u not in codes], "unit")
    code = areas.resolve(unit, panel.geography)
    if code in codes:
        raise ValueError(f"{unit!r} is both the evaluated unit and a control")
    needs_pop = response == "rate"
    frame = its_data.extract(panel, code, outcome, start, end)
    for c in [code, *codes]:
        gaps = its_data.extract(panel, c, outcome, start, end).reindex(frame.index)["value"]
        if gaps.isna().any():
            raise ValueError(
                f"{areas.name(c)} has {int(gaps.isna().sum())} missing value(s) in the data used "
                f"(e.g. {gaps.index[gaps.isna()][0]}); a power study needs complete series: "
                "choose start/end to avoid them"
            )
    series = [its_data.to_series(code, frame, "error", response, needs_pop)]
    for c in codes:
        cf = its_data.extract(panel, c, outcome, start, end).reindex(frame.index)
        series.append(its_data.to_series(c, cf, "error", response, needs_pop))
    periods = series[0].periods
    n_real = len(periods)
    if model == "poisson":  # counts, with the population in the offset
        values = np.column_stack([s.value for s in series])
    else:
        values = np.column_stack([_response(s, response, rate_per) for s in series])  # T x J

    warnings = post_vru_warning(periods[-1])
    sp = season_period or 1
    spec = _Spec(
        panel.frequency,
        panel.step,
        seasonality,
        sp,
        int(fourier_k) if seasonality == "fourier" else 0,  # as ITS: no harmonics otherwise
        inference,
        hac_kernel,
        hac_lag,
        hac_fixed_b,
        hac_adjust,
        term,
        [s.unit for s in series],
        model,
        np.column_stack([s.population for s in series]) if response == "rate" else None,
        exclude,
    )
    if method == "sieve":
        pre = n_real if pre is None else pre
        _check_pre(pre, n_real, post, sieve=True)
        planted, analytic, diag = _sieve(spec, series, values, pre, post, n_sims, ar_order, seed)
    else:
        pre = (n_real - post) // 2 if pre is None else pre
        _check_pre(pre, n_real, post, sieve=False)
        planted, analytic, diag = _placebo(spec, series, values, pre, post)
        if planted.n_draws < 30:
            warnings.append(
                f"only {planted.n_draws} placebo windows: Monte Carlo error is large; consider "
                "method='sieve'"
            )
    k = PERIODS_PER_YEAR.get(panel.frequency, 1)
    last = frame.iloc[-k:]
    pop = last["population"].to_numpy(dtype=float)
    base = Baseline(
        per_year=float(last["value"].sum()) * k / len(last)
        if panel.measure == "count"
        else float("nan"),
        population=float(pop[-1]) if np.isfinite(pop[-1]) else float("nan"),
        first_period=str(last.index[0]),
        last_period=str(last.index[-1]),
        n_units=1,
    )
    name = "Comparative ITS" if codes else "ITS"
    draw_info = diag.pop("draw_info", None)
    settings = {
        "unit": code,
        "unit_name": areas.name(code),
        "outcome": outcome,
        "controls": codes,
        "data_start": str(periods[0]),
        "data_end": str(periods[-1]),
        "pre": pre,
        "post": post,
        "method": method,
        "model": model,
        "response": response,
        "seasonality": seasonality,
        "fourier_k": fourier_k if seasonality == "fourier" else None,
        "inference": inference,
        "hac_kernel": hac_kernel if inference == "hac" else None,
        "hac_lag": diag["hac_lag"] if inference == "hac" else None,
        "hac_lag_rule": hac_lag if inference == "hac" else None,
        "hac_fixed_b": hac_fixed_b if inference == "hac" else None,
        "hac_adjust": hac_adjust if inference == "hac" else None,
        "term": term,
        "exclude": list(exclude) if exclude else None,
        "ar_order": ar_order if method == "sieve" else None,
        "n_sims": n_sims if method == "sieve" else None,
        "effect_model": "multiplicative, constant from the interruption",
    }
    return assemble(
        common,
        design=name,
        planted=planted,
        analytic={} if analytic is None else {"analytic": analytic},
        baseline=base,
        settings=settings,
        seed=seed if method == "sieve" else None,
        diagnostics=diag,
        warnings=warnings,
        sources=panel.sources,
        draw_info=draw_info,
    )


class _Spec:
    """The planned analysis' options, passed between the helpers below."""

    def __init__(
        self,
        frequency: str,
        step: int,
        seasonality: str,
        season_period: int,
        fourier_k: int,
        inference: str,
        hac_kernel: str,
        hac_lag: Any,
        hac_fixed_b: bool,
        hac_adjust: bool,
        term: str,
        units: list[str],
        model: str = "ols",
        population: np.ndarray | None = None,
        exclude: tuple[int, int] | None = None,
    ) -> None:
        self.frequency, self.step = frequency, step
        self.seasonality, self.season_period, self.fourier_k = seasonality, season_period, fourier_k
        self.inference, self.hac_kernel, self.hac_lag = inference, hac_kernel, hac_lag
        self.hac_fixed_b, self.hac_adjust = hac_fixed_b, hac_adjust
        self.term, self.units = term, units
        self.model = model
        self.population = population  # T x J real populations: a Poisson model's offset
        self.exclude = exclude  # post-period positions left out of the fit


def _check_pre(pre: Any, n_real: int, post: int, sieve: bool) -> None:
    if not isinstance(pre, int) or isinstance(pre, bool) or pre < 3:
        raise ValueError(f"pre must be an integer >= 3 (8 or more recommended), got {pre!r}")
    limit = n_real if sieve else n_real - post
    if pre > limit:
        raise ValueError(
            f"pre={pre} exceeds the {limit} real periods available"
            + ("" if sieve else f" before the last {post} (post)")
        )


def _response(s: Series, response: str, rate_per: float) -> np.ndarray:
    return s.value / s.population * rate_per if response == "rate" else s.value.copy()


def window_design(
    spec: _Spec, periods: pd.PeriodIndex, pre: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """Design of the planned analysis on ``periods`` with the interruption after ``pre``.

    Returns the fitted rows' X, time positions, the tested column and treated post-period row
    mask, and which of the stacked rows (series by series) are fitted, built by
    :func:`vrueval.designs.its.design.build_design` exactly as :class:`vrueval.ITS` builds it.
    """
    zeros = np.zeros(len(periods))
    ones = np.ones(len(periods))
    all_series = [Series(u, periods, zeros, ones) for u in spec.units]
    d = build_design(
        all_series[0],
        all_series[1:],
        frequency=spec.frequency,
        step=spec.step,
        interruptions=[Interruption("placebo", periods[pre])],
        indicator_windows=[],
        excluded_windows=[]
        if spec.exclude is None
        else [(periods[pre + spec.exclude[0]], periods[pre + spec.exclude[1]])],
        washout=0,
        seasonality=spec.seasonality,
        season_period=spec.season_period,
        fourier_k=spec.fourier_k,
    )
    col = d.effect_cols[f"{spec.term}:placebo"]
    m = d.in_fit
    post_rows = d.treated & (d.time >= pre)
    return d.X[m], d.time[m], col, post_rows[m], m


def _lag(spec: _Spec, n_time: int) -> int:
    if spec.inference != "hac":
        return 0
    return lag_rule(n_time, spec.hac_lag, spec.hac_kernel)  # type: ignore[arg-type]


def _kernel(
    spec: _Spec,
    X: np.ndarray,
    col: int,
    Y: np.ndarray,
    post_rows: np.ndarray,
    time: np.ndarray,
    lag: int,
    offset: np.ndarray | None = None,
) -> Planted:
    P = Y * post_rows[:, None]
    if spec.model == "poisson":
        options = GLMOptions(
            spec.inference, spec.hac_kernel, lag, spec.hac_adjust, spec.hac_fixed_b
        )
        off = np.zeros(len(X)) if offset is None else offset
        return GLMPlanted.build(X, col, Y, P, off, time, options)
    return ols_coefficient(
        X,
        col,
        Y,
        P,
        time=time,
        inference=spec.inference,
        kernel=spec.hac_kernel,
        lag=lag,
        adjust=spec.hac_adjust,
        fixed_b=spec.hac_fixed_b,
    )


def _null_design(spec: _Spec, periods: pd.PeriodIndex, extend: int) -> np.ndarray:
    """Intercept, trend and seasonality over the real periods and ``extend`` more."""
    n = len(periods) + extend
    full = pd.PeriodIndex([periods[0] + i * spec.step for i in range(n)])
    seas, _ = seasonal_columns(
        season_position(full, spec.frequency), spec.season_period, spec.seasonality, spec.fourier_k
    )
    return np.column_stack([np.ones(n), np.arange(n, dtype=float), seas])


def null_fit(
    spec: _Spec, periods: pd.PeriodIndex, values: np.ndarray, extend: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Each series' trend-and-season OLS fit: residuals (T x J), mean over T + ``extend``."""
    n = len(periods)
    X0 = _null_design(spec, periods, extend)
    beta, *_ = np.linalg.lstsq(X0[:n], values, rcond=None)
    mu = X0 @ beta
    return values - mu[:n], mu, X0.shape[1]


def _null_fit_poisson(
    spec: _Spec, periods: pd.PeriodIndex, values: np.ndarray, extend: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Each series' trend-and-season Poisson fit: Pearson residuals ``(y - mu) / sqrt(mu)``
    (T x J), mean and log population offset over T + ``extend`` (the last population carried
    forward)."""
    n = len(periods)
    X0 = _null_design(spec, periods, extend)
    if spec.population is None:
        log_pop = np.zeros((n + extend, values.shape[1]))
    else:
        pop = np.vstack([spec.population, np.repeat(spec.population[-1:], extend, axis=0)])
        log_pop = np.log(pop)
    mu = np.empty((n + extend, values.shape[1]))
    for j in range(values.shape[1]):
        fit = fit_glm(values[:, j], X0[:n], log_pop[:n, j], "poisson", True)
        mu[:, j] = np.exp(X0 @ fit.beta + log_pop[:, j])
    return (values - mu[:n]) / np.sqrt(mu[:n]), mu, X0.shape[1], log_pop


def _sieve(
    spec: _Spec,
    series: list[Series],
    values: np.ndarray,
    pre: int,
    post: int,
    n_sims: int,
    ar_order: int | str,
    seed: int | None,
) -> tuple[Planted, an.Analytic | None, dict[str, Any]]:
    periods = series[0].periods
    n_real = len(periods)
    if spec.model == "poisson":
        resid, mu, k0, log_pop = _null_fit_poisson(spec, periods, values, post)
    else:
        resid, mu, k0 = null_fit(spec, periods, values, post)
    # residuals understate the errors' spread by (n - k) / n: inflate before resampling
    ar = sim.fit_ar(resid * np.sqrt(n_real / (n_real - k0)), ar_order)
    rng = np.random.default_rng(seed)
    length = pre + post
    errors = sim.sieve_errors(ar, length, n_sims, rng)  # (J, L, S)
    first = n_real - pre
    window = pd.PeriodIndex([periods[0] + (first + i) * spec.step for i in range(length)])
    X, time, col, post_rows, fitted = window_design(spec, window, pre)
    means = mu[first : first + length]  # (L, J)
    # count models regenerate Pearson residuals: errors scale with the mean, as counts' do
    scale = np.sqrt(means) if spec.model == "poisson" else np.ones_like(means)
    Y = np.concatenate(
        [means[:, j][:, None] + scale[:, j][:, None] * errors[j] for j in range(len(series))],
        axis=0,
    )
    Y = Y[fitted]
    lag = _lag(spec, len(np.unique(time)))
    offset = None
    clipped = 0
    if spec.model == "poisson":
        clipped = int(np.sum(Y < 0))
        Y = np.maximum(Y, 0.0)
        offset = log_pop[first : first + length].T.reshape(-1)[fitted]  # stacked like Y
    planted = _kernel(spec, X, col, Y, post_rows, time, lag, offset)
    analytic = None
    if len(series) == 1 and spec.model == "ols":
        sigma2, rho = an.ar1_moments(resid[:, 0], k0)
        signal = np.where(post_rows, means[fitted, 0], 0.0)
        analytic = an.segmented_ar1(X, col, signal, time, sigma2, rho, df=float(planted.df[0]))
    diag = {
        "hac_lag": lag,
        "ar_order_fitted": list(ar.order),
        "ar_coefficients": [c[:p].tolist() for c, p in zip(ar.coef, ar.order, strict=True)],
        "window_first": str(window[0]),
        "window_last": str(window[-1]),
        "placebo_start": str(window[pre]),
        "n_innovations": int(ar.innovations.shape[0]),
    }
    if spec.model == "poisson":
        diag["negative_draws_set_to_zero"] = clipped
        diag["draws_without_a_fit_at_no_effect"] = int(np.sum(~np.isfinite(planted.e0)))
    return planted, analytic, diag


def _placebo(
    spec: _Spec, series: list[Series], values: np.ndarray, pre: int, post: int
) -> tuple[Planted, an.Analytic | None, dict[str, Any]]:
    periods = series[0].periods
    length = pre + post
    starts = sim.placebo_starts(len(periods), pre, post)

    def window(s: int) -> tuple[Planted, int]:
        X, time, col, post_rows, fitted = window_design(spec, periods[s : s + length], pre)
        lag = _lag(spec, len(np.unique(time)))
        Y = values[s : s + length].T.reshape(-1, 1)[fitted]  # stacked: series by series
        return _kernel(spec, X, col, Y, post_rows, time, lag), lag

    # one independent fit a window: run where vrueval.compute.using says
    fits = pmap(window, [int(s) for s in starts], label=str, desc="placebo windows")
    parts = [p for p, _ in fits]
    lag = fits[-1][1] if fits else 0
    planted = Planted(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("e0", "e1", "a", "b", "c", "df"))
    )
    analytic = None
    if len(series) == 1:
        resid, _, k0 = null_fit(spec, periods, values, 0)
        sigma2, rho = an.ar1_moments(resid[:, 0], k0)
        X, time, col, _, _ = window_design(spec, periods[:length], pre)
        base = an.segmented_ar1(
            X, col, np.zeros(len(X)), time, sigma2, rho, df=float(planted.df[0])
        )
        # the planted shift varies with each window's level: use its mean over the windows
        analytic = an.Analytic(base.se, float(np.mean(planted.e1)), base.df, base.inputs)
    diag: dict[str, Any] = {
        "hac_lag": lag,
        "placebo_starts": [str(periods[s + pre]) for s in starts],
        "draw_info": pd.DataFrame({"placebo_start": [str(periods[s + pre]) for s in starts]}),
    }
    return planted, analytic, diag
