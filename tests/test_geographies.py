"""Geographies as data: registries, statistical-area codes, custom units, panels of any unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vrueval import areas
from vrueval.data.panel import Panel, PanelError
from vrueval.data.periods import _exact_ordinals, parse_period
from vrueval.data.storage import METADATA_KEY, panel_metadata, read_panel, write_panel

MONTHS = [str(p) for p in pd.period_range("2019-01", periods=6, freq="M")]


def named(units: list[object], **more: object) -> pd.DataFrame:
    """One row per unit and month: columns site, month, y (and ``more``)."""
    n = len(units)
    frame = pd.DataFrame(
        {
            "site": np.repeat(np.asarray(units, dtype=object), len(MONTHS)),
            "month": MONTHS * n,
            "y": np.arange(n * len(MONTHS), dtype=float),
        }
    )
    return frame.assign(**more)


def test_registries_are_built_from_the_official_lookup(raw_data):
    assert len(areas.lads()) == 318
    assert len(areas.london_boroughs()) == 33
    assert all(a.code.startswith("E09") for a in areas.london_boroughs())
    assert len(areas.csps()) == 314
    forces = {a.code for a in areas.forces()}
    assert {a.force for a in areas.lads()} == forces
    assert {a.force for a in areas.csps()} == forces
    # every CSP of ONS Table C2 (YE Jun 2025) is registered, in the same force area
    c2 = pd.read_csv(
        raw_data
        / "ons_pfa_tables_ye_jun2025"
        / "recorded_crime_by_offence_group_pfa_csp_ye_jun2025_tableC2.csv"
    )
    c2 = c2.loc[c2["row_level"] == "csp"].dropna(subset=["csp_code"])
    pairs = set(zip(c2["csp_code"], c2["pfa_code"], strict=True))
    assert {(c, areas.get(c, "csp").force) for c, _ in pairs} == pairs
    assert areas.get("Coventry", "lad").region == "West Midlands"


def test_coventry_resolves_as_an_lad_not_fuzzily_to_kent():
    assert areas.resolve("Coventry", "lad") == "E08000026"
    assert areas.resolve("Bristol", "lad") == areas.resolve("Bristol, City of", "lad")
    panel = Panel.from_frame(
        named(["Coventry", "E08000025", "Bristol, City of"]),
        unit="site",
        time="month",
        outcome="y",
        geography="lad",
    )
    assert panel.geography == "lad"
    assert set(panel.units) == {"E08000026", "E08000025", "E06000023"}
    with pytest.raises(PanelError, match="Did you mean 'Coventry'"):
        Panel.from_frame(
            named(["Coventri"]), unit="site", time="month", outcome="y", geography="lad"
        )
    # force areas keep their own registry: Coventry is no force
    with pytest.raises(PanelError, match="unknown police force area 'Coventry'"):
        Panel.from_frame(named(["Coventry"]), unit="site", time="month", outcome="y")
    assert areas.resolve("Camden", "london_borough") == "E09000007"
    with pytest.raises(areas.UnknownAreaError, match="London borough"):
        areas.resolve("Coventry", "london_borough")


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (list(range(1, 21)), [str(i) for i in range(1, 21)]),
        (["A&E 1", "A&E 2", "A&E 3"], ["A&E 1", "A&E 2", "A&E 3"]),
        (["Sicily", "Texas", "Coventry"], ["Coventry", "Sicily", "Texas"]),
    ],
)
def test_custom_units_are_taken_as_given(units, expected):
    panel = Panel.from_frame(
        named(units), unit="site", time="month", outcome="y", geography="custom"
    )
    assert sorted(panel.units) == sorted(expected)
    assert panel.geography == "custom"
    assert areas.resolve(1, "custom") == "1"


def test_custom_unit_must_be_present_and_not_boolean():
    frame = named(["a", "b"])
    frame.loc[3, "site"] = None
    with pytest.raises(PanelError, match="missing unit") as err:
        Panel.from_frame(frame, unit="site", time="month", outcome="y", geography="custom")
    assert err.value.rows is not None and list(err.value.rows.index) == [3]
    with pytest.raises(PanelError, match="boolean"):
        Panel.from_frame(
            named([True, False]), unit="site", time="month", outcome="y", geography="custom"
        )


def test_malformed_lsoa_code_is_refused_naming_it():
    good = ["E01000001", "w01000002", "E01033702"]
    panel = Panel.from_frame(named(good), unit="site", time="month", outcome="y", geography="lsoa")
    assert set(panel.units) == {"E01000001", "W01000002", "E01033702"}
    with pytest.raises(PanelError, match=r"'E0100001' is not an LSOA code") as err:
        Panel.from_frame(
            named([*good, "E0100001"]), unit="site", time="month", outcome="y", geography="lsoa"
        )
    assert err.value.rows is not None and set(err.value.rows["unit"]) == {"E0100001"}
    with pytest.raises(PanelError, match="not an MSOA code"):
        Panel.from_frame(named(good), unit="site", time="month", outcome="y", geography="msoa")


def test_lsoas_map_to_lad_and_force_only_through_a_given_lookup():
    with pytest.raises(ValueError, match="only through a lookup"):
        areas.parents(["E01000001"], "lsoa", "force")
    lookup = {"E01000001": "City of London", "E01033702": "E08000026"}
    assert areas.parents(["E01000001", "E01033702"], "lsoa", "force", lookup) == {
        "E01000001": "E23000034",
        "E01033702": "E23000014",
    }
    assert areas.parents(["E01033702"], "lsoa", "lad", lookup) == {"E01033702": "E08000026"}
    with pytest.raises(ValueError, match="does not cover"):
        areas.parents(["E01000002"], "lsoa", "force", lookup)
    assert areas.parents(["Camden"], "london_borough", "region") == {"E09000007": "E12000007"}


def test_duplicate_unit_period_row_is_refused_naming_the_row():
    frame = pd.concat([named(["A&E 1", "A&E 2"]), named(["A&E 2"]).iloc[[2]]])
    frame.index = [f"row{i}" for i in range(len(frame))]
    with pytest.raises(PanelError, match="rows share a \\(unit, period, outcome\\) key") as err:
        Panel.from_frame(frame, unit="site", time="month", outcome="y", geography="custom")
    assert "row8" in str(err.value) and "row12" in str(err.value)


def test_unnamed_columns_are_refused_and_named_ones_carried():
    frame = named(["a", "b"], stdpop=1000.0)
    with pytest.raises(PanelError, match=r"unexpected column\(s\) \['stdpop'\]: name each with"):
        Panel.from_frame(frame, unit="site", time="month", outcome="y", geography="custom")
    frame = named(["a", "b"], pop=1000.0, w=1.0, force="F1", x1=0.5)
    panel = Panel.from_frame(
        frame,
        unit="site",
        time="month",
        outcome="y",
        population="pop",
        weights="w",
        cluster="force",
        covariates=["x1"],
        geography="custom",
    )
    d = panel.data
    assert panel.covariates == ("x1",)
    assert {"weights", "cluster", "x1"} <= set(d.columns)
    assert (d["population"] == 1000).all() and (d["cluster"] == "F1").all()
    assert panel.select(units=["a"]).covariates == ("x1",)
    with pytest.raises(PanelError, match="negative weight"):
        Panel.from_frame(
            named(["a"], w=-1.0),
            unit="site",
            time="month",
            outcome="y",
            weights="w",
            geography="custom",
        )
    with pytest.raises(PanelError, match="reserved names"):
        Panel.from_frame(
            named(["a"], value=1.0),
            unit="site",
            time="month",
            outcome="y",
            covariates=["value"],
            geography="custom",
        )


def test_several_outcome_columns_become_outcomes():
    frame = named(["a", "b"], z=2.0)
    panel = Panel.from_frame(
        frame, unit="site", time="month", outcome=["y", "z"], geography="custom"
    )
    assert panel.outcomes == ("y", "z")
    assert len(panel) == 2 * len(frame)


def test_frequency_is_read_from_the_labels_or_asked_for():
    assert (
        Panel.from_frame(
            named(["a"]), unit="site", time="month", outcome="y", geography="custom"
        ).frequency
        == "month"
    )
    years = pd.DataFrame({"s": ["TX"] * 3, "yr": [2001, 2002, 2003], "y": [1.0, 2.0, 3.0]})
    assert (
        Panel.from_frame(years, unit="s", time="yr", outcome="y", geography="custom").frequency
        == "year"
    )
    dates = years.assign(yr=pd.to_datetime(["2001-01-01", "2001-02-01", "2001-03-01"]))
    with pytest.raises(PanelError, match="pass frequency="):
        Panel.from_frame(dates, unit="s", time="yr", outcome="y", geography="custom")
    assert (
        Panel.from_frame(
            dates, unit="s", time="yr", outcome="y", geography="custom", frequency="month"
        ).frequency
        == "month"
    )


def test_pfa_is_the_force_geography_and_old_panels_are_unchanged():
    frame = pd.DataFrame(
        {
            "unit": ["West Midlands"] * 2,
            "period": ["2019-01", "2019-02"],
            "outcome": "y",
            "value": [1.0, 2.0],
        }
    )
    old = Panel.from_frame(frame, frequency="month")
    new = Panel.from_frame(frame, frequency="month", geography="pfa")
    assert old.geography == new.geography == "force"
    assert old.data.equals(new.data)
    assert list(old.data.columns) == [
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
    # the stored metadata of a panel without covariates has exactly the keys it always had
    assert set(panel_metadata(old)) == {
        "layout",
        "frequency",
        "measure",
        "geography",
        "sources",
        "notes",
    }


@pytest.mark.parametrize(
    ("units", "geography"),
    [
        (list(range(1, 6)), "custom"),
        (["Coventry", "Camden"], "lad"),
        (["Camden", "Hackney"], "london_borough"),
        (["E01000001", "W01000002"], "lsoa"),
        (["West Midlands", "Kent"], "pfa"),
    ],
)
def test_geography_round_trips_through_storage(tmp_path, units, geography):
    frame = named(units, w=1.0, grp=7, x=0.25)
    panel = Panel.from_frame(
        frame,
        unit="site",
        time="month",
        outcome="y",
        weights="w",
        cluster="grp",
        covariates="x",
        geography=geography,
    )
    path = tmp_path / "panel.parquet"
    write_panel(panel, path)
    back = read_panel(path)
    assert back.geography == panel.geography == areas.canonical(geography)
    assert back.covariates == ("x",)
    pd.testing.assert_frame_equal(back.data, panel.data)
    import json

    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(path).metadata[METADATA_KEY])
    assert meta["geography"] == areas.canonical(geography)


def test_exact_period_labels_parse_as_the_general_parser_does():
    cases = {
        "month": ["2019-10", "2019-1", "1965-12", " 2019-01 ", "2019-13"],
        "rolling_12m": ["2019-03"],
        "quarter": ["2019Q4", "2019-Q1", "1960q2", "2019 Q3"],
        "financial_year": ["2019/20", "FY2019/20", "2019/2020", "fy 1999/2000", "2019/21"],
        "year": ["2019", 2019, np.int64(1990), "1969", True],
    }
    for frequency, labels in cases.items():
        exact = _exact_ordinals(np.asarray(labels, dtype=object), frequency)
        for label, ordinal in zip(labels, exact, strict=True):
            if ordinal is not None:
                assert ordinal == parse_period(label, frequency).ordinal, (frequency, label)
    assert _exact_ordinals(np.asarray(["2019-13", "2019/21", True], dtype=object), "month") == [
        None,
        None,
        None,
    ]


def test_unknown_units_say_what_they_might_be_instead():
    """Units none of which is an area of the geography point to geography='custom'; a
    well-formed ONS code the registry lacks is said to be one, with no nearest name."""
    frame = named(["H1", "H2"])
    with pytest.raises(PanelError, match="None of the 2 unit\\(s\\) is a force area") as err:
        Panel.from_frame(frame, unit="site", time="month", outcome="y")
    assert "geography='custom'" in str(err.value)
    with pytest.raises(areas.UnknownAreaError, match="form of an ONS code") as code:
        areas.resolve("E07000026", "lad")  # Allerdale, merged into Cumberland in 2023
    assert "Did you mean" not in str(code.value)
