"""The CR1 small-sample rules against R on the real CSS panel (one test per rule and model).

Reference: tests/reference/did_small_sample_reference.R -> did_small_sample_reference.json.
"stata" is checked against sandwich::vcovCL(type = "HC1") on lm()/glm() with dummies and against
estimatr's se_type = "stata"; "plm" against plm's vcovHC(type = "sss"); "none" against sandwich's
HC0 and plm's default; "fixest" against fixest's documented rule applied in R to sandwich's CR0
(fixest itself is not installed there). Standard errors are closed-form given the estimate:
1e-10 relative for the linear models; the Poisson fits are iterative (both converged to 1e-12 in
deviance), 1e-7.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from did_helpers import css_panel

from vrueval.designs import DiD, EventStudy
from vrueval.inference.small_sample import SMALL_SAMPLES, ParamCount, cr1_factor, n_params

REF = json.loads(
    (Path(__file__).parent / "reference" / "did_small_sample_reference.json").read_text()
)
OUTCOMES = ["css_violence_against_the_person", "css_robbery"]
MODELS = ["twfe", "two_by_two", "event_study", "twfe_weighted", "poisson"]
LINEAR_RTOL, POISSON_RTOL = 1e-10, 1e-7
# which R values each rule is checked against (every one recorded for that model)
R_KEYS = {
    "fixest": ("fixest",),
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


@pytest.mark.parametrize("rule", SMALL_SAMPLES)
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
    """ "stata" counts lm()'s rank (every dummy); "fixest" that rank less the nested units."""
    for model in ("twfe", "two_by_two", "event_study"):
        ref = REF[outcome][model]
        n_periods = 2 if model == "two_by_two" else 20
        count = ParamCount.two_way(ref["n_clusters"], n_periods, len(_terms(ref)))
        assert n_params("stata", count) == ref["rank_lm"]
        assert n_params("fixest", count) == ref["fixest_k"]


def test_default_is_fixest_and_stata_is_2_7_percent_wider(raw_data: Path) -> None:
    did = DiD(css_panel(raw_data), "css_robbery", start="2019/20")
    default = did.fit().effects()["std_error"].iloc[0]
    fixest = did.fit(small_sample="fixest").effects()["std_error"].iloc[0]
    stata = did.fit(small_sample="stata").effects()["std_error"].iloc[0]
    assert default == fixest
    assert stata / fixest == pytest.approx(np.sqrt(780 / 740), rel=1e-12)


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
