"""ITS against R (lm + sandwich::NeweyWest, glm quasipoisson with offset, nlme::gls corAR1).

Reference values: tests/reference/its_reference.json, made by tests/reference/its_reference.R on
the real series (HES sharp-object admissions, West Midlands and London regions, monthly
2012-2022; West Midlands knife offences, quarterly 2008-2019).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vrueval as ve

REF = json.loads((Path(__file__).parent / "reference" / "its_reference.json").read_text())
EST_RTOL, SE_RTOL = 1e-6, 1e-5

CASES = {
    "hes_west_midlands": ("hes", "West Midlands", "2019-10", ("2020-03", "2020-06")),
    "hes_london": ("hes", "London", "2019-10", ("2020-03", "2020-06")),
    "knife_west_midlands": ("knife", "West Midlands", "2014Q3", None),
}

# Plain Newey-West (sandwich::NeweyWest with prewhite = FALSE): no fixed-b adjustment.
NW = {"inference": "hac", "hac_lag": "nw1994", "hac_fixed_b": False}

# (reference key, model, fit options, ITS options)
FITS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("ols_classical", "ols", {"inference": "classical"}, {}),
    ("ols_hac_adjust", "ols", NW, {}),
    ("ols_hac_noadjust", "ols", {**NW, "hac_adjust": False}, {}),
    ("ols_hac_lag12", "ols", {**NW, "hac_lag": 12}, {}),
    ("quasipoisson", "poisson", {"inference": "classical"}, {}),
    ("quasipoisson_hac", "poisson", NW, {}),
    ("gls_ar1_reml", "gls", {}, {"gls_method": "REML"}),
    ("gls_ar1_ml", "gls", {}, {"gls_method": "ML"}),
]


def _its(case: str, model: str, **options: Any) -> ve.ITS:
    data, unit, start, lockdown = CASES[case]
    if data == "hes":
        panel, outcome = ve.datasets.hes_sharp_object(), "admissions"
    else:
        panel, outcome = ve.datasets.knife_quarterly(), "knife_offences"
    return ve.ITS(
        panel,
        {"vru": start},
        unit=unit,
        outcome=outcome,
        lockdown=lockdown,
        lockdown_handling="indicator",
        seasonality="dummies",
        model=model,
        **options,
    )


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(("key", "model", "fit_options", "options"), FITS, ids=[f[0] for f in FITS])
def test_matches_r(
    case: str, key: str, model: str, fit_options: dict[str, Any], options: dict[str, Any]
) -> None:
    ref = REF[case][key]
    res = _its(case, model, **options).fit(**fit_options)
    eff = res.effects().set_index("term")
    log = model == "poisson"
    for term in ("level_change", "slope_change"):
        est = eff.loc[term, "estimate"]
        est = np.log(est) if log else est
        np.testing.assert_allclose(est, ref[term], rtol=EST_RTOL, err_msg=f"{case} {key} {term}")
        np.testing.assert_allclose(
            eff.loc[term, "std_error"], ref[f"se_{term}"], rtol=SE_RTOL, err_msg=f"{case} {key}"
        )
    if "phi" in ref:
        assert res.settings["gls_method"] == key.rsplit("_", 1)[1].upper()
        np.testing.assert_allclose(res.diagnostics["ar"][0], ref["phi"], rtol=1e-5)
    if "dispersion" in ref:
        np.testing.assert_allclose(
            res.diagnostics["pearson_dispersion"], ref["dispersion"], rtol=1e-8
        )


def test_hac_lag_rule_is_the_stated_one() -> None:
    for case in CASES:
        res = _its(case, "ols").fit(inference="hac", hac_lag="nw1994")
        assert res.settings["hac_lag"] == REF[case]["hac_lag"]
