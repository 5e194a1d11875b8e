"""ONS PFA tables YE Mar 2021-2024: knife offences (NDQIS) and homicide by financial year.

Each trap named in data/README.md "Known traps" for these editions is a test here, read from the
official workbooks themselves; published figures are asserted to the unit.
"""

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import vrueval as ve
from vrueval import areas
from vrueval.data.loaders import LayoutError, load, ons_pfa_annual

RAW = "ons_pfa_tables_ye_mar2021_2024/raw/"
MAR24 = RAW + "pfatablesyemar24final.xlsx"
MAR23 = RAW + "pfatableyemar231.xlsx"
MAR22 = RAW + "pfafinalmar22.xlsx"
MAR21 = RAW + "pfatablescorrectionmar21.xlsx"
OLD_METHOD = "ons_pfa_tables_2018_2019/raw/policeforceareatablesyeendingmarch2019.xlsx"
WM, MET, GMP, DC = "E23000014", "E23000001", "E23000005", "E23000035"


def fy(end_year: int) -> pd.Period:
    return pd.Period(str(end_year), freq="Y-MAR")


@pytest.fixture(scope="module")
def knife(raw_data):
    return ons_pfa_annual.knife_panel([raw_data / MAR24])


def value(panel, unit, end_year):
    d = panel.data
    row = d.loc[(d["unit"] == unit) & (d["period"] == fy(end_year))]
    assert len(row) == 1
    return row.iloc[0]


def test_knife_series_covers_fy2010_11_to_fy2023_24_for_43_forces(knife):
    assert knife.frequency == "financial_year"
    assert len(knife.units) == 43
    assert list(knife.periods) == [fy(y) for y in range(2011, 2025)]
    assert set(knife.data["outcome"]) == {"knife_offences"}


def test_knife_figures_equal_the_published_table(knife, raw_data):
    # YE Mar 2024 edition, Table P6 (PROVENANCE.md spot checks and the press release)
    assert value(knife, WM, 2024)["value"] == 5268
    assert value(knife, MET, 2024)["value"] == 14961
    # the NDQIS back-cast, not the old force-flagging figure (3,428)
    assert value(knife, WM, 2019)["value"] == 4951
    # forces and British Transport Police add up to the published England and Wales total
    # (which excludes Greater Manchester in these two years); BTP is not a force area
    tidy = ons_pfa_annual.knife_financial_years(raw_data / MAR24)
    btp = tidy.loc[tidy["area_name"] == "British Transport Police"].set_index("fy_end")
    assert btp["force_code"].isna().all()
    d = knife.data
    for end_year, total in ((2024, 50510), (2023, 48409)):
        forces = d.loc[d["period"] == fy(end_year), "value"].sum()
        assert forces + btp.loc[end_year, "knife_offences"] == total


def test_greater_manchester_x_cells_are_missing_never_zero(knife):
    for end_year in (2023, 2024):
        row = value(knife, GMP, end_year)
        assert np.isnan(row["value"]) and row["unavailable"] and not row["suppressed"]
    assert value(knife, GMP, 2022)["value"] == 3659
    assert "Greater Manchester FY2022/23" in " ".join(knife.notes)


def test_devon_and_cornwall_blank_cells_in_ye_mar_2023_are_missing(raw_data):
    t = ons_pfa_annual.knife_financial_years(raw_data / MAR23)
    dc = t.loc[t["force_code"] == DC].set_index("fy_end")
    assert dc.loc[2019, "knife_offences"] == 662
    assert dc.loc[2020:2023, "knife_offences"].isna().all()
    assert (dc.loc[2020:2023, "raw_value"] == "").all()


def test_the_older_two_row_header_layout_is_read(raw_data):
    # YE Mar 2021 prints "Apr '10 to Mar '11" above 'Number of selected offences ...'
    t = ons_pfa_annual.knife_financial_years(raw_data / MAR21)
    assert sorted(t["fy_end"].unique()) == list(range(2011, 2022))
    wm = t.loc[t["force_code"] == WM].set_index("fy_end")["knife_offences"]
    assert wm[2020] == 5023  # P8 of that edition: 5,023 by NDQIS
    # YE Mar 2022 puts the series in P7, not P6
    t22 = ons_pfa_annual.knife_financial_years(raw_data / MAR22)
    assert set(t22["table"]) == {"P7"} and t22["fy_end"].max() == 2022


def test_method_break_old_flagging_edition_is_refused(raw_data):
    with pytest.raises(ValueError, match="never splice the two methods"):
        ons_pfa_annual.knife_panel([raw_data / OLD_METHOD])


def test_editions_are_never_spliced(raw_data):
    with pytest.raises(ValueError, match="one edition, got 2"):
        ons_pfa_annual.knife_panel([raw_data / MAR23, raw_data / MAR24])


def test_region_and_force_of_the_same_name_are_told_apart_by_code(raw_data):
    # YE Mar 2023 prints 'West Midlands' for both the region (E12000005) and the force in P1
    t = ons_pfa_annual.homicide_financial_years([raw_data / MAR23])
    named = t.loc[t["area_name"].str.strip() == "West Midlands"]
    assert set(named["area_code"]) == {"E12000005", WM}
    assert set(named["force_code"].dropna()) == {WM}


def test_name_variants_resolve_to_the_printed_codes(raw_data):
    t = ons_pfa_annual.knife_financial_years(raw_data / MAR21)
    forces = t.loc[t["force_code"].notna(), ["area_code", "area_name"]].drop_duplicates()
    assert len(forces) == 43
    # names carry note marks: 'Greater Manchester3' resolves to its code
    assert "Greater Manchester3" in set(forces["area_name"])
    for code, name in forces.itertuples(index=False):
        assert areas.resolve(ons_pfa_annual.common.clean_label(name), "force") == code
    # aggregates without a code are not forces
    agg = t.loc[t["area_name"].str.contains("exc", case=False)]
    assert len(agg) and agg["force_code"].isna().all()


def _edited_copy(src: Path, dst: Path, edit) -> Path:
    book = openpyxl.load_workbook(src)
    edit(book)
    book.save(dst)
    return dst


def _p6_row(ws, name: str) -> int:
    for r in range(1, ws.max_row + 1):
        if str(ws.cell(r, 2).value or "").strip() == name:
            return r
    raise AssertionError(name)


def test_a_name_that_contradicts_its_code_is_an_error(raw_data, tmp_path):
    def swap(book):
        ws = book["Table P6 "]
        ws.cell(_p6_row(ws, "Dorset"), 2).value = "Kent"

    path = _edited_copy(raw_data / MAR24, tmp_path / "swapped.xlsx", swap)
    with pytest.raises(LayoutError, match="Kent"):
        ons_pfa_annual.knife_panel([path])


def test_suppressed_and_footnoted_cells_are_missing_and_an_unknown_marker_fails(raw_data, tmp_path):
    def mark(book):
        ws = book["Table P6 "]
        ws.cell(_p6_row(ws, "Dorset"), 3).value = "[c]"
        ws.cell(_p6_row(ws, "Gloucestershire"), 3).value = ".."

    knife = ons_pfa_annual.knife_panel(
        [_edited_copy(raw_data / MAR24, tmp_path / "marked.xlsx", mark)]
    )
    dorset, glos = value(knife, "E23000039", 2011), value(knife, "E23000037", 2011)
    assert np.isnan(dorset["value"]) and dorset["suppressed"]
    assert np.isnan(glos["value"]) and glos["unavailable"]

    def garble(book):
        ws = book["Table P6 "]
        ws.cell(_p6_row(ws, "Dorset"), 3).value = "12*"

    bad = _edited_copy(raw_data / MAR24, tmp_path / "garbled.xlsx", garble)
    with pytest.raises(ValueError, match="cannot read cell '12\\*'"):
        ons_pfa_annual.knife_panel([bad])


@pytest.fixture(scope="module")
def homicide(raw_data):
    return ons_pfa_annual.homicide_panel([raw_data / f for f in (MAR21, MAR22, MAR23, MAR24)])


def test_homicide_by_financial_year_2019_20_to_2023_24(homicide):
    assert list(homicide.periods) == [fy(y) for y in range(2020, 2025)]
    assert len(homicide.units) == 43
    assert not homicide.data["value"].isna().any()


def test_homicide_takes_the_newest_publication_of_each_year(homicide, raw_data):
    # West Midlands FY2022/23: 37 in P1 of YE Mar 2023, revised to 35 in P4 of YE Mar 2024
    assert value(homicide, WM, 2023)["value"] == 35
    assert value(homicide, WM, 2024)["value"] == 43  # P1 of YE Mar 2024
    assert value(homicide, WM, 2020)["value"] == 51  # P4 of YE Mar 2021 (FY2019/20)
    tidy = ons_pfa_annual.homicide_financial_years([raw_data / MAR23, raw_data / MAR24])
    wm = tidy.loc[(tidy["force_code"] == WM) & (tidy["fy_end"] == 2023)]
    assert sorted(wm["homicide"]) == [35, 37]
    assert any("revised between editions" in n for n in homicide.notes)


def test_homicide_quarter_tables_are_not_read_as_a_year(raw_data):
    tidy = ons_pfa_annual.homicide_financial_years([raw_data / MAR21])
    assert set(tidy["table"]) == {"P1", "P4"}
    ew = tidy.loc[tidy["area_code"] == "K04000001"].set_index("fy_end")["homicide"]
    assert ew[2020] == 716 and ew[2021] == 600


def test_homicide_refuses_a_rolling_year_edition(raw_data):
    with pytest.raises(ValueError, match="YE March editions"):
        ons_pfa_annual.homicide_panel([raw_data / (RAW + "pfajun22.xlsx")])


def test_formats_are_registered(raw_data):
    panel = load("ons_pfa_knife_ndqis", [raw_data / MAR24])
    assert value(panel, WM, 2024)["value"] == 5268


def test_bundled_datasets_equal_the_loader_with_populations(knife, homicide):
    bk = ve.datasets.knife_offences_annual()
    merged = bk.data.merge(knife.data, on=["unit", "period", "outcome"], suffixes=("", "_raw"))
    assert len(merged) == len(knife.data) == 43 * 14
    np.testing.assert_array_equal(merged["value"], merged["value_raw"])
    assert not bk.data["population"].isna().any()
    bh = ve.datasets.load("homicide_annual")
    assert bh.data["value"].sum() == homicide.data["value"].sum()
    # FY2010/11 takes mid-2011 (Census 2021 basis series starts there), said in the notes
    wm = bk.data.loc[bk.data["unit"] == WM].set_index("period")["population"]
    assert wm[fy(2011)] == wm[fy(2012)]
    assert any("FY2010/11 takes mid-2011" in n for n in bk.notes)


def test_comparability_breaks_are_read_from_the_edition_notes(raw_data):
    breaks = ons_pfa_annual.comparability_breaks(raw_data / MAR24)
    named = {areas.name(code): year for code, year in breaks.items()}
    assert named == {
        "Avon and Somerset": 2018,
        "Essex": 2018,
        "Norfolk": 2018,
        "Suffolk": 2018,
        "Northumbria": 2017,
        "Surrey": 2017,
        "Thames Valley": 2016,
        "Sussex": 2015,
        "Greater Manchester": 2019,  # December 2017 review: first full year after it
    }


def test_comparable_only_leaves_years_before_a_break_missing(raw_data, knife):
    masked = ons_pfa_annual.knife_panel([raw_data / MAR24], comparable_only=True)
    essex = "E23000028"
    assert (
        np.isnan(value(masked, essex, 2017)["value"]) and value(masked, essex, 2017)["unavailable"]
    )
    assert value(masked, essex, 2018)["value"] == value(knife, essex, 2018)["value"]
    assert value(masked, WM, 2011)["value"] == value(knife, WM, 2011)["value"]  # no break
    # as published, the break is still named in the notes
    assert any("Essex from FY2017/18" in n for n in knife.notes)
    bundled = ve.datasets.knife_offences_annual(comparable_only=True)
    pd.testing.assert_series_equal(
        bundled.data.sort_values(["unit", "period"])["value"].reset_index(drop=True),
        masked.data.sort_values(["unit", "period"])["value"].reset_index(drop=True),
    )


def test_per_100k_rates_and_option_checks():
    counts = ve.datasets.knife_offences_annual()
    rates = ve.datasets.load("knife_offences_annual", per_100k=True)
    assert rates.measure == "rate" and rates.outcomes == ("knife_offences_per_100k",)
    c = counts.data.set_index(["unit", "period"])
    r = rates.data.set_index(["unit", "period"])
    np.testing.assert_allclose(r["value"], c["value"] / c["population"] * 1e5)
    assert np.isnan(r.loc[(GMP, fy(2024)), "value"])
    with pytest.raises(ValueError, match="per_100k must be true or false"):
        ve.datasets.load("knife_offences_annual", per_100k="yes")
    with pytest.raises(TypeError, match="per_100k"):
        ve.datasets.load("homicide_annual", per_100k=True)
