"""Loaders for official files: each reproduces the project's tidy extract of its raw files
exactly, and the data README's traps hold (gaps stay missing, rolling totals labelled,
vintages recorded, unknown layouts refused with what was expected)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrueval.data import loaders
from vrueval.data.loaders import (
    LayoutError,
    common,
    crime_severity,
    hes_workbook,
    home_office_open_data,
    knife_quarterly,
    ons_pfa_tables,
    population,
)
from vrueval.data.panel import Panel

DATA = Path(__file__).resolve().parents[1] / "data"
PFA = DATA / "ons_pfa_tables_2018_2019"
JUN25 = DATA / "ons_pfa_tables_ye_jun2025"
HES = DATA / "hes_sharp_object_region_2012_2022"
POP = DATA / "population_pfa" / "mid2011_2023"

GMP = "E23000005"


def _same(mine: pd.DataFrame, tidy: Path, sort: list[str] | None = None) -> None:
    """Identical to the tidy CSV after both go through CSV text (values, rows, order)."""
    ref = pd.read_csv(tidy)
    got = pd.read_csv(io.StringIO(mine.to_csv(index=False)))[list(ref.columns)]
    if sort:
        ref = ref.sort_values(sort, kind="stable").reset_index(drop=True)
        got = got.sort_values(sort, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False, check_exact=True)


@pytest.fixture(scope="module")
def editions() -> list[Path]:
    files = sorted((PFA / "raw").glob("*.xlsx"))
    assert len(files) == 8
    return files


# -- ONS PFA tables ---------------------------------------------------------------------------
def test_offence_groups_reproduce_tidy(editions: list[Path]) -> None:
    _same(
        ons_pfa_tables.offence_groups(editions),
        PFA / "recorded_crime_by_offence_group_pfa_rolling_year_2018_2019.csv",
    )


def test_knife_by_type_reproduces_tidy_whatever_the_sheet(editions: list[Path]) -> None:
    # The knife table sits on sheets named 'Table P4', 'Table P4 ' and 'Table P4  ': found by title.
    _same(
        ons_pfa_tables.knife_by_type(editions),
        PFA / "knife_offences_by_type_pfa_rolling_year_2018_2019.csv",
    )


def test_knife_series_reproduces_tidy() -> None:
    _same(
        ons_pfa_tables.knife_series(PFA / "raw" / "pfatablesdec19.xlsx"),
        PFA / "knife_selected_offences_by_pfa_fy2011_2019.csv",
    )


def test_old_basis_population_reproduces_tidy(editions: list[Path]) -> None:
    _same(
        ons_pfa_tables.population(editions),
        DATA / "population_pfa" / "mid2002_2018" / "population_by_pfa_mid2002_2018.csv",
    )


def test_ye_jun2025_csv_exports_reproduce_tidy() -> None:
    p1 = JUN25 / "raw" / "policeforceareatablesyejune25final_TableP1_at_35ab745.csv"
    # The extract is ordered offence-major and keeps labels as printed; same rows and values.
    _same(
        ons_pfa_tables.offence_groups([p1], harmonise=False),
        JUN25 / "recorded_crime_by_offence_group_pfa_ye_jun2025_tableP1.csv",
        sort=["area_name", "offence_group"],
    )
    c2 = JUN25 / "raw" / "policeforceareatablesyejune25final_TableC2_at_8718b54.csv"
    _same(
        ons_pfa_tables.csp_offences(c2),
        JUN25 / "recorded_crime_by_offence_group_pfa_csp_ye_jun2025_tableC2.csv",
    )


def test_cell_markers_and_footnotes() -> None:
    for marker in ("[c]", "*", "[low]"):  # withheld: disclosure control, small counts
        value, suppressed, unavailable = common.parse_value(marker)
        assert np.isnan(value) and suppressed and not unavailable
    for marker in ("..", "[x]", ":", "NA", "[z]", "[u]"):  # not there to publish
        value, suppressed, unavailable = common.parse_value(marker)
        assert np.isnan(value) and unavailable and not suppressed
    assert common.parse_value("5,287,312 ") == (5287312.0, False, False)
    for empty in (None, "", "  "):  # an empty cell: missing, flagged neither
        value, suppressed, unavailable = common.parse_value(empty)
        assert np.isnan(value) and not suppressed and not unavailable
    with pytest.raises(ValueError, match="known marker"):
        common.parse_value("n.k.")
    assert common.clean_label("Sussex8,9") == "Sussex"
    assert common.clean_label("Stalking and harassment 5") == "Stalking and harassment"
    assert common.clean_label("Total recorded crime (excluding fraud3)") == (
        "Total recorded crime (excluding fraud)"
    )
    assert common.clean_label("Humberside [note 4]") == "Humberside"


def test_rolling_panel_labels_gaps_and_vintages(editions: list[Path]) -> None:
    p1 = JUN25 / "raw" / "policeforceareatablesyejune25final_TableP1_at_35ab745.csv"
    panel = loaders.load("ons_pfa_offences", [*editions, p1], offences=["homicide", "robbery"])
    assert panel.frequency == "rolling_12m" and panel.overlapping
    assert any("overlap by 9 months" in n for n in panel.notes)
    assert [s.edition for s in panel.sources][:2] == ["YE Mar 2018", "YE Jun 2018"]
    assert panel.sources[-1].edition == "YE Jun 2025" and len(panel.sources[-1].sha256) == 64
    gmp = panel.series("Greater Manchester", "homicide")
    # Jul-Dec 2019: not supplied ('..'): missing and flagged unavailable (not withheld).
    assert gmp.loc[pd.Period("2019-09", "M"), ["value"]].isna().all()
    assert gmp.loc[pd.Period("2019-12", "M"), "unavailable"]
    assert not gmp.loc[pd.Period("2019-12", "M"), "suppressed"]
    # Quarter-ends between Dec 2019 and Jun 2025 were not given: missing, flagged neither.
    assert np.isnan(gmp.loc[pd.Period("2022-03", "M"), "value"])
    wm = panel.series("West Midlands", "homicide")
    assert wm.loc[pd.Period("2025-06", "M"), "value"] == 32
    annual = panel.non_overlapping(3)
    assert not annual.overlapping


def test_knife_panels_keep_greater_manchester_missing(editions: list[Path]) -> None:
    knife = loaders.load("ons_pfa_knife", editions)
    gmp = knife.series(GMP, "knife_offences")["value"]
    assert gmp.loc[pd.Period("2019-06", "M")] == 3437
    assert gmp.loc[pd.Period("2019-09", "M") :].isna().all()
    annual = loaders.load("ons_pfa_knife_annual", editions)
    fy = annual.series(GMP, "knife_offences")["value"]
    assert fy.loc[pd.Period("2017", "Y-MAR")] == 1655
    assert fy.loc[pd.Period("2018", "Y-MAR") :].isna().all()
    # Revisions: the newest edition wins and the panel says so.
    assert any("revised between editions" in n for n in annual.notes)
    wm = annual.series("West Midlands", "knife_offences")["value"]
    assert wm.loc[pd.Period("2018", "Y-MAR")] == 2850


def test_unknown_layout_says_what_was_expected(tmp_path: Path) -> None:
    bad = tmp_path / "not_a_table.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(LayoutError, match="Expected the Home Office knife crime CSV with columns"):
        loaders.load("knife_quarterly", [bad])
    with pytest.raises(LayoutError, match="Expected .*year ending <Month> <YYYY>"):
        loaders.load("ons_pfa_offences", [bad])
    with pytest.raises(LayoutError, match="Expected rec-crime-pfa.csv with columns"):
        loaders.load("rec_crime_pfa", [bad])
    with pytest.raises(LayoutError, match="Expected the ONS crime severity score table"):
        loaders.load("crime_severity", [bad])
    with pytest.raises(ValueError, match="known formats"):
        loaders.load("ons_pfa_tabels", [bad])
    with pytest.raises(ValueError, match="allowed"):
        loaders.load("knife_quarterly", [bad], by_age=True)


def test_formats_are_described() -> None:
    assert set(loaders.FORMATS) >= {
        "ons_pfa_offences",
        "ons_pfa_knife",
        "hes_sharp_object",
        "knife_quarterly",
        "home_office_open_data",
        "rec_crime_pfa",
        "crime_severity",
        "population_mid2011",
        "police_uk",
    }
    assert all(isinstance(d, str) and len(d) > 20 for d in loaders.FORMATS.values())


# -- NHS Digital HES --------------------------------------------------------------------------
WORKBOOK = HES / "raw" / "UK_Knife_Crime_Workbook.xlsx"


def test_hes_reproduces_tidy() -> None:
    _same(
        hes_workbook.read(WORKBOOK),
        HES / "hes_x99_sharp_object_admissions_by_region_monthly_2012_2022.csv",
    )
    _same(
        hes_workbook.read(WORKBOOK, by_age=True),
        HES / "hes_x99_sharp_object_admissions_by_region_age_monthly_2012_2022.csv",
    )


@pytest.fixture(scope="module")
def hes_by_age() -> Panel:
    return loaders.load("hes_sharp_object", [WORKBOOK], by_age=True)


def test_hes_panel_flags(hes_by_age: Panel) -> None:
    panel = loaders.load("hes_sharp_object", [WORKBOOK])
    assert panel.geography == "region" and panel.frequency == "month"
    d = panel.data
    assert d.loc[d["period"] >= pd.Period("2021-04", "M"), "provisional"].all()
    assert not d.loc[d["period"] < pd.Period("2021-04", "M"), "provisional"].any()
    assert (d.loc[d["suppressed"], "value"].isna()).all() and d[
        "suppressed"
    ].sum() == 6  # 3 cells x (FAE, FCE)
    london = panel.series("London", "admissions")["value"]
    assert london.loc["2018-04":"2019-03"].sum() == 1155
    a = hes_by_age.data
    assert a["suppressed"].sum() > 0 and a.loc[a["suppressed"], "value"].isna().all()


def test_hes_under_25_cannot_be_built_exactly(hes_by_age: Panel) -> None:
    with pytest.raises(ValueError, match=r"cannot give ages 10-24 exactly.*10-19 \+ 20-29"):
        hes_workbook.select_ages(hes_by_age, 10, 24)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wide = hes_workbook.select_ages(hes_by_age, 10, 24, on_inexact="widen")
    assert "using 10-29" in str(caught[0].message)
    assert wide.outcomes == ("admissions_age_10-29",) and wide.data["derived"].all()
    exact = hes_workbook.select_ages(hes_by_age, 10, 29)
    manual = hes_by_age.wide("admissions_age_10-19") + hes_by_age.wide("admissions_age_20-29")
    pd.testing.assert_frame_equal(exact.wide("admissions_age_10-29"), manual, check_names=False)


# -- Home Office knife CSV, rec-crime-pfa, CSS, population ------------------------------------
def test_knife_quarterly_reproduces_tidy() -> None:
    raw = DATA / "knife_quarterly_2008_2019" / "raw" / "knifecrime2.csv"
    _same(
        knife_quarterly.read(raw),
        DATA / "knife_quarterly_2008_2019" / "knife_offences_by_pfa_quarterly_2008q2_2019q1.csv",
    )
    panel = loaders.load("knife_quarterly", [raw])
    assert (
        panel.series("West Midlands", "knife_offences").loc["2017Q2":"2018Q1", "value"].sum()
        == 2850
    )
    assert panel.sources[0].file == "knifecrime2.csv"


def test_rec_crime_pfa_reproduces_tidy_and_labels_rolling_years() -> None:
    raw = DATA / "rec_crime_pfa_2003_2018" / "raw" / "rec-crime-pfa.csv"
    _same(
        home_office_open_data.rec_crime_tidy(raw),
        DATA / "rec_crime_pfa_2003_2018" / "violence_weapons_by_pfa_rolling_12m_2003_2018.csv",
    )
    panel = loaders.load("rec_crime_pfa", [raw], offences=["Homicide", "Robbery"])
    assert panel.frequency == "rolling_12m" and panel.overlapping
    s = panel.series("Metropolitan Police", "homicide")["value"]
    assert s.loc[pd.Period("2003-03", "M")] == 195
    assert np.isnan(s.loc[pd.Period("2003-06", "M")])  # only March year-ends before 2007


def test_crime_severity_reproduces_tidy_and_keeps_vintages_apart() -> None:
    new = DATA / "css_pfa_2003_2022" / "raw" / "crime-pressure-force-2022-data.csv.gz"
    old = DATA / "css_pfa_2003_2022" / "raw" / "crime-pressure-force-data.csv.gz"
    _same(
        crime_severity.read([new, old]),
        DATA / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv",
    )
    panel = loaders.load("crime_severity", [new])
    assert panel.measure == "score" and panel.sources[0].edition == "YE Mar 2022 edition"
    assert panel.series("City of London", "css_robbery")["value"].isna().all()
    with pytest.raises(ValueError, match="one vintage"):
        loaders.load("crime_severity", [new, old])


def test_population_new_basis_reproduces_tidy() -> None:
    files = [
        POP / "raw" / "LAD23_Mid_Year_pop_2011_to_2023.xlsx",
        POP / "raw" / "LAD23_CSP23_PFA23_lookup_Dec2023.csv",
    ]
    _same(population.pfa_population(files), POP / "population_by_pfa_mid2011_2023.csv")
    panel = loaders.load("population_mid2011", files)
    assert panel.outcomes == ("population",)
    assert (
        panel.series("West Midlands", "population").loc[pd.Period("2023", "Y"), "value"] == 2980936
    )


def test_population_bases_are_labelled_apart(editions: list[Path]) -> None:
    old = loaders.load("ons_pfa_population", editions)
    assert old.outcomes == ("population_old_basis",)
    assert any("never splice" in n for n in old.notes)


def test_lad_to_pfa_refuses_unmatched_areas() -> None:
    lookup = pd.DataFrame(
        {
            "lad_code": ["E1", "E2"],
            "lad_name": ["a", "b"],
            "pfa_code": ["P", "P"],
            "pfa_name": ["Force", "Force"],
        }
    )
    frame = pd.DataFrame({"lad_code": ["E1", "E2"], "population": [10.0, np.nan]})
    out = population.aggregate_lad_to_pfa(frame, lookup)
    assert out["population"].isna().all()  # one missing LAD: the force total is missing
    with pytest.raises(ValueError, match="not in the LAD->PFA lookup"):
        population.aggregate_lad_to_pfa(
            pd.DataFrame({"lad_code": ["E9"], "population": [1.0]}), lookup
        )
