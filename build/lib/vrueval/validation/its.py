"""More ITS against R: negative binomial, the fixed-b HAC default, and the comparative ITS.

Agreement rows (see :mod:`vrueval.validation`) for three reference scripts in
``tests/reference/``, all on the real series of :data:`~vrueval.validation.r.ITS_CASES`
or stacked with control series:

- :func:`its_negbin_vs_r` - ``ITS(model="negbin")`` against ``MASS::glm.nb`` with a
  log(population) offset (``its_negbin_reference.R``): coefficients, the ML shape theta
  (vrueval's ``alpha = 1 / theta``), AIC, model-based and quasi standard errors, and
  ``sandwich::NeweyWest`` on the ``glm.nb`` fit.
- :func:`its_fixed_b_vs_r` - the default inference (design-specific fixed-b Bartlett HAC; also
  EWC, fixed-b and plain) for OLS, quasi-Poisson and negative binomial fits, against the stated
  formula re-implemented in R (``its_fixed_b_reference.R``): no R package implements it, so
  these rows check vrueval's algebra, not the method's coverage (tests/test_its_coverage.py).
- :func:`its_comparative_vs_r` - the comparative ITS against the stacked ``lm`` / ``glm``
  quasi-Poisson with treated interactions and ``sandwich::vcovPL`` (scores summed by period,
  Bartlett weights, ``n / (n - k)`` with n the stacked rows) (``its_comparative_reference.R``).
"""

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
from vrueval.designs.its import ITS
from vrueval.validation.base import (
    Rows,
    load_reference,
    r_label,
    reference_dir,
    term_values,
)
from vrueval.validation.r import (
    ITS_CASES,
    ITS_DISPERSION_RTOL,
    ITS_EST_RTOL,
    ITS_FAMILY,
    ITS_SE_RTOL,
    NEWEY_WEST,
    its_design,
)

# The ML shape theta (and the NB Pearson dispersion, which moves with it): vrueval maximises the
# log-likelihood in log(theta) by a bounded Brent search, whose precision on this flat likelihood
# is about sqrt(machine epsilon) in log(theta); glm.nb solves the score equation by Newton to
# machine precision. Largest measured difference 5.6e-7 (theta, West Midlands HES), so 1e-6
# rather than the 1e-8 a root of the score would allow (tests/test_its_reference.py).
ITS_THETA_RTOL = 1e-6
ITS_DF_RTOL = 1e-5  # fixed-b Satterthwaite degrees of freedom

# The default HAC, every option spelled out (the numbers must not move with the defaults).
FIXED_B_BARTLETT: dict[str, Any] = {
    "inference": "hac",
    "hac_kernel": "bartlett",
    "hac_lag": "llsw",
    "hac_fixed_b": True,
    "hac_adjust": True,
}
FIXED_B_EWC: dict[str, Any] = {**FIXED_B_BARTLETT, "hac_kernel": "ewc"}
EWC_PLAIN: dict[str, Any] = {**FIXED_B_EWC, "hac_fixed_b": False}

Model = Literal["ols", "poisson", "negbin"]


@dataclass(frozen=True)
class ExtraFit:
    """One fit of these references: JSON key, model, fit and constructor options, R call."""

    key: str
    model: Model
    fit: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    r_call: str = ""
    lag_key: str | None = None  # reference key of the HAC lag (or EWC terms) R used


# -- negative binomial -----------------------------------------------------------------------------
NB_SCRIPT = "its_negbin_reference.R"
_NB, _NBW = "MASS::glm.nb", "MASS::glm.nb + sandwich::NeweyWest"
NB_FITS: tuple[ExtraFit, ...] = (
    ExtraFit("negbin_model", "negbin", {"inference": "classical"}, r_call=_NB),
    ExtraFit(
        "negbin_quasi",
        "negbin",
        {"inference": "classical"},
        {"dispersion": "quasi"},
        f"{_NB} summary(dispersion = Pearson)",
    ),  # fmt: skip
    ExtraFit("negbin_hac_adjust", "negbin", NEWEY_WEST, r_call=_NBW, lag_key="hac_lag"),
    ExtraFit("negbin_hac_noadjust", "negbin", {**NEWEY_WEST, "hac_adjust": False}, r_call=_NBW),
    ExtraFit("negbin_hac_lag12", "negbin", {**NEWEY_WEST, "hac_lag": 12}, r_call=_NBW),
)


def its_negbin_vs_r(
    folder: Path | str | None = None,
    cases: Sequence[str] | None = None,
    fits: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Negative binomial ITS against ``MASS::glm.nb`` on the ITS reference series.

    Both estimate the NB2 shape by maximum likelihood alternating with IRLS, so theta is
    compared directly (and the AIC, ``-2 loglik + 2 (k + 1)``, through it). ``inference=
    "classical"`` with the default ``dispersion="model"`` is ``vcov(glm.nb)`` (theta treated as
    known; beta and theta are orthogonal); ``dispersion="quasi"`` scales it by the Pearson
    statistic over n - k, as ``summary(fit, dispersion = ...)``; plain Newey-West is
    ``sandwich::NeweyWest(fit, prewhite = FALSE)``, whose scores for a ``negbin`` fit are
    ``x (y - mu) / (1 + mu / theta)``, as vrueval's.
    """
    folder = reference_dir(folder)
    ref_all = load_reference("its_negbin_reference.json", folder)
    r = f"{r_label(ref_all['versions'])} MASS {ref_all['versions']['MASS']}"
    out = Rows(ITS_FAMILY, NB_SCRIPT)
    for case in cases if cases is not None else list(ITS_CASES):
        for spec in NB_FITS:
            if fits is None or spec.key in fits:
                ref = ref_all[case][spec.key]
                res = its_design(case, spec.model, **spec.options).fit(**spec.fit)
                check, reference = f"{case}: {spec.key}", f"{r} {spec.r_call}"
                _effect_rows(out, check, reference, res, ref, log=True)
                if spec.lag_key is not None:
                    _lag_row(out, check, r_label(ref_all["versions"]), spec.lag_key,
                             res.settings["hac_lag"], ref_all[case][spec.lag_key])  # fmt: skip
                if spec.key == "negbin_model":
                    diag = res.diagnostics
                    out.add(check, reference, "theta (ML shape)", diag["theta"], ref["theta"],
                            ITS_THETA_RTOL)  # fmt: skip
                    out.add(check, reference, "AIC", diag["aic"], ref["aic"], ITS_EST_RTOL)
                    out.add(check, reference, "Pearson dispersion", diag["pearson_dispersion"],
                            ref["pearson_dispersion"], ITS_THETA_RTOL)  # fmt: skip
    return out.frame()


# -- fixed-b HAC (the default) ---------------------------------------------------------------------
FIXED_B_SCRIPT = "its_fixed_b_reference.R"
_FB = "fixed-b formula re-implemented on"
_R_FITS: tuple[tuple[str, Model, str], ...] = (
    ("ols", "ols", "lm"),
    ("quasipoisson", "poisson", "glm quasipoisson"),
    ("negbin", "negbin", "MASS::glm.nb"),
)
FIXED_B_FITS: tuple[ExtraFit, ...] = tuple(
    fit
    for prefix, model, call in _R_FITS
    for fit in (
        ExtraFit(
            f"{prefix}_fixed_b_bartlett",
            model,
            FIXED_B_BARTLETT,
            r_call=f"{_FB} {call} (Bartlett)",
            lag_key="bartlett_lag",
        ),
        ExtraFit(
            f"{prefix}_fixed_b_ewc",
            model,
            FIXED_B_EWC,
            r_call=f"{_FB} {call} (EWC)",
            lag_key="ewc_terms",
        ),
        ExtraFit(f"{prefix}_ewc_plain", model, EWC_PLAIN, r_call=f"EWC sandwich on {call}"),
    )  # fmt: skip
)


def its_fixed_b_vs_r(
    folder: Path | str | None = None,
    cases: Sequence[str] | None = None,
    fits: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The default fixed-b HAC (Bartlett, LLSW lag) and EWC against an R re-implementation.

    Compared: standard errors (the HAC variance rescaled by ``g'g / E[v]``), the per-contrast
    Satterthwaite df, and the lag / number of cosine terms from the LLSW rules.
    """
    folder = reference_dir(folder)
    ref_all = load_reference("its_fixed_b_reference.json", folder)
    r = r_label(ref_all["versions"])
    out = Rows(ITS_FAMILY, FIXED_B_SCRIPT)
    for case in cases if cases is not None else list(ITS_CASES):
        for spec in FIXED_B_FITS:
            if fits is None or spec.key in fits:
                ref = ref_all[case][spec.key]
                res = its_design(case, spec.model, **spec.options).fit(**spec.fit)
                check, reference = f"{case}: {spec.key}", f"{r} {spec.r_call}"
                _effect_rows(out, check, reference, res, ref, log=spec.model != "ols")
                if spec.lag_key is not None:
                    _lag_row(out, check, r, spec.lag_key, res.settings["hac_lag"],
                             ref_all[case][spec.lag_key])  # fmt: skip
    return out.frame()


# -- comparative ITS -------------------------------------------------------------------------------
CITS_SCRIPT = "its_comparative_reference.R"


@dataclass(frozen=True)
class CitsCase:
    """A treated series against control series (its_comparative_inputs.csv holds the values)."""

    data: Literal["hes", "knife"]
    unit: str
    controls: tuple[str, ...]
    start: str
    lockdown: tuple[str, str] | None
    lockdown_handling: Literal["indicator", "exclude"] = "indicator"


CITS_CASES: dict[str, CitsCase] = {
    "hes_wm_vs_south_west": CitsCase(
        "hes", "West Midlands", ("South West",), "2019-10", ("2020-03", "2020-06")
    ),
    "hes_wm_vs_east_midlands_south_west": CitsCase(
        "hes", "West Midlands", ("East Midlands", "South West"), "2019-10", ("2020-03", "2020-06")
    ),
    "hes_wm_vs_south_west_lockdown_excluded": CitsCase(
        "hes", "West Midlands", ("South West",), "2019-10", ("2020-03", "2021-03"), "exclude"
    ),
    "knife_wm_vs_staffordshire": CitsCase(
        "knife", "West Midlands", ("Staffordshire",), "2014Q3", None
    ),  # fmt: skip
}
_PL = "sandwich::vcovPL(cluster = ~unit, order.by = ~t, fix = FALSE)"
_LMS, _QPS = "stats::lm stacked", "stats::glm quasipoisson stacked"
CITS_FITS: tuple[ExtraFit, ...] = (
    ExtraFit("ols_classical", "ols", {"inference": "classical"}, r_call=_LMS),
    ExtraFit("ols_hac_adjust", "ols", NEWEY_WEST, r_call=f"{_LMS} + {_PL}", lag_key="hac_lag"),
    ExtraFit(
        "ols_hac_noadjust", "ols", {**NEWEY_WEST, "hac_adjust": False}, r_call=f"{_LMS} + {_PL}"
    ),  # fmt: skip
    ExtraFit("ols_hac_lag12", "ols", {**NEWEY_WEST, "hac_lag": 12}, r_call=f"{_LMS} + {_PL}"),
    ExtraFit("quasipoisson", "poisson", {"inference": "classical"}, r_call=_QPS),
    ExtraFit("quasipoisson_hac", "poisson", NEWEY_WEST, r_call=f"{_QPS} + {_PL}"),
    ExtraFit(
        "ols_fixed_b_bartlett",
        "ols",
        FIXED_B_BARTLETT,
        r_call=f"{_FB} {_LMS} (Bartlett)",
        lag_key="bartlett_lag",
    ),  # fmt: skip
    ExtraFit(
        "ols_fixed_b_ewc", "ols", FIXED_B_EWC, r_call=f"{_FB} {_LMS} (EWC)", lag_key="ewc_terms"
    ),  # fmt: skip
    ExtraFit(
        "quasipoisson_fixed_b_bartlett",
        "poisson",
        FIXED_B_BARTLETT,
        r_call=f"{_FB} {_QPS} (Bartlett)",
    ),  # fmt: skip
)
CITS_TERMS = ("level_change", "slope_change", "control:level_change", "control:slope_change")


@cache
def _panel(data: str) -> Panel:
    return datasets.hes_sharp_object() if data == "hes" else datasets.knife_quarterly()


def cits_design(case: str, model: Model) -> ITS:
    """The comparative ITS of reference case ``case`` (season dummies, missing dropped)."""
    c = CITS_CASES[case]
    return ITS(
        _panel(c.data),
        {"vru": c.start},
        unit=c.unit,
        controls=list(c.controls),
        outcome="admissions" if c.data == "hes" else "knife_offences",
        lockdown=c.lockdown,
        lockdown_handling=c.lockdown_handling,
        seasonality="dummies",
        model=model,
        missing="drop",
    )


def its_comparative_vs_r(
    folder: Path | str | None = None,
    cases: Sequence[str] | None = None,
    fits: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Comparative ITS (treated-minus-control and control changes) against the stacked R fits.

    Where the lockdown window is excluded the time axis has a gap: ``vcovPL`` would make the
    periods either side neighbours, vrueval (and the R reference for that case, the Bartlett
    kernel over calendar positions) does not.
    """
    folder = reference_dir(folder)
    ref_all = load_reference("its_comparative_reference.json", folder)
    r = r_label(ref_all["versions"])
    sandwich = f"sandwich {ref_all['versions']['sandwich']}::vcovPL"
    out = Rows(ITS_FAMILY, CITS_SCRIPT)
    for case in cases if cases is not None else list(CITS_CASES):
        ref_case = ref_all[case]
        gap = ref_case["hac_reference"] != "sandwich::vcovPL"
        for spec in CITS_FITS:
            if fits is None or spec.key in fits:
                ref = ref_case[spec.key]
                res = cits_design(case, spec.model).fit(**spec.fit)
                call = spec.r_call.replace("sandwich::vcovPL", sandwich)
                if gap:
                    call = call.replace(f"{sandwich}(cluster = ~unit, order.by = ~t, fix = FALSE)",
                                        "Bartlett kernel over calendar positions")  # fmt: skip
                check, reference = f"{case}: {spec.key}", f"{r} {call}"
                _effect_rows(out, check, reference, res, ref, log=spec.model != "ols",
                             terms=CITS_TERMS)  # fmt: skip
                if "dispersion" in ref:
                    out.add(check, reference, "Pearson dispersion",
                            res.diagnostics["pearson_dispersion"], ref["dispersion"],
                            ITS_DISPERSION_RTOL)  # fmt: skip
                if spec.lag_key is not None:
                    _lag_row(out, check, r, spec.lag_key, res.settings["hac_lag"],
                             ref_case[spec.lag_key])  # fmt: skip
    return out.frame()


# -- shared ----------------------------------------------------------------------------------------
# reference key -> (quantity, the rule R applied to the number n of time points)
_LAG_RULES = {
    "hac_lag": ("HAC lag", "floor(4 (n/100)^(2/9))"),
    "bartlett_lag": ("HAC lag", "ceil(1.3 sqrt(n))"),
    "ewc_terms": ("EWC cosine terms", "max(2, round(0.4 n^(2/3)))"),
}


def _lag_row(out: Rows, check: str, r: str, key: str, ours: int, theirs: int) -> None:
    quantity, rule = _LAG_RULES[key]
    out.add(check, f"{r} {rule}", quantity, ours, theirs, 0.0, "absolute")


def _ref_key(term: str) -> str:
    return term.replace("control:", "control_")


def _effect_rows(
    out: Rows,
    check: str,
    reference: str,
    res: Any,
    ref: dict[str, Any],
    *,
    log: bool,
    terms: Sequence[str] = ("level_change", "slope_change"),
) -> None:
    """Estimates (log scale for log-link fits), standard errors and, when the reference has
    them, the fixed-b degrees of freedom."""
    terms = list(terms)
    keys = [_ref_key(t) for t in terms]
    est = term_values(res, terms, "estimate")
    est = np.log(est) if log else est
    out.add(check, reference, "estimate", est, [ref[k] for k in keys], ITS_EST_RTOL)
    out.add(check, reference, "std_error", term_values(res, terms, "std_error"),
            [ref[f"se_{k}"] for k in keys], ITS_SE_RTOL)  # fmt: skip
    if f"df_{keys[0]}" in ref:
        out.add(check, reference, "fixed-b df", term_values(res, terms, "df"),
                [ref[f"df_{k}"] for k in keys], ITS_DF_RTOL)  # fmt: skip


def its_more_vs_r(folder: Path | str | None = None) -> pd.DataFrame:
    """All rows of this module (negative binomial, fixed-b, comparative)."""
    folder = reference_dir(folder)
    parts = [its_negbin_vs_r(folder), its_fixed_b_vs_r(folder), its_comparative_vs_r(folder)]
    return pd.concat(parts, ignore_index=True)
