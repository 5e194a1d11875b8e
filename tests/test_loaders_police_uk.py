"""data.police.uk street-level CSVs written in the exact archive layout, aggregated with DuckDB."""

from __future__ import annotations

import csv
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
