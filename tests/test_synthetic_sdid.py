"""ve.SyntheticDiD: weights on the simplex, recovery of a planted effect, refusals, seeds,
frozen results, and a run on a vrueval panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval import areas
from vrueval.designs.synthetic import estimators as est
from vrueval.designs.synthetic.data import SyntheticDataError
from vrueval.designs.synthetic.weights import frank_wolfe, simplex_least_squares


def factor_panel(
    n0: int = 30, n1: int = 3, t0: int = 12, t1: int = 4, effect: float = 5.0, seed: int = 0
) -> pd.DataFrame:
    """Interactive fixed effects (two factors) plus unit and time effects and noise; the
    treated units load more on the factors, so plain DiD is biased and SDiD is not (much)."""
    rng = np.random.default_rng(seed)
    n, t = n0 + n1, t0 + t1
    loadings = rng.normal(size=(n, 2))
    loadings[n0:] += 0.8
    factors = np.cumsum(rng.normal(size=(t, 2)), axis=0)
    y = (
        rng.normal(size=(n, 1)) * 3
        + np.arange(t) * 0.5
        + loadings @ factors.T
        + rng.normal(scale=0.3, size=(n, t))
    )
    y[n0:, t0:] += effect
    rows = [
        {"unit": f"u{i:02d}", "time": 2000 + j, "y": y[i, j], "d": int(i >= n0 and j >= t0)}
        for i in range(n)
        for j in range(t)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return factor_panel(seed=1)


def design(frame: pd.DataFrame, **kw) -> ve.SyntheticDiD:
    return ve.SyntheticDiD(frame, unit="unit", time="time", outcome="y", treated="d", **kw)


def test_weights_on_the_simplex(panel):
    res = design(panel).fit(inference="none")
    for w in (res.weights()["weight"], res.time_weights()["weight"]):
        assert (w >= 0).all()
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert len(res.weights()) == 30 and len(res.time_weights()) == 12


def test_recovers_a_planted_effect(panel):
    res = design(panel).fit(inference="jackknife")
    att = res.effects().set_index("term").loc["att"]
    assert att["estimate"] == pytest.approx(5.0, abs=0.5)
    assert att["conf_low"] < 5.0 < att["conf_high"]
    # the effect path and the unit effects both average to the overall effect
    eff = res.effects()
    per_t = eff[eff["term"].str.startswith("att:t=")]["estimate"]
    per_u = eff[eff["term"].str.startswith("att:unit=")]["estimate"]
    assert per_t.mean() == pytest.approx(att["estimate"], abs=1e-10)
    assert per_u.mean() == pytest.approx(att["estimate"], abs=1e-10)
    assert len(per_t) == 4 and len(per_u) == 3


def test_no_effect_no_rejection_and_did_biased():
    frame = factor_panel(effect=0.0, seed=3)
    sdid = design(frame).fit(inference="none").effects().loc[0, "estimate"]
    did = design(frame, estimator="did").fit(inference="none").effects().loc[0, "estimate"]
    assert abs(sdid) < abs(did)


def test_same_seed_same_numbers(panel):
    a = design(panel).fit(inference="placebo", seed=7, draws=39).effects()
    b = design(panel).fit(inference="placebo", seed=7, draws=39).effects()
    c = design(panel).fit(inference="placebo", seed=8, draws=39).effects()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["std_error"], c["std_error"])


def test_bootstrap_runs_and_warns_with_few_treated(panel):
    res = design(panel).fit(inference="bootstrap", seed=1, draws=39)
    assert np.isfinite(res.effects().loc[0, "std_error"])
    assert any("bootstrap variance rests on many treated units" in w for w in res.warnings)
    assert res.seed == 1 and res.settings["draws"] == 39


def test_random_inference_needs_a_seed(panel):
    with pytest.raises(ValueError, match="explicit seed"):
        design(panel).fit(inference="placebo")
    with pytest.raises(ValueError, match="explicit seed"):
        design(panel).fit(inference="bootstrap")


def test_draws_validated(panel):
    with pytest.raises(ValueError, match="too few"):
        design(panel).fit(inference="placebo", seed=1, draws=10)
    with pytest.raises(ValueError, match="applies to inference"):
        design(panel).fit(inference="jackknife", draws=500)


def test_single_treated_unit_refuses_jackknife_and_bootstrap(panel):
    one = panel[~panel["unit"].isin(["u31", "u32"])]
    d = design(one)
    with pytest.raises(ValueError, match="single treated unit"):
        d.fit(inference="jackknife")
    with pytest.raises(ValueError, match="single treated unit"):
        d.fit(inference="bootstrap", seed=1)
    assert np.isfinite(d.fit(inference="placebo", seed=1, draws=39).effects().loc[0, "std_error"])


def test_frozen_result(panel):
    res = design(panel).fit(inference="none")
    with pytest.raises(AttributeError, match="read-only"):
        res.level = 0.9  # type: ignore[misc]
    w = res.weights()
    w.loc[0, "weight"] = 99.0
    assert res.weights().loc[0, "weight"] != 99.0
    out = res.to_dict()
    assert {"effects", "weights", "time_weights", "path"} <= set(out)
    assert "Synthetic DiD" in res.summary()


def test_options_are_read_only(panel):
    d = design(panel)
    with pytest.raises(AttributeError):
        d.estimator = "sc"  # type: ignore[misc]
    d.settings["estimator"] = "did"  # a copy
    assert d.estimator == "sdid"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(index=5), "missing cell"),
        (lambda f: f.assign(y=f["y"].where(f.index != 7)), "missing cell"),
        (lambda f: f.assign(y=f["y"].astype(str)), "must be numeric"),
        (lambda f: f[f["unit"].isin(["u00", "u30", "u31", "u32"])], "at least 2"),
        (lambda f: f[f["time"] >= 2011], "pre-treatment period"),
        (lambda f: pd.concat([f, f.iloc[:1]]), "repeat a"),
        (
            lambda f: f.assign(d=np.where(f["unit"] == "u31", f["time"] >= 2013, f["d"])),
            "simultaneous",
        ),
        (
            lambda f: f.assign(d=np.where((f["unit"] == "u31") & (f["time"] == 2014), 0, f["d"])),
            "stay on",
        ),
    ],
)
def test_refusals(panel, change, message):
    with pytest.raises(SyntheticDataError, match=message):
        design(change(panel.copy()))


def test_refusals_of_arguments(panel):
    with pytest.raises(SyntheticDataError, match="not in the frame"):
        ve.SyntheticDiD(panel, unit="unit", time="year", outcome="y", treated="d")
    with pytest.raises(SyntheticDataError, match="give start="):
        ve.SyntheticDiD(panel, unit="unit", time="time", outcome="y", treated=["u31"])
    with pytest.raises(SyntheticDataError, match="not in the data"):
        ve.SyntheticDiD(panel, unit="unit", time="time", outcome="y", treated=["zz"], start=2012)
    with pytest.raises(ValueError, match="estimator must be one of"):
        design(panel, estimator="synth")
    with pytest.raises(ValueError, match="inference must be one of"):
        design(panel).fit(inference="wild")


def test_list_and_first_treated_columns_agree(panel):
    by_flag = design(panel).fit(inference="none").effects()
    by_list = (
        ve.SyntheticDiD(
            panel, unit="unit", time="time", outcome="y", treated=["u30", "u31", "u32"], start=2012
        )
        .fit(inference="none")
        .effects()
    )
    first = panel.assign(g=np.where(panel["unit"].isin(["u30", "u31", "u32"]), 2012, 0))
    by_first = (
        ve.SyntheticDiD(first, unit="unit", time="time", outcome="y", first_treated="g")
        .fit(inference="none")
        .effects()
    )
    pd.testing.assert_frame_equal(by_flag, by_list)
    pd.testing.assert_frame_equal(by_flag, by_first)


def test_frank_wolfe_reaches_the_exact_optimum():
    """With a ridge term the problem is strictly convex: Frank-Wolfe's objective closes on the
    active-set solution's, slowly (Frank-Wolfe converges as 1/t)."""
    rng = np.random.default_rng(4)
    a = rng.normal(size=(20, 8))
    b = a @ np.array([0.5, 0.3, 0.2, 0, 0, 0, 0, 0]) + rng.normal(scale=0.1, size=20)
    zeta = 0.3
    fw = frank_wolfe(
        np.column_stack([a, b]),
        zeta,
        intercept=False,
        start=None,
        min_decrease=1e-6,
        max_iter=20_000,
    )
    m = a.shape[0]
    exact = simplex_least_squares(
        np.vstack([a, np.sqrt(m) * zeta * np.eye(8)]), np.append(b, np.zeros(8))
    )

    def objective(x: np.ndarray) -> float:
        r = a @ x - b
        return float(zeta**2 * x @ x + r @ r / m)

    assert fw.values[-1] == pytest.approx(objective(fw.weights), rel=1e-10)
    assert objective(exact) <= objective(fw.weights) + 1e-12
    # plain Frank-Wolfe zigzags near a face of the simplex: 1e-3 of the objective after 20,000
    # steps on this problem (R synthdid's solver has the same property; the paper's numbers are
    # the Frank-Wolfe ones)
    assert objective(fw.weights) - objective(exact) < 1e-3 * objective(exact)
    np.testing.assert_allclose(fw.weights, exact, atol=2e-3)


def test_sc_and_did_special_cases(panel):
    d = design(panel).data
    did = est.fit(d.y, d.n0, d.t0, "did")
    n1 = d.n1
    manual = (d.y[d.n0 :, d.t0 :].mean() - d.y[d.n0 :, : d.t0].mean()) - (
        d.y[: d.n0, d.t0 :].mean() - d.y[: d.n0, : d.t0].mean()
    )
    assert did.tau == pytest.approx(manual, abs=1e-10)
    sc = est.fit(d.y, d.n0, d.t0, "sc")
    assert not sc.lam.any() and n1 == 3


def test_runs_on_a_vrueval_panel():
    """Synthetic DiD of the 18 VRU forces' violence severity (crime severity score) from
    FY2019/20, against the never-funded forces (City of London left out: no score)."""
    panel = ve.datasets.crime_severity()
    outcome = "css_violence_against_the_person"
    cohort = {u: areas.get(u, "force").vru_cohort for u in panel.units}
    keep = [u for u in panel.units if cohort[u] in (None, 2019) and u != "E23000034"]
    treated = [u for u in keep if cohort[u] == 2019]
    res = ve.SyntheticDiD(
        panel.select(outcome=outcome, units=keep),
        outcome=outcome,
        treated=treated,
        start="2019/20",
    ).fit(inference="jackknife")
    eff = res.effects().set_index("term")
    assert len(treated) == 18
    assert np.isfinite(eff.loc["att", "std_error"]) and eff.loc["att", "std_error"] > 0
    assert res.diagnostics["donors"] == 22 and res.diagnostics["treated_units"] == 18
    assert res.settings["start"] == str(panel.period("2019/20"))
