"""The CR1 small-sample rules against R and pyfixest on the real CSS panel.

R reference: tests/reference/did_small_sample_reference.R -> did_small_sample_reference.json.
"stata" is checked against sandwich::vcovCL(type = "HC1") on lm()/glm() with dummies and against
estimatr's se_type = "stata"; "plm" against plm's vcovHC(type = "sss"); "none" against sandwich's
HC0 and plm's default; the "fixest" column there is the rule as vrueval reads it, applied in R to
sandwich's CR0 (R's fixest is not installed there), so it checks arithmetic, not the rule. These
are standard errors only: plm and lm + vcovCL take p from t(n - K), vrueval from t(G - 1).

pyfixest reference (a port of fixest, tested against it by its authors):
tests/reference/did_small_sample_pyfixest.py -> did_small_sample_pyfixest.json, the same models
with ``vcov={"CRV1": "unit"}`` and the default ``ssc()``. feols takes p from t(G - 1), as vrueval
does, so SE, t and p are comparable; fepois takes p from the standard normal, so for the Poisson
DiD only the estimate, SE and t are. The default rule counts K = coefficients + T with unit
clusters, as fixest and pyfixest do (fixest keeps one level of each nested fixed effect), so the
default's SE, t and (feols) p equal pyfixest's; the CR1 parts (estimate, meat, bread, G/(G-1),
df) are also checked one by one through vrueval's CR0 times pyfixest's own factor. The two-way
("region+fy", "force+fy") records of the same JSON are checked in tests/test_did_complete.py.

Tolerances: standard errors are closed-form given the estimate, 1e-10 relative for the linear
models; the Poisson fits are iterative (R's glm converged to 1e-12 in deviance, pyfixest's fepois to
1e-12 in IRLS and demeaning), 1e-7.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from did_helpers import css_panel
from scipy import stats

from vrueval.designs import DiD, EventStudy
from vrueval.inference.small_sample import ParamCount, cr1_factor, n_params

REF = json.loads(
    (Path(__file__).parent / "reference" / "did_small_sample_reference.json").read_text()
)
PYFIXEST = json.loads(
    (Path(__file__).parent / "reference" / "did_small_sample_pyfixest.json").read_text()
)
OUTCOMES = ["css_violence_against_the_person", "css_robbery"]
MODELS = ["twfe", "two_by_two", "event_study", "twfe_weighted", "poisson"]
LINEAR_RTOL, POISSON_RTOL = 1e-10, 1e-7
# which R values each rule is checked against (every one recorded for that model); "fixest" is
# checked against pyfixest below (the R script's "fixest" column is arithmetic, not a peer)
R_KEYS = {
    "stata": ("stata", "stata_estimatr"),
    "plm": ("plm",),
    "none": ("none", "none_plm"),
}


def _fit(raw: Path, outcome: str, model: str, rule: str):
    if model == "event_study":
        return EventStudy(css_panel(raw), outcome, start="2019/20", leads=6).fit(
            "cr1", small_sample=rule
        )
    estimator = {"two_by_two": "2x2", "poisson": "poisson"}.get(model, "twfe")
    weighted = model == "twfe_weighted"
    did = DiD(
        css_panel(raw, with_population=weighted),
        outcome,
        start="2019/20",
        estimator=estimator,
        weights="population" if weighted else "none",
    )
    return did.fit("cr1", small_sample=rule)


def _terms(ref: dict) -> list[str]:
    names = ref["terms"] if isinstance(ref["terms"], list) else [ref["terms"]]
    return [
        "att" if n == "D" else f"att:e={-int(n[2:]) if n.startswith('em') else int(n[1:])}"
        for n in names
    ]


@pytest.mark.parametrize("rule", list(R_KEYS))
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_cr1_rule_matches_r(raw_data: Path, outcome: str, model: str, rule: str) -> None:
    ref = REF[outcome][model]
    keys = [k for k in R_KEYS[rule] if k in ref]
    if not keys:
        pytest.skip(f"{model}: R has no {rule!r} route (plm fits no weights)")
    res = _fit(raw_data, outcome, model, rule)
    assert res.settings["small_sample"] == rule
    eff = res.effects().set_index("term")
    se = eff.loc[_terms(ref), "std_error"].to_numpy(dtype=float)
    rtol = POISSON_RTOL if model == "poisson" else LINEAR_RTOL
    for key in keys:
        np.testing.assert_allclose(se, np.ravel(ref[key]), rtol=rtol, err_msg=key)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_rules_count_the_parameters_r_counts(outcome: str) -> None:
    """ "stata" counts lm()'s rank (every dummy); "fixest" what pyfixest counts (that rank less
    the nested units, one of them kept)."""
    for model in ("twfe", "two_by_two", "event_study"):
        ref = REF[outcome][model]
        n_periods = 2 if model == "two_by_two" else 20
        count = ParamCount.two_way(ref["n_clusters"], n_periods, len(_terms(ref)))
        assert n_params("stata", count) == ref["rank_lm"]
        assert n_params("fixest", count) == PYFIXEST[outcome][model]["df_k"]


def test_default_is_fixest_and_stata_is_2_6_percent_wider(raw_data: Path) -> None:
    did = DiD(css_panel(raw_data), "css_robbery", start="2019/20")
    default = did.fit().effects()["std_error"].iloc[0]
    fixest = did.fit(small_sample="fixest").effects()["std_error"].iloc[0]
    stata = did.fit(small_sample="stata").effects()["std_error"].iloc[0]
    assert default == fixest
    assert stata / fixest == pytest.approx(
        np.sqrt(779 / 740), rel=1e-12
    )  # n - K: 800 - 21, 800 - 60


def test_factor_is_undefined_without_residual_degrees_of_freedom() -> None:
    with pytest.raises(ValueError, match="undefined"):
        cr1_factor("stata", n_obs=10, n_clusters=5, count=ParamCount(1, 5, 4))
    with pytest.raises(ValueError, match="small_sample must be one of"):
        cr1_factor("Stata", n_obs=10, n_clusters=5, count=ParamCount(1, 5, 4))  # type: ignore[arg-type]


def test_small_sample_is_refused_with_cr2(raw_data: Path) -> None:
    did = DiD(css_panel(raw_data), "css_robbery", start="2019/20")
    with pytest.raises(ValueError, match="not 'cr2'"):
        did.fit("cr2", small_sample="stata")
    assert "small_sample" not in did.fit("cr2").settings


# -- the default rule against pyfixest (feols / fepois, CRV1 by unit, default ssc) ----------------
def _default_vs_pyfixest(raw: Path, outcome: str, model: str, rule: str):
    ref = PYFIXEST[outcome][model]
    eff = _fit(raw, outcome, model, rule).effects().set_index("term").loc[_terms(ref)]
    return ref, eff


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_cr1_parts_match_pyfixest(raw_data: Path, outcome: str, model: str) -> None:
    """Estimate, cluster meat and bread, G/(G-1) and the df: all but K in the factor.

    vrueval's CR0 (``small_sample="none"``) times pyfixest's own factor is pyfixest's SE; the df is
    G - 1 in both (pyfixest's p uses it for feols; its fepois p uses the normal instead).
    """
    ref, eff = _default_vs_pyfixest(raw_data, outcome, model, "none")
    rtol = POISSON_RTOL if model == "poisson" else LINEAR_RTOL
    g, n, k = ref["n_clusters"], ref["n_obs"], ref["df_k"]
    assert ref["ssc"] == pytest.approx(g / (g - 1) * (n - 1) / (n - k), rel=1e-14)
    estimate = eff["estimate"].to_numpy(dtype=float)
    if model == "poisson":
        assert set(eff["scale"]) == {"ratio"}  # reported as a rate ratio; SE on the log scale
        estimate = np.log(estimate)
    np.testing.assert_allclose(estimate, ref["estimate"], rtol=rtol, atol=1e-13)
    se = eff["std_error"].to_numpy(dtype=float) * np.sqrt(ref["ssc"])
    np.testing.assert_allclose(se, ref["std_error"], rtol=rtol)
    assert ref["df_t"] == g - 1
    assert np.all(eff["df"] == g - 1)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_default_matches_pyfixest(raw_data: Path, outcome: str, model: str) -> None:
    """The default fit's SE and t (and, for feols, p with t(G - 1)) against pyfixest's."""
    ref, eff = _default_vs_pyfixest(raw_data, outcome, model, "fixest")
    rtol = POISSON_RTOL if model == "poisson" else LINEAR_RTOL
    np.testing.assert_allclose(eff["std_error"], ref["std_error"], rtol=rtol)
    np.testing.assert_allclose(eff["statistic"], ref["t"], rtol=rtol)
    if model != "poisson":  # fepois takes p from the normal, vrueval from t(G - 1)
        np.testing.assert_allclose(eff["p_value"], ref["p_value"], rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_default_p_is_t_with_g_minus_1_df(raw_data: Path, outcome: str) -> None:
    """What the Poisson p is compared with instead: vrueval's own t under t(G - 1), which is
    what pyfixest's feols would report for that t (its fepois reports the normal p)."""
    for model in MODELS:
        ref, eff = _default_vs_pyfixest(raw_data, outcome, model, "fixest")
        t = eff["statistic"].to_numpy(dtype=float)
        expected = 2 * stats.t.sf(np.abs(t), ref["n_clusters"] - 1)
        np.testing.assert_allclose(eff["p_value"], expected, rtol=1e-12, err_msg=model)
