"""Build the bundled datasets from the official raw files (maintainers only).

``python -m vrueval.data.bundle DATA_DIR OUT_DIR`` (``make bundle``: ``data`` into
``vrueval/data/bundled``) reads the files as published (under ``raw/`` in each folder of the
repository's ``data/``) with :mod:`vrueval.data.loaders`, attaches populations, and writes one
compressed parquet per dataset, the registries of geographies (:mod:`vrueval.areas.build`:
the force list copied from ``data/reference``, regions, local authority districts, community
safety partnerships, aliases) and ``manifest.json`` with the provenance of each dataset
(publisher, edition, the raw file read and its SHA-256). The package ships the output; nothing
here runs when a user imports vrueval.

The build is deterministic: panels are sorted by (outcome, unit, period), tables keep the source
order, parquet files are written by :func:`vrueval.data.storage.write_frame` with pinned settings
and the manifest with sorted keys, so under the locked environment the output equals the shipped
files byte for byte (``tests/test_datasets.py`` checks it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrueval import areas, atomic
from vrueval.areas import build as registries
from vrueval.data import loaders, storage
from vrueval.data.loaders import common, provenance
from vrueval.data.panel import Panel, Source

# The raw files read, relative to the data folder.
KNIFE_CSV = "knife_quarterly_2008_2019/raw/knifecrime2.csv"
CSS = {
    "2022": "css_pfa_2003_2022/raw/crime-pressure-force-2022-data.csv.gz",
    "2020": "css_pfa_2003_2022/raw/crime-pressure-force-data.csv.gz",
}
HES_WORKBOOK = "hes_sharp_object_region_2012_2022/raw/UK_Knife_Crime_Workbook.xlsx"
POPULATION_NEW = (
    "population_pfa/mid2011_2023/raw/LAD23_Mid_Year_pop_2011_to_2023.xlsx",
    "population_pfa/mid2011_2023/raw/LAD23_CSP23_PFA23_lookup_Dec2023.csv",
)
_PFA_2018_2019 = "ons_pfa_tables_2018_2019/raw/"
# The old basis takes each mid-year from the earliest edition publishing it: 2002-2016 from
# YE Mar 2018 (P9), 2017 from YE Jun 2018 (P3), 2018 from YE Jun 2019 (P3). Later editions of the
# same year repeat it, so only these three are read.
POPULATION_OLD = tuple(
    _PFA_2018_2019 + name
    for name in (
        "policeforceareatablesyearendingmarch2018v2.xlsx",
        "policeforceareadatatablesyearendingjune2018corrected.xlsx",
        "policeforceareatablesyearendingjune2019.xlsx",
    )
)
REGISTRY = registries.FORCES
REC_CRIME_CSV = "rec_crime_pfa_2003_2018/raw/rec-crime-pfa.csv"
# The 2019 editions, for the year-ends after rec-crime-pfa.csv stops (YE Dec 2018).
P1_2019 = tuple(
    _PFA_2018_2019 + name
    for name in (
        "policeforceareatablesyeendingmarch2019.xlsx",
        "policeforceareatablesyearendingjune2019.xlsx",
        "policeforceareatablesyearendingseptember2019.xlsx",
        "pfatablesdec19.xlsx",
    )
)
P1_JUN2025 = (
    "ons_pfa_tables_ye_jun2025/raw/policeforceareatablesyejune25final_TableP1_at_35ab745.csv"
)
SHOCKS = "policy_dates/shocks.csv"
_PFA_2021_2024 = "ons_pfa_tables_ye_mar2021_2024/raw/"
# The whole NDQIS knife series from one edition (never spliced): Table P6 of YE Mar 2024.
KNIFE_NDQIS = _PFA_2021_2024 + "pfatablesyemar24final.xlsx"
# Homicide by financial year: P1 and P4 (previous year) of the four YE March editions.
HOMICIDE_MARCH = tuple(
    _PFA_2021_2024 + name
    for name in (
        "pfatablescorrectionmar21.xlsx",
        "pfafinalmar22.xlsx",
        "pfatableyemar231.xlsx",
        "pfatablesyemar24final.xlsx",
    )
)

Built = tuple[pd.DataFrame, dict[str, Any]]


def _paths(root: Path, rels: Sequence[str]) -> list[Path]:
    return [root / rel for rel in rels]


def _sources(root: Path, rels: Sequence[str], *panels: Panel) -> list[dict[str, str]]:
    """The panels' sources for the manifest, each naming its file by its path under ``root``.

    Loaders record file names only; the manifest keeps the path so the build can be checked
    against the data folder. A file read for two tables is listed once, naming both.
    """
    by_name = {Path(rel).name: rel for rel in rels}
    out: dict[str, dict[str, str]] = {}
    for panel in panels:
        for src in panel.sources:
            rel = by_name[src.file]
            seen = out.get(rel)
            if seen is None:
                out[rel] = replace(src, file=rel).to_dict()
            elif src.title not in seen["title"]:  # one workbook read for two tables
                seen["title"] += f"; {src.title}"
    return list(out.values())


def _fy_start(period: pd.Period) -> int:
    """The year the financial year (April to March) containing ``period`` starts in."""
    start = period.start_time
    return start.year if start.month >= 4 else start.year - 1


@cache
def _old_population_panel(root: Path) -> Panel:
    """Forces' mid-year population, pre-Census-2021 basis (PFA tables P9/P3)."""
    return loaders.ons_pfa_tables.population_panel(_paths(root, POPULATION_OLD))


@cache
def _new_population_panel(root: Path) -> Panel:
    """Forces' mid-year population, Census 2021 basis (LAD workbook + LAD->PFA lookup)."""
    return loaders.population.panel(_paths(root, POPULATION_NEW))


def _population_table(panel: Panel) -> pd.DataFrame:
    """area_code, mid_year, population from a population panel."""
    d = panel.data
    return pd.DataFrame(
        {
            "area_code": d["unit"],
            "mid_year": d["period"].map(lambda p: p.year),
            "population": d["value"],
        }
    )


def _old_population(root: Path) -> pd.DataFrame:
    return _population_table(_old_population_panel(root))


def _new_population(root: Path) -> pd.DataFrame:
    return _population_table(_new_population_panel(root))


def knife_quarterly(root: Path) -> Built:
    panel = loaders.knife_quarterly.panel([root / KNIFE_CSV])
    frame = panel.data.drop(columns="population")
    # population of the mid-year inside each financial year (FY2018/19 -> mid-2018)
    frame["mid_year"] = frame["period"].map(_fy_start)
    pop = _old_population(root).rename(columns={"area_code": "unit"})
    frame = frame.merge(pop, on=["unit", "mid_year"], how="left").drop(columns="mid_year")
    meta = {
        "description": "Knife or sharp instrument offences by police force area, quarterly",
        "frequency": "quarter",
        "measure": "count",
        "geography": "force",
        "sources": _sources(root, [KNIFE_CSV, *POPULATION_OLD], panel, _old_population_panel(root)),
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


def crime_severity(root: Path, vintage: str) -> Built:
    panel = loaders.crime_severity.panel([root / CSS[vintage]])
    meta = {
        "description": "Crime severity score by offence group and police force area "
        f"({vintage} vintage)",
        "frequency": "financial_year",
        "measure": "score",
        "geography": "force",
        "sources": _sources(root, [CSS[vintage]], panel),
        "notes": [
            "Severity-weighted offences per 1,000 residents; a rate, not a count.",
            "Financial years are labelled by the year they end in (2020 is FY2019/20).",
            "City of London is ':' (not published) at source: missing in every year.",
            "Violence scores are inflated by post-2014 recording-practice improvements.",
        ],
    }
    return panel.data, meta


def hes_sharp_object(root: Path, by_age: bool) -> Built:
    panel = loaders.hes_workbook.panel([root / HES_WORKBOOK], by_age=by_age)
    frame = panel.data.drop(columns="population")
    frame = frame.merge(_region_population(root), on=["unit", "period"], how="left")
    meta = {
        "description": "Hospital admissions for assault by sharp object (ICD-10 X99), by region of "
        "residence, monthly" + (", by age group" if by_age else ""),
        "frequency": "month",
        "measure": "count",
        "geography": "region",
        "sources": _sources(
            root, [HES_WORKBOOK, *POPULATION_NEW], panel, _new_population_panel(root)
        ),
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


def _region_population(root: Path) -> pd.DataFrame:
    """unit, period (month), population: each English region and England as the sum of its
    forces, the mid-year of the financial year the month is in (Census 2021 basis)."""
    pop = _new_population(root).copy()
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
            rows.append((unit, month, float(population)))
    return pd.DataFrame(rows, columns=["unit", "period", "population"])


def population(root: Path, basis: str) -> Built:
    old = basis == "mid2002_2018"
    if old:
        panel = _old_population_panel(root)
        rels: Sequence[str] = POPULATION_OLD
    else:
        panel = _new_population_panel(root)
        rels = POPULATION_NEW
    # one outcome name for both bases: the dataset name says which basis it is
    frame = panel.data.assign(outcome="population")
    meta = {
        "description": f"Mid-year population by police force area ({basis} basis)",
        "frequency": "year",
        "measure": "count",
        "geography": "force",
        "sources": _sources(root, rels, panel),
        "notes": [
            "Periods are calendar years labelling the mid-year (30 June) estimate.",
            "The two bases differ by up to 3% for 2012-2018: never splice them without saying so.",
        ],
    }
    return frame, meta


_ROLLING_OFFENCES = (
    "Homicide",
    "Violence with injury",
    "Possession of weapons offences",
    "Robbery",
)


def offences_rolling(root: Path) -> Built:
    offences = list(_ROLLING_OFFENCES)
    panels = [
        loaders.home_office_open_data.rec_crime_panel(root / REC_CRIME_CSV, offences=offences),
        loaders.ons_pfa_tables.offence_groups_panel(_paths(root, P1_2019), offences=offences),
        loaders.ons_pfa_tables.offence_groups_panel([root / P1_JUN2025], offences=offences),
    ]
    frame = pd.concat([p.data for p in panels], ignore_index=True).drop(columns="population")
    # One quarterly grid over every vintage: periods nobody published here stay missing.
    grid = list(pd.period_range("2003-03", "2025-06", freq="M")[::3])
    frame = common.complete_grid(frame, grid)
    frame = frame.merge(_population_at_end(root, grid), on=["unit", "period"], how="left")
    meta = {
        "description": "Police recorded offences by force, rolling 12-month totals "
        "(homicide, violence with injury, possession of weapons, robbery)",
        "frequency": "rolling_12m",
        "measure": "count",
        "geography": "force",
        "sources": _sources(
            root,
            [REC_CRIME_CSV, *P1_2019, P1_JUN2025, *POPULATION_OLD, *POPULATION_NEW],
            *panels,
            _old_population_panel(root),
            _new_population_panel(root),
        ),
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


def _population_at_end(root: Path, grid: Sequence[pd.Period]) -> pd.DataFrame:
    """unit, period, population: the mid-year before each rolling year's end (mid-2023 for
    later ends), old basis before 2011 and Census 2021 basis from 2011."""
    old = _old_population(root)
    new = _new_population(root)
    pop = pd.concat([old.loc[old["mid_year"] < 2011], new], ignore_index=True)
    rows = []
    for period in grid:
        mid_year = period.year if period.month >= 7 else period.year - 1
        sub = pop.loc[pop["mid_year"] == min(mid_year, 2023)]
        rows.append(
            pd.DataFrame(
                {"unit": sub["area_code"], "period": period, "population": sub["population"]}
            )
        )
    return pd.concat(rows, ignore_index=True).astype({"population": float})


def _fy_population(root: Path, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Attach the Census 2021 basis population of the mid-year inside each financial year.

    That series starts at mid-2011; FY2010/11 (mid-2010) takes mid-2011 rather than splicing the
    old basis in (a note says so)."""
    out = frame.drop(columns="population").copy()
    pop = _new_population(root).rename(columns={"area_code": "unit"})
    first = int(pop["mid_year"].min())
    out["mid_year"] = out["period"].map(lambda p: max(_fy_start(p), first))
    out = out.merge(pop, on=["unit", "mid_year"], how="left").drop(columns="mid_year")
    early = sorted(
        {f"FY{_fy_start(p)}/{(_fy_start(p) + 1) % 100:02d}" for p in frame["period"]}
        - {f"FY{y}/{(y + 1) % 100:02d}" for y in range(first, 2100)}
    )
    notes = [
        "Population: ONS mid-year estimate (Census 2021 basis) of the year the financial year "
        "starts in (FY2019/20 -> mid-2019)"
        + (
            f"; that series starts at mid-{first}, so {', '.join(early)} takes "
            f"mid-{first} (not the old basis: the two are never spliced)."
            if early
            else "."
        )
    ]
    return out, notes


def knife_offences_annual(root: Path) -> Built:
    panel = loaders.ons_pfa_annual.knife_panel([root / KNIFE_NDQIS])
    frame, pop_notes = _fy_population(root, panel.data)
    meta = {
        "description": "Knife or sharp instrument offences by police force area, financial years "
        "2010/11-2023/24 (NDQIS method, YE Mar 2024 edition)",
        "frequency": "financial_year",
        "measure": "count",
        "geography": "force",
        "sources": _sources(
            root, [KNIFE_NDQIS, *POPULATION_NEW], panel, _new_population_panel(root)
        ),
        "notes": [*panel.notes, *pop_notes],
        # first comparable financial year (end year) by force, from the edition's notes:
        # datasets.knife_offences_annual(comparable_only=True) leaves earlier years missing
        "comparable_from": loaders.ons_pfa_annual.comparability_breaks(root / KNIFE_NDQIS),
    }
    return frame, meta


def homicide_annual(root: Path) -> Built:
    panel = loaders.ons_pfa_annual.homicide_panel(_paths(root, HOMICIDE_MARCH))
    frame, pop_notes = _fy_population(root, panel.data)
    meta = {
        "description": "Police recorded homicide by police force area, financial years "
        "2019/20-2023/24 (PFA tables P1/P4, YE Mar 2021-2024 editions)",
        "frequency": "financial_year",
        "measure": "count",
        "geography": "force",
        "sources": _sources(
            root, [*HOMICIDE_MARCH, *POPULATION_NEW], panel, _new_population_panel(root)
        ),
        "notes": [*panel.notes, *pop_notes],
    }
    return frame, meta


def policy_dates(root: Path) -> Built:
    shocks = pd.read_csv(root / SHOCKS)
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
    src: Source = provenance.source(
        root / SHOCKS,
        "BlackThrive/streetlamp (compiled from GOV.UK, ONS, IfG sources)",
        "Dated policy and COVID shocks relevant to recorded crime",
        "commit 79eedbb",
    )
    meta = {
        "description": "Dated policy, recording-practice and COVID-19 shocks, and VRU start dates",
        "kind": "table",
        "sources": [replace(src, file=SHOCKS).to_dict()],
        "notes": ["The VRU rows are added by vrueval from the Home Office programme dates."],
    }
    return frame, meta


BUILDERS: dict[str, Callable[[Path], Built]] = {
    "knife_quarterly": knife_quarterly,
    "crime_severity_2022": lambda r: crime_severity(r, "2022"),
    "crime_severity_2020": lambda r: crime_severity(r, "2020"),
    "hes_sharp_object": lambda r: hes_sharp_object(r, by_age=False),
    "hes_sharp_object_by_age": lambda r: hes_sharp_object(r, by_age=True),
    "population_mid2011_2023": lambda r: population(r, "mid2011_2023"),
    "population_mid2002_2018": lambda r: population(r, "mid2002_2018"),
    "offences_rolling": offences_rolling,
    "knife_offences_annual": knife_offences_annual,
    "homicide_annual": homicide_annual,
    "policy_dates": policy_dates,
}


def build(root: Path, out: Path) -> dict[str, Any]:
    """Build every bundled dataset; validate panels before writing them."""
    root = root.resolve()
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
        storage.write_frame(frame, path)
        manifest[name] = {**meta, "file": path.name, "sha256": provenance.sha256(path)}
    for name, content in registries.files(root).items():
        atomic.write_bytes(out / name, content)
    atomic.write_text(out / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m vrueval.data.bundle DATA_DIR OUT_DIR")
    built = build(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"built {len(built)} datasets into {sys.argv[2]}")
