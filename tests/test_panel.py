import numpy as np
import pandas as pd
import pytest

from vrueval import Panel, PanelError


def frame(**overrides):
    base = {
        "unit": ["West Midlands"] * 4 + ["Kent"] * 4,
        "period": ["2019Q1", "2019Q2", "2019Q3", "2019Q4"] * 2,
        "outcome": "knife_offences",
        "value": [700.0, 710.0, np.nan, 690.0, 200.0, 210.0, 205.0, 199.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_valid_panel_is_canonical_and_keeps_missing():
    raw = frame()
    before = raw.copy()
    panel = Panel.from_frame(raw, frequency="quarter")
    pd.testing.assert_frame_equal(raw, before)  # the caller's frame is untouched
    data = panel.data
    assert list(data.columns) == [
        "unit",
        "period",
        "outcome",
        "value",
        "population",
        "suppressed",
        "unavailable",
        "provisional",
        "derived",
    ]
    assert set(data["unit"]) == {"E23000014", "E23000032"}
    assert str(data["period"].dtype) == "period[Q-DEC]"
    missing = panel.missing()
    assert len(missing) == 1 and missing.loc[0, "unit"] == "E23000014"
    assert np.isnan(panel.series("West Midlands", "knife_offences").loc["2019Q3", "value"])


def test_panel_is_read_only():
    panel = Panel.from_frame(frame(), frequency="quarter")
    copy = panel.data
    copy.loc[0, "value"] = -5
    assert panel.data.loc[0, "value"] != -5


def test_unknown_unit_suggests_nearest():
    with pytest.raises(PanelError, match="Did you mean 'West Midlands'"):
        Panel.from_frame(frame(unit=["West Midlnds"] * 4 + ["Kent"] * 4), frequency="quarter")


def test_duplicate_keys_show_rows():
    bad = frame(period=["2019Q1", "2019Q1", "2019Q3", "2019Q4"] * 2)
    with pytest.raises(PanelError, match=r"rows share a \(unit, period, outcome\) key") as err:
        Panel.from_frame(bad, frequency="quarter")
    assert err.value.rows is not None and len(err.value.rows) == 4


def test_missing_period_is_an_error_not_a_gap():
    bad = frame().drop(index=1)
    with pytest.raises(PanelError, match="1 missing period.*2019Q2"):
        Panel.from_frame(bad, frequency="quarter")


def test_negative_counts_rejected_but_not_for_scores():
    bad = frame(value=[1.0, -2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0])
    with pytest.raises(PanelError, match="1 negative count"):
        Panel.from_frame(bad, frequency="quarter")
    Panel.from_frame(bad, frequency="quarter", measure="rate")


@pytest.mark.parametrize("token", ["..", "[x]", "[c]", "*", ":"])
def test_suppression_markers_must_be_explicit(token):
    bad = frame(value=["1", token, "3", "4", "1", "2", "3", "4"])
    with pytest.raises(PanelError, match="non-numeric value"):
        Panel.from_frame(bad, frequency="quarter")


def test_suppressed_cell_must_be_missing():
    bad = frame(suppressed=[False, True, False, False] * 2)
    with pytest.raises(PanelError, match="suppressed carry a value"):
        Panel.from_frame(bad, frequency="quarter")
    ok = frame(
        suppressed=[False, False, True, False] * 2,
        value=[1.0, 2.0, np.nan, 4.0, 1.0, 2.0, np.nan, 4.0],
    )
    panel = Panel.from_frame(ok, frequency="quarter")
    assert panel.missing()["suppressed"].all()
    assert not panel.missing()["unavailable"].any()


def test_unavailable_cell_must_be_missing_and_not_also_suppressed():
    bad = frame(unavailable=[False, True, False, False] * 2)
    with pytest.raises(PanelError, match="unavailable carry a value"):
        Panel.from_frame(bad, frequency="quarter")
    both = frame(
        suppressed=[False, False, True, False] * 2,
        unavailable=[False, False, True, False] * 2,
        value=[1.0, 2.0, np.nan, 4.0, 1.0, 2.0, np.nan, 4.0],
    )
    with pytest.raises(PanelError, match="both suppressed"):
        Panel.from_frame(both, frequency="quarter")
    ok = both.assign(suppressed=False)
    panel = Panel.from_frame(ok, frequency="quarter")
    missing = panel.missing()
    assert missing["unavailable"].all() and not missing["suppressed"].any()
    assert panel.coverage()["unavailable"].item() == 2


def test_unreadable_periods_and_missing_columns():
    with pytest.raises(PanelError, match="cannot be read as month periods"):
        Panel.from_frame(frame(period=["2019-13"] * 8), frequency="month")
    with pytest.raises(PanelError, match=r"missing column\(s\) \['value'\]"):
        Panel.from_frame(frame().drop(columns="value"), frequency="quarter")
    with pytest.raises(ValueError, match="frequency must be one of"):
        Panel.from_frame(frame(), frequency="weekly")  # type: ignore[arg-type]


def test_financial_year_labels():
    d = pd.DataFrame(
        {
            "unit": "Kent",
            "period": ["2017/18", "FY2018/19", "2019/2020"],
            "outcome": "x",
            "value": 1.0,
        }
    )
    panel = Panel.from_frame(d, frequency="financial_year")
    assert [str(p) for p in panel.periods] == ["2018", "2019", "2020"]
    with pytest.raises(PanelError, match="ambiguous"):
        Panel.from_frame(d.assign(period=["2017/18", "2018/19", 2020]), frequency="financial_year")
    with pytest.raises(PanelError):
        Panel.from_frame(
            d.assign(period=["2017/19", "2018/19", "2019/20"]), frequency="financial_year"
        )


def test_rolling_years_are_labelled_and_can_be_thinned():
    d = pd.DataFrame(
        {
            "unit": "Kent",
            "period": pd.period_range("2017-03", "2019-12", freq="3M").astype(str),
            "outcome": "robbery",
            "value": 1.0,
        }
    )
    panel = Panel.from_frame(d, frequency="rolling_12m")
    assert panel.step == 3 and panel.overlapping
    annual = panel.non_overlapping(6)
    assert not annual.overlapping
    assert [str(p) for p in annual.periods] == ["2017-06", "2018-06", "2019-06"]


def test_select_and_wide():
    panel = Panel.from_frame(frame(), frequency="quarter")
    sub = panel.select(units=["Kent"], start="2019Q2")
    assert sub.units == ("E23000032",) and len(sub) == 3
    wide = panel.wide("knife_offences")
    assert wide.shape == (4, 2)
    with pytest.raises(PanelError, match="unknown outcome"):
        panel.select(outcome="homicide")


def test_at_keeps_listed_periods_for_a_long_difference():
    d = pd.DataFrame(
        {
            "unit": "Kent",
            "period": pd.period_range("2018-06", "2025-06", freq="12M").astype(str),
            "outcome": "robbery",
            "value": [1.0, 2.0, np.nan, np.nan, np.nan, np.nan, np.nan, 3.0],
        }
    )
    panel = Panel.from_frame(d, frequency="rolling_12m")
    ends = panel.at(["2019-06", "2025-06"])
    assert [str(p) for p in ends.periods] == ["2019-06", "2025-06"]
    assert ends.step == 72 and not ends.overlapping
    with pytest.raises(PanelError, match="not in this panel"):
        panel.at(["2030-06"])


def test_fill_suppressed_is_explicit_and_flagged():
    ok = frame(
        suppressed=[False, False, True, False] * 2,
        value=[1.0, 2.0, np.nan, 4.0, 1.0, 2.0, np.nan, 4.0],
    )
    panel = Panel.from_frame(ok, frequency="quarter")
    filled = panel.fill_suppressed(7)
    d = filled.data
    assert d["value"].notna().all() and not d["suppressed"].any()
    assert d.loc[d["derived"], "value"].eq(7.0).all() and d["derived"].sum() == 2
    assert "set to 7 for a sensitivity analysis" in filled.notes[-1]
    assert panel.data["value"].isna().sum() == 2  # the original is untouched
    with pytest.raises(ValueError, match="non-negative"):
        panel.fill_suppressed(-1)


def _rebuilt(panel: Panel) -> Panel:
    """The same validated rows in a Panel whose caches start empty (worked out from text)."""
    return Panel(
        panel._data,
        panel.frequency,
        panel.measure,
        panel.geography,
        panel.sources,
        panel.notes,
        panel.step,
        panel.covariates,
    )


@pytest.mark.parametrize(
    "case", ["two outcomes", "integer units", "integer index", "force names", "one unit"]
)
def test_caches_filled_by_validation_equal_what_the_text_gives(case):
    # from_frame fills units, outcomes and the period x unit layouts from its integer keys;
    # each must equal what the panel works out from its text columns on first use
    rng = np.random.default_rng(0)
    d = pd.DataFrame(
        {
            "u": np.repeat(["b", "a", "c"], 5),
            "t": np.tile([f"2019-0{i}" for i in range(1, 6)], 3),
            "y": rng.poisson(5, 15),
            "z": rng.poisson(5, 15),
        }
    ).drop(index=[0, 14])  # a unit starting late, another ending early
    if case == "two outcomes":
        panel = Panel.from_frame(d, unit="u", time="t", outcome=["z", "y"], geography="custom")
    elif case == "integer units":  # keys as text: "10" sorts before "2"
        d = d.drop(columns="z").assign(u=d["u"].map({"a": 3, "b": 10, "c": 2}))
        panel = Panel.from_frame(d, unit="u", time="t", outcome="y", geography="custom")
    elif case == "integer index":
        d = d.drop(columns="z").assign(t=d["t"].str[-1].astype(int))
        panel = Panel.from_frame(
            d, unit="u", time="t", outcome="y", geography="custom", frequency="index"
        )
    elif case == "force names":  # two spellings, one code
        d = d[d["u"] != "a"].assign(u=d["u"].map({"b": "Kent", "c": "west midlands"}))
        panel = Panel.from_frame(d, unit="u", time="t", outcome=["y", "z"], geography="force")
    else:
        panel = Panel.from_frame(
            d[d["u"] == "a"], unit="u", time="t", outcome=["y", "z"], geography="custom"
        )
    cold = _rebuilt(panel)
    assert panel._units == cold.units and panel._outcomes == cold.outcomes
    assert set(panel._layouts) == set(cold.outcomes)
    for outcome in cold.outcomes:
        eager, worked_out = panel._layouts[outcome], cold._layout(outcome)
        for a, b in zip(eager[:3], worked_out[:3], strict=True):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
        for a, b in zip(eager[3:], worked_out[3:], strict=True):
            pd.testing.assert_index_equal(a, b, exact=True)
        pd.testing.assert_frame_equal(panel.wide(outcome), _rebuilt(panel).wide(outcome))
