"""How much of each region's population lives in a VRU force area: the treatment intensity.

Hospital admissions are published by region of residence, and regions do not coincide with force
areas: the West Midlands region is West Midlands Police (VRU) plus three non-VRU forces. A design
on regional data needs the share of each region's population that a VRU covers.
"""

from __future__ import annotations

import pandas as pd

from vrueval import areas
from vrueval.data import datasets


def vru_population_share(year: int = 2019, cohorts: tuple[int, ...] = (2019,)) -> pd.DataFrame:
    """Share of each English region's mid-year population living in a VRU force area.

    Parameters
    ----------
    year : int
        Mid-year of the population estimate (Census 2021 basis, 2011-2023).
    cohorts : tuple of int
        VRU cohorts counted as covered (2019 and/or 2022).

    Returns
    -------
    DataFrame indexed by region code with columns region, population, vru_population, share.
    Force areas nest within regions, so the shares are exact up to the estimates themselves.
    """
    panel = datasets.population("mid2011_2023")
    data = panel.data
    data = data[data["period"].map(lambda p: p.year) == year]
    if data.empty:
        raise ValueError(f"no mid-{year} population; the bundled series covers 2011-2023")
    force = {a.code: a for a in areas.forces()}
    data = data.assign(
        region=data["unit"].map(lambda c: force[c].region),
        covered=data["unit"].map(lambda c: force[c].vru_cohort in cohorts),
    )
    data = data[data["region"] != "Wales"]
    rows = []
    for region, g in data.groupby("region", sort=True):
        total = float(g["value"].sum())
        covered = float(g.loc[g["covered"], "value"].sum())
        rows.append(
            {
                "code": areas.resolve(str(region), "region"),
                "region": region,
                "population": total,
                "vru_population": covered,
                "share": covered / total,
            }
        )
    return pd.DataFrame(rows).set_index("code")
