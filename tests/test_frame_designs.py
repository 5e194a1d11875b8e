"""DataFrames in, everywhere: ITS, DiD and the event study on any units, one validator.

A frame with named columns becomes a Panel through ``Panel.from_frame`` and then follows the
Panel path, so the two paths give identical numbers; the units can be anything (hospitals, store
numbers, US states, LSOAs, LADs by name or code), and what a design cannot use yet is refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.data.panel import Panel, PanelError

MONTHS = [str(p) for p in pd.period_range("2017-01", periods=48, freq="M")]
START = "2019-06"
STATES = ["Texas", "Ohio", "Utah", "Iowa", "Maine", "Idaho", "Kansas", "Nevada", "Oregon", "Alaska"]
LSOAS = [f"E0100{i:04d}" for i in range(1, 13)]
LADS = [
    "Coventry",
    "E08000025",
    "Bristol, City of",
    "Leeds",
    "E06000001",
    "Camden",
    "Manchester",
    "York",
]


def frame(units: list[object], n_treated: int, seed: int = 1) -> pd.DataFrame:
    """A monthly count per unit with population; the first ``n_treated`` units get +4 from
    START; ``D`` is the treatment indicator, ``group`` the 0/1 treated-unit marker."""
    rng = np.random.default_rng(seed)
    n = len(units)
    site = np.repeat(np.asarray(units, dtype=object), len(MONTHS))
    month = np.tile(MONTHS, n)
    treated_unit = np.repeat(np.arange(n) < n_treated, len(MONTHS))
    post = np.asarray(month) >= START
    level = np.repeat(20 + 3 * (np.arange(n) % 5), len(MONTHS))
    y = rng.poisson(level + 4 * (treated_unit & post)).astype(float)
    return pd.DataFrame(
        {
            "site": site,
            "month": month,
            "count": y,
            "pop": 50_000.0,
            "D": (treated_unit & post).astype(int),
            "group": treated_unit.astype(int),
        }
    )


CASES = {
    "hospitals": ([f"A&E {i}" for i in range(1, 7)], 3, "custom", "randomization"),
    "stores": (list(range(1, 21)), 6, "custom", "cr1"),
    "us_states": (STATES, 4, "custom", "cr1"),
    "lsoas": (LSOAS, 4, "lsoa", "cr1"),
    "lads": (LADS, 3, "lad", "cr1"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_any_units_run_through_its_did_and_the_event_study(case):
    units, n_treated, geography, inference = CASES[case]
    df = frame(units, n_treated)
    columns = {"unit": "site", "time": "month", "population": "pop", "geography": geography}
    treated = units[:n_treated]

    its = ve.ITS(
        df.drop(columns=["D", "group"]),
        {"programme": START},
        outcome="count",
        treated=treated[0],
        controls=units[n_treated:],
        model="poisson",
        **columns,
    )
    res = its.fit(inference="hac")
    assert np.isfinite(res.effects()["estimate"]).all()

    did = ve.DiD(df.drop(columns="group"), "count", treated="D", **columns)
    seed = {"seed": 1} if inference == "randomization" else {}
    effects = did.fit(inference=inference, **seed).effects()
    att = effects.set_index("term").loc["att"]
    assert 0 < att["estimate"] < 8  # the planted +4
    assert np.isfinite(att["std_error"])

    es = ve.EventStudy(df.drop(columns="group"), "count", treated="D", leads=3, lags=3, **columns)
    terms = es.fit(inference="cr1" if inference != "randomization" else "cr2").effects()
    assert "att:e=0" in set(terms["term"])


def test_the_frame_path_gives_the_panel_path_numbers():
    df = frame(list(range(1, 21)), 6)
    panel = Panel.from_frame(
        df.drop(columns=["D", "group"]),
        unit="site",
        time="month",
        outcome="count",
        population="pop",
        geography="custom",
    )
    treated = [str(u) for u in range(1, 7)]
    columns = {"unit": "site", "time": "month", "population": "pop"}

    by_panel = ve.DiD(panel, "count", treated=treated, start=START).fit(inference="cr2")
    by_group = ve.DiD(df.drop(columns="D"), "count", treated="group", start=START, **columns)
    by_switch = ve.DiD(df.drop(columns="group"), "count", treated="D", **columns)
    by_list = ve.DiD(
        df.drop(columns=["D", "group"]), "count", treated=list(range(1, 7)), start=START, **columns
    )
    for design in (by_group, by_switch, by_list):
        pd.testing.assert_frame_equal(design.fit(inference="cr2").effects(), by_panel.effects())

    es_panel = ve.EventStudy(panel, "count", treated=treated, start=START, leads=4, lags=4)
    es_frame = ve.EventStudy(
        df.drop(columns="group"), "count", treated="D", leads=4, lags=4, **columns
    )
    pd.testing.assert_frame_equal(es_frame.fit().effects(), es_panel.fit().effects())

    its_panel = ve.ITS(panel, {"p": START}, unit="1", model="poisson")
    its_frame = ve.ITS(
        df.drop(columns=["D", "group"]),
        {"p": START},
        outcome="count",
        treated=1,
        model="poisson",
        **columns,
    )
    pd.testing.assert_frame_equal(its_frame.fit().effects(), its_panel.fit().effects())


def test_a_pooled_its_takes_a_frame_of_several_units():
    """``units=[...]`` pools a frame's series as it pools a Panel's (no ``treated=`` needed),
    with the same numbers."""
    df = frame(list(range(1, 7)), 6).drop(columns=["D", "group"])
    columns = {"unit": "site", "time": "month", "population": "pop"}
    panel = Panel.from_frame(df, outcome="count", geography="custom", **columns)
    pooled = ["1", "2", "3", "4"]
    by_panel = ve.ITS(panel, {"p": START}, units=pooled, model="poisson").fit("hac")
    by_frame = ve.ITS(
        df, {"p": START}, outcome="count", units=pooled, model="poisson", **columns
    ).fit("hac")
    pd.testing.assert_frame_equal(by_frame.effects(), by_panel.effects())
    assert by_frame.settings["units"] == by_panel.settings["units"]


def test_first_treated_column_gives_staggered_starts():
    df = frame(list(range(1, 13)), 0).drop(columns=["D", "group"])
    first = {1: "2019-03", 2: "2019-03", 3: "2020-01", 4: "2020-01"}
    df["first"] = df["site"].map(first)  # NaN: never treated
    did = ve.DiD(df, "count", unit="site", time="month", first_treated="first", population="pop")
    assert did.start == {
        "1": pd.Period("2019-03", "M"),
        "2": pd.Period("2019-03", "M"),
        "3": pd.Period("2020-01", "M"),
        "4": pd.Period("2020-01", "M"),
    }
    res = did.fit()
    assert any("different times" in w for w in res.warnings)


def test_a_single_series_needs_no_unit_column():
    df = frame(["only"], 1).loc[:, ["month", "count"]]
    res = ve.ITS(df, {"p": START}, time="month", outcome="count").fit()
    assert set(res.effects()["term"]) == {"level_change", "slope_change"}


def test_force_frames_keep_the_vru_defaults(raw_data):
    css = ve.datasets.crime_severity()
    panel = css.select(outcome="css_robbery")
    df = panel.data.loc[:, ["unit", "period", "value", "population"]]
    df["period"] = df["period"].map(lambda p: f"{p.year - 1}/{str(p.year)[2:]}")
    by_panel = ve.DiD(css, "css_robbery", start="2019/20").fit()
    by_frame = ve.DiD(
        df,
        "value",
        unit="unit",
        time="period",
        population="population",
        geography="pfa",
        measure="score",
        start="2019/20",
    ).fit()
    cols = ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value"]
    pd.testing.assert_frame_equal(by_frame.effects()[cols], by_panel.effects()[cols])


def test_roles_its_cannot_use_yet_are_refused():
    """ITS reads covariate columns (test below) but no cluster or weights column; DiD and the
    event study read all three (tests/test_did_complete.py)."""
    df = frame(list(range(1, 9)), 3).assign(x=1.0, w=1.0, region="N")
    base = {"unit": "site", "time": "month", "population": "pop"}

    def make(**more):
        return ve.ITS(
            df.drop(columns=["D", "group"]), START, outcome="count", treated=1, **base, **more
        )

    with pytest.raises(ValueError, match="cluster= is not yet supported by ITS"):
        make(cluster="region")
    with pytest.raises(ValueError, match="weights= is not yet supported by ITS"):
        make(weights="w")


def test_its_covariate_columns_equal_a_covariate_table():
    """ITS(frame, covariates=[columns]) fits exactly what the covariate table gives."""
    df = frame(list(range(1, 9)), 3).drop(columns=["D", "group"])
    df["x"] = np.sin(np.arange(len(df)) / 3.0)
    base = {"unit": "site", "time": "month", "population": "pop"}
    by_column = ve.ITS(df, START, outcome="count", treated=1, covariates="x", **base).fit()
    table = df[["site", "month", "x"]].rename(columns={"site": "unit", "month": "period"})
    by_table = ve.ITS(
        df.drop(columns="x"), START, outcome="count", treated=1, covariates=table, **base
    ).fit()
    pd.testing.assert_frame_equal(by_column.coefficients(), by_table.coefficients())
    assert "covariate:x" in set(by_column.coefficients()["term"])


def test_frame_errors_name_what_is_wrong():
    df = frame(["A&E 1", "A&E 2", "A&E 3"], 1)
    cols = {"unit": "site", "time": "month", "population": "pop"}
    with pytest.raises(ValueError, match="treated= is required for a 'custom' panel"):
        ve.DiD(df.drop(columns=["D", "group"]), "count", start=START, **cols)
    with pytest.raises(ValueError, match="treated= is required for a 'lad' panel"):
        ve.EventStudy(
            frame(LADS, 2).drop(columns=["D", "group"]),
            "count",
            start=START,
            geography="lad",
            **cols,
        )
    # a column no role names is left out, as R did and fixest leave it
    wide = frame([f"A&E {i}" for i in range(1, 13)], 4)
    pd.testing.assert_frame_equal(
        ve.DiD(wide, "count", treated="D", **cols).fit().effects(),
        ve.DiD(wide.drop(columns="group"), "count", treated="D", **cols).fit().effects(),
    )
    off_again = df.drop(columns="group")
    off_again.loc[(off_again["site"] == "A&E 1") & (off_again["month"] == "2020-01"), "D"] = 0
    with pytest.raises(PanelError, match=r"switches off again in unit\(s\) \['A&E 1'\]"):
        ve.DiD(off_again, "count", treated="D", **cols)
    with pytest.raises(PanelError, match=r"varies within unit\(s\) \['A&E 1'\]"):
        ve.DiD(df.drop(columns="group"), "count", treated="D", start=START, **cols)
    with pytest.raises(ValueError, match="describe a DataFrame's columns"):
        ve.DiD(ve.datasets.crime_severity(), "css_robbery", start="2019/20", time="period")
    with pytest.raises(ValueError, match="has 3 units; pass treated="):
        ve.ITS(df.drop(columns=["D", "group"]), START, outcome="count", **cols)


def test_missing_covariate_of_a_custom_unit_is_named_as_given():
    """A per-unit covariate gap names the user's unit, never a force it fuzzily resembles."""
    df = frame(list(range(1, 11)), 3).drop(columns=["D", "group"])
    df["x"] = np.random.default_rng(0).normal(size=len(df))
    df.loc[10, "x"] = np.nan  # unit 1, its eleventh month
    with pytest.raises(ValueError, match=r"covariate\(s\) \['x'\] of 1 missing at 1 period") as e:
        ve.ITS(
            df,
            {"p": START},
            outcome="count",
            treated=1,
            covariates=["x"],
            unit="site",
            time="month",
            population="pop",
        )
    assert "Did you mean" not in str(e.value)


def test_synthetic_control_interval_unbounded_when_placebos_cannot_reject():
    """Three placebos cannot give a p-value below 0.05: the interval says so (was +-z*sd)."""
    df = frame([f"S{i}" for i in range(1, 5)], 1).drop(columns="group")
    res = ve.SyntheticControl(df, outcome="count", treated="D", unit="site", time="month").fit()
    att = res.effects().set_index("term").loc["att"]
    assert att["conf_low"] == -np.inf and att["conf_high"] == np.inf
    assert any("interval is unbounded" in w for w in res.warnings)


def test_sdid_warns_when_time_weights_interpolate_the_donors():
    """Monthly panels with fewer donors than pre-periods: the placebo SE (0.15 here against a
    refit-from-scratch spread of about 1.6) is flagged rather than reported as if it held."""
    df = frame([f"S{i}" for i in range(1, 13)], 1).drop(columns="group")
    design = ve.SyntheticDiD(df, outcome="count", treated="D", unit="site", time="month")
    res = design.fit(inference="placebo", seed=1, draws=100)
    assert any("time weights fit every donor" in w for w in res.warnings)
    assert not any(
        "time weights fit every donor" in w for w in design.fit(inference="none").warnings
    )


def test_its_count_model_without_population_says_how_to_fit_counts():
    months = pd.period_range("2017-01", periods=48, freq="M").astype(str)
    y = np.random.default_rng(1).poisson(20, 48).astype(float)
    df = pd.DataFrame({"m": months, "y": y})
    with pytest.raises(ValueError, match="the series has none: .* or response='count'"):
        ve.ITS(df, "2019-06", time="m", outcome="y", model="poisson")
    res = ve.ITS(df, "2019-06", time="m", outcome="y", model="poisson", response="count").fit()
    assert res.effects()["scale"].eq("ratio").all()
    df.loc[3, "y"] = np.nan
    with pytest.raises(ValueError, match="1 missing value\\(s\\) in the series \\(never"):
        ve.ITS(df, "2019-06", time="m", outcome="y", model="poisson", response="count")


def test_a_misspelt_role_column_is_named_among_all_the_frames_columns():
    df = frame([f"A&E {i}" for i in range(1, 13)], 4).assign(note="x")
    with pytest.raises(
        PanelError, match=r"\['Pop'\] not in the frame; it has \[.*'group', 'note'\]"
    ):
        ve.DiD(df, "count", treated="D", unit="site", time="month", population="Pop")
