"""DiD estimates and clustered errors against R (estimatr, plm, sandwich) on the real CSS panel.

Reference values: tests/reference/did_css_reference.R -> did_css_reference.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from did_helpers import css_panel

from vrueval.designs import DiD, EventStudy
from vrueval.designs.did_data import prepare
from vrueval.designs.did_inference import cr1_factor
from vrueval.designs.did_model import TwoWayFE, ols_absorbed
from vrueval.inference import cluster

REF = json.loads((Path(__file__).parent / "reference" / "did_css_reference.json").read_text())
OUTCOMES = ["css_violence_against_the_person", "css_robbery"]
EST_TOL, SE_TOL = 1e-6, 1e-5


@pytest.fixture(scope="module")
def panel(shared_data):
    return css_panel(shared_data)


@pytest.fixture(scope="module")
def weighted_panel(shared_data):
    return css_panel(shared_data, with_population=True)


def row(result, term="att"):
    eff = result.effects()
    return eff.loc[eff["term"] == term].iloc[0]


def cr0_from_cr1(se, n_obs, n_periods, k, n_clusters):
    return se / np.sqrt(cr1_factor(n_obs, n_periods - 1 + k, n_clusters))


def test_reference_sample_matches(panel):
    res = DiD(panel, "css_robbery", start="2019/20").fit()
    assert sorted(res.settings["treated"]) == sorted(REF["data"]["treated"])
    assert sorted(res.settings["comparators"]) == sorted(REF["data"]["comparators"])
    assert any("City of London" in w for w in res.warnings)


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("estimator,key", [("twfe", "twfe"), ("2x2", "two_by_two")])
def test_twfe_and_2x2_against_estimatr(panel, outcome, estimator, key):
    ref = REF[outcome][key]["D"]
    did = DiD(panel, outcome, start="2019/20", estimator=estimator)
    cr1, cr2 = row(did.fit("cr1")), row(did.fit("cr2"))
    np.testing.assert_allclose(cr1["estimate"], ref["estimate"], rtol=EST_TOL)
    np.testing.assert_allclose(cr2["std_error"], ref["se_cr2"], rtol=SE_TOL)
    np.testing.assert_allclose(cr2["df"], ref["df_cr2"], rtol=SE_TOL)
    n_periods = 20 if estimator == "twfe" else 2
    cr0 = cr0_from_cr1(cr1["std_error"], ref["n_obs"], n_periods, 1, 40)
    np.testing.assert_allclose(cr0, ref["se_cr0"], rtol=SE_TOL)
    assert cr1["df"] == 39
    if key == "twfe":
        np.testing.assert_allclose(cr1["estimate"], ref["plm_estimate"], rtol=EST_TOL)
        np.testing.assert_allclose(cr0, ref["plm_se_cr0"], rtol=SE_TOL)
    else:
        np.testing.assert_allclose(cr1["estimate"], ref["simple_estimate"], rtol=EST_TOL)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_cr1_counting_every_dummy_matches_estimatr_stata(panel, outcome):
    ref = REF[outcome]["twfe"]["D"]
    did = DiD(panel, outcome, start="2019/20")
    data = did._prepare()
    f = data.frame
    fe = TwoWayFE(data.unit_code, data.period_code)
    fit = ols_absorbed(fe, f["y"].to_numpy(), (f["intensity"] * f["post"]).to_numpy(float))
    cov = cluster.cr1(
        fit.x * fit.resid[:, None],
        fit.xtx_inv,
        data.unit_code,
        n_obs=len(f),
        n_params=ref["n_params_stata"],
    )
    np.testing.assert_allclose(np.sqrt(cov.vcov[0, 0]), ref["se_stata"], rtol=SE_TOL)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_event_study_against_estimatr(panel, outcome):
    ref = REF[outcome]["event_study"]
    es = EventStudy(panel, outcome, start="2019/20", leads=6)
    cr1, cr2 = es.fit("cr1"), es.fit("cr2")
    for name, r in ref.items():
        k = -int(name[2:]) if name.startswith("em") else int(name[1:])
        a, b = row(cr1, f"att:e={k}"), row(cr2, f"att:e={k}")
        np.testing.assert_allclose(a["estimate"], r["estimate"], rtol=EST_TOL)
        np.testing.assert_allclose(b["std_error"], r["se_cr2"], rtol=SE_TOL)
        np.testing.assert_allclose(b["df"], r["df_cr2"], rtol=SE_TOL)
        cr0 = cr0_from_cr1(a["std_error"], r["n_obs"], 20, len(ref), 40)
        np.testing.assert_allclose(cr0, r["se_cr0"], rtol=SE_TOL)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_poisson_pml_against_glm_and_vcovcl(panel, outcome):
    ref = REF[outcome]["poisson"]["D"]
    res = DiD(panel, outcome, start="2019/20", estimator="poisson").fit()
    r = row(res)
    assert r["scale"] == "ratio"
    np.testing.assert_allclose(np.log(r["estimate"]), ref["estimate"], rtol=EST_TOL)
    cr0 = cr0_from_cr1(r["std_error"], ref["n_obs"], 20, 1, 40)
    np.testing.assert_allclose(cr0, ref["se_cr0"], rtol=SE_TOL)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_population_weighted_twfe_against_estimatr(weighted_panel, outcome):
    ref = REF[outcome]["twfe_weighted"]["D"]
    did = DiD(weighted_panel, outcome, start="2019/20", weights="population")
    cr1, cr2 = row(did.fit("cr1")), row(did.fit("cr2"))
    np.testing.assert_allclose(cr1["estimate"], ref["estimate"], rtol=EST_TOL)
    np.testing.assert_allclose(cr2["std_error"], ref["se_cr2"], rtol=SE_TOL)
    np.testing.assert_allclose(cr2["df"], ref["df_cr2"], rtol=SE_TOL)
    cr0 = cr0_from_cr1(cr1["std_error"], ref["n_obs"], 11, 1, 40)
    np.testing.assert_allclose(cr0, ref["se_cr0"], rtol=SE_TOL)


def test_prepare_is_unit_major(panel):
    data = prepare(
        panel,
        "css_robbery",
        treated=REF["data"]["treated"],
        start=panel.period("2019/20"),
        comparators="never_funded",
        exclude=(),
        n_similar=12,
        scale="value",
        per=1e5,
        window=(None, None),
        intensity=None,
        weights="none",
    )
    assert np.all(np.diff(data.unit_code) >= 0)
