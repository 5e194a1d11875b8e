"""Home Office quarterly knife or sharp instrument offences by force (``knifecrime2.csv``).

One row per force and financial quarter with three components: "Knife enabled" (robbery, rape and
sexual assault), "Violence with Injury" (assault with injury or intent, threats to kill) and
"Homicide and serious injury" (homicide, attempted murder); "Knife Crime" is their sum. Rows are
sorted by the count, not by time; the "Population" column is of unknown vintage and is not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.loaders import provenance
from vrueval.data.loaders.common import LayoutError
from vrueval.data.panel import Panel

COLUMNS = (
    "QtrNum",
    "Force Name",
    "Region",
    "Financial Year",
    "Financial Quarter",
    "Population",
    "Knife enabled",
    "Violence with Injury",
    "Homicide and serious injury",
    "Knife Crime",
)
COMPONENTS = {
    "Knife Crime": "knife_offences",
    "Knife enabled": "knife_enabled",
    "Violence with Injury": "violence_with_injury",
    "Homicide and serious injury": "homicide_and_serious_injury",
}


def read(file: Path | str) -> pd.DataFrame:
    """The file as a tidy frame sorted by force code and quarter.

    Columns: area_code, area_name, region, financial_year, fy_quarter, quarter_start, quarter_end,
    knife_offences, component_knife_enabled, component_violence_with_injury,
    component_homicide_and_serious_injury, population_thousands_as_given.
    """
    path = Path(file)
    raw = pd.read_csv(path, dtype={"Financial Year": str, "Financial Quarter": str})
    absent = [c for c in COLUMNS if c not in raw.columns]
    if absent:
        raise LayoutError(
            path,
            f"the Home Office knife crime CSV with columns {list(COLUMNS)}",
            f"columns {list(raw.columns)}; missing {absent}",
        )
    fy_start = raw["Financial Year"].str[:4].astype(int)
    q = raw["Financial Quarter"].str.strip().str.upper().str.removeprefix("Q").astype(int)
    start = pd.PeriodIndex(
        [
            pd.Period(year=int(y) + (int(n) == 4), quarter=int(n) % 4 + 1, freq="Q-DEC")
            for y, n in zip(fy_start, q, strict=True)
        ]
    )
    out = pd.DataFrame(
        {
            "area_code": raw["Force Name"].map(areas.resolve),
            "area_name": raw["Force Name"],
            "region": raw["Region"],
            "financial_year": raw["Financial Year"],
            "fy_quarter": "Q" + q.astype(str),
            "quarter_start": start.to_timestamp(how="start").strftime("%Y-%m-%d"),
            "quarter_end": start.to_timestamp(how="end").strftime("%Y-%m-%d"),
            "knife_offences": raw["Knife Crime"],
            "component_knife_enabled": raw["Knife enabled"],
            "component_violence_with_injury": raw["Violence with Injury"],
            "component_homicide_and_serious_injury": raw["Homicide and serious injury"],
            "population_thousands_as_given": raw["Population"],
        }
    )
    return out.sort_values(["area_code", "quarter_start"]).reset_index(drop=True)


def panel(files: Sequence[Path | str]) -> Panel:
    """Quarterly knife offences (``knife_offences`` and its three components) by force."""
    if len(files) != 1:
        raise ValueError(f"the knife quarterly loader reads one CSV, got {len(files)} files")
    path = Path(files[0])
    tidy = read(path)
    parts = []
    for outcome in COMPONENTS.values():
        col = "knife_offences" if outcome == "knife_offences" else f"component_{outcome}"
        values = tidy[col].astype(float)
        parts.append(
            pd.DataFrame(
                {
                    "unit": tidy["area_code"],
                    "period": pd.PeriodIndex(pd.to_datetime(tidy["quarter_start"]), freq="Q-DEC"),
                    "outcome": outcome,
                    # -1 cells are net re-classifications of earlier offences, not counts: missing.
                    "value": values.where(values >= 0, np.nan),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    negative = int(frame["value"].isna().sum())
    src = provenance.source(
        path,
        "Home Office",
        "Police recorded crime: offences involving a "
        "knife or sharp instrument, by force (quarterly)",
        "circa spring 2019 (pre-revision)",
    )
    notes = [
        "Calendar quarters: 2008Q2 is Apr-Jun 2008 (financial year 2008/09 Q1).",
        "42 forces: City of London and British Transport Police are not in the file.",
        "Pre-revision vintage: Sussex, Surrey, Northumbria and others were revised upwards later.",
        "Greater Manchester under-counted knife offences until its December 2017 review.",
        "The file's Population column is of unknown vintage and is not used.",
    ]
    if negative:
        notes.append(f"{negative} negative component cell(s) (net re-classifications) are missing.")
    return Panel.from_frame(frame, frequency="quarter", sources=[src], notes=notes)
