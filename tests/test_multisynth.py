"""Partially pooled synthetic control for staggered adoption (ve.StaggeredSyntheticControl)
against an independent R solution of the same quadratic programme, its special cases, a
planted effect and its input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.designs.synthetic import pooling
from vrueval.designs.synthetic.data import SyntheticDataError

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"


def _mpdta() -> pd.DataFrame:
    mpdta = pd.read_csv(ROOT / "data" / "mpdta" / "mpdta.csv.gz")
    return mpdta[mpdta["countyreal"] % 11 == 0]


def _design(**options: object) -> ve.StaggeredSyntheticControl:
    frame = _mpdta()
    if options.get("fixedeff"):
        frame = frame[frame["first.treat"] != 2004]  # one pre-period: nothing to de-mean
    return ve.StaggeredSyntheticControl(
        frame,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        **options,  # type: ignore[arg-type]
    )


VARIANTS = {
    "heuristic": {"nu": None, "ridge": 0.01},
    "nu_half_fixedeff": {"nu": 0.5, "ridge": 0.01, "fixedeff": True},
    "nu_one": {"nu": 1.0, "ridge": 0.01},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_matches_the_r_quadprog_reference(variant: str) -> None:
    """tests/reference/multisynth_qp.R solves the same objective with quadprog::solve.QP. Both
    solvers are exact active-set methods (the ridge makes the optimum unique), so they differ
    by the rounding of the final linear solves, about 1e-12 of the outcome (lemp ~ 6); 1e-8
    leaves room for quadprog's dual updates on a form of condition number about 1e5."""
    ref = pd.read_csv(REF / "multisynth_qp.csv")
    ref = ref[ref["variant"] == variant].set_index("term")["estimate"]
    res = _design(**VARIANTS[variant]).fit(inference="none")
    assert res.diagnostics["nu"] == pytest.approx(ref["nu"], abs=1e-8)
    ours = res.effects().set_index("term")["estimate"]
    terms = [t for t in ref.index if t != "nu"]
    assert set(terms) == set(ours.index)
    np.testing.assert_allclose(ours[terms].to_numpy(), ref[terms].to_numpy(), rtol=0, atol=1e-8)


def _prop99() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "california_prop99" / "california_prop99.csv", sep=";")


def test_nu_zero_is_a_synthetic_control_for_every_unit() -> None:
    """With nu = 0 and no ridge the objective separates: each unit's weights are
    ve.SyntheticControl's on the never-treated donors (two exact simplex least-squares solvers;
    1e-6 covers the active-set tolerance of 1e-10 on the gradient)."""
    frame = _prop99()
    firsts = {"California": 1989, "Nevada": 1984, "Utah": 1984}
    frame["g"] = frame["State"].map(firsts).fillna(0)
    res = ve.StaggeredSyntheticControl(
        frame,
        outcome="PacksPerCapita",
        unit="State",
        time="Year",
        first_treated="g",
        nu=0.0,
        ridge=0.0,
    ).fit(inference="none")
    effects = res.effects().set_index("term")["estimate"]
    weights = res.weights()
    others = frame[~frame["State"].isin(firsts)]
    for state, year in firsts.items():
        alone = pd.concat([others, frame[frame["State"] == state]])
        sc = ve.SyntheticControl(
            alone,
            outcome="PacksPerCapita",
            unit="State",
            time="Year",
            treated=[state],
            start=year,
        ).fit(inference="none")
        assert effects[f"att:unit={state}"] == pytest.approx(
            sc.effects().set_index("term").loc["att", "estimate"], abs=1e-6
        )
        ours = weights[weights["unit"] == state].set_index("donor")["weight"]
        theirs = sc.weights().set_index("unit")["weight"]
        np.testing.assert_allclose(ours[theirs.index], theirs, atol=1e-6)


def test_nu_trades_pooled_against_unit_imbalance() -> None:
    """nu = 1 fits the average best and the units worst; nu = 0 the reverse; the heuristic lies
    between (and is the separate fits' pooled over unit-level imbalance)."""
    fits = {nu: _design(nu=nu, ridge=0.01).fit(inference="none") for nu in (0.0, 1.0, None)}
    pooled = {k: f.diagnostics["pooled_imbalance"] for k, f in fits.items()}
    unit = {k: f.diagnostics["unit_imbalance"] for k, f in fits.items()}
    assert pooled[1.0] <= pooled[None] <= pooled[0.0]
    assert unit[0.0] <= unit[None] <= unit[1.0]
    assert fits[None].diagnostics["nu"] == pytest.approx(pooled[0.0] / unit[0.0])
    for f in fits.values():
        w = f.weights()
        assert (w["weight"] >= 0).all()
        np.testing.assert_allclose(w.groupby("unit")["weight"].sum(), 1.0, atol=1e-12)


def _factor_panel(effect: float, seed: int = 3) -> pd.DataFrame:
    """20 donors and 8 treated units (two cohorts) on two factors with loadings inside the
    donors' hull; a constant effect from each unit's start."""
    rng = np.random.default_rng(seed)
    n0, n1, t = 20, 8, 20
    factors = np.cumsum(rng.normal(size=(t, 2)), axis=0)
    load = rng.uniform(0, 1, size=(n0 + n1, 2))
    y = 10 + load @ factors.T + rng.normal(scale=0.1, size=(n0 + n1, t))
    first = np.r_[np.zeros(n0), np.full(4, 12), np.full(4, 15)]
    y[n0:] += effect * (np.arange(t)[None, :] >= first[n0:, None])
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n0 + n1), t),
            "time": np.tile(np.arange(t), n0 + n1),
            "y": y.ravel(),
            "g": np.repeat(first, t),
        }
    )


def test_recovers_a_planted_effect() -> None:
    design = ve.StaggeredSyntheticControl(
        _factor_panel(5.0), outcome="y", unit="unit", time="time", first_treated="g"
    )
    res = design.fit(inference="jackknife")
    eff = res.effects().set_index("term")
    assert eff.loc["att", "estimate"] == pytest.approx(5.0, abs=0.3)
    assert eff.loc["att:e=0", "estimate"] == pytest.approx(5.0, abs=0.3)
    assert 0 < eff.loc["att", "std_error"] < 0.5
    assert eff.loc["att", "conf_low"] < 5.0 < eff.loc["att", "conf_high"]
    assert res.seed is None and res.settings["inference"] == "jackknife"
    null = ve.StaggeredSyntheticControl(
        _factor_panel(0.0), outcome="y", unit="unit", time="time", first_treated="g"
    ).fit(inference="none")
    assert abs(null.effects().set_index("term").loc["att", "estimate"]) < 0.3
    # the contract: frozen, JSON-safe, plotted
    json.dumps(res.to_dict())
    assert "att" in res.summary()
    res.plot()
    res.plot(kind="effects")
    path = res.path()
    assert set(path.columns) >= {"unit", "period", "event_time", "gap", "post"}


def test_not_yet_treated_donors_and_fixedeff() -> None:
    panel = _factor_panel(5.0)
    design = ve.StaggeredSyntheticControl(
        panel,
        outcome="y",
        unit="unit",
        time="time",
        first_treated="g",
        donors="not_yet_treated",
        leads=3,
        fixedeff=True,
    )
    res = design.fit(inference="none")
    w = res.weights()
    # the first cohort (from 12, leads to 14) may draw on the second (from 15), not vice versa
    first_cohort = w[w["unit"] == "20"]
    assert {"24", "27"} <= set(first_cohort["donor"])
    assert not set(w[w["unit"] == "24"]["donor"]) & {str(u) for u in range(20, 28)}
    eff = res.effects().set_index("term")
    assert list(eff.index[:4]) == ["att", "att:e=0", "att:e=1", "att:e=2"]
    assert eff.loc["att", "estimate"] == pytest.approx(5.0, abs=0.3)


def test_warns_where_inference_cannot_hold() -> None:
    panel = _factor_panel(1.0)
    panel = panel[~panel["unit"].isin([25, 26, 27])]  # the second cohort: one unit
    res = ve.StaggeredSyntheticControl(
        panel, outcome="y", unit="unit", time="time", first_treated="g"
    ).fit(inference="jackknife")
    text = " ".join(res.warnings)
    assert "att:cohort=15" in text and "5 treated units" in text
    assert "cohort(s) ['12'] have fewer than 10" in text
    se = res.effects().set_index("term")["std_error"]
    assert np.isnan(se["att:cohort=15"]) and np.isfinite(se["att"])
    assert np.isnan(se[[t for t in se.index if t.startswith("att:unit=")]]).all()


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="nu must be a number in"):
        _design(nu=1.5)
    with pytest.raises(ValueError, match="ridge must be"):
        _design(ridge=-1.0)
    with pytest.raises(ValueError, match="lags must be an integer >= 2"):
        _design(lags=1, fixedeff=True)
    with pytest.raises(ValueError, match="donors"):
        _design(donors="everyone")
    with pytest.raises(ValueError, match="fixedeff must be"):
        _design(fixedeff="yes")
    with pytest.raises(ValueError, match="inference"):
        _design().fit(inference="bootstrap")  # type: ignore[arg-type]
    with pytest.raises(SyntheticDataError, match="not in the frame"):
        ve.StaggeredSyntheticControl(
            _mpdta(), outcome="nope", unit="countyreal", time="year", first_treated="first.treat"
        )
    one = _factor_panel(1.0)
    one = one[(one["g"] == 0) | (one["unit"] == 20)]
    design = ve.StaggeredSyntheticControl(
        one, outcome="y", unit="unit", time="time", first_treated="g"
    )
    with pytest.raises(ValueError, match="at least 2 treated units"):
        design.fit(inference="jackknife")
    p = pooling.Problem((np.zeros(3),) * 200, (np.zeros((3, 40)),) * 200)
    with pytest.raises(ValueError, match="8000 weights"):
        pooling.solve(p, 0.5, 0.0)
