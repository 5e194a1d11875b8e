"""Build the bundled datasets from the project's real data folder (maintainers only).

``python -m vrueval.data.bundle SHARED_DATA_DIR OUT_DIR`` reads the published files in
``../shared/data`` and writes one compressed parquet per dataset plus ``manifest.json`` with the
provenance of each (publisher, edition, source file and its SHA-256). The package ships the output;
nothing here runs when a user imports vrueval.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel

OGL = "Open Government Licence v3.0"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source(root: Path, rel: str, publisher: str, title: str, edition: str) -> dict[str, str]:
    return {
        "publisher": publisher,
        "title": title,
        "edition": edition,
        "file": rel,
        "sha256": sha256(root / rel),
        "note": OGL,
    }


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _old_population(root: Path) -> pd.DataFrame:
    pop = pd.read_csv(root / "population_pfa/mid2002_2018/population_by_pfa_mid2002_2018.csv")
    return pop.loc[pop["geo_level"] == "pfa", ["area_code", "mid_year", "population"]]


def _new_population(root: Path) -> pd.DataFrame:
    pop = pd.read_csv(root / "population_pfa/mid2011_2023/population_by_pfa_mid2011_2023.csv")
    return pop[["area_code", "mid_year", "population"]]


def knife_quarterly(root: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    d = pd.read_csv(
        root / "knife_quarterly_2008_2019/knife_offences_by_pfa_quarterly_2008q2_2019q1.csv"
    )
    d["period"] = pd.PeriodIndex(pd.to_datetime(d["quarter_start"]), freq="Q-DEC").astype(str)
    # population of the mid-year inside each financial year (FY2018/19 -> mid-2018)
    d["mid_year"] = d["financial_year"].str[:4].astype(int)
    d = d.merge(_old_population(root), on=["area_code", "mid_year"], how="left")
    outcomes = {
        "knife_offences": "knife_offences",
        "component_knife_enabled": "knife_enabled",
        "component_violence_with_injury": "violence_with_injury",
        "component_homicide_and_serious_injury": "homicide_and_serious_injury",
    }
    long = d.melt(
        id_vars=["area_code", "period", "population"],
        value_vars=list(outcomes),
        var_name="outcome",
        value_name="value",
    )
    long["outcome"] = long["outcome"].map(outcomes)
    # A few component cells are published negative (net of offences re-classified in a later
    # quarter); they are not counts of anything, so they stay missing.
    long["value"] = long["value"].astype(float).where(long["value"] >= 0)
    frame = long.rename(columns={"area_code": "unit"})
    meta = {
        "description": "Knife or sharp instrument offences by police force area, quarterly",
        "frequency": "quarter",
        "measure": "count",
        "geography": "force",
        "sources": [
            _source(
                root,
                "knife_quarterly_2008_2019/raw/knifecrime2.csv",
                "Home Office",
                "Police recorded crime: offences involving a knife or sharp instrument, by force",
                "circa spring 2019 (pre-revision)",
            ),
            _source(
                root,
                "population_pfa/mid2002_2018/population_by_pfa_mid2002_2018.csv",
                "Office for National Statistics",
                "Mid-year population estimates by police force area (pre-2021 basis)",
                "mid-2002 to mid-2018, from PFA data tables P9/P3",
            ),
        ],
        "notes": [
            "Calendar quarters: 2008Q2 is Apr-Jun 2008 (financial year 2008/09 Q1).",
            "42 forces: City of London is not in the source.",
            "Population is the ONS mid-year estimate (old basis) of the year the financial year "
            "starts in; the source's own population column is of unknown vintage and not used.",
            "Pre-revision vintage: Sussex, Surrey, Northumbria and others were revised upwards "
            "later.",
            "Greater Manchester under-counted knife offences until its December 2017 review.",
            "Six component cells are published as -1 (net re-classification of earlier offences); "
            "they are missing here. The knife_offences totals are as published.",
        ],
    }
    return frame, meta


def crime_severity(root: Path, vintage: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    d = pd.read_csv(root / "css_pfa_2003_2022/css_by_offence_group_pfa_fy2003_2022.csv")
    label = f"CSS data tool, YE Mar {vintage} edition"
    d = d.loc[(d["vintage"] == label) & (d["geo_level"] == "pfa")]
    frame = pd.DataFrame(
        {
            "unit": d["area_code"],
            "period": d["fy_end_year"].astype(int),
            "outcome": "css_" + d["offence_group"].map(_slug),
            "value": d["css"],
        }
    )
    raw = {
        "2022": "css_pfa_2003_2022/raw/crime-pressure-force-2022-data.csv.gz",
        "2020": "css_pfa_2003_2022/raw/crime-pressure-force-data.csv.gz",
    }[vintage]
    meta = {
        "description": "Crime severity score by offence group and police force area "
        f"({vintage} vintage)",
        "frequency": "financial_year",
        "measure": "score",
        "geography": "force",
        "sources": [
            _source(
                root,
                raw,
                "Office for National Statistics",
                "Crime Severity Score (Experimental Statistics), data tool",
                f"YE Mar {vintage} edition",
            )
        ],
        "notes": [
            "Severity-weighted offences per 1,000 residents; a rate, not a count.",
            "Financial years are labelled by the year they end in (2020 is FY2019/20).",
            "City of London is ':' (not published) at source: missing in every year.",
            "Violence scores are inflated by post-2014 recording-practice improvements.",
        ],
    }
    return frame, meta


def hes_sharp_object(root: Path, by_age: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    folder = root / "hes_sharp_object_region_2012_2022"
    name = (
        "hes_x99_sharp_object_admissions_by_region_age_monthly_2012_2022.csv"
        if by_age
        else "hes_x99_sharp_object_admissions_by_region_monthly_2012_2022.csv"
    )
    d = pd.read_csv(folder / name)
    geographic = [a.name for a in areas.regions()]
    d = d.loc[d["region"].isin(geographic)].copy()
    d["unit"] = d["region"].map(lambda r: areas.resolve(r, "region"))
    d["period"] = pd.PeriodIndex(pd.to_datetime(d["period_start"]), freq="M").astype(str)
    parts = []
    for col, outcome in (("fae", "admissions"), ("fce", "episodes")):
        part = pd.DataFrame(
            {
                "unit": d["unit"],
                "period": d["period"],
                "outcome": outcome if not by_age else outcome + "_age_" + d["age_group"],
                "value": d[col],
                "suppressed": d[f"{col}_suppressed_1to7"].astype(bool),
                "provisional": d["fin_year"] == "2021/22",
            }
        )
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    if by_age:
        # Age bands not listed for a month are absent at source: add them as missing, not zero.
        frame = _complete_grid(frame)
    frame = frame.merge(_region_population(root), on=["unit", "period"], how="left")
    meta = {
        "description": "Hospital admissions for assault by sharp object (ICD-10 X99), by region of "
        "residence, monthly" + (", by age group" if by_age else ""),
        "frequency": "month",
        "measure": "count",
        "geography": "region",
        "sources": [
            _source(
                root,
                "hes_sharp_object_region_2012_2022/raw/UK_Knife_Crime_Workbook.xlsx",
                "NHS Digital",
                "Hospital Episode Statistics: admissions with external cause X99, by region",
                "Non-DARS tabulation for the Home Office, 2012-13 to 2021-22",
            ),
            _source(
                root,
                "population_pfa/mid2011_2023/population_by_pfa_mid2011_2023.csv",
                "Office for National Statistics",
                "Mid-year population estimates by police force area (Census 2021 basis)",
                "mid-2011 to mid-2023",
            ),
        ],
        "notes": [
            "admissions = finished admission episodes (FAE); episodes = finished consultant "
            "episodes (FCE).",
            "Regions are the patient's region of residence, not where the assault happened.",
            "Regional counts are rounded to the nearest 5; 1-7 are suppressed ('*'): missing and "
            "flagged suppressed. England totals are unrounded.",
            "2021/22 (Apr 2021 - Mar 2022) is provisional.",
            "Population: sum of the police force areas in the region (ONS mid-year estimate of the "
            "year the financial year starts in, Census 2021 basis).",
        ]
        + (
            ["Age bands not listed for a month at source are missing, never zero."]
            if by_age
            else []
        ),
    }
    return frame, meta


def _complete_grid(frame: pd.DataFrame) -> pd.DataFrame:
    units = frame["unit"].unique()
    periods = frame["period"].unique()
    outcomes = frame["outcome"].unique()
    grid = pd.MultiIndex.from_product(
        [units, periods, outcomes], names=["unit", "period", "outcome"]
    )
    full = frame.set_index(["unit", "period", "outcome"]).reindex(grid).reset_index()
    full["suppressed"] = full["suppressed"].fillna(False).astype(bool)
    fy_2021 = full["period"] >= "2021-04"
    full["provisional"] = fy_2021
    return full


def _region_population(root: Path) -> pd.DataFrame:
    pop = _new_population(root)
    region_of = {a.code: a.region for a in areas.forces()}
    pop["region"] = pop["area_code"].map(region_of)
    pop = pop.loc[pop["region"] != "Wales"]
    by_region = pop.groupby(["region", "mid_year"], as_index=False)["population"].sum()
    by_region["unit"] = by_region["region"].map(lambda r: areas.resolve(r, "region"))
    england = pop.groupby("mid_year", as_index=False)["population"].sum()
    england["unit"] = areas.resolve("England", "region")
    table = pd.concat([by_region, england], ignore_index=True)
    rows = []
    for unit, mid_year, population in table[["unit", "mid_year", "population"]].itertuples(
        index=False
    ):
        for month in pd.period_range(f"{mid_year}-04", f"{mid_year + 1}-03", freq="M"):
            rows.append((unit, str(month), float(population)))
    return pd.DataFrame(rows, columns=["unit", "period", "population"])


def population(root: Path, basis: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    table = _old_population(root) if basis == "mid2002_2018" else _new_population(root)
    frame = pd.DataFrame(
        {
            "unit": table["area_code"],
            "period": table["mid_year"].astype(int),
            "outcome": "population",
            "value": table["population"].astype(float),
        }
    )
    old = basis == "mid2002_2018"
    meta = {
        "description": f"Mid-year population by police force area ({basis} basis)",
        "frequency": "year",
        "measure": "count",
        "geography": "force",
        "sources": [
            _source(
                root,
                "population_pfa/mid2002_2018/population_by_pfa_mid2002_2018.csv"
                if old
                else "population_pfa/mid2011_2023/raw/LAD23_Mid_Year_pop_2011_to_2023.xlsx",
                "Office for National Statistics",
                "Mid-year population estimates by police force area",
                "pre-Census-2021 basis (PFA tables P9/P3, rounded to 100)"
                if old
                else "Census 2021 basis, LAD23 aggregated to PFA23",
            )
        ],
        "notes": [
            "Periods are calendar years labelling the mid-year (30 June) estimate.",
            "The two bases differ by up to 3% for 2012-2018: never splice them without saying so.",
        ],
    }
    return frame, meta


_ROLLING_OFFENCES = {
    "Homicide": "homicide",
    "Violence with injury": "violence_with_injury",
    "Possession of weapons offences": "possession_of_weapons",
    "Robbery": "robbery",
}


def offences_rolling(root: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    old = pd.read_csv(
        root / "rec_crime_pfa_2003_2018/violence_weapons_by_pfa_rolling_12m_2003_2018.csv"
    )
    old = old.loc[old["offence"].isin(list(_ROLLING_OFFENCES))]
    old_frame = pd.DataFrame(
        {
            "unit": old["area_code"],
            "period": pd.PeriodIndex(pd.to_datetime(old["period_end"]), freq="M").astype(str),
            "outcome": old["offence"].map(_ROLLING_OFFENCES),
            "value": old["offences_rolling_12m"].astype(float),
        }
    )
    ons = pd.read_csv(
        root
        / "ons_pfa_tables_2018_2019/recorded_crime_by_offence_group_pfa_rolling_year_2018_2019.csv"
    )
    ons = ons.loc[
        (ons["geo_level"] == "pfa")
        & ons["offence_group"].isin(list(_ROLLING_OFFENCES))
        & (ons["period_end"] > "2018-12-31")
    ]
    ons_frame = pd.DataFrame(
        {
            "unit": ons["area_code"],
            "period": pd.PeriodIndex(pd.to_datetime(ons["period_end"]), freq="M").astype(str),
            "outcome": ons["offence_group"].map(_ROLLING_OFFENCES),
            "value": ons["offences"],
        }
    )
    new = pd.read_csv(
        root
        / "ons_pfa_tables_ye_jun2025/recorded_crime_by_offence_group_pfa_ye_jun2025_tableP1.csv"
    )
    new = new.loc[(new["geo_level"] == "pfa") & new["offence_group"].isin(list(_ROLLING_OFFENCES))]
    new_frame = pd.DataFrame(
        {
            "unit": new["area_code"],
            "period": "2025-06",
            "outcome": new["offence_group"].map(_ROLLING_OFFENCES),
            "value": new["offences"].astype(float),
        }
    )
    frame = pd.concat([old_frame, ons_frame, new_frame], ignore_index=True)
    # Fill the quarterly grid: periods nobody published here stay missing.
    grid = pd.period_range("2003-03", "2025-06", freq="3M").astype(str)
    full = pd.MultiIndex.from_product(
        [frame["unit"].unique(), grid, frame["outcome"].unique()],
        names=["unit", "period", "outcome"],
    )
    frame = frame.set_index(["unit", "period", "outcome"]).reindex(full).reset_index()
    frame = frame.merge(_population_at_end(root), on=["unit", "period"], how="left")
    meta = {
        "description": "Police recorded offences by force, rolling 12-month totals "
        "(homicide, violence with injury, possession of weapons, robbery)",
        "frequency": "rolling_12m",
        "measure": "count",
        "geography": "force",
        "sources": [
            _source(
                root,
                "rec_crime_pfa_2003_2018/raw/rec-crime-pfa.csv",
                "Home Office",
                "Recorded crime data at Police Force Area level (rec-crime-pfa.csv)",
                "YE Mar 2003 to YE Dec 2018",
            ),
            *[
                _source(
                    root,
                    f"ons_pfa_tables_2018_2019/raw/{name}",
                    "Office for National Statistics",
                    "Crime in England and Wales: Police Force Area data tables, Table P1",
                    edition,
                )
                for name, edition in (
                    ("policeforceareatablesyeendingmarch2019.xlsx", "YE Mar 2019"),
                    ("policeforceareatablesyearendingjune2019.xlsx", "YE Jun 2019"),
                    ("policeforceareatablesyearendingseptember2019.xlsx", "YE Sep 2019"),
                    ("pfatablesdec19.xlsx", "YE Dec 2019"),
                )
            ],
            _source(
                root,
                "ons_pfa_tables_ye_jun2025/raw/policeforceareatablesyejune25final_TableP1_at_35ab745.csv",
                "Office for National Statistics",
                "Crime in England and Wales: Police Force Area data tables, Table P1",
                "YE Jun 2025",
            ),
        ],
        "notes": [
            "Each period is the 12 months ending in that month; consecutive quarterly values "
            "overlap by 9 months and are not independent observations: use non_overlapping() for "
            "designs.",
            "Before YE Mar 2007 only March year-ends were published; YE Mar 2020 to YE Mar 2025 "
            "are not in the bundled data: those periods are missing.",
            "Vintages differ: to YE Dec 2018 from the Home Office open data file, 2019 from the "
            "ONS tables of each edition, YE Jun 2025 from the ONS tables of that edition.",
            "Greater Manchester has no data for Jul-Dec 2019 (new IT system): YE Sep 2019 and "
            "YE Dec 2019 are missing.",
            "Population: ONS mid-year estimate (Census 2021 basis from 2011, old basis before) of "
            "the year before the period's end for year-ends in Jan-Jun, of that year otherwise.",
        ],
    }
    return frame, meta


def _population_at_end(root: Path) -> pd.DataFrame:
    old = _old_population(root)
    new = _new_population(root)
    pop = pd.concat([old.loc[old["mid_year"] < 2011], new], ignore_index=True)
    rows = []
    for period in pd.period_range("2003-03", "2025-06", freq="3M"):
        mid_year = period.year if period.month >= 7 else period.year - 1
        sub = pop.loc[pop["mid_year"] == min(mid_year, 2023)]
        rows.append(
            pd.DataFrame(
                {"unit": sub["area_code"], "period": str(period), "population": sub["population"]}
            )
        )
    return pd.concat(rows, ignore_index=True).astype({"population": float})


def policy_dates(root: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    shocks = pd.read_csv(root / "policy_dates/shocks.csv")
    vru = pd.DataFrame(
        [
            {
                "name": "vru_launch_2019",
                "label": "Violence Reduction Units funded in 18 force areas (first launch: "
                "West Midlands, 3 October 2019)",
                "kind": "vru",
                "start": "2019-10-03",
                "end": np.nan,
                "scope": "forces",
                "forces": ";".join(areas.vru_2019()),
                "source_url": np.nan,
                "notes": "Funding from financial year 2019/20; Home Office announcement of 18 "
                "areas.",
                "verified": np.nan,
            },
            {
                "name": "vru_cohort_2022",
                "label": "Cleveland and Humberside join the VRU programme",
                "kind": "vru",
                "start": "2022-04-01",
                "end": np.nan,
                "scope": "forces",
                "forces": ";".join(areas.vru_2022()),
                "source_url": np.nan,
                "notes": "Start of financial year 2022/23 taken as the start date (approximate).",
                "verified": np.nan,
            },
        ]
    )
    frame = pd.concat([shocks, vru], ignore_index=True)
    meta = {
        "description": "Dated policy, recording-practice and COVID-19 shocks, and VRU start dates",
        "kind": "table",
        "sources": [
            _source(
                root,
                "policy_dates/shocks.csv",
                "BlackThrive/streetlamp (compiled from GOV.UK, ONS, IfG sources)",
                "Dated policy and COVID shocks relevant to recorded crime",
                "commit 79eedbb",
            )
        ],
        "notes": ["The VRU rows are added by vrueval from the Home Office programme dates."],
    }
    return frame, meta


BUILDERS: dict[str, Callable[[Path], tuple[pd.DataFrame, dict[str, Any]]]] = {
    "knife_quarterly": knife_quarterly,
    "crime_severity_2022": lambda r: crime_severity(r, "2022"),
    "crime_severity_2020": lambda r: crime_severity(r, "2020"),
    "hes_sharp_object": lambda r: hes_sharp_object(r, by_age=False),
    "hes_sharp_object_by_age": lambda r: hes_sharp_object(r, by_age=True),
    "population_mid2011_2023": lambda r: population(r, "mid2011_2023"),
    "population_mid2002_2018": lambda r: population(r, "mid2002_2018"),
    "offences_rolling": offences_rolling,
    "policy_dates": policy_dates,
}


def build(root: Path, out: Path) -> dict[str, Any]:
    """Build every bundled dataset; validate panels before writing them."""
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    for name, builder in BUILDERS.items():
        frame, meta = builder(root)
        if meta.get("kind") != "table":
            panel = Panel.from_frame(
                frame,
                frequency=meta["frequency"],
                measure=meta["measure"],
                geography=meta["geography"],
            )
            frame = panel.data
            frame["period"] = frame["period"].astype(str)
        path = out / f"{name}.parquet"
        frame.to_parquet(path, index=False, compression="zstd")
        manifest[name] = {**meta, "file": path.name, "sha256": sha256(path)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m vrueval.data.bundle SHARED_DATA_DIR OUT_DIR")
    built = build(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"built {len(built)} datasets into {sys.argv[2]}")
