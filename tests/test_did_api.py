"""ve.DiD / ve.EventStudy: comparators, options, results, plots, staggered timing, intensity."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from did_helpers import css_panel

import vrueval as ve
from vrueval.designs.did.bacon import bacon_decomposition

matplotlib.use("Agg")
ROB = "css_robbery"


@pytest.fixture(scope="module")
def panel(raw_data):
    return css_panel(raw_data)


def att(result):
    return result.effects().set_index("term").loc["att"]


def test_defaults_and_contract(panel):
    res = ve.DiD(panel, ROB, start="2019/20").fit()
    eff = res.effects()
    assert list(eff.columns[:6]) == [
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
    ]
    assert eff["term"].tolist() == ["att"] and eff["inference"].iloc[0] == "cr1"
    assert res.settings["comparator_rule"].startswith("never-funded")
    assert len(res.settings["treated"]) == 18 and len(res.settings["comparators"]) == 22
    assert res.seed is None
    json.dumps(res.to_dict())
    with pytest.raises(AttributeError):
        res.foo = 1  # type: ignore[attr-defined]
    table = res.comparators()
    assert table.loc[table["unit"] == "E23000034", "role"].item() == "dropped"


def test_options_are_checked(panel):
    with pytest.raises(ValueError, match="estimator must be one of"):
        ve.DiD(panel, ROB, start="2019/20", estimator="ols")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="inference must be one of"):
        ve.DiD(panel, ROB, start="2019/20").fit("hc3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        ve.DiD(panel, ROB, start="2019/20").fit(level=5)
    with pytest.raises(ValueError, match="unknown outcome"):
        ve.DiD(panel, "css_knife", start="2019/20")
    with pytest.raises(ValueError, match="comparators must be one of"):
        ve.DiD(panel, ROB, start="2019/20", comparators="nearest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Poisson DiD supports"):
        ve.DiD(panel, ROB, start="2019/20", estimator="poisson").fit("wild")


def test_caller_data_not_mutated(panel):
    before = panel.data.copy() if hasattr(panel, "data") else panel._data.copy()
    ve.DiD(panel, ROB, start="2019/20", comparators="most_similar").fit("cr2")
    after = panel.data if hasattr(panel, "data") else panel._data
    pd.testing.assert_frame_equal(before, after)


def test_most_similar_rule_is_reported(panel):
    res = ve.DiD(panel, ROB, start="2019/20", comparators="most_similar", n_similar=8).fit()
    assert len(res.settings["comparators"]) == 8
    rule = res.settings["comparator_rule"]
    assert "8 never-funded" in rule and "level" in rule and "trend" in rule
    dropped = res.comparators().query("role == 'dropped'")
    assert (dropped["reason"] == "not among the most similar comparators").sum() == 22 - 8


def test_excluding_spillover_neighbours(panel):
    res = ve.DiD(panel, ROB, start="2019/20", exclude=["Warwickshire", "West Mercia"]).fit()
    assert "E23000017" not in res.settings["comparators"]
    assert any("Warwickshire" in w and "spill-over" in w for w in res.warnings)
    with pytest.raises(ValueError, match="both treated and excluded"):
        ve.DiD(panel, ROB, start="2019/20", exclude=["West Midlands"]).fit()


def test_no_comparators_is_an_error(panel):
    never = ve.areas.comparators()
    with pytest.raises(ValueError, match="no comparators"):
        ve.DiD(panel, ROB, start="2019/20", exclude=never).fit()


def test_units_with_missing_periods_are_dropped_with_a_message():
    knife = ve.datasets.knife_quarterly()
    outcome = "homicide_and_serious_injury"
    gappy = sorted(knife.missing().query("outcome == @outcome")["unit"].unique())
    assert gappy  # the real data have gaps in this component
    res = ve.DiD(knife, outcome, start="2016Q2").fit()
    kept = set(res.settings["treated"]) | set(res.settings["comparators"])
    assert not kept & set(gappy)
    for unit in gappy:
        assert any(ve.areas.name(unit) in w and "missing in 1 period" in w for w in res.warnings)


def test_unbalanced_keeps_units_and_leaves_out_only_missing_cells():
    knife = ve.datasets.knife_quarterly()
    outcome = "homicide_and_serious_injury"
    gaps = knife.missing().query("outcome == @outcome")
    did = ve.DiD(knife, outcome, start="2016Q2", missing="unbalanced")
    res = did.fit("cr2")
    kept = set(res.settings["treated"]) | set(res.settings["comparators"])
    assert set(gaps["unit"]) <= kept and res.settings["missing"] == "unbalanced"
    assert res.diagnostics["n_missing_cells"] == len(gaps)
    assert res.diagnostics["n_obs"] == len(kept) * res.diagnostics["n_periods"] - len(gaps)
    for unit in gaps["unit"]:
        assert any(
            ve.areas.name(unit) in w and "only those cells are left out" in w for w in res.warnings
        )
    draws = {"wild": {"draws": 199}, "randomization": {"permutations": 199}}
    for inference in ("cr1", "wild", "randomization"):
        eff = att(did.fit(inference, seed=3, **draws.get(inference, {})))
        assert eff["conf_low"] < eff["estimate"] < eff["conf_high"], inference
    es = ve.EventStudy(knife, outcome, start="2016Q2", leads=4, lags=3, missing="unbalanced")
    assert es.fit("cr2").diagnostics["n_missing_cells"] == len(gaps)
    with pytest.raises(ValueError, match="missing must be one of"):
        ve.DiD(knife, outcome, start="2016Q2", missing="zero")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2x2 needs a balanced panel"):
        ve.DiD(knife, outcome, start="2016Q2", estimator="2x2", missing="unbalanced").fit()


def test_two_by_two_equals_twfe_on_two_periods(panel):
    two = att(ve.DiD(panel, ROB, start="2019/20", estimator="2x2").fit())
    f = panel.wide(ROB)
    vru = list(ve.areas.vru_2019())
    never = [u for u in ve.areas.comparators() if u != "E23000034"]
    pre, post = f.index < panel.period("2019/20"), f.index >= panel.period("2019/20")
    manual = (f.loc[post, vru].mean().mean() - f.loc[pre, vru].mean().mean()) - (
        f.loc[post, never].mean().mean() - f.loc[pre, never].mean().mean()
    )
    assert two["estimate"] == pytest.approx(manual, rel=1e-10)


def test_rates_and_poisson_on_counts():
    knife = ve.datasets.knife_quarterly()
    kw = dict(start="2016Q2", window=("2012Q1", "2019Q1"))
    rate = ve.DiD(knife, "knife_offences", scale="rate", weights="population", **kw).fit()
    pois = ve.DiD(knife, "knife_offences", estimator="poisson", scale="rate", **kw).fit()
    r = att(pois)
    assert r["scale"] == "ratio" and r["conf_low"] < r["estimate"] < r["conf_high"]
    assert np.isfinite(att(rate)["estimate"])


def test_intensity_design(panel):
    vru = ve.areas.vru_2019()
    dose = {u: 0.5 + 0.5 * (i % 2) for i, u in enumerate(vru)}
    res = ve.DiD(panel, ROB, start="2019/20", intensity=dose).fit("randomization", seed=2)
    assert res.settings["intensity"] and res.seed == 2
    # all-ones intensity is the binary design
    ones = ve.DiD(panel, ROB, start="2019/20", intensity=dict.fromkeys(vru, 1.0)).fit()
    binary = ve.DiD(panel, ROB, start="2019/20").fit()
    assert att(ones)["estimate"] == pytest.approx(att(binary)["estimate"], rel=1e-12)


def test_event_study_terms_pretrend_and_plots(panel):
    res = ve.EventStudy(panel, ROB, start="2019/20", leads=5, lags=2).fit("cr2")
    es = res.event_study()
    assert es["event_time"].tolist() == [-5, -4, -3, -2, 0, 1, 2]
    assert res.effects()["term"].iloc[0] == "att"
    pre = res.pretrend_test
    # Hotelling scaling: 40 clusters, 4 leads -> F(4, 36), F = W (G - q) / (q (G - 1))
    assert pre["df1"] == 4 and pre["df2"] == 36 and 0 <= pre["p_value"] <= 1
    assert pre["statistic"] == pytest.approx(pre["wald"] * 36 / (4 * 39))
    assert res.plot() is not None and res.plot(kind="trends") is not None
    trends = res.trends()
    assert set(trends["group"]) == {"treated", "comparators"} and len(trends) == 40
    json.dumps(res.to_dict())
    wild = ve.EventStudy(panel, ROB, start="2019/20", leads=3).fit("wild", seed=1, draws=499)
    assert wild.effects()["term"].str.startswith("att:e=").sum() == 5


def test_event_study_reference_period(panel):
    res = ve.EventStudy(panel, ROB, start="2019/20", leads=5, reference=-2).fit()
    assert "att:e=-1" in set(res.effects()["term"]) and "att:e=-2" not in set(res.effects()["term"])


def test_staggered_twfe_warns_and_bacon_adds_up(panel):
    vru = list(ve.areas.vru_2019())
    start = {
        u: ("2009/10" if i < 6 else "2014/15" if i < 12 else "2019/20") for i, u in enumerate(vru)
    }
    res = ve.DiD(panel, ROB, start=start).fit()
    assert any("Goodman-Bacon" in w or "bacon" in w for w in res.warnings)
    units = res.settings["treated"] + res.settings["comparators"]
    parts = bacon_decomposition(panel, ROB, start, units=units)
    assert parts["weight"].sum() == pytest.approx(1.0)
    assert (parts["weight"] * parts["estimate"]).sum() == pytest.approx(
        att(res)["estimate"], rel=1e-9
    )
    assert set(parts["kind"]) == {
        "treated vs never treated",
        "earlier vs later treated",
        "later vs earlier treated",
    }
