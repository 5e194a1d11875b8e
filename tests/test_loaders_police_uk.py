"""data.police.uk street-level CSVs written in the exact archive layout, aggregated with DuckDB."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrueval.data import loaders
from vrueval.data.loaders import LayoutError, police_uk

#: (month, force slug, 'Falls within', {crime type: rows}) — West Midlands has no March file.
FILES = (
    (
        "2019-01",
        "west-midlands",
        "West Midlands Police",
        {"Violence and sexual offences": 3, "Robbery": 2},
    ),
    ("2019-02", "west-midlands", "West Midlands Police", {"Violence and sexual offences": 1}),
    ("2019-01", "kent", "Kent Police", {"Robbery": 1, "Possession of weapons": 4}),
    ("2019-02", "kent", "Kent Police", {"Robbery": 2}),
    ("2019-03", "kent", "Kent Police", {"Violence and sexual offences": 5}),
    ("2019-03", "btp", "British Transport Police", {"Robbery": 1}),
)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("police_uk")
    for month, slug, force, counts in FILES:
        folder = root / month
        folder.mkdir(exist_ok=True)
        with (folder / f"{month}-{slug}-street.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(police_uk.COLUMNS)
            i = 0
            for crime_type, n in counts.items():
                for _ in range(n):
                    i += 1
                    lsoa = "E01009000" if i % 2 else "E01009001"
                    w.writerow(
                        [
                            f"id{month}{slug}{i}",
                            month,
                            force,
                            force,
                            "-1.89",
                            "52.48",
                            "On or near Broad Street",
                            lsoa,
                            "Birmingham 001A",
                            crime_type,
                            "Under investigation",
                            "",
                        ]
                    )
    return root


def test_force_month_counts(archive: Path) -> None:
    panel = loaders.load("police_uk", [archive])
    assert panel.frequency == "month"
    wm = panel.series("West Midlands", "violence_and_sexual_offences")["value"]
    assert wm.loc[pd.Period("2019-01", "M")] == 3 and wm.loc[pd.Period("2019-02", "M")] == 1
    assert np.isnan(wm.loc[pd.Period("2019-03", "M")])  # no file that month: missing
    robbery = panel.series("West Midlands", "robbery")["value"]
    assert robbery.loc[pd.Period("2019-02", "M")] == 0  # a file, but no robbery rows
    kent = panel.series("Kent", "possession_of_weapons")["value"]
    assert list(kent) == [4, 0, 0]
    assert "British Transport Police" in " ".join(panel.notes)


def test_lsoa_level(archive: Path) -> None:
    d = police_uk.aggregate([archive], level="lsoa")
    assert set(d.columns) == {"lsoa_code", "month", "crime_type", "count"}
    assert d["count"].sum() == sum(sum(c.values()) for *_, c in FILES)


def test_wrong_header_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "2019-01-kent-street.csv"
    bad.write_text("Crime ID,Month,Force\nx,2019-01,Kent\n")
    with pytest.raises(LayoutError, match="street-level CSV with columns"):
        police_uk.aggregate([bad])


def one_query(files: list[Path], level: str) -> pd.DataFrame:
    """The former path, kept as the reference: every file in one DuckDB query, sorted by the
    key, month and crime type (what month-by-month aggregation must reproduce exactly)."""
    import duckdb

    key = '"Falls within"' if level == "force" else '"LSOA code"'
    name = "falls_within" if level == "force" else "lsoa_code"
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in police_uk.COLUMNS)
    query = f"""
        SELECT {key} AS {name}, "Month" AS month, "Crime type" AS crime_type, count(*) AS count
        FROM read_csv(?, header = true, columns = {{{types}}}, quote = '"', escape = '"')
        GROUP BY ALL ORDER BY 1, 2, 3
    """
    with duckdb.connect() as con:
        return con.execute(query, [[str(f) for f in files]]).df()


@pytest.mark.parametrize("level", ["force", "lsoa"])
def test_month_by_month_equals_one_query(archive: Path, level: str, tmp_path: Path) -> None:
    files = sorted(archive.rglob("*-street.csv"))
    expected = one_query(files, level)
    got = police_uk.aggregate([archive], level=level)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(got, expected)
    written = police_uk.aggregate([archive], level=level, out=tmp_path / "c.parquet")  # type: ignore[arg-type]
    name = expected.columns[0]
    by_month = expected.sort_values(["month", name, "crime_type"], ignore_index=True)
    pd.testing.assert_frame_equal(pd.read_parquet(written), by_month, check_dtype=False)


def test_a_file_not_named_by_month_is_refused(archive: Path, tmp_path: Path) -> None:
    bad = tmp_path / "kent-street.csv"
    shutil.copy(archive / "2019-01" / "2019-01-kent-street.csv", bad)
    with pytest.raises(LayoutError, match=r"kent-street\.csv.*YYYY-MM-<force>-street\.csv"):
        police_uk.aggregate([bad])


def test_rows_of_another_month_are_refused_naming_the_file(archive: Path, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    shutil.copytree(archive, root)
    stray = root / "2019-02" / "2019-02-kent-street.csv"
    stray.write_text(stray.read_text().replace(",2019-02,", ",2019-03,", 1))
    out = tmp_path / "counts.parquet"
    out.write_bytes(b"earlier")
    with pytest.raises(
        LayoutError, match=r"2019-02-kent-street\.csv.*1 row\(s\) of month '2019-03'"
    ):
        police_uk.aggregate([root], level="lsoa", out=out)
    # written month by month, but atomically: the earlier file is intact, no partial file left
    assert out.read_bytes() == b"earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive", "counts.parquet"]
