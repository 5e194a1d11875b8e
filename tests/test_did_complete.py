"""DiD and the event study, complete: covariates, a cluster column, two-way clustering, weights,
anticipation and unit trends, each against R.

Reference: tests/reference/did_complete_reference.R -> did_complete_reference.json (estimatr's
``lm_robust`` with explicit unit and year dummies, ``clusters=``, ``weights=``, ``se_type=
"stata"``/``"CR2"``; sandwich's ``vcovCL(cluster = ~ a + b)`` for two-way clustering, with
``fix = TRUE`` where the matrix is not positive semi-definite). Inputs: real data,
did_complete_inputs.csv (did_complete_make_inputs.py): CSS violence by force with police officers
per 100,000 as the time-varying covariate and the force's region as the cluster column, given
as a DataFrame of custom units (force names, no force codes).

Tolerances: 1e-8 relative for estimates, standard errors and degrees of freedom (closed forms;
R and vrueval agree to ~1e-12 on these, the margin covers BLAS differences).

Two-way clustering under the default rule (small_sample="fixest") against pyfixest's default
``ssc()`` (one factor min(G)/(min(G)-1) for all three CGM parts; an effect nested in either
dimension not counted in K): tests/reference/did_small_sample_pyfixest.py, key "two_way" of
did_small_sample_pyfixest.json, at the pyfixest tolerances of tests/test_did_small_sample.py
(1e-10 linear, 1e-7 Poisson).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import vrueval as ve
from vrueval.data.periods import display
from vrueval.designs.did.regressors import TRENDS_WARNING
from vrueval.inference.few_clusters import TooFewClusters

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "did_complete_reference.json").read_text())
RTOL = 1e-8
PYFIXEST = json.loads((REF / "did_small_sample_pyfixest.json").read_text())["two_way"]
LINEAR_RTOL, POISSON_RTOL = 1e-10, 1e-7  # as tests/test_did_small_sample.py
INPUTS = pd.read_csv(REF / "did_complete_inputs.csv")
TREATED = sorted(INPUTS.loc[INPUTS["treated"] == 1, "force"].unique())
ROLES = {"unit": "force", "time": "fy", "population": "population"}


def frame(*extra: str) -> pd.DataFrame:
    return INPUTS[["force", "fy", "css_violence", "population", *extra]]


def did(*extra: str, **options: object) -> ve.DiD:
    return ve.DiD(
        frame(*extra), "css_violence", treated=TREATED, start="2019/20", **ROLES, **options
    )


def event_study(*extra: str, **options: object) -> ve.EventStudy:
    return ve.EventStudy(
        frame(*extra),
        "css_violence",
        treated=TREATED,
        start="2019/20",
        leads=4,
        lags=2,
        **ROLES,
        **options,
    )


def agree(res: ve.DiD, ref: dict[str, dict[str, float]], df: bool = True) -> None:
    eff = res.effects().set_index("term")
    for term, want in ref.items():
        got = eff.loc[term]
        assert got["estimate"] == pytest.approx(want["estimate"], rel=RTOL), term
        assert got["std_error"] == pytest.approx(want["std_error"], rel=RTOL), term
        if df:
            assert got["df"] == pytest.approx(want["df"], rel=RTOL), term


@pytest.mark.parametrize("kind", ["stata", "CR2"])
def test_covariate_with_unit_clusters(kind: str) -> None:
    method = "cr1" if kind == "stata" else "cr2"
    options = {"small_sample": "stata"} if kind == "stata" else {}
    res = did("officers", covariates=["officers"]).fit(method, **options)
    agree(res, R["covariate_unit"][kind])
    assert list(res.effects()["term"]) == ["att", "covariate:officers"]
    assert res.settings["covariates"] == ("officers",)


@pytest.mark.parametrize("kind", ["stata", "CR2"])
def test_cluster_column_other_than_the_unit(kind: str) -> None:
    method = "cr1" if kind == "stata" else "cr2"
    options = {"small_sample": "stata"} if kind == "stata" else {}
    res = did("officers", "region", covariates="officers", cluster="region").fit(method, **options)
    agree(res, R["covariate_region"][kind])
    assert res.diagnostics["n_clusters"] == 10
    assert res.settings["cluster"] == "region"  # the column named, not the role
    # every region holds a VRU force and all but one a comparison force: a region mixing the
    # two counts in both groups: min(G1, G0) = 9, under CR1's 10 (warned), not CR2's 6
    warned = any("(10 clusters (10 treated, 9 untreated))" in w for w in res.warnings)
    assert warned == (method == "cr1")


@pytest.mark.parametrize("kind", ["stata", "CR2"])
def test_unit_weights_column(kind: str) -> None:
    method = "cr1" if kind == "stata" else "cr2"
    options = {"small_sample": "stata"} if kind == "stata" else {}
    design = did(
        "officers",
        "region",
        "unit_weight",
        covariates=["officers"],
        cluster="region",
        weights="unit_weight",
    )
    assert design.weights == "panel"
    agree(design.fit(method, **options), R["covariate_region_unit_weights"][kind])


@pytest.mark.parametrize("kind", ["stata", "CR2"])
def test_observation_weights_column_equals_the_population_rule(kind: str) -> None:
    method = "cr1" if kind == "stata" else "cr2"
    options = {"small_sample": "stata"} if kind == "stata" else {}
    ref = R["covariate_unit_population_weights"][kind]
    by_rule = did("officers", covariates=["officers"], weights="population").fit(method, **options)
    agree(by_rule, ref)
    data = frame("officers").assign(w=INPUTS["population"])
    by_column = ve.DiD(
        data,
        "css_violence",
        treated=TREATED,
        start="2019/20",
        covariates=["officers"],
        weights="w",
        **ROLES,
    ).fit(method, **options)
    agree(by_column, ref)


def test_two_way_clustering_by_region_and_year() -> None:
    res = did("officers", "region", covariates=["officers"], cluster=["region", "fy"]).fit(
        small_sample="stata"
    )
    agree(res, R["twoway_region_year"]["stata"])
    assert res.settings["cluster"] == ("region", "fy")
    assert not any("not positive semi-definite" in w for w in res.warnings)
    with pytest.raises(ValueError, match="two-way clustering supports inference='cr1' only"):
        did("officers", "region", covariates=["officers"], cluster=["region", "fy"]).fit("cr2")


@pytest.mark.parametrize(
    ("case", "dims", "extra"),
    [
        ("did_region_year", ["region", "fy"], ("officers", "region")),
        ("did_force_year", ["force", "fy"], ("officers",)),
        ("did_force_region", ["force", "region"], ("officers", "region")),
    ],
)
def test_two_way_default_rule_is_fixests(case: str, dims: list[str], extra: tuple[str]) -> None:
    """Region and year clusters nest both effects, force and year clusters too: K is the two
    coefficients and one intercept. Force and region clusters nest the unit effects only: the
    year effects count (K = 2 + 11 years). All three parts take min(G)/(min(G)-1)."""
    ref = PYFIXEST[case]
    res = did(*extra, covariates=["officers"], cluster=dims).fit()
    assert res.settings["small_sample"] == "fixest"
    eff = res.effects().set_index("term").loc[ref["terms"]]
    np.testing.assert_allclose(eff["estimate"], ref["estimate"], rtol=LINEAR_RTOL)
    np.testing.assert_allclose(eff["std_error"], ref["std_error"], rtol=LINEAR_RTOL)
    assert (eff["df"] == ref["df_t"]).all()  # min(G) - 1, fixest's t.df = "min"
    t = np.array(ref["estimate"]) / np.array(ref["std_error"])
    np.testing.assert_allclose(eff["statistic"], t, rtol=LINEAR_RTOL)
    np.testing.assert_allclose(eff["p_value"], 2 * stats.t.sf(np.abs(t), ref["df_t"]), rtol=1e-9)
    # "stata" still gives each part its own G and counts every effect (sandwich::vcovCL)
    stata = did(*extra, covariates=["officers"], cluster=dims).fit(small_sample="stata")
    assert (stata.effects()["std_error"].to_numpy() > eff["std_error"].to_numpy() * 1.03).all()


def test_two_way_event_study_default_rule_is_fixests() -> None:
    """Force and year: pyfixest's V_a + V_b - V_ab (its default ssc) has negative variances and
    is left so; set to zero on its negative eigenvalues, it is vrueval's matrix."""
    ref = PYFIXEST["event_study_force_year"]
    res = event_study("officers", covariates=["officers"], cluster=["force", "fy"]).fit()
    eff = res.effects().set_index("term").loc[ref["terms"]]
    np.testing.assert_allclose(eff["estimate"], ref["estimate"], rtol=LINEAR_RTOL)
    assert (eff["df"] == ref["df_t"]).all()
    assert any("not positive semi-definite" in w for w in res.warnings)
    vals, vecs = np.linalg.eigh(np.array(ref["vcov"]))
    assert vals.min() < 0 and None in ref["std_error"]
    fixed = (vecs * np.maximum(vals, 0.0)) @ vecs.T
    vcov = res.event_vcov().loc[ref["terms"][:-1], ref["terms"][:-1]].to_numpy()
    np.testing.assert_allclose(vcov, fixed[:-1, :-1], rtol=LINEAR_RTOL, atol=1e-15)


def test_two_way_poisson_default_rule_is_fixests() -> None:
    ref = PYFIXEST["poisson_region_year"]
    res = did("region", cluster=["region", "fy"], estimator="poisson").fit()
    eff = res.effects().set_index("term").loc["att"]
    assert np.log(eff["estimate"]) == pytest.approx(ref["estimate"][0], rel=POISSON_RTOL)
    assert eff["std_error"] == pytest.approx(ref["std_error"][0], rel=POISSON_RTOL)
    assert eff["df"] == ref["df_t"]


def test_two_way_clustering_repairs_a_matrix_that_is_not_psd() -> None:
    """The event study clustered by force and year: V_a + V_b - V_ab has a negative eigenvalue
    (R: min eigenvalue -0.052); vrueval, like vcovCL(fix = TRUE), sets it to zero and warns."""
    ref = R["event_covariate_twoway_fixed"]
    assert ref["min_eigenvalue_before_fix"] < 0
    res = event_study("officers", covariates=["officers"], cluster=["force", "fy"]).fit(
        small_sample="plm"
    )
    agree(res, ref["plm"])
    assert any("not positive semi-definite" in w for w in res.warnings)
    vcov = res.event_vcov()
    n_event = len(vcov)
    np.testing.assert_allclose(
        vcov.to_numpy(), np.array(ref["vcov"])[:n_event, :n_event], rtol=1e-8, atol=1e-14
    )
    assert np.linalg.eigvalsh(vcov.to_numpy()).min() > -1e-12


def test_event_study_with_a_covariate() -> None:
    res = event_study("officers", covariates=["officers"]).fit(small_sample="stata")
    agree(res, R["event_covariate_unit"]["stata"])
    terms = list(res.effects()["term"])
    assert terms[0] == "att" and terms[-1] == "covariate:officers"
    assert "covariate:officers" not in res.event_vcov().columns
    assert "covariate:officers" not in res.event_study()["term"].to_list()


def test_unit_trends_with_their_warning() -> None:
    res = did("officers", covariates=["officers"], unit_trends=True).fit(small_sample="stata")
    agree(res, R["trends_unit"]["stata"])
    assert TRENDS_WARNING in res.warnings
    es = event_study(unit_trends=True).fit(small_sample="stata")
    agree(es, R["event_trends_unit"]["stata"])
    assert TRENDS_WARNING in es.warnings and es.settings["unit_trends"] is True
    with pytest.raises(ValueError, match="unit_trends needs more than two periods"):
        did(unit_trends=True, estimator="2x2")


@pytest.mark.parametrize("kind", ["stata", "CR2"])
def test_anticipation_in_did(kind: str) -> None:
    method = "cr1" if kind == "stata" else "cr2"
    options = {"small_sample": "stata"} if kind == "stata" else {}
    res = did("officers", covariates=["officers"], anticipation=1).fit(method, **options)
    agree(res, R["anticipation_unit"][kind])
    assert list(res.effects()["term"]) == ["att", "anticipation", "covariate:officers"]


def test_anticipation_in_the_event_study_moves_the_reference() -> None:
    res = event_study(anticipation=1).fit(small_sample="stata")
    agree(res, R["event_anticipation_unit"]["stata"])
    assert res.settings["reference"] == -2
    # the anticipation period is estimated, not tested as a pre-trend
    assert res.pretrend_test is not None
    assert "att:e=-1" not in res.pretrend_test["terms"]
    assert tuple(res.pretrend_test["terms"]) == ("att:e=-4", "att:e=-3")
    with pytest.raises(ValueError, match="inside the 1 anticipation period"):
        event_study(anticipation=1, reference=-1)


def test_panel_path_equals_frame_path() -> None:
    """One validator: the Panel built from the frame gives the numbers the frame gives."""
    data = frame("officers", "region")
    panel = ve.Panel.from_frame(
        data,
        unit="force",
        time="fy",
        outcome="css_violence",
        population="population",
        covariates=["officers"],
        cluster="region",
        geography="custom",
        measure="rate",
    )
    options = {"covariates": ["officers"], "cluster": "cluster", "anticipation": 1}
    a = ve.DiD(panel, "css_violence", treated=TREATED, start="2019/20", **options).fit()
    b = did("officers", "region", **{**options, "cluster": "region"}).fit()
    pd.testing.assert_frame_equal(a.effects(), b.effects())


def test_covariate_from_another_outcome_of_a_force_panel() -> None:
    """On a bundled force panel, a covariate may be another outcome of the panel: the same
    numbers as that outcome given as a covariate column."""
    css = ve.datasets.crime_severity()
    res = ve.DiD(css, "css_robbery", start="2019/20", covariates=["css_theft_offences"]).fit()
    long = css.data.pivot_table(index=["unit", "period"], columns="outcome", values="value")
    long = long.reset_index().rename_axis(columns=None)
    long["pop"] = (
        css.data[css.data["outcome"] == "css_robbery"]
        .set_index(["unit", "period"])["population"]
        .reindex(pd.MultiIndex.from_frame(long[["unit", "period"]]))
        .to_numpy()
    )
    data = long[["unit", "period", "css_robbery", "css_theft_offences", "pop"]]
    data = data.assign(period=[display(p, "financial_year") for p in data["period"]])
    by_frame = ve.DiD(
        data.dropna(subset=["css_robbery"]),
        "css_robbery",
        unit="unit",
        time="period",
        population="pop",
        geography="force",
        frequency="financial_year",
        start="2019/20",
        covariates=["css_theft_offences"],
    ).fit()
    cols = ["term", "estimate", "std_error", "p_value"]
    pd.testing.assert_frame_equal(res.effects()[cols], by_frame.effects()[cols])


def test_missing_covariate_cell_is_left_out_never_filled() -> None:
    data = frame("officers").copy()
    gap = data.index[(data["force"] == "Cumbria") & (data["fy"] == "2015/16")][0]
    data.loc[gap, "officers"] = np.nan
    kept = ve.DiD(
        data, "css_violence", treated=TREATED, start="2019/20", covariates=["officers"], **ROLES
    )
    assert "Cumbria" not in kept.fit().comparators().query("role == 'comparator'")["unit"].values
    unbalanced = ve.DiD(
        data,
        "css_violence",
        treated=TREATED,
        start="2019/20",
        covariates=["officers"],
        missing="unbalanced",
        **ROLES,
    ).fit()
    assert unbalanced.diagnostics["n_obs"] == len(data) - 1
    assert any("covariate 'officers' missing in 1 cell" in w for w in unbalanced.warnings)


def test_refusals_name_what_is_wrong() -> None:
    css = ve.datasets.crime_severity()
    with pytest.raises(ValueError, match="unknown covariate 'density'"):
        ve.DiD(css, "css_robbery", start="2019/20", covariates=["density"])
    with pytest.raises(ValueError, match="not in the frame"):
        did(covariates=["density"])
    with pytest.raises(ValueError, match="this panel has none"):
        ve.DiD(css, "css_robbery", start="2019/20", cluster="cluster")
    with pytest.raises(ValueError, match="one other column"):
        did("region", "officers", cluster=["region", "officers"])
    with pytest.raises(ValueError, match="covariates= applies to the OLS estimators"):
        did("officers", covariates=["officers"], estimator="poisson")
    with pytest.raises(ValueError, match="anticipation must be a non-negative integer"):
        did(anticipation=-1)
    with pytest.raises(ValueError, match="randomization inference with anticipation"):
        did(anticipation=1).fit("randomization", seed=1)
    time_invariant = frame().assign(x=INPUTS["unit_weight"])
    with pytest.raises(ValueError, match="covariate:x"):
        ve.DiD(
            time_invariant,
            "css_violence",
            treated=TREATED,
            start="2019/20",
            covariates=["x"],
            **ROLES,
        ).fit()


SPEC = """
[analysis]
name = "did_options_spec"
title = "DiD with every new option from a spec"
design = "{design}"
seed = 1

[data]
dataset = "knife_quarterly"
outcome = "knife_offences"

[design]
start = "2016Q2"
covariates = ["population"]
weights = "population"
cluster = ["unit", "period"]
anticipation = 1
unit_trends = true
{more}
"""


@pytest.mark.parametrize("design", ["DiD", "EventStudy"])
def test_the_spec_path_takes_every_option(tmp_path: Path, design: str) -> None:
    """The options table makes them spec keys: a spec gives the numbers the API gives."""
    from vrueval.analysis import load_spec
    from vrueval.analysis.runner import run_spec

    more = "leads = 3\nlags = 2\n" if design == "EventStudy" else ""
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(design=design, more=more))
    document = run_spec(load_spec(path))
    extra = {"leads": 3, "lags": 2} if design == "EventStudy" else {}
    direct = getattr(ve, design)(
        ve.datasets.knife_quarterly(),
        "knife_offences",
        start="2016Q2",
        covariates=["population"],
        weights="population",
        cluster=["unit", "period"],
        anticipation=1,
        unit_trends=True,
        **extra,
    ).fit()
    got = pd.DataFrame(document["effects"])
    want = direct.effects()
    assert list(got["term"]) == list(want["term"])
    np.testing.assert_allclose(got["std_error"], want["std_error"], rtol=1e-12)
    assert "covariate:population" in set(got["term"])
    assert TRENDS_WARNING in document["result"]["warnings"]


def test_few_clusters_rule_applies_to_the_cluster_column() -> None:
    """One treated cluster is refused as it is with unit clusters; few treated clusters warn."""
    one = INPUTS.assign(group=np.where(INPUTS["treated"] == 1, "T", INPUTS["region"]))
    design = ve.DiD(
        one[["force", "fy", "css_violence", "population", "group"]],
        "css_violence",
        treated=TREATED,
        start="2019/20",
        cluster="group",
        **ROLES,
    )
    with pytest.raises(TooFewClusters, match="one treated cluster"):
        design.fit()
    # the treated forces in 3 clusters: CR1 is warned about (fewer than 10 treated clusters)
    three = {f: f"T{i % 3}" for i, f in enumerate(TREATED)}
    few = INPUTS.assign(group=INPUTS["force"].map(three).fillna(INPUTS["region"]))
    res = ve.DiD(
        few[["force", "fy", "css_violence", "population", "group"]],
        "css_violence",
        treated=TREATED,
        start="2019/20",
        cluster="group",
        **ROLES,
    ).fit()
    assert any("only 3 treated clusters" in w for w in res.warnings)


def test_wild_bootstrap_clusters_by_the_cluster_column() -> None:
    """The wild bootstrap draws one weight a region: with 10 regions Rademacher enumerates
    all 2^10 sign patterns; its p-value is a multiple of 1/1024 and its standard error is the
    region-clustered CR1."""
    design = did("officers", "region", covariates=["officers"], cluster="region")
    res = design.fit("wild", seed=1, boot_weights="rademacher", draws=9999)
    assert res.diagnostics["bootstrap_enumerated"] is True
    assert res.diagnostics["bootstrap_draws"] == 2**10
    att = res.effects().set_index("term").loc["att"]
    assert att["std_error"] == pytest.approx(
        design.fit().effects().set_index("term").loc["att", "std_error"], rel=1e-12
    )
    assert (att["p_value"] * 1024) == pytest.approx(round(att["p_value"] * 1024), abs=1e-9)


DRDID = json.loads((REF / "did_dr_drdid.json").read_text())


@pytest.mark.parametrize("anticipation", [0, 1])
def test_doubly_robust_2x2_against_drdid(anticipation: int) -> None:
    """Sant'Anna-Zhao doubly robust DiD equals drdid's drdid_panel (a port of R's DRDID):
    estimate and analytic standard error to 1e-8 (both logit fits converge to ~1e-12)."""
    ref = DRDID["dr" if anticipation == 0 else "dr_anticipation_1"]
    res = did("officers", covariates=["officers"], estimator="dr", anticipation=anticipation)
    att = res.fit().effects().set_index("term").loc["att"]
    assert att["estimate"] == pytest.approx(ref["att"], rel=RTOL)
    assert att["std_error"] == pytest.approx(ref["std_error"], rel=RTOL)
    assert att["inference"] == "influence" and np.isnan(att["df"])
    by_region = did(
        "officers",
        "region",
        covariates=["officers"],
        estimator="dr",
        cluster="region",
        anticipation=anticipation,
    ).fit()
    region_att = by_region.effects().iloc[0]
    assert region_att["std_error"] == pytest.approx(ref["std_error_region"], rel=RTOL)
    # ten regions: a t(G - 1) reference, as the CR1 fits have, not the normal
    assert region_att["df"] == 9
    half = stats.t.ppf(0.975, 9) * region_att["std_error"]
    assert region_att["conf_high"] - region_att["estimate"] == pytest.approx(half, rel=1e-10)


def test_doubly_robust_influence_function_is_drdids() -> None:
    from vrueval.designs.did.data import collapse_two_periods
    from vrueval.designs.did.doubly_robust import doubly_robust

    design = did("officers", covariates=["officers"], estimator="dr")
    fit = doubly_robust(collapse_two_periods(design._prepare()))
    ours = pd.Series(fit.influence, index=list(fit.units))
    ref = pd.Series(DRDID["dr"]["influence"], index=DRDID["dr"]["forces"])
    np.testing.assert_allclose(ours.loc[ref.index], ref, rtol=1e-7, atol=1e-10)


def test_doubly_robust_refusals() -> None:
    with pytest.raises(ValueError, match="needs covariates"):
        did(estimator="dr")
    with pytest.raises(ValueError, match="supports inference='cr1' only"):
        did("officers", covariates=["officers"], estimator="dr").fit("wild", seed=1)
    with pytest.raises(ValueError, match="clusters one way only"):
        did("officers", covariates=["officers"], estimator="dr", cluster=["force", "fy"])


def test_two_by_two_with_a_covariate_and_anticipation() -> None:
    """The canonical 2x2 on pre/post means (the anticipation year left out for every force)
    with the covariate's means beside the treatment: lm_robust on the collapsed means."""
    res = did("officers", covariates=["officers"], estimator="2x2", anticipation=1)
    agree(res.fit(small_sample="stata"), R["two_by_two_anticipation_unit"]["stata"])


def test_randomization_inference_partials_out_the_covariates() -> None:
    """Exact randomization inference with a covariate, 3 treated of 8 forces (56
    re-assignments), against brute force: each re-assignment's coefficient from a full dummy
    regression with the covariate (numpy least squares)."""
    units = [*TREATED[:3], *sorted(set(INPUTS["force"]) - set(TREATED))[:5]]
    data = INPUTS[INPUTS["force"].isin(units)]
    res = ve.DiD(
        data[["force", "fy", "css_violence", "population", "officers"]],
        "css_violence",
        treated=TREATED[:3],
        start="2019/20",
        covariates=["officers"],
        **ROLES,
    ).fit("randomization", seed=1, ri_statistic="coefficient")
    from itertools import combinations

    unit_dummies = pd.get_dummies(data["force"], dtype=float).to_numpy()
    year_dummies = pd.get_dummies(data["fy"], dtype=float).to_numpy()[:, 1:]
    after = (data["fy_end"] >= 2020).to_numpy(dtype=float)

    def coefficient(treated: tuple[str, ...]) -> float:
        d = data["force"].isin(treated).to_numpy(dtype=float) * after
        x = np.column_stack([d, data["officers"], unit_dummies, year_dummies])
        return float(np.linalg.lstsq(x, data["css_violence"].to_numpy(), rcond=None)[0][0])

    observed = coefficient(tuple(TREATED[:3]))
    draws = np.array([coefficient(c) for c in combinations(sorted(units), 3)])
    want = float(np.mean(np.abs(draws) >= abs(observed) * (1 - 1e-10)))
    att = res.effects().set_index("term")
    assert att.loc["att", "estimate"] == pytest.approx(observed, rel=1e-10)
    assert res.diagnostics["permutation_exact"] and res.diagnostics["permutation_assignments"] == 56
    assert att.loc["att", "p_value"] == pytest.approx(want, abs=1e-12)
    assert att.loc["covariate:officers", "inference"] == "cr1"


def test_poisson_clusters_by_a_column_and_two_ways() -> None:
    """Poisson PML reads the cluster dimensions too: by region its CR1 uses 10 clusters; two
    ways, the same CGM sum as OLS (V_a + V_b - V_ab: one factor with min(G) under "fixest",
    each part its own under the other rules)."""
    from vrueval.inference.cluster import cr1, cr1_multiway
    from vrueval.inference.small_sample import ParamCount, cr1_factor

    knife = ve.datasets.knife_quarterly()
    unit = ve.DiD(knife, "knife_offences", start="2016Q2", estimator="poisson").fit()
    both = ve.DiD(
        knife, "knife_offences", start="2016Q2", estimator="poisson", cluster=["unit", "period"]
    ).fit()
    assert unit.effects()["estimate"].iloc[0] == both.effects()["estimate"].iloc[0]
    assert both.settings["cluster"] == ("unit", "period")
    assert (
        both.effects()["df"].iloc[0]
        == min(both.diagnostics["n_units"], both.diagnostics["n_periods"]) - 1
    )
    # the two-way sum on synthetic scores equals its three one-way parts
    rng = np.random.default_rng(0)
    scores, a, b = rng.normal(size=(60, 2)), np.repeat(np.arange(6), 10), np.tile(np.arange(10), 6)
    bread, count = np.eye(2), ParamCount(2, 0, 0)
    clusters = (a, b, a * 10 + b)
    stata = [cr1(scores, bread, c, n_obs=60, count=count, small_sample="stata") for c in clusters]
    cr0 = [cr1(scores, bread, c, n_obs=60, count=count, small_sample="none") for c in clusters]
    one_factor = float(cr1_factor("fixest", n_obs=60, n_clusters=6, count=count))  # min(G) = 6
    wants = {
        "stata": stata[0].vcov + stata[1].vcov - stata[2].vcov,
        "fixest": one_factor * (cr0[0].vcov + cr0[1].vcov - cr0[2].vcov),
    }
    for rule, want in wants.items():
        got = cr1_multiway(scores, bread, [a, b], n_obs=60, count=count, small_sample=rule)
        assert np.linalg.eigvalsh(want).min() > 0 and not got.psd_fixed  # this seed: PSD already
        np.testing.assert_allclose(got.vcov, want, rtol=1e-12)
        assert got.n_clusters == 6 and got.df[0] == 5


def test_n_similar_without_most_similar_is_refused() -> None:
    """n_similar sizes the 'most_similar' set only; elsewhere it would be ignored."""
    with pytest.raises(ValueError, match="applies to comparators='most_similar' only"):
        did(n_similar=3)
