"""Home Office open data tables (.csv, .xlsx, .ods) written in the exact published layout from the
real rec-crime-pfa.csv counts: all three containers give the same panel, offence selection by
preset, code or name works, gaps stay missing, and .ods reads are cached on the file's SHA-256."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrueval.data import loaders
from vrueval.data.loaders import LayoutError, home_office_open_data

DATA = Path(__file__).resolve().parents[1] / "data"
REC = DATA / "rec_crime_pfa_2003_2018" / "raw" / "rec-crime-pfa.csv"

FORCES = ("West Midlands", "Greater Manchester", "Kent")
#: (description, group, subgroup, code) for each offence, as the open data tables print them,
#: and the rec-crime-pfa offence group whose real counts fill it.
ROWS = (
    ("Murder", "Violence against the person", "Homicide", "1", "Homicide"),
    (
        "Possession of article with blade or point",
        "Possession of weapons offences",
        "Possession of weapons offences",
        "10D",
        "Possession of weapons offences",
    ),
    (
        "Assault with injury",
        "Violence against the person",
        "Violence with injury",
        "8N",
        "Violence with injury",
    ),
    ("Robbery of personal property", "Robbery", "Robbery", "34B", "Robbery"),
)


@pytest.fixture(scope="module")
def long_table() -> pd.DataFrame:
    rec = home_office_open_data.read_rec_crime(REC)
    rows = []
    for fy in ("2017/18", "2018/19"):
        start = int(fy[:4])
        for q in (1, 2, 3, 4):
            end = pd.Period(year=start + (q == 4), quarter=(q % 4) + 1, freq="Q-DEC").end_time
            if end > pd.Timestamp("2018-12-31 23:59"):
                continue
            for force in FORCES:
                if force == "Greater Manchester" and (fy, q) == ("2018/19", 2):
                    continue  # a quarter the force did not supply: must stay missing
                for desc, group, sub, code, rec_offence in ROWS:
                    hit = rec.loc[
                        (rec["pfa"] == force)
                        & (rec["offence"] == rec_offence)
                        # month match: the file dates YE Dec 2017 as 30-12-2017
                        & (rec["period_end"].str[:7] == end.strftime("%Y-%m")),
                        "offences_rolling_12m",
                    ]
                    rows.append((fy, f"Q{q}", force, desc, group, sub, code, int(hit.iloc[0])))
    return pd.DataFrame(rows, columns=list(home_office_open_data.COLUMNS))


def _write(table: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        table.to_csv(path, index=False)
        return path
    engine = "odf" if path.suffix == ".ods" else "openpyxl"
    with pd.ExcelWriter(path, engine=engine) as xl:
        pd.DataFrame(
            {"Notes": ["Police recorded crime open data tables, one sheet per year"]}
        ).to_excel(xl, sheet_name="Introduction", index=False)
        for fy, part in table.groupby("Financial Year"):
            part.to_excel(xl, sheet_name=fy.replace("/", "-"), index=False)
    return path


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, long_table: pd.DataFrame) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("open_data")
    return {
        ext: _write(long_table, folder / f"prc-pfa-tables.{ext}") for ext in ("csv", "xlsx", "ods")
    }


def test_three_containers_give_one_panel(
    written: dict[str, Path], long_table: pd.DataFrame, tmp_path: Path
) -> None:
    panels = {
        ext: loaders.load("home_office_open_data", [p], cache_dir=tmp_path / "cache")
        for ext, p in written.items()
    }
    base = panels["csv"].data
    for ext in ("xlsx", "ods"):
        pd.testing.assert_frame_equal(panels[ext].data, base)
    assert panels["csv"].frequency == "quarter"
    assert set(panels["csv"].outcomes) == {
        "homicide",
        "possession_of_blade",
        "violence_with_injury",
        "robbery",
    }
    wm = panels["csv"].series("West Midlands", "possession_of_blade")["value"]
    want = long_table.loc[
        (long_table["Force Name"] == "West Midlands") & (long_table["Offence Code"] == "10D"),
        "Number of Offences",
    ]
    assert list(wm) == [float(v) for v in want]
    assert wm.index[0] == pd.Period("2017Q2", "Q-DEC")  # FY2017/18 Q1 is Apr-Jun 2017
    gmp = panels["ods"].series("Greater Manchester", "homicide")["value"]
    assert np.isnan(gmp.loc[pd.Period("2018Q3", "Q-DEC")])  # not supplied: missing, not zero
    assert gmp.notna().sum() == len(gmp) - 1
    assert panels["ods"].sources[0].file == "prc-pfa-tables.ods"


def test_selection_by_code_and_name(written: dict[str, Path]) -> None:
    panel = loaders.load(
        "home_office_open_data",
        [written["csv"]],
        offences=["10D", "Robbery of personal property", "Violence with injury"],
    )
    assert set(panel.outcomes) == {
        "offence_10D",
        "robbery_of_personal_property",
        "violence_with_injury",
    }
    with pytest.raises(ValueError, match="matches no rows"):
        loaders.load("home_office_open_data", [written["csv"]], offences=["99Z"])


def test_ods_is_cached_on_its_hash(written: dict[str, Path], tmp_path: Path) -> None:
    cache_dir = tmp_path / "c"
    first = home_office_open_data.read_open_data([written["ods"]], cache_dir=cache_dir)
    entries = list(cache_dir.glob("*.parquet"))
    assert (
        len(entries) == 1
        and home_office_open_data.provenance.sha256(written["ods"]) in entries[0].name
    )
    second = home_office_open_data.read_open_data([written["ods"]], cache_dir=cache_dir)
    pd.testing.assert_frame_equal(first, second)
    assert not list((tmp_path / "c").glob("*.tmp"))


def test_default_cache_dir_is_outside_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import vrueval
    from vrueval.data.loaders import cache

    monkeypatch.delenv("VRUEVAL_CACHE_DIR", raising=False)
    package = Path(vrueval.__file__).resolve().parent
    assert package not in cache.default_dir().resolve().parents
    monkeypatch.setenv("VRUEVAL_CACHE_DIR", "/tmp/elsewhere")
    assert cache.default_dir() == Path("/tmp/elsewhere")


def test_wrong_columns_are_refused(tmp_path: Path, long_table: pd.DataFrame) -> None:
    bad = tmp_path / "bad.csv"
    long_table.drop(columns="Offence Code").to_csv(bad, index=False)
    with pytest.raises(LayoutError, match="missing \\['Offence Code'\\]"):
        loaders.load("home_office_open_data", [bad])
