"""ONS Crime Severity Score (CSS) by offence group and area, financial years.

The ONS CSS data tool (sheet "Data - reg + pfa") in long form, as the CSV the ONS-derived tables
give: offence_group, code, name, year (the printed label, e.g. "Apr '02 to Mar '03"), severity_score
(':' where not published, e.g. City of London), year_ending. Severity weights are revised between
editions, so each file is one vintage, named after its last financial year, and vintages are
never mixed in one panel.

Reference: ONS, Crime Severity Score (Experimental Statistics), methodology note.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from vrueval.data.loaders import common, provenance
from vrueval.data.loaders.common import LayoutError
from vrueval.data.panel import Panel

COLUMNS = ("offence_group", "code", "name", "year", "severity_score", "year_ending")


def read(files: Sequence[Path | str]) -> pd.DataFrame:
    """The files as one tidy frame, in the order given.

    Columns: vintage ("CSS data tool, YE Mar 2022 edition"), area_code, area_name, geo_level,
    fy_end_year, period_end, offence_group, css, suppressed.
    """
    parts = []
    for f in files:
        path = Path(f)
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        absent = [c for c in COLUMNS if c not in raw.columns]
        if absent:
            raise LayoutError(
                path,
                f"the ONS crime severity score table with columns {list(COLUMNS)}",
                f"columns {list(raw.columns)}",
            )
        end = pd.to_datetime(raw["year_ending"])
        values, suppressed, unavailable = common.parse_values(raw["severity_score"])
        parts.append(
            pd.DataFrame(
                {
                    "vintage": f"CSS data tool, YE Mar {end.max().year} edition",
                    "area_code": raw["code"],
                    "area_name": raw["name"],
                    "geo_level": raw["code"].map(common.geo_level),
                    "fy_end_year": end.dt.year,
                    "period_end": end.dt.strftime("%Y-%m-%d"),
                    "offence_group": raw["offence_group"],
                    "css": values,
                    "suppressed": suppressed,
                    "unavailable": unavailable,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def panel(files: Sequence[Path | str], geography: str = "force") -> Panel:
    """One vintage of the CSS as a financial-year ``score`` panel, outcomes ``css_<group>``."""
    if len(files) != 1:
        raise ValueError(
            "pass one CSS file (one vintage; severity weights differ between editions), "
            f"got {len(files)}"
        )
    path = Path(files[0])
    d = read([path])
    keep = (
        d["geo_level"].eq("pfa")
        if geography == "force"
        else d["geo_level"].isin(["region", "country"])
    )
    d = d.loc[keep]
    frame = pd.DataFrame(
        {
            "unit": d["area_code"],
            "period": [pd.Period(year=int(y), freq="Y-MAR") for y in d["fy_end_year"]],
            "outcome": "css_" + d["offence_group"].map(common.slug),
            "value": d["css"],
            "suppressed": d["suppressed"],
            "unavailable": d["unavailable"],
        }
    )
    vintage = d["vintage"].iloc[0]
    src = provenance.source(
        path,
        "Office for National Statistics",
        "Crime Severity Score (Experimental Statistics), data tool",
        vintage.removeprefix("CSS data tool, "),
    )
    return Panel.from_frame(
        frame,
        frequency="financial_year",
        measure="score",
        geography="force" if geography == "force" else "region",
        sources=[src],
        notes=[
            "Severity-weighted offences per 1,000 residents: a rate, not a count.",
            "Financial years labelled by the year they end in.",
            f"Vintage: {vintage}; weights are revised between editions, never mix vintages.",
            "':' at source (City of London: not published) is missing and flagged unavailable.",
        ],
    )
