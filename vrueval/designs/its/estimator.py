"""Interrupted time series (segmented regression) for one area, optionally against controls.

>>> import vrueval as ve
>>> hes = ve.datasets.hes_sharp_object()
>>> its = ve.ITS(hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions",
...              lockdown=("2020-03", "2020-06"), lockdown_handling="indicator",
...              seasonality="dummies", model="poisson")
>>> res = its.fit(inference="hac")  # Bartlett, LLSW lag, fixed-b t
>>> res.effects()[["term", "estimate", "conf_low", "conf_high", "scale"]].round(3)
           term  estimate  conf_low  conf_high  scale
0  level_change     0.814     0.530      1.251  ratio
1  slope_change     0.990     0.969      1.011  ratio

References
----------
Bernal, J. L., Cummins, S. and Gasparrini, A. (2017). Interrupted time series regression for the
evaluation of public health interventions: a tutorial. *Int. J. Epidemiology* 46(1), 348-355.
Turner, S. L. et al. (2021). Comparison of six statistical methods for interrupted time series
studies: empirical evaluation of 190 published series. *BMC Med. Res. Methodology* 21, 134.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal, Unpack

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data import design_input
from vrueval.data.design_input import FrameRoles
from vrueval.data.panel import Panel
from vrueval.designs.fit_options import check_applies
from vrueval.designs.its import checks as its_checks
from vrueval.designs.its import data as its_data
from vrueval.designs.its import tables
from vrueval.designs.its.covariates import Covariates
from vrueval.designs.its.design import Interruption, ITSDesign, build_design
from vrueval.designs.its.forecast import fit_forecast
from vrueval.designs.its.inference import (
    Covariance,
    block_bootstrap,
    classical,
    clustered,
    hac,
)
from vrueval.designs.its.models import ModelFit, fit_glm, fit_gls, fit_ols
from vrueval.designs.its.options import (
    BY_MODEL,
    BY_SEASONALITY,
    Dispersion,
    Inference,
    LockdownHandling,
    Missing,
    Model,
    Response,
    Seasonality,
)
from vrueval.designs.its.options import TABLE as OPTIONS
from vrueval.designs.its.placebo import placebo_table
from vrueval.designs.its.results import ITSForecastResult, ITSResult
from vrueval.inference import few_clusters
from vrueval.inference.draws import bootstrap_se_p_warning, check_draws
from vrueval.inference.few_clusters import ClusterCounts
from vrueval.inference.hac import Kernel
from vrueval.inference.hac import hac_lag as lag_rule
from vrueval.inference.intervals import check_level
from vrueval.inference.seeds import check_seed
from vrueval.inference.small_sample import DEFAULT_SMALL_SAMPLE, SmallSample, check_small_sample
from vrueval.options import OptionsTable, renamed

#: The allowed values of each string option, from the options table.
_ALLOWED = {
    name: option.allowed
    for name, option in (*OPTIONS.constructor.items(), *OPTIONS.fit.items())
    if option.allowed is not None
}


class ITS:
    """Segmented regression of one series on level and slope changes at interruptions.

    Estimand: for each interruption, the change in level (``level_change``: the jump at the
    first affected period) and in slope (``slope_change``: the change in trend per period)
    relative to the pre-interruption trend, holding seasonality fixed; with log-link models these
    are rate ratios. With ``controls`` (comparative ITS) they are the treated series' changes
    minus the controls' (``control:level_change`` etc. report the controls' own changes).

    Assumptions: without the intervention the pre-period trend (and seasonality) would have
    continued (with controls: the treated series would have changed as the controls did);
    no other event coincides with the interruption (model a lockdown explicitly); the error
    model (or the HAC / bootstrap covariance) captures the serial correlation.

    Parameters
    ----------
    panel : Panel or DataFrame
        Validated panel (overlapping rolling 12-month totals are refused); or a DataFrame with
        its columns named by role (:mod:`vrueval.data.design_input`): ``unit=`` the unit column
        (none for one series), ``time=``, ``outcome=``, ``population=``, ``geography=``
        (``"custom"`` by default), and ``treated=`` the evaluated unit (or ``units=`` the
        units of a pooled ITS); ``covariates=`` may name columns. Columns no role names are
        left out; ``weights=`` and ``cluster=`` are refused until ITS uses them.
    interruptions : date, list of dates, or mapping label -> date
        E.g. ``{"vru": "2019-10"}``. Several give terms ``level_change:<label>``.
    unit, outcome : str, optional
        The evaluated area (any official spelling) and outcome; needed when the panel has
        several. For a DataFrame: the unit and outcome columns.
    controls : sequence of str
        Control series (comparator areas) for a comparative ITS.
    start, end : period labels, optional
        Analysis window.
    lag : int or mapping label -> int
        The intervention takes effect ``lag`` periods after its date.
    change : {"both", "level", "slope"} or mapping label -> one of them
        Which changes each interruption has: a level and a slope change (default), a level
        change only (a step, the pre-period trend continuing: the classic quasi-Poisson
        level-change model of Bernal, Cummins and Gasparrini, 2017) or a slope change only (no
        jump). Only the terms estimated are reported.
    washout : int
        Periods from each intervention's date dropped from the fit (shown, not fitted).
    lockdown : date or (first, last), optional
        A COVID-19 lockdown. ``lockdown_handling``: ``"interruption"`` (its own level and slope
        change, kept in the counterfactual), ``"indicator"`` (a dummy for the window) or
        ``"exclude"`` (window left out of the fit).
    seasonality : {"none", "dummies", "fourier"}
        Month or quarter dummies, or ``fourier_k`` harmonic pairs (``"aic"``: K = 0..P/2 chosen
        by AIC and reported).
    model : {"ols", "poisson", "negbin", "gls"}
        OLS; Poisson or NB2 GLM with log link; regression with ARMA(``arma``) errors by GLS
        (``gls_method`` REML or ML, as ``nlme::gls``).
    response : {"count", "rate"}, optional
        OLS/GLS: model counts or rates per ``rate_per``. GLMs: ``"rate"`` adds a
        log(population) offset. Default: "count" for OLS/GLS, "rate" for GLMs.
    dispersion : {"quasi", "model"}, optional
        GLM scale: Pearson quasi-likelihood (default for Poisson) or the model's (default for NB).
    missing : {"error", "drop"}
        Missing values raise (default) or are left out of the fit; never zero.
    covariates : DataFrame, optional
        Time-varying covariates, each with its own coefficient (``covariate:<name>`` in
        :meth:`~vrueval.designs.its.results.ITSResult.coefficients`), kept at their observed
        values in the counterfactual. Indexed by period (or a ``period`` column; with a
        ``unit`` column, values per unit); every other column is a numeric covariate. A value
        missing at any period of the window is refused, naming the periods, never filled
        (:mod:`vrueval.designs.its.covariates`). Not with ``controls``.
    units : sequence of str, optional
        Pooled multi-series ITS: every unit listed is evaluated (``unit`` and ``controls``
        are then not given), with unit fixed effects (and, with ``unit_trends``, a trend of
        its own for each unit) and common seasonality, covariate, level and slope terms; the
        effects are the changes common to the units, the counterfactual and impact are per
        unit-period (a ``unit`` column; the impact sums over units). Fit with
        ``inference="cluster"`` (default: CR1 by unit, t(G - 1), at least 3 units,
        :mod:`vrueval.inference.few_clusters`) or ``"hac"`` (Driscoll-Kraay: the HAC of the
        scores summed by period, robust to correlation across units and over time). The
        residual diagnostics are computed on the stacked residuals (unit by unit, in time
        order).
    unit_trends : bool
        Pooled ITS only: a linear trend for each unit.
    """

    #: The options table (:mod:`vrueval.designs.its.options`).
    OPTIONS: ClassVar[OptionsTable] = OPTIONS

    def __init__(
        self,
        panel: Panel | pd.DataFrame,
        interruptions: Any,
        *,
        unit: str | None = None,
        outcome: str | None = None,
        controls: Sequence[str] = (),
        start: Any = None,
        end: Any = None,
        lag: int | Mapping[str, int] = 0,
        change: str | Mapping[str, str] = "both",
        washout: int = 0,
        lockdown: Any = None,
        lockdown_handling: LockdownHandling = "indicator",
        seasonality: Seasonality = "none",
        fourier_k: int | Literal["aic"] = "aic",
        model: Model = "ols",
        response: Response | None = None,
        rate_per: float = 100_000,
        dispersion: Dispersion | None = None,
        arma: Sequence[int] = (1, 0),
        gls_method: Literal["REML", "ML"] = "REML",
        missing: Missing = "error",
        covariates: pd.DataFrame | str | Sequence[str] | None = None,
        units: Sequence[str] | None = None,
        unit_trends: bool = False,
        treated: Any = None,
        weights: str | None = None,
        **frame: Unpack[FrameRoles],
    ) -> None:
        if isinstance(panel, pd.DataFrame) and isinstance(covariates, str | list | tuple):
            names = [covariates] if isinstance(covariates, str) else list(covariates)
            covariates = design_input.its_covariates(
                panel, names, unit=unit, time=frame.get("time")
            )
            panel = panel.drop(columns=names)
        panel, unit, outcome = design_input.its(
            panel,
            unit=unit,
            outcome=outcome,
            treated=treated,
            weights=weights,
            frame=frame,
            pooled=units is not None,
        )
        self._panel = its_data.check_panel(panel)
        its_data.choice(model, _ALLOWED["model"], "model")
        its_data.choice(seasonality, _ALLOWED["seasonality"], "seasonality")
        its_data.choice(lockdown_handling, _ALLOWED["lockdown_handling"], "lockdown_handling")
        its_data.choice(missing, _ALLOWED["missing"], "missing")
        its_data.choice(gls_method, _ALLOWED["gls_method"], "gls_method")
        check_applies(
            BY_MODEL,
            model,
            {"dispersion": dispersion, "arma": arma, "gls_method": gls_method},
            kind="model",
        )
        check_applies(BY_SEASONALITY, seasonality, {"fourier_k": fourier_k}, kind="seasonality")
        if lockdown is None and lockdown_handling != OPTIONS.default("lockdown_handling"):
            raise ValueError(
                f"lockdown_handling={lockdown_handling!r} applies only with lockdown=; leave it out"
            )
        response = response or ("rate" if model in ("poisson", "negbin") else "count")
        its_data.choice(response, _ALLOWED["response"], "response")
        dispersion = dispersion or ("model" if model == "negbin" else "quasi")
        its_data.choice(dispersion, _ALLOWED["dispersion"], "dispersion")
        if not isinstance(washout, int) or isinstance(washout, bool) or washout < 0:
            raise ValueError(f"washout must be a non-negative integer, got {washout!r}")
        if not (isinstance(rate_per, int | float) and rate_per > 0):
            raise ValueError(f"rate_per must be positive, got {rate_per!r}")
        arma_t = tuple(int(a) for a in arma)
        if len(arma_t) != 2 or min(arma_t) < 0 or sum(arma_t) < 1:
            raise ValueError(f"arma must be (p, q) with p, q >= 0 and p + q >= 1, got {arma!r}")
        season_period = its_data.SEASON_PERIOD.get(panel.frequency)
        if seasonality != "none" and season_period is None:
            raise ValueError(f"seasonality={seasonality!r} needs monthly or quarterly data")
        if seasonality == "fourier" and fourier_k != "aic":
            assert season_period is not None
            if not isinstance(fourier_k, int) or not 1 <= fourier_k <= season_period // 2:
                raise ValueError(f"fourier_k must be 'aic' or 1..{season_period // 2}")

        if outcome is None:  # listing a panel's outcomes or units scans it: only when needed
            outcome = its_data.outcome_of(panel)
        controls = [controls] if isinstance(controls, str) else list(controls)
        codes = [areas.resolve(c, panel.geography) for c in controls]
        pooled = _pooled_units(units, unit, controls, model, unit_trends, panel)
        if pooled:
            unit = pooled[0]
        if unit is None:
            unit = its_data.pick(unit, [u for u in panel.units if u not in codes], "unit")
        code = areas.resolve(unit, panel.geography)
        if code in codes:
            raise ValueError(f"{unit!r} is both the evaluated unit and a control")
        if controls and model == "gls":
            raise ValueError("a comparative ITS supports model='ols', 'poisson' or 'negbin'")
        needs_pop = response == "rate"
        opts: dict[str, Any] = {"missing": missing, "response": response, "needs_pop": needs_pop}
        treated = its_data.series(panel, code, outcome, start, end, **opts)
        ctrl = [
            its_data.series(panel, c, outcome, start, end, align=treated.periods, **opts)
            for c in [*codes, *pooled[1:]]
        ]
        covs = None if covariates is None else Covariates(covariates, panel)
        if covs is not None:
            if controls:
                raise ValueError("covariates are implemented for a single series, not controls")
            treated = replace(treated, covariates=covs.values(code, treated.periods))
            ctrl = [replace(c, covariates=covs.values(c.unit, c.periods)) for c in ctrl]
        intr = its_data.interruptions(interruptions, panel, treated.periods, lag, change)
        window = its_data.lockdown_window(lockdown, lockdown_handling, panel, treated.periods)
        if window is not None and lockdown_handling == "interruption":
            intr = sorted([*intr, Interruption("lockdown", window[0], 0, True)], key=_by_period)

        self._treated, self._interruptions = treated, intr
        self._controls = [] if pooled else ctrl
        self._pooled = ctrl if pooled else []
        self._window = window
        self._season_period = season_period
        self._settings: dict[str, Any] = {
            "unit": None if pooled else code,
            "unit_name": f"{len(pooled)} pooled units" if pooled else areas.label(code),
            "units": pooled or None,
            "unit_trends": unit_trends if pooled else None,
            "outcome": outcome,
            "controls": codes,
            "frequency": panel.frequency,
            "start": its_data.label(treated.periods, 0),
            "end": its_data.label(treated.periods, -1),
            "interruptions": {i.label: str(i.period) for i in intr if not i.nuisance},
            "lag": {i.label: i.lag for i in intr if not i.nuisance},
            "change": {i.label: i.change for i in intr if not i.nuisance},
            "washout": washout,
            "lockdown": None if window is None else [str(window[0]), str(window[1])],
            "lockdown_handling": lockdown_handling if window is not None else None,
            "seasonality": seasonality,
            "fourier_k": fourier_k,
            "model": model,
            "response": response,
            "rate_per": rate_per if response == "rate" and model in ("ols", "gls") else None,
            "dispersion": dispersion if model in ("poisson", "negbin") else None,
            "arma": list(arma_t) if model == "gls" else None,
            "gls_method": gls_method if model == "gls" else None,
            "missing": missing,
            "covariates": list(covs.names) if covs is not None else None,
        }
        self._covariate_names = covs.columns if covs is not None else ()
        self._designs: dict[int, ITSDesign] = {}  # by Fourier K; arrays, never mutated
        self._sources = [src.to_dict() for src in panel.sources]
        self._check_pre_period()

    # -- set-up -------------------------------------------------------------------------------
    def _design(self, fourier_k: int) -> ITSDesign:
        cached = self._designs.get(fourier_k)
        if cached is None:
            cached = self._designs[fourier_k] = self._build_design(fourier_k)
        return cached

    def _build_design(self, fourier_k: int) -> ITSDesign:
        s = self._settings
        w = self._window
        return build_design(
            self._treated,
            self._controls or self._pooled,
            frequency=s["frequency"],
            step=self._panel.step,
            interruptions=self._interruptions,
            indicator_windows=[w] if w and s["lockdown_handling"] == "indicator" else [],
            excluded_windows=[w] if w and s["lockdown_handling"] == "exclude" else [],
            washout=s["washout"],
            seasonality=s["seasonality"],
            season_period=self._season_period or 1,
            fourier_k=fourier_k,
            covariate_names=self._covariate_names,
            pooled=bool(self._pooled),
            unit_trends=bool(s["unit_trends"]),
        )

    def _check_pre_period(self) -> None:
        d = self._design(1 if self._settings["seasonality"] == "fourier" else 0)
        first = min(i.period for i in self._interruptions)
        before = np.asarray(d.periods.asi8) < first.ordinal
        pre = d.treated & d.in_fit & before
        post = d.treated & d.in_fit & ~before
        if pre.sum() < 3:
            raise ValueError(
                f"too few pre-interruption periods: {int(pre.sum())} observed before {first}; "
                "a pre-period trend needs at least 3 (8 or more recommended)"
            )
        if post.sum() < 1:
            raise ValueError(f"no observed period after the interruption at {first} to fit")
        k = d.X.shape[1]
        if d.in_fit.sum() <= k:
            raise ValueError(f"{int(d.in_fit.sum())} observations for {k} coefficients")

    # -- fitting ------------------------------------------------------------------------------
    def _fit_model(self, d: ITSDesign, with_aic: bool = False) -> ModelFit:
        s = self._settings
        m = d.in_fit
        X, y = d.X[m], d.y[m]
        count_model = s["model"] in ("poisson", "negbin")
        if s["response"] == "rate" and not count_model:
            y = its_data.per_population(y, d.population[m], s["rate_per"])
        what = f"the {s['model']} ITS of {s['unit_name']} ({s['outcome']})"
        its_checks.before_fit(d, y, count_model, what)
        fit: ModelFit
        if count_model:
            off = np.log(d.population[m]) if s["response"] == "rate" else np.zeros(len(y))
            fit = fit_glm(y, X, off, s["model"], s["dispersion"] == "quasi")
        elif s["model"] == "gls":
            p, q = s["arma"]
            fit = fit_gls(y, X, d.time[m], p, q, s["gls_method"], with_aic)
        else:
            fit = fit_ols(y, X)
        its_checks.after_fit(d, fit, y, what)
        return fit

    def _choose_k(self) -> tuple[int, pd.DataFrame | None]:
        s = self._settings
        if s["seasonality"] != "fourier":
            return 0, None
        if s["fourier_k"] != "aic":
            return int(s["fourier_k"]), None
        assert self._season_period is not None
        rows = []
        for k in range(0, self._season_period // 2 + 1):
            fit = self._fit_model(self._design(k), with_aic=True)
            rows.append({"k": k, "aic": fit.aic})
        table = pd.DataFrame(rows)
        return int(table["k"].to_numpy()[int(np.argmin(table["aic"].to_numpy()))]), table

    def fit(
        self,
        inference: Inference | None = None,
        *,
        level: float = 0.95,
        hac_kernel: Kernel = "bartlett",
        hac_lag: int | Literal["nw1994", "stock_watson", "llsw"] = "llsw",
        hac_fixed_b: bool = True,
        hac_adjust: bool = True,
        draws: int = 999,
        block_length: int | None = None,
        seed: int | None = None,
        small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
        placebo: bool = False,
        min_segment: int = 8,
        window: int | None = None,
        n_boot: int | None = None,
    ) -> ITSResult:
        """Fit and return a frozen :class:`~vrueval.designs.its.results.ITSResult`.

        Parameters
        ----------
        inference : {"hac", "classical", "bootstrap", "model", "cluster"}, optional
            HAC (default for OLS and GLMs); classical model-based; ``"bootstrap"``: a circular
            *block* bootstrap of the residuals in time order (needs ``seed``; not the multiplier
            bootstrap that ``"bootstrap"`` names in :meth:`vrueval.StaggeredDiD.fit`: one series
            has no clusters to perturb); ``"model"``: the GLS-ARMA covariance (the only choice,
            and the default, for ``model="gls"``); ``"cluster"``: CR1 by unit, a pooled ITS's
            default (there ``"hac"`` is Driscoll-Kraay and the bootstrap is not offered).
        level : float
            Confidence level of every interval.
        hac_kernel : {"bartlett", "ewc"}
            Newey-West (Bartlett) or equal-weighted cosine long-run variance.
        hac_lag : int or {"nw1994", "stock_watson", "llsw"}
            Bartlett truncation lag (EWC: number of cosine terms B) or the rule giving it from
            the number of time points T (:func:`vrueval.inference.hac.hac_lag`). Default
            ``"llsw"``: ceil(1.3 sqrt(T)) for Bartlett (15 for T = 120), round(0.4 T^(2/3))
            for EWC (Lazarus, Lewis, Stock and Watson, 2018).
        hac_fixed_b : bool
            Default True: each effect (and each point of the counterfactual path) gets the
            design-specific fixed-b treatment -- its HAC variance rescaled to be unbiased under
            independent errors for this design, and a t reference with Satterthwaite degrees of
            freedom (:func:`vrueval.inference.hac.fixed_b_adjustment`). In a Monte Carlo with
            AR(1) errors (rho = 0.5, T = 120, tests/test_its_coverage.py) the default covers a
            95% interval of the level change 94-95% of the time; plain Newey-West
            (``hac_lag="nw1994", hac_fixed_b=False``, as ``sandwich::NeweyWest`` and
            statsmodels) covers about 85%. False gives the plain estimator with t(n - k)
            (linear) or normal (GLM) intervals.
        hac_adjust : bool
            Small-sample factor n / (n - k) on the HAC covariance (cancels under fixed-b).
        draws, block_length, seed
            Bootstrap replicates, block length (default ceil(n^(1/3))) and seed. ``draws``
            follows :mod:`vrueval.inference.draws`: fewer than ``ceil(2 / (1 - level)) - 1``
            (39 at level 0.95) is refused, and a warning says when the standard error's Monte
            Carlo error could flip an effect's significance at ``level``. Recorded in
            ``settings["draws"]``.
        placebo : bool
            Also fit fake interruptions at every pre-period date with ``min_segment`` points on
            both sides, and rank the real interruption's level-change t statistic among them.
        small_sample : {"fixest", "stata", "plm", "none"}
            The CR1 small-sample rule (``inference="cluster"``,
            :mod:`vrueval.inference.small_sample`).
        window : int, optional
            Periods after the first intervention over which :meth:`impact` sums and averages
            effects (default: all later periods; for a pooled ITS, per unit).
        n_boot : int, optional
            Deprecated name of ``draws`` (one vocabulary across designs); it warns and goes in
            the next release.
        """
        draws = renamed("n_boot", n_boot, "draws", draws, OPTIONS.default("draws"))
        s = self._settings
        level = check_level(level)
        allowed: tuple[str, ...] = ("model",) if s["model"] == "gls" else _ALLOWED["inference"][:3]
        if self._pooled:
            allowed = ("cluster", "hac", "classical")
        method: str = inference or allowed[0]
        its_data.choice(method, allowed, f"inference for model={s['model']!r}")
        its_data.choice(hac_kernel, _ALLOWED["hac_kernel"], "hac_kernel")
        if not isinstance(hac_fixed_b, bool):
            raise ValueError(f"hac_fixed_b must be True or False, got {hac_fixed_b!r}")
        check_seed(seed, needed=method == "bootstrap")
        check_applies(
            OPTIONS.fit,
            method,
            {
                "hac_kernel": hac_kernel,
                "hac_lag": hac_lag,
                "hac_fixed_b": hac_fixed_b,
                "hac_adjust": hac_adjust,
                "draws": draws,
                "block_length": block_length,
                "small_sample": small_sample,
            },
        )
        if placebo and self._pooled:
            raise ValueError("placebo-in-time is implemented for a single series, not pooled")
        if method == "bootstrap":
            if self._controls:
                raise ValueError("the block bootstrap is implemented for a single series")
            draws = check_draws(draws, level, "draws")
        if window is not None and (not isinstance(window, int) or window < 1):
            raise ValueError(f"window must be a positive integer, got {window!r}")

        k, aic_table = self._choose_k()
        d = self._design(k)
        fit = self._fit_model(d)
        m = d.in_fit
        time = d.time[m]
        ordered = bool((np.diff(time) > 0).all())  # one row a period, in time order
        n_time = len(time) if ordered else len(np.unique(time))
        lag_used: int | None = None
        cluster_warnings: tuple[str, ...] = ()
        if method == "cluster":
            check_small_sample(small_sample)
            counts = ClusterCounts(len(np.unique(d.unit[m])))
            cluster_warnings = few_clusters.check("cr1", counts, level=level)
            n_fe = 1 + len(self._pooled)
            cov = clustered(fit, d.unit[m], n_fe, small_sample)
        elif method == "model":
            cov = Covariance(fit.cov_model, float(fit.df_resid), {})
        elif method == "classical":
            cov = classical(fit, s["dispersion"] == "quasi")
        elif method == "hac":
            lag_used = lag_rule(n_time, hac_lag, hac_kernel)
            cov = hac(fit, d.X[m], time, hac_kernel, lag_used, hac_adjust, hac_fixed_b)
        else:
            cov = block_bootstrap(
                fit,
                lambda ys: self._refit(d, ys),
                time,
                draws,
                block_length,
                int(seed),  # type: ignore[arg-type]
            )

        effects = tables.effect_numbers(d, fit, cov, level, self._interruptions)
        placebo_frame = None
        if placebo:
            hac_options = {
                "hac_kernel": hac_kernel,
                "hac_lag": hac_lag,
                "hac_fixed_b": hac_fixed_b,
                "hac_adjust": hac_adjust,
            }
            placebo_frame = placebo_table(
                self, effects.frame(), k, method, hac_options, min_segment
            )
        is_hac = method == "hac"
        settings = {
            **s,
            "fourier_k": k if s["seasonality"] == "fourier" else None,
            "fourier_k_rule": s["fourier_k"] if s["seasonality"] == "fourier" else None,
            "inference": method,
            "hac_kernel": hac_kernel if is_hac else None,
            "hac_lag": lag_used,
            "hac_lag_rule": hac_lag if is_hac else None,
            "hac_fixed_b": hac_fixed_b if is_hac else None,
            "hac_adjust": hac_adjust if is_hac else None,
            **{k_: v for k_, v in cov.detail.items() if not k_.startswith("hac_")},
            "reference_distribution": tables.reference_distribution(cov, effects),
            "window": window,
        }
        interruptions = tuple(self._interruptions)
        step = self._panel.step
        season_period = self._season_period

        # The residual tests and the counterfactual path are computed on first access: the
        # result reads the same whenever they are asked for, and fitting many series stays cheap.
        def checks() -> tuple[dict[str, Any], list[str]]:
            diag, warns = tables.diagnostics(
                d,
                fit,
                settings=s,
                season_period=season_period,
                interruptions=interruptions,
                inference=method,
                lag=lag_used,
                fixed_b=is_hac and hac_fixed_b,
                n_time=n_time,
            )
            if placebo_frame is not None:
                real = placebo_frame.loc[placebo_frame["real"]].iloc[0]
                diag["placebo_rank"] = int(real["rank"])
                diag["placebo_count"] = int((~placebo_frame["real"]).sum())
                diag["placebo_p"] = float(real["rank"] / len(placebo_frame))
            if method == "bootstrap":
                warns = [*warns, *_monte_carlo_warnings(effects, draws, level)]
            warns = [*warns, *cluster_warnings]
            return diag, warns

        def build_paths() -> tuple[pd.DataFrame, pd.DataFrame]:
            return tables.path_tables(
                d,
                fit,
                cov,
                level,
                interruptions=interruptions,
                response=s["response"],
                rate_per=s["rate_per"],
                step=step,
                window=window,
                pooled=bool(self._pooled),
            )

        return ITSResult(
            effects=effects.frame,
            paths=build_paths,
            placebo=placebo_frame,
            fourier_aic=aic_table,
            names=d.names,
            beta=fit.beta,
            cov=cov.cov,
            interruptions=interruptions,
            settings=settings,
            level=level,
            seed=seed if method == "bootstrap" else None,
            provenance={"sources": self._sources, "n_obs": int(m.sum())},
            checks=checks,
            coefficients=lambda: tables.coefficient_table(d.names, fit, cov, level),
        )

    def forecast(
        self,
        inference: Literal["classical", "hac", "model"] | None = None,
        *,
        level: float = 0.95,
        hac_kernel: Kernel = "bartlett",
        hac_lag: int | Literal["nw1994", "stock_watson", "llsw"] = "nw1994",
        hac_adjust: bool = True,
        window: int | None = None,
    ) -> ITSForecastResult:
        """Forecast mode: fit the pre-period only and project it as the counterfactual.

        Estimand: the average (and cumulative) difference between the observed post-period
        and what the pre-period model (trend, seasonality, covariates) predicts for it, with
        prediction intervals carrying parameter uncertainty and the outcome's own variation,
        serially correlated under ``model="gls"`` (:mod:`vrueval.designs.its.forecast`).
        Same assumptions as the segmented model; the post-period is not used to fit anything,
        so a misfit there cannot bend the counterfactual. With OLS, no seasonality and one
        interruption the mean effect equals the segmented model's :meth:`ITSResult.impact`
        ``mean_effect`` (tests/test_its_extended.py).

        Parameters
        ----------
        inference : {"classical", "hac", "model"}, optional
            Covariance of the pre-period coefficients: classical (default; with OLS the
            intervals are ``predict.lm``'s prediction intervals), plain HAC (Bartlett or EWC,
            ``hac_lag`` default ``"nw1994"``; no fixed-b), or ``"model"`` (GLS-ARMA, the only
            choice for ``model="gls"``).
        level : float
            Level of every interval.
        window : int, optional
            Post-period rows (observed periods after the first intervention takes effect)
            compared with the forecast; default all.
        """
        level = check_level(level)
        its_data.choice(hac_kernel, _ALLOWED["hac_kernel"], "hac_kernel")
        if window is not None and (not isinstance(window, int) or window < 1):
            raise ValueError(f"window must be a positive integer, got {window!r}")
        return fit_forecast(self, inference, level, hac_kernel, hac_lag, hac_adjust, window)

    def _refit(self, d: ITSDesign, y_star: np.ndarray) -> np.ndarray:
        s = self._settings
        X = d.X[d.in_fit]
        if s["model"] in ("poisson", "negbin"):
            m = d.in_fit
            off = np.log(d.population[m]) if s["response"] == "rate" else np.zeros(len(y_star))
            return fit_glm(y_star, X, off, s["model"], False).beta
        return fit_ols(y_star, X).beta


def _monte_carlo_warnings(effects: tables.Effects, draws: int, level: float) -> list[str]:
    """Effects whose significance at ``level`` the bootstrap's Monte Carlo error could flip."""
    out = []
    for term, stat, df, nuisance in zip(
        effects.terms, effects.statistic, effects.df, effects.nuisance, strict=True
    ):
        if not nuisance:
            msg = bootstrap_se_p_warning(float(stat), float(df), draws, level, term)
            if msg is not None:
                out.append(msg)
    return out


def _pooled_units(
    units: Sequence[str] | None,
    unit: str | None,
    controls: Sequence[str],
    model: str,
    unit_trends: bool,
    panel: Panel,
) -> list[str]:
    """The pooled ITS's unit codes (empty for a single or comparative ITS), validated."""
    if units is None:
        if unit_trends:
            raise ValueError("unit_trends applies to a pooled ITS (units=[...]) only")
        return []
    if isinstance(units, str):
        raise ValueError(f"units must be a list of units, got the string {units!r}")
    if unit is not None or controls:
        raise ValueError("a pooled ITS (units=[...]) takes neither unit= nor controls=")
    if model == "gls":
        raise ValueError("a pooled ITS supports model='ols', 'poisson' or 'negbin'")
    if not isinstance(unit_trends, bool):
        raise ValueError(f"unit_trends must be True or False, got {unit_trends!r}")
    codes = [areas.resolve(u, panel.geography) for u in units]
    if len(set(codes)) < len(codes):
        raise ValueError(f"units lists a unit twice: {list(units)}")
    if len(codes) < 2:
        raise ValueError("a pooled ITS needs at least two units; use unit= for one")
    return codes


def _by_period(i: Interruption) -> pd.Period:
    return i.period
