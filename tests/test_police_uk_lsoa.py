"""The police.uk LSOA panel on the real City of London files (April 2019 - March 2020) and the
pooled ITS the spec analyses/its_police_uk_city_lsoa.toml runs on it.

References: the counts against a plain pandas count of the same CSV rows; the pooled ITS
against statsmodels' Poisson GLM with LSOA dummies (point estimate to 1e-8) and its
Driscoll-Kraay covariance (``cov_type="hac-groupsum"``, Bartlett, same lag; standard error to
1e-6 relative) when fixed-b is off.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.data import loaders
from vrueval.data.loaders import police_uk

FOLDER = "police_uk_street_city_of_london_fy2019_20/raw"
CITY = ["E01000001", "E01000002", "E01000003", "E01000005", "E01032739", "E01032740"]


@pytest.fixture(scope="module")
def files(raw_data: Path) -> list[Path]:
    found = sorted((raw_data / FOLDER).glob("*-street.csv"))
    assert len(found) == 12
    return found


@pytest.fixture(scope="module")
def rows(files: list[Path]) -> pd.DataFrame:
    return pd.concat(
        (pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""]) for f in files),
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def panel(files: list[Path]) -> ve.Panel:
    return loaders.load("police_uk_lsoa", files)


def test_panel_is_lsoa_by_month_by_crime_type(panel: ve.Panel, rows: pd.DataFrame) -> None:
    assert panel.geography == "lsoa"
    assert panel.frequency == "month"
    located = rows.dropna(subset=["LSOA code"])
    assert sorted(panel.units) == sorted(located["LSOA code"].unique())
    assert len(panel.units) == 73 and len(panel.periods) == 12
    assert str(panel.periods[0]) == "2019-04" and str(panel.periods[-1]) == "2020-03"
    data = panel.data
    types = data.loc[data["outcome"] != police_uk.ALL_CRIME]
    assert types["value"].sum() == len(located) == 10_013 - 724
    assert any("724 record(s) without a location" in n for n in panel.notes)


def test_cells_equal_a_pandas_count(panel: ve.Panel, rows: pd.DataFrame) -> None:
    data = panel.data.set_index(["unit", "period", "outcome"])["value"]
    expected = (
        rows.dropna(subset=["LSOA code"]).groupby(["LSOA code", "Month", "Crime type"]).size()
    )
    for (lsoa, month, crime), n in expected.items():
        key = (lsoa, pd.Period(month, "M"), police_uk.common.slug(crime))
        assert data[key] == n
    # every cell with no such record in a reported month is a recorded zero, not missing
    assert int(data.isna().sum()) == 0
    assert int((data == 0).sum()) == len(data) - len(expected) - int(
        (panel.data.query("outcome == @police_uk.ALL_CRIME")["value"] > 0).sum()
    )


def test_all_crime_excludes_asb_and_is_flagged_derived(panel: ve.Panel, rows: pd.DataFrame) -> None:
    data = panel.data
    total = data.loc[data["outcome"] == police_uk.ALL_CRIME]
    assert total["derived"].all()
    assert not data.loc[data["outcome"] != police_uk.ALL_CRIME, "derived"].any()
    crimes = rows.loc[rows["Crime type"] != "Anti-social behaviour"].dropna(subset=["LSOA code"])
    by_lsoa = crimes.groupby("LSOA code").size()
    got = total.groupby("unit")["value"].sum()
    # an LSOA with anti-social behaviour only has a total of 0
    expected = by_lsoa.reindex(got.index, fill_value=0).astype(float)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert got.sum() == len(crimes) == 8_266


def test_the_six_city_lsoas_are_the_ones_police_uk_names_city_of_london(
    rows: pd.DataFrame, panel: ve.Panel
) -> None:
    names = rows.dropna(subset=["LSOA code"]).drop_duplicates("LSOA code")
    names = names.set_index("LSOA code")["LSOA name"]
    city = sorted(names[names.str.startswith("City of London ")].index)
    assert city == CITY
    # the spec's statement: one LSOA holds about three quarters of the six LSOAs' crimes
    counts = panel.select(outcome=police_uk.ALL_CRIME, units=CITY).data
    counts = counts.groupby("unit")["value"].sum()
    assert 0.70 < counts["E01032739"] / counts.sum() < 0.80


def test_a_month_without_a_file_is_missing_never_zero(files: list[Path], tmp_path: Path) -> None:
    for f in files:
        if "2019-06" not in f.name:
            shutil.copy(f, tmp_path / f.name)
    panel = police_uk.lsoa_panel([tmp_path])
    data = panel.data
    june = data["period"] == pd.Period("2019-06", "M")
    assert data.loc[june, "value"].isna().all()
    assert data.loc[~june, "value"].notna().all()
    assert len(panel.periods) == 12
    assert any("missing" in n for n in panel.notes)


def _reference_glm(panel: ve.Panel):  # type: ignore[no-untyped-def]
    import statsmodels.api as sm

    frame = panel.select(outcome=police_uk.ALL_CRIME, units=CITY).data
    frame = frame.sort_values(["period", "unit"], ignore_index=True)
    t = np.asarray([p.ordinal for p in frame["period"]])
    t = t - t.min()
    dummies = pd.get_dummies(frame["unit"], drop_first=True, dtype=float)
    X = np.column_stack([np.ones(len(frame)), dummies.to_numpy(), t, (t == t.max()).astype(float)])
    return sm.GLM(frame["value"].to_numpy(), X, family=sm.families.Poisson()), t


def test_pooled_its_equals_statsmodels(panel: ve.Panel) -> None:
    model, t = _reference_glm(panel)
    selected = panel.select(outcome=police_uk.ALL_CRIME, units=CITY)
    its = ve.ITS(
        selected,
        {"covid": "2020-03"},
        units=CITY,
        change="level",
        model="poisson",
        response="count",
    )
    res = its.fit(inference="hac", hac_fixed_b=False, hac_lag=1, hac_adjust=False)
    row = res.effects().set_index("term").loc["level_change"]
    ref = model.fit(
        cov_type="hac-groupsum", cov_kwds={"time": t, "maxlags": 1, "use_correction": False}
    )
    assert row["estimate"] == pytest.approx(np.exp(ref.params[-1]), rel=1e-8)
    # the standard error of a rate ratio is on the log scale (the coefficient's)
    assert row["std_error"] == pytest.approx(float(ref.bse[-1]), rel=1e-6)
