"""More DiD against R: CR2 degrees of freedom of contrasts, and unbalanced panels.

Agreement rows (see :mod:`vrueval.validation`) for two reference scripts in
``tests/reference/``, 1e-6 relative on estimates, standard errors, degrees of freedom and
p-values:

- :func:`did_contrast_vs_r` - the event study's CR2 (Bell-McCaffrey) standard errors and
  Satterthwaite degrees of freedom, for every event-time coefficient, for the mean post-period
  contrast ``att`` and for an unequal contrast (mean of leads -3 and -2 minus event time 0),
  against ``clubSandwich`` (``coef_test`` and ``linear_contrast``, and ``coef_test`` on
  reparametrised regressors whose first coefficient is the contrast) on the CSS panel: common
  start, population-weighted, and a hypothetical staggered start (six 2019 VRU forces from
  FY2016/17), where the contrast's df differs from its terms' (``did_cr2_contrast_reference.R``).
- :func:`did_unbalanced_vs_r` - ``missing="unbalanced"`` (keep a unit, leave out only its
  missing cells) against ``lm`` with explicit unit and period dummies on the observed cells,
  ``sandwich::vcovCL`` (CR0), ``clubSandwich`` (CR2, Satterthwaite df) and ``estimatr`` (CR2), on
  the HES regional intensity panel and knife homicide-and-serious-injury by force, plus an
  unbalanced event study with its ``att`` (``did_unbalanced_reference.R``).

References
----------
Pustejovsky, J. E. and Tipton, E. (2018). Small-sample methods for cluster-robust variance
estimation and hypothesis testing in fixed effects models. *Journal of Business & Economic
Statistics* 36(4), 672-683.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vrueval.data import datasets
from vrueval.designs import DiD, EventStudy
from vrueval.designs.did.event_study import event_dummies
from vrueval.designs.did.inference import covariance
from vrueval.designs.did.model import TwoWayFE, ols_absorbed
from vrueval.inference.cluster import ClusterCovariance
from vrueval.inference.small_sample import ParamCount, cr1_factor
from vrueval.results import Result
from vrueval.validation.base import (
    Rows,
    load_reference,
    r_label,
    reference_dir,
    term_values,
)
from vrueval.validation.r import DID_FAMILY, DID_OUTCOMES, att_row, css_panel

CONTRAST_SCRIPT = "did_cr2_contrast_reference.R"
UNBALANCED_SCRIPT = "did_unbalanced_reference.R"
CONTRAST_RTOL = 1e-6  # relative, on estimate, std_error, df and p_value
UNBALANCED_RTOL = 1e-6
CONTRAST_DESIGNS = ("event_study", "weighted_event_study", "staggered_event_study")
UNBALANCED_CASES = ("hes_intensity", "knife_hsi")
UNBALANCED_LEADS, UNBALANCED_LAGS = 4, 3  # knife_hsi event study, as the R script bins it
# The unequal contrast of the R script: mean of event times -3 and -2 minus event time 0.
LEADS_MINUS_E0: dict[int, float] = {-3: 0.5, -2: 0.5, 0: -1.0}
_KEYS = ("estimate", "std_error", "df", "p_value")
_QUANTITIES = ("estimate", "std_error CR2", "df CR2", "p_value CR2")


def r_term(name: str) -> str:
    """vrueval's term for an R event-time dummy name (``em3`` -> ``att:e=-3``, ``e0``)."""
    return f"att:e={-int(name[2:]) if name.startswith('em') else int(name[1:])}"


# -- the shared pieces ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EventStudyFit:
    """The absorbed event-study fit and its cluster covariance, for contrasts of the
    ``att:e=<k>`` coefficients."""

    coef: np.ndarray
    cov: ClusterCovariance
    times: list[int]

    def contrast(self, weights: dict[int, float]) -> dict[str, float]:
        """Estimate, standard error, df (the covariance's rule) and two-sided p of ``c'beta``
        with ``c`` = ``weights`` on event times (zero elsewhere)."""
        c = np.zeros(len(self.times))
        for k, w in weights.items():
            c[self.times.index(k)] = w
        est = float(c @ self.coef)
        se = float(np.sqrt(c @ self.cov.vcov @ c))
        df = float(self.cov.contrast_df(c)[0])
        return {
            "estimate": est,
            "std_error": se,
            "df": df,
            "p_value": float(2 * stats.t.sf(abs(est / se), df)),
        }


def event_study_fit(es: EventStudy, kind: str = "cr2") -> EventStudyFit:
    """Refit ``es`` as :meth:`EventStudy.fit` does and keep the coefficients and covariance."""
    data = es._prepare()
    f = data.frame
    x, times = event_dummies(f["event"].to_numpy(), es.leads, es.lags, es.reference)
    fe = TwoWayFE(data.unit_code, data.period_code, f["weight"].to_numpy(dtype=float))
    fit = ols_absorbed(fe, f["y"].to_numpy(dtype=float), x)
    return EventStudyFit(fit.coef, covariance(fit, fe, data.unit_code, kind), times)


def _coefficient_rows(
    out: Rows,
    check: str,
    reference: str,
    res: Result,
    ref: dict[str, dict[str, float]],
    rtol: float,
) -> None:
    """Every event-time coefficient's estimate, CR2 standard error, df and p-value."""
    terms = [r_term(n) for n in ref]
    for key, quantity in zip(_KEYS, ("estimates", "std_errors CR2", "df CR2", "p_values CR2"),
                             strict=True):  # fmt: skip
        out.add(check, reference, quantity, term_values(res, terms, key),
                [r[key] for r in ref.values()], rtol)  # fmt: skip


def _contrast_rows(
    out: Rows, check: str, reference: str, ours: Any, ref: dict[str, float], rtol: float
) -> None:
    for key, quantity in zip(_KEYS, _QUANTITIES, strict=True):
        out.add(check, reference, f"contrast {quantity}", ours[key], ref[key], rtol)


# -- CR2 df of contrasts against clubSandwich ----------------------------------------------------
def contrast_event_study(
    outcome: str, design: str, early: Sequence[str] = (), folder: Path | str | None = None
) -> EventStudy:
    """The event study of one design of ``did_cr2_contrast_reference.R``.

    ``early``: for ``staggered_event_study``, the 2019 VRU forces given a FY2016/17 start (the
    rest of the 2019 VRU forces of ``did_css_reference.json`` in ``folder`` start FY2019/20).
    """
    if design == "event_study":
        return EventStudy(css_panel(), outcome, start="2019/20", leads=6)
    if design == "weighted_event_study":
        return EventStudy(css_panel(True), outcome, start="2019/20", leads=5, weights="population")
    if design != "staggered_event_study":
        raise ValueError(f"design must be one of {CONTRAST_DESIGNS}, got {design!r}")
    treated = load_reference("did_css_reference.json", folder)["data"]["treated"]
    start = {u: ("2016/17" if u in early else "2019/20") for u in treated}
    return EventStudy(css_panel(), outcome, start=start, leads=6)


def did_contrast_vs_r(
    folder: Path | str | None = None,
    outcomes: Sequence[str] = DID_OUTCOMES,
    designs: Sequence[str] = CONTRAST_DESIGNS,
) -> pd.DataFrame:
    """Event-study CR2 standard errors and Satterthwaite df of coefficients and contrasts
    against ``clubSandwich``.

    ``att`` comes from :meth:`EventStudy.fit` (the mean post-period coefficient, with the
    Bell-McCaffrey df of that contrast, not the minimum of its terms'); the unequal contrast
    :data:`LEADS_MINUS_E0` goes through the same ``contrast_df``. Each contrast is compared with
    every R route the script recorded (``linear_contrast`` fails for weighted fits in
    clubSandwich 0.5.8, so the weighted design has only the reparametrised route). ``outcomes``
    and ``designs`` (of :data:`CONTRAST_DESIGNS`) restrict the comparison.
    """
    folder = reference_dir(folder)
    ref_all = load_reference(CONTRAST_SCRIPT.replace(".R", ".json"), folder)
    v = ref_all["versions"]
    cs = f"{r_label(v)} clubSandwich {v['clubSandwich']}"
    sources = {
        "linear_contrast": f"{cs} linear_contrast (CR2, Satterthwaite)",
        "reparametrised": f"{cs} coef_test on reparametrised regressors",
    }
    early = ref_all["data"]["early_fy2016_17"]
    out = Rows(DID_FAMILY, CONTRAST_SCRIPT)
    for outcome in outcomes:
        for design in designs:
            ref = ref_all[outcome][design]
            es = contrast_event_study(outcome, design, early, folder)
            res = es.fit("cr2")
            check = f"{outcome}: {design}"
            out.add(check, f"{r_label(v)} stats::lm", "observations", res.diagnostics["n_obs"],
                    ref["n_obs"], 0.0, "absolute")  # fmt: skip
            _coefficient_rows(out, check, f"{cs} coef_test (CR2, Satterthwaite)", res,
                              ref["coefficients"], CONTRAST_RTOL)  # fmt: skip
            att = att_row(res)
            for source, r in ref["att"].items():
                _contrast_rows(out, f"{check}, att", sources[source], att, r, CONTRAST_RTOL)
            ours = event_study_fit(es, "cr2").contrast(LEADS_MINUS_E0)
            for source, r in ref["leads_minus_e0"].items():
                _contrast_rows(out, f"{check}, (e-3 + e-2)/2 - e0", sources[source], ours, r,
                               CONTRAST_RTOL)  # fmt: skip
    return out.frame()


# -- unbalanced panels against lm with dummies ---------------------------------------------------
@cache
def _hes_intensity(folder: Path) -> dict[str, float]:
    """Each region's 2019 VRU population share, as the reference inputs hold it."""
    inputs = pd.read_csv(folder / "did_unbalanced_inputs.csv")
    part = inputs[inputs["case"] == "hes_intensity"]
    return {str(k): float(x) for k, x in part.groupby("unit")["intensity"].first().items()}


def unbalanced_design(case: str, folder: Path | str | None = None) -> DiD:
    """The ``missing="unbalanced"`` TWFE of one case of ``did_unbalanced_reference.R``."""
    if case == "hes_intensity":
        intensity = _hes_intensity(reference_dir(folder))
        hes = datasets.hes_sharp_object().select(outcome="admissions", units=list(intensity))
        return DiD(
            hes,
            "admissions",
            start="2019-10",
            scale="rate",
            intensity=intensity,
            missing="unbalanced",
        )
    if case == "knife_hsi":
        return DiD(
            datasets.knife_quarterly(),
            "homicide_and_serious_injury",
            start="2016Q2",
            missing="unbalanced",
        )
    raise ValueError(f"case must be one of {UNBALANCED_CASES}, got {case!r}")


def unbalanced_event_study() -> EventStudy:
    """The unbalanced knife homicide-and-serious-injury event study of the reference."""
    return EventStudy(
        datasets.knife_quarterly(),
        "homicide_and_serious_injury",
        start="2016Q2",
        leads=UNBALANCED_LEADS,
        lags=UNBALANCED_LAGS,
        missing="unbalanced",
    )


@dataclass(frozen=True)
class _UnbalancedLabels:
    r: str
    lm: str
    sandwich: str
    club: str
    estimatr: str


def did_unbalanced_vs_r(
    folder: Path | str | None = None,
    cases: Sequence[str] = UNBALANCED_CASES,
    event_study: bool = True,
) -> pd.DataFrame:
    """Unbalanced TWFE (and event study) against ``lm`` with dummies on the observed cells.

    CR0 is recovered from CR1 by its known small-sample factor (K = periods - 1 + regressors,
    unit effects nested in the clusters). ``cases`` (of :data:`UNBALANCED_CASES`) and
    ``event_study`` (the knife event study's rows) restrict the comparison.
    """
    folder = reference_dir(folder)
    ref_all = load_reference(UNBALANCED_SCRIPT.replace(".R", ".json"), folder)
    v = ref_all["versions"]
    r = r_label(v)
    lab = _UnbalancedLabels(
        r=r,
        lm=f"{r} stats::lm with unit and period dummies",
        sandwich=f"{r} sandwich {v['sandwich']}::vcovCL HC0",
        club=f"{r} clubSandwich {v['clubSandwich']} coef_test (CR2, Satterthwaite)",
        estimatr=f"{r} estimatr {v['estimatr']} lm_robust CR2",
    )
    out = Rows(DID_FAMILY, UNBALANCED_SCRIPT)
    for case in cases:
        _unbalanced_twfe(out, lab, case, ref_all[case], folder)
    if event_study:
        ref = ref_all["knife_hsi"]["event_study"]
        v_lc = f"{r} clubSandwich {v['clubSandwich']} linear_contrast (CR2, Satterthwaite)"
        _unbalanced_event_study(out, lab, ref, v_lc)
    return out.frame()


def _unbalanced_twfe(
    out: Rows, lab: _UnbalancedLabels, case: str, ref: dict[str, Any], folder: Path
) -> None:
    did = unbalanced_design(case, folder)
    res1, res2 = did.fit("cr1"), did.fit("cr2")
    d, diag = ref["twfe"], res1.diagnostics
    check = f"{case}: unbalanced twfe"
    for quantity, ours, theirs in (
        ("observations", diag["n_obs"], d["n_obs"]),
        ("clusters", diag["n_clusters"], d["n_clusters"]),
        ("missing cells left out", diag["n_missing_cells"], ref["n_missing"]),
    ):
        out.add(check, lab.lm, quantity, ours, theirs, 0.0, "absolute")
    warned = any("only those cells are left out" in w for w in res1.warnings)
    out.add(check, "vrueval contract", "warns of left-out cells (1 = yes)", float(warned), 1.0,
            0.0)  # fmt: skip
    a1, a2 = att_row(res1), att_row(res2)
    factor = _default_factor(diag, 1)
    rtol = UNBALANCED_RTOL
    out.add(check, lab.lm, "estimate", a1["estimate"], d["estimate"], rtol)
    out.add(check, lab.sandwich, "std_error CR0", a1["std_error"] / np.sqrt(factor),
            d["se_cr0"], rtol)  # fmt: skip
    for key, name in (("std_error", "se_cr2"), ("df", "df_cr2"), ("p_value", "p_cr2")):
        quantity = f"{key} CR2"
        out.add(check, lab.club, quantity, a2[key], d[name], rtol)
    out.add(check, lab.estimatr, "std_error CR2", a2["std_error"], d["estimatr_se_cr2"], rtol)
    out.add(check, lab.estimatr, "df CR2", a2["df"], d["estimatr_df_cr2"], rtol)
    out.add(check, "G - 1", "df CR1", a1["df"], d["n_clusters"] - 1, 0.0)


def _default_factor(diag: Mapping[str, Any], n_coef: int) -> float:
    """The default (fixest) CR1 factor of a TWFE fit with these diagnostics."""
    count = ParamCount.two_way(diag["n_clusters"], diag["n_periods"], n_coef)
    return float(
        cr1_factor("fixest", n_obs=diag["n_obs"], n_clusters=diag["n_clusters"], count=count)
    )


def _unbalanced_event_study(
    out: Rows, lab: _UnbalancedLabels, ref: dict[str, Any], linear_contrast: str
) -> None:
    es = unbalanced_event_study()
    res1, res2 = es.fit("cr1"), es.fit("cr2")
    check = "knife_hsi: unbalanced event_study"
    names = list(ref["coefficients"])
    terms = [r_term(n) for n in names]
    diag = res1.diagnostics
    factor = _default_factor(diag, len(terms))
    _coefficient_rows(out, check, lab.club, res2, ref["coefficients"], UNBALANCED_RTOL)
    out.add(check, lab.sandwich, "std_errors CR0",
            term_values(res1, terms, "std_error") / np.sqrt(factor),
            [ref["se_cr0"][n] for n in names], UNBALANCED_RTOL)  # fmt: skip
    _contrast_rows(out, f"{check}, att", linear_contrast, att_row(res2), ref["att"],
                   UNBALANCED_RTOL)  # fmt: skip


def did_more_vs_r(folder: Path | str | None = None) -> pd.DataFrame:
    """All rows of this module (contrasts, unbalanced panels)."""
    folder = reference_dir(folder)
    parts = [did_contrast_vs_r(folder), did_unbalanced_vs_r(folder)]
    return pd.concat(parts, ignore_index=True)
