"""Power study from an analysis spec: the planned evaluation, simulated on its pre-period data.

A power spec is an analysis spec (see :mod:`vrueval.analysis.spec`) with an optional
``[power]`` section. The design's real start date splits the data: power is simulated on the
periods before it, and by default the planned evaluation has as many post-periods as the data
hold from the start on. Example::

    [analysis]
    name = "power_wm_hes"
    design = "ITS"
    seed = 20191003

    [data]
    dataset = "hes_sharp_object"
    outcome = "admissions"
    units = ["West Midlands"]

    [design]
    interruptions = { vru = "2019-10" }
    seasonality = "dummies"

    [fit]
    inference = "hac"

    [power]               # keyword arguments of vrueval.power.its / did / event_study
    post = 24             # months after the start (default: those in the data)
    effects = [-0.2, -0.1, 0.0]
    n_sims = 2000

The analysis' ``[fit]`` inference must be one the power kernels implement (ITS: "hac" or
"classical"; DiD: "cr1", "wild" or "randomization", with the analysis' draws, bootstrap weights,
permutations and randomization statistic (999 draws or permutations inside each simulation when
``[fit]`` does not say: the 5% decision barely depends on more); event study: "cr1";
StaggeredDiD: "analytic", or "bootstrap" with the analysis' draws and multiplier weights,
each simulated analysis bootstrapped as its fit would be); otherwise
``[power]`` must say which to simulate, e.g. ``inference = "cr1"`` for an event study whose
analysis uses CR2.

A ``StaggeredDiD`` spec's cohorts are its ``first_treated`` mapping (default: the VRU registry
cohorts), as unit lists: placebo sets use their sizes, ``placebo = "time"`` the units; a
``cohorts`` entry in ``[power]`` replaces them (e.g. ``cohorts = { "2019Q4" = 18, "2022Q2" =
2 }``). Its ``overall`` ("group" or "simple") is the tested aggregation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vrueval import areas
from vrueval.analysis.runner import load_panel
from vrueval.analysis.spec import Spec, SpecError, load_spec
from vrueval.compute import using
from vrueval.data.panel import Panel
from vrueval.data.periods import display
from vrueval.designs.staggered.data import registry_first_treated
from vrueval.power.did_study import did, event_study
from vrueval.power.its_study import its
from vrueval.power.results import PowerResult
from vrueval.power.staggered_study import staggered

_ITS_DESIGN = {"unit", "controls", "seasonality", "fourier_k", "response", "rate_per", "model"}
_ITS_IGNORED = {
    "interruptions",
    "lockdown",  # an excluded window is simulated (see _lockdown_positions)
    "lockdown_handling",
    "lag",
    "washout",
    "missing",
    "start",
    "end",
    "dispersion",
    "arma",
    "gls_method",
}
#: Bootstrap draws or permutations inside each simulated DiD analysis when neither ``[fit]`` nor
#: ``[power]`` says (the analysis itself and :func:`vrueval.power.did` take the design's 9,999
#: and 5,000): a stated simulation setting, since the 5% decision barely depends on more.
SIMULATED_DRAWS = 999
_DID_DESIGN = {"treated", "comparators", "estimator", "scale", "per", "exclude"}
_DID_IGNORED = {"start", "window", "weights", "n_similar", "leads", "lags", "reference"}
_STAGGERED_DESIGN = {"first_treated", "control_group", "overall", "covariates"}
# without covariates both methods are the difference of mean changes, and the base period
# only changes the pre-treatment cells, which the overall ATT does not use
_STAGGERED_IGNORED = {"method", "base_period"}


def from_spec(
    spec_path: Path | str,
    allowed_dirs: Sequence[Path] = (),
    *,
    compute: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> PowerResult:
    """Run the power study a spec describes (see the module docstring).

    The spec is read and checked by :func:`vrueval.analysis.spec.load_spec`, as for
    ``vrueval run`` (``allowed_dirs``: folders outside the project the user allowed on the
    command line). ``overrides`` replace or add ``[power]`` options, e.g. ``inference="cr1"`` to
    compare the power of another test of the same plan. The simulation's parallel parts run
    as the spec's ``[compute]`` table says, with ``compute`` (jobs, backend, address: the
    command line's) replacing it; the numbers do not depend on either.
    """
    path = Path(spec_path)
    spec = load_spec(path, allowed_dirs)
    options = {**spec.power_options, **overrides}
    panel = load_panel(spec)
    options.setdefault("level", spec.level)
    if spec.seed is not None:
        options.setdefault("seed", spec.seed)
    try:
        with using(spec.compute.override(**(compute or {}))):
            if spec.design == "ITS":
                return _its(spec, panel, options)
            if spec.design in ("DiD", "EventStudy"):
                return _did(spec, panel, options)
            if spec.design in ("StaggeredDiD", "CallawaySantAnna"):
                return _staggered(spec, panel, options)
    except (TypeError, ValueError) as err:
        raise SpecError(f"{path}: {err}") from err
    raise SpecError(
        f"{path}: power studies support designs ITS, DiD, EventStudy and StaggeredDiD, not "
        f"{spec.design!r}"
    )


def _check_keys(spec: Spec, used: set[str], ignored: set[str]) -> None:
    extra = sorted(set(spec.design_options) - used - ignored)
    if extra:
        raise SpecError(
            f"{spec.path}: [design] option(s) {extra} have no counterpart in a power study; "
            f"supported: {sorted(used)}"
        )


def _post_default(panel: Panel, start: pd.Period) -> tuple[str, int]:
    """The last pre-period label and the number of data periods from ``start`` on."""
    periods = panel.periods
    if not periods[0] < start <= periods[-1]:
        return display(periods[-1], panel.frequency), 0
    return display(start - 1, panel.frequency), int((periods >= start).sum())


def _first_date(interruptions: Any, panel: Panel) -> pd.Period:
    if isinstance(interruptions, dict):
        return min(panel.period(v) for v in interruptions.values())
    if isinstance(interruptions, list):
        return min(panel.period(v) for v in interruptions)
    return panel.period(interruptions)


def _its(spec: Spec, panel: Panel, options: dict[str, Any]) -> PowerResult:
    d = spec.design_options
    _check_keys(spec, _ITS_DESIGN, _ITS_IGNORED)
    kw: dict[str, Any] = {k: d[k] for k in _ITS_DESIGN if k in d}
    units = spec.data.get("units") or []
    kw.setdefault("unit", units[0] if units else None)
    if kw.get("fourier_k") == "aic":
        raise ValueError("fourier_k='aic' is chosen on the data; give an integer for power")
    for key in ("inference", "hac_kernel", "hac_lag", "hac_fixed_b", "hac_adjust"):
        if key in spec.fit_options:
            kw[key] = spec.fit_options[key]
    interruptions = d.get("interruptions")
    if interruptions is not None:
        first = _first_date(interruptions, panel)
        end, post = _post_default(panel, first)
        options.setdefault("end", end)
        if post:
            options.setdefault("post", post)
        if d.get("lockdown") is not None and "exclude" not in options:
            options["exclude"] = _lockdown_positions(d, panel, first)
    kw.update(options)
    return its(panel, outcome=spec.data["outcome"], **kw)


def _lockdown_positions(d: dict[str, Any], panel: Panel, first: pd.Period) -> tuple[int, int]:
    """The analysis' excluded lockdown as post-period positions (0 = the interruption)."""
    handling = d.get("lockdown_handling", "indicator")
    if handling != "exclude":
        raise ValueError(
            f"the analysis handles its lockdown as {handling!r}; power simulation implements an "
            'excluded window: plan with lockdown_handling = "exclude" or give [power] exclude'
        )
    window = d["lockdown"]
    a, b = (window, window) if isinstance(window, str) else window
    step = panel.step
    lo, hi = ((panel.period(x) - first).n // step for x in (a, b))
    if lo < 0:
        raise ValueError(f"the lockdown ({a}) starts before the interruption ({first})")
    return lo, hi


def _did(spec: Spec, panel: Panel, options: dict[str, Any]) -> PowerResult:
    d = spec.design_options
    _check_keys(
        spec, _DID_DESIGN - ({"estimator"} if spec.design == "EventStudy" else set()), _DID_IGNORED
    )
    if "intensity" in d:
        raise ValueError("power studies of a continuous treatment intensity are not implemented")
    if d.get("weights", "none") != "none":
        raise ValueError(
            f"the analysis weights the DiD (weights={d['weights']!r}); power simulation implements "
            'the unweighted estimator: plan with weights = "none"'
        )
    kw: dict[str, Any] = {}
    comparators = d.get("comparators", "never_funded")
    if comparators == "most_similar":
        raise ValueError("comparators='most_similar' is chosen on the data; list the comparators")
    if not isinstance(comparators, str):
        kw["comparators"] = comparators
    if d.get("exclude"):
        raise ValueError("exclude: drop the spill-over areas from [data] units for a power study")
    treated = d.get("treated")
    if treated is None and panel.geography == "force":
        treated = [u for u in areas.vru_2019() if u in panel.units]
    if treated is not None:
        kw["treated"] = treated
    for key in ("estimator", "scale", "per"):
        if key in d:
            kw[key] = d[key]
    inference = spec.fit_options.get("inference", "cr1")
    simulated = ("cr1", "wild", "randomization") if spec.design == "DiD" else ("cr1",)
    if "inference" not in options:
        if inference not in simulated:
            raise ValueError(
                f"the analysis uses inference={inference!r}; the power kernels simulate "
                f'{" or ".join(simulated)}: say which in [power], e.g. inference = "cr1"'
            )
        kw["inference"] = inference
        for key in ("draws", "boot_weights", "permutations", "ri_statistic"):
            if key in spec.fit_options and inference != "cr1":
                kw[key] = spec.fit_options[key]
        if "small_sample" in spec.fit_options:
            kw["small_sample"] = spec.fit_options["small_sample"]
    start = d.get("start")
    if isinstance(start, str):
        end, post = _post_default(panel, panel.period(start))
        options.setdefault("end", end)
        if post:
            options.setdefault("post", post)
    kw.update(options)
    if kw.get("inference") == "wild":
        kw.setdefault("draws", SIMULATED_DRAWS)
    elif kw.get("inference") == "randomization":
        kw.setdefault("permutations", SIMULATED_DRAWS)
    fn = did if spec.design == "DiD" else event_study
    return fn(panel, spec.data["outcome"], **kw)


def _staggered(spec: Spec, panel: Panel, options: dict[str, Any]) -> PowerResult:
    d = spec.design_options
    _check_keys(spec, _STAGGERED_DESIGN, _STAGGERED_IGNORED)
    if d.get("covariates"):
        raise ValueError("power studies of a staggered DiD with covariates are not implemented")
    kw: dict[str, Any] = {}
    overall = options.get("overall", d.get("overall", "group"))
    if overall not in ("group", "simple"):
        raise ValueError(
            f"overall={overall!r}: power is simulated for the 'group' or 'simple' overall "
            'ATT; say which in [power], e.g. overall = "group"'
        )
    for key in ("control_group", "overall"):
        if key in d:
            kw[key] = d[key]
    first = d.get("first_treated")
    if first is None:
        first = registry_first_treated(panel)
    cohorts: dict[str, list[str]] = {}
    for unit, label in first.items():
        if label is not None:
            cohorts.setdefault(display(panel.period(label), panel.frequency), []).append(str(unit))
    if "cohorts" not in options:
        kw["cohorts"] = cohorts
    cohort_dates = options.get("cohorts", cohorts)
    if cohort_dates:
        start = min(panel.period(p) for p in cohort_dates)
        end, post = _post_default(panel, start)
        options.setdefault("end", end)
        if post:
            options.setdefault("post", post)
    if "inference" not in options:
        kw["inference"] = spec.fit_options.get("inference", "analytic")
        if kw["inference"] == "bootstrap":
            # "weights": the deprecated name of the fit's boot_weights
            for key, name in (
                ("draws", "draws"),
                ("boot_weights", "boot_weights"),
                ("weights", "boot_weights"),
            ):
                if key in spec.fit_options:
                    kw[name] = spec.fit_options[key]
    kw.update(options)
    return staggered(panel, spec.data["outcome"], **kw)
