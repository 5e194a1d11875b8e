"""Panels for the DiD tests, built from the real tidy CSVs in data/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel

CSS_VINTAGE = "CSS data tool, YE Mar 2022 edition"
GROUPS = {
    "Violence against the person": "css_violence_against_the_person",
    "Robbery": "css_robbery",
}


def css_panel(raw: Path, *, with_population: bool = False) -> Panel:
    """Violence and robbery severity scores by force, FY2002/03-FY2021/22 (2022 vintage).

    With ``with_population`` the ONS mid-year population (Census 2021 basis) of the year each
    financial year starts is attached, and the window is FY2011/12-FY2021/22.
    """
    css = pd.read_csv(raw / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv")
    css = css[(css["vintage"] == CSS_VINTAGE) & (css["geo_level"] == "pfa")]
    css = css[css["offence_group"].isin(list(GROUPS))]
    frame = pd.DataFrame(
        {
            "unit": css["area_code"].to_numpy(),
            "period": css["fy_end_year"].to_numpy(),
            "outcome": css["offence_group"].map(GROUPS).to_numpy(),
            "value": css["css"].to_numpy(dtype=float),
        }
    )
    if with_population:
        pop = pd.read_csv(
            raw / "population_pfa" / "mid2011_2023" / "population_by_pfa_mid2011_2023.csv"
        )
        pop = pd.DataFrame(
            {
                "unit": pop["area_code"],
                "period": pop["mid_year"] + 1,
                "population": pop["population"],
            }
        )
        frame = frame[frame["period"] >= 2012].merge(pop, on=["unit", "period"], how="left")
        assert not np.any(frame["population"].isna())
    # fy_end_year labels the year a financial year ends in: say so, a bare year is ambiguous
    frame["period"] = [pd.Period(year=int(y), freq="Y-MAR") for y in frame["period"]]
    return Panel.from_frame(frame, frequency="financial_year", measure="score")
