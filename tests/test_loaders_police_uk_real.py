"""The out-of-core police.uk aggregation on the real City of London files (April 2019 - March
2020, 10,013 records) equals a plain pandas count of the same rows, row for row, at LSOA and at
force level, in memory and written to parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vrueval.data.loaders import police_uk

FOLDER = "police_uk_street_city_of_london_fy2019_20/raw"


def pandas_counts(files: list[Path], key: str, name: str) -> pd.DataFrame:
    """The reference: every file read whole by pandas (text, '' as missing), counted by group."""
    frame = pd.concat(
        (pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""]) for f in files),
        ignore_index=True,
    )
    counts = (
        frame.groupby([key, "Month", "Crime type"], dropna=False)
        .size()
        .reset_index(name="count")
        .rename(columns={key: name, "Month": "month", "Crime type": "crime_type"})
        .sort_values([name, "month", "crime_type"], na_position="last", ignore_index=True)
    )
    return counts


@pytest.fixture(scope="module")
def files(raw_data: Path) -> list[Path]:
    found = sorted((raw_data / FOLDER).glob("*-street.csv"))
    assert len(found) == 12
    return found


@pytest.mark.parametrize(
    "level, key, name",
    [("lsoa", "LSOA code", "lsoa_code"), ("force", "Falls within", "falls_within")],
)
def test_duckdb_counts_equal_pandas_row_for_row(
    files: list[Path], level: str, key: str, name: str, tmp_path: Path
) -> None:
    expected = pandas_counts(files, key, name)
    got = police_uk.aggregate(files, level=level, memory_limit="64MB", threads=1)  # type: ignore[arg-type]
    assert isinstance(got, pd.DataFrame)
    assert int(got["count"].sum()) == 10_013
    pd.testing.assert_frame_equal(
        got.astype({"count": "int64"}), expected.astype({"count": "int64"}), check_dtype=False
    )
    written = police_uk.aggregate(files, level=level, out=tmp_path / "counts.parquet")  # type: ignore[arg-type]
    assert written == tmp_path / "counts.parquet"
    # written month by month: the same rows, sorted by month first
    by_month = got.sort_values(["month", name, "crime_type"], na_position="last", ignore_index=True)
    pd.testing.assert_frame_equal(pd.read_parquet(written), by_month, check_dtype=False)


def test_lsoa_counts_keep_records_without_a_location(files: list[Path]) -> None:
    got = police_uk.aggregate(files, level="lsoa")
    assert isinstance(got, pd.DataFrame)
    # 724 records have no LSOA code (no location); they are counted, under a missing code
    assert int(got.loc[got["lsoa_code"].isna(), "count"].sum()) == 724


def test_out_must_be_parquet(files: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"out must be a \.parquet path"):
        police_uk.aggregate(files, out=tmp_path / "counts.csv")
