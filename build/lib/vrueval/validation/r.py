"""ITS and DiD against R: the cases of its_reference.R and did_css_reference.R, recomputed as
agreement rows (see :mod:`vrueval.validation`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from vrueval.data import datasets
from vrueval.data.panel import Panel
from vrueval.designs import DiD, EventStudy
from vrueval.designs.its import ITS
from vrueval.inference.small_sample import ParamCount, cr1_factor
from vrueval.results import Result
from vrueval.validation.base import (
    Rows,
    load_reference,
    r_label,
    reference_dir,
    term_values,
)

# -- ITS against R ---------------------------------------------------------------------------------
ITS_FAMILY = "ITS vs R"
ITS_SCRIPT = "its_reference.R"
ITS_EST_RTOL, ITS_SE_RTOL, ITS_PHI_RTOL, ITS_DISPERSION_RTOL = 1e-6, 1e-5, 1e-5, 1e-8


@dataclass(frozen=True)
class ItsCase:
    """One real series of the ITS reference (its_inputs.csv holds the same values for R)."""

    data: Literal["hes", "knife"]
    unit: str
    start: str
    lockdown: tuple[str, str] | None


@dataclass(frozen=True)
class ItsFit:
    """One fit of the ITS reference: the JSON key, model, fit and constructor options, R call."""

    key: str
    model: Literal["ols", "poisson", "gls"]
    fit: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    r_call: str = ""


ITS_CASES: dict[str, ItsCase] = {
    "hes_west_midlands": ItsCase("hes", "West Midlands", "2019-10", ("2020-03", "2020-06")),
    "hes_london": ItsCase("hes", "London", "2019-10", ("2020-03", "2020-06")),
    "knife_west_midlands": ItsCase("knife", "West Midlands", "2014Q3", None),
}

# Plain Newey-West as sandwich::NeweyWest(prewhite = FALSE): Bartlett kernel, the Newey-West
# (1994) lag, no fixed-b adjustment - every option spelled out so changed defaults cannot move it.
NEWEY_WEST: dict[str, Any] = {
    "inference": "hac",
    "hac_kernel": "bartlett",
    "hac_lag": "nw1994",
    "hac_fixed_b": False,
    "hac_adjust": True,
}
_LM, _NW, _QP = "stats::lm", "sandwich::NeweyWest", "stats::glm quasipoisson"
ITS_FITS: tuple[ItsFit, ...] = (
    ItsFit("ols_classical", "ols", {"inference": "classical"}, r_call=_LM),
    ItsFit("ols_hac_adjust", "ols", NEWEY_WEST, r_call=_NW),
    ItsFit("ols_hac_noadjust", "ols", {**NEWEY_WEST, "hac_adjust": False}, r_call=_NW),
    ItsFit("ols_hac_lag12", "ols", {**NEWEY_WEST, "hac_lag": 12}, r_call=_NW),
    ItsFit("quasipoisson", "poisson", {"inference": "classical"}, r_call=_QP),
    ItsFit("quasipoisson_hac", "poisson", NEWEY_WEST, r_call=f"{_QP} + NeweyWest"),
    ItsFit("gls_ar1_reml", "gls", {"inference": "model"}, {"gls_method": "REML"}, "nlme::gls"),
    ItsFit("gls_ar1_ml", "gls", {"inference": "model"}, {"gls_method": "ML"}, "nlme::gls"),
)
ITS_LAG_CHECK = "hac_lag"  # the lag rule rows, selected like a fit


@cache
def _its_panel(data: str) -> Panel:
    return datasets.hes_sharp_object() if data == "hes" else datasets.knife_quarterly()


def its_design(case: str, model: str, **options: Any) -> ITS:
    """The ITS of reference case ``case``: season dummies, a lockdown indicator where needed."""
    c = ITS_CASES[case]
    return ITS(
        _its_panel(c.data),
        {"vru": c.start},
        unit=c.unit,
        outcome="admissions" if c.data == "hes" else "knife_offences",
        lockdown=c.lockdown,
        lockdown_handling="indicator",
        seasonality="dummies",
        model=model,  # type: ignore[arg-type]
        **options,
    )


def its_vs_r(
    folder: Path | str | None = None,
    cases: Sequence[str] | None = None,
    fits: Sequence[str] | None = None,
) -> pd.DataFrame:
    """ITS level and slope changes, their standard errors, AR(1) and dispersion against R.

    ``cases`` (keys of :data:`ITS_CASES`) and ``fits`` (keys of :data:`ITS_FITS`, or
    :data:`ITS_LAG_CHECK` for the rows checking that ``hac_lag="nw1994"`` picks R's
    ``floor(4 (n/100)^(2/9))``) restrict the comparison; by default everything is compared.
    """
    folder = reference_dir(folder)
    ref_all = load_reference("its_reference.json", folder)
    r = r_label(ref_all["versions"])
    out = Rows(ITS_FAMILY, ITS_SCRIPT)
    for case in cases if cases is not None else list(ITS_CASES):
        for spec in ITS_FITS:
            if fits is None or spec.key in fits:
                _its_rows(out, case, spec, ref_all[case][spec.key], f"{r} {spec.r_call}")
        if fits is None or ITS_LAG_CHECK in fits:
            lag = its_design(case, "ols").fit(**NEWEY_WEST).settings["hac_lag"]
            out.add(f"{case}: lag rule nw1994", f"{r} floor(4 (n/100)^(2/9))", "HAC lag", lag,
                    ref_all[case]["hac_lag"], 0.0, "absolute")  # fmt: skip
    return out.frame()


def _its_rows(out: Rows, case: str, spec: ItsFit, ref: dict[str, Any], reference: str) -> None:
    res = its_design(case, spec.model, **spec.options).fit(**spec.fit)
    terms = ["level_change", "slope_change"]
    est = term_values(res, terms, "estimate")
    est = np.log(est) if spec.model == "poisson" else est
    check = f"{case}: {spec.key}"
    out.add(check, reference, "estimate", est, [ref[t] for t in terms], ITS_EST_RTOL)
    out.add(check, reference, "std_error", term_values(res, terms, "std_error"),
            [ref[f"se_{t}"] for t in terms], ITS_SE_RTOL)  # fmt: skip
    if "phi" in ref:
        out.add(check, reference, "AR(1) phi", res.diagnostics["ar"][0], ref["phi"], ITS_PHI_RTOL)
        same = res.settings["gls_method"] == spec.key.rsplit("_", 1)[1].upper()
        out.add(check, reference, "GLS method (1 = same)", float(same), 1.0, 0.0)
    if "dispersion" in ref:
        out.add(check, reference, "Pearson dispersion", res.diagnostics["pearson_dispersion"],
                ref["dispersion"], ITS_DISPERSION_RTOL)  # fmt: skip


# -- DiD against R -------------------------------------------------------------------------------
DID_FAMILY = "DiD vs R"
DID_SCRIPT = "did_css_reference.R"
DID_OUTCOMES = ("css_violence_against_the_person", "css_robbery")
DID_CHECKS = ("sample", "twfe", "two_by_two", "cr1_stata", "event_study", "poisson", "weighted")
DID_EST_RTOL, DID_SE_RTOL = 1e-6, 1e-5
DID_CLUSTERS = 40
CSS_ROWS = 800  # 40 forces x 20 financial years (the R script stops otherwise)


@cache
def css_panel(with_population: bool = False) -> Panel:
    """Crime severity scores (2022 vintage), as the R reference reads them.

    With ``with_population`` the ONS mid-year population (Census 2021 basis) of the year each
    financial year starts is attached and the window is FY2011/12-FY2021/22.
    """
    css = datasets.crime_severity("2022")
    if not with_population:
        return css
    frame = css.data[css.data["period"].dt.year >= 2012].drop(columns="population")
    pop = datasets.population("mid2011_2023").data
    pop = pd.DataFrame(
        {"unit": pop["unit"], "year": pop["period"].dt.year + 1, "population": pop["value"]}
    )
    frame = frame.assign(year=frame["period"].dt.year).merge(pop, on=["unit", "year"], how="left")
    return Panel.from_frame(
        frame.drop(columns="year"),
        frequency="financial_year",
        measure=css.measure,
        geography=css.geography,
        sources=list(css.sources),
        notes=list(css.notes),
    )


def att_row(result: Result, term: str = "att") -> pd.Series:
    eff = result.effects()
    return eff.loc[eff["term"] == term].iloc[0]


def _cr0(se_cr1: Any, n_obs: int, n_periods: int, n_coef: int = 1) -> np.ndarray:
    """CR0 standard errors implied by default (fixest-rule) CR1 ones (estimatr's CR0 has no
    small-sample factor)."""
    count = ParamCount.two_way(DID_CLUSTERS, n_periods, n_coef)
    factor = cr1_factor("fixest", n_obs=n_obs, n_clusters=DID_CLUSTERS, count=count)
    return np.asarray(se_cr1, float) / np.sqrt(factor)


@dataclass(frozen=True)
class _DidLabels:
    r: str
    estimatr: str
    plm: str
    sandwich: str


def did_vs_r(
    folder: Path | str | None = None,
    outcomes: Sequence[str] = DID_OUTCOMES,
    checks: Sequence[str] = DID_CHECKS,
) -> pd.DataFrame:
    """DiD estimates, clustered standard errors and CR2 degrees of freedom against R.

    The CSS panel of 2019 VRU forces against never-funded forces (City of London dropped),
    post from FY2019/20. CR0 is recovered from CR1 by its known small-sample factor; CR1 with
    every dummy counted (Stata's and estimatr's convention) is computed from the same fit.
    ``checks`` (of :data:`DID_CHECKS`) and ``outcomes`` restrict the comparison.
    """
    folder = reference_dir(folder)
    ref_all = load_reference("did_css_reference.json", folder)
    v = ref_all["versions"]
    r = r_label(v)
    labels = _DidLabels(
        r=r,
        estimatr=f"{r} estimatr {v['estimatr']} lm_robust",
        plm=f"{r} plm {v['plm']} within + vcovHC arellano",
        sandwich=f"{r} stats::glm quasipoisson + sandwich {v['sandwich']}::vcovCL HC0",
    )
    out = Rows(DID_FAMILY, DID_SCRIPT)
    if "sample" in checks:
        settings = DiD(css_panel(), "css_robbery", start="2019/20").fit().settings
        for key in ("treated", "comparators"):
            mismatch = len(set(settings[key]) ^ set(ref_all["data"][key]))
            out.add(f"sample: {key}", r, "forces not in both (count)", mismatch, 0, 0.0)
    for outcome in outcomes:
        ref = ref_all[outcome]
        for key in ("twfe", "two_by_two"):
            if key in checks:
                _did_basic(out, labels, outcome, key, ref[key]["D"])
        if "cr1_stata" in checks:
            d = ref["twfe"]["D"]
            se = _cr1_every_dummy(css_panel(), outcome)
            out.add(f"{outcome}: twfe", f"{labels.estimatr} stata", "std_error CR1 (all dummies)",
                    se, d["se_stata"], DID_SE_RTOL)  # fmt: skip
        if "event_study" in checks:
            _did_event_study(out, labels, outcome, ref["event_study"])
        if "poisson" in checks:
            _did_poisson(out, labels, outcome, ref["poisson"]["D"])
        if "weighted" in checks:
            _did_weighted(out, labels, outcome, ref["twfe_weighted"]["D"])
    return out.frame()


def _did_basic(out: Rows, lab: _DidLabels, outcome: str, key: str, d: dict[str, Any]) -> None:
    estimator, n_periods = ("twfe", 20) if key == "twfe" else ("2x2", 2)
    did = DiD(css_panel(), outcome, start="2019/20", estimator=estimator)  # type: ignore[arg-type]
    cr1, cr2 = att_row(did.fit("cr1")), att_row(did.fit("cr2"))
    check, est = f"{outcome}: {key}", lab.estimatr
    cr0 = _cr0(cr1["std_error"], d["n_obs"], n_periods)
    out.add(check, est, "estimate", cr1["estimate"], d["estimate"], DID_EST_RTOL)
    out.add(check, f"{est} CR2", "std_error CR2", cr2["std_error"], d["se_cr2"], DID_SE_RTOL)
    out.add(check, f"{est} CR2", "df CR2", cr2["df"], d["df_cr2"], DID_SE_RTOL)
    out.add(check, f"{est} CR0", "std_error CR0", cr0, d["se_cr0"], DID_SE_RTOL)
    out.add(check, "G - 1", "df CR1", cr1["df"], DID_CLUSTERS - 1, 0.0)
    if key == "twfe":
        out.add(check, lab.plm, "estimate", cr1["estimate"], d["plm_estimate"], DID_EST_RTOL)
        out.add(check, lab.plm, "std_error CR0", cr0, d["plm_se_cr0"], DID_SE_RTOL)
    else:
        out.add(check, f"{lab.r} stats::lm treat*after", "estimate", cr1["estimate"],
                d["simple_estimate"], DID_EST_RTOL)  # fmt: skip


def _did_event_study(out: Rows, lab: _DidLabels, outcome: str, ref: dict[str, Any]) -> None:
    """Leads binned at -6, reference -1, lags unbinned; estimatr's ``em6`` is ``att:e=-6``."""
    es = EventStudy(css_panel(), outcome, start="2019/20", leads=6)
    cr1, cr2 = es.fit("cr1"), es.fit("cr2")
    names = list(ref)
    terms = [f"att:e={-int(n[2:]) if n.startswith('em') else int(n[1:])}" for n in names]
    col = {k: [ref[n][k] for n in names] for k in ("estimate", "se_cr2", "df_cr2", "se_cr0")}
    check, est = f"{outcome}: event_study", lab.estimatr
    cr0 = _cr0(term_values(cr1, terms, "std_error"), ref[names[0]]["n_obs"], 20, len(names))
    out.add(check, est, "estimates", term_values(cr1, terms, "estimate"), col["estimate"],
            DID_EST_RTOL)  # fmt: skip
    out.add(check, f"{est} CR2", "std_errors CR2", term_values(cr2, terms, "std_error"),
            col["se_cr2"], DID_SE_RTOL)  # fmt: skip
    out.add(check, f"{est} CR2", "df CR2", term_values(cr2, terms, "df"), col["df_cr2"],
            DID_SE_RTOL)  # fmt: skip
    out.add(check, f"{est} CR0", "std_errors CR0", cr0, col["se_cr0"], DID_SE_RTOL)


def _did_poisson(out: Rows, lab: _DidLabels, outcome: str, d: dict[str, Any]) -> None:
    res = att_row(DiD(css_panel(), outcome, start="2019/20", estimator="poisson").fit())
    check = f"{outcome}: poisson"
    out.add(check, f"{lab.r} stats::glm quasipoisson", "log rate ratio",
            np.log(res["estimate"]), d["estimate"], DID_EST_RTOL)  # fmt: skip
    out.add(check, "vrueval contract", "reported as ratio (1 = yes)",
            float(res["scale"] == "ratio"), 1.0, 0.0)  # fmt: skip
    out.add(check, lab.sandwich, "std_error CR0", _cr0(res["std_error"], d["n_obs"], 20),
            d["se_cr0"], DID_SE_RTOL)  # fmt: skip


def _did_weighted(out: Rows, lab: _DidLabels, outcome: str, d: dict[str, Any]) -> None:
    """Population-weighted TWFE, FY2011/12-FY2021/22 (11 years)."""
    did = DiD(css_panel(True), outcome, start="2019/20", weights="population")
    cr1, cr2 = att_row(did.fit("cr1")), att_row(did.fit("cr2"))
    check, est = f"{outcome}: population-weighted twfe", lab.estimatr
    out.add(check, est, "estimate", cr1["estimate"], d["estimate"], DID_EST_RTOL)
    out.add(check, f"{est} CR2", "std_error CR2", cr2["std_error"], d["se_cr2"], DID_SE_RTOL)
    out.add(check, f"{est} CR2", "df CR2", cr2["df"], d["df_cr2"], DID_SE_RTOL)
    out.add(check, f"{est} CR0", "std_error CR0", _cr0(cr1["std_error"], d["n_obs"], 11),
            d["se_cr0"], DID_SE_RTOL)  # fmt: skip


def _cr1_every_dummy(panel: Panel, outcome: str) -> float:
    """The TWFE CR1 standard error with every unit and period dummy counted in K
    (``small_sample="stata"``)."""
    res = DiD(panel, outcome, start="2019/20").fit("cr1", small_sample="stata")
    return float(att_row(res)["std_error"])
