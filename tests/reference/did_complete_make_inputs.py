"""Inputs of tests/reference/did_complete_reference.R (and tests/test_did_complete.py).

Real data, read from the raw files in data/ with pandas alone (not through vrueval): the ONS
crime severity score for violence against the person by police force area (CSS data tool, YE
Mar 2022 edition), police officer FTE at 31 March by force (Home Office police workforce open
data table, July 2023), mid-year populations by force (ONS MYE aggregated to PFA) and each
force's region. Units: the 18 forces funded for a VRU in 2019 (treated from FY2019/20) and the
22 never-funded forces (City of London dropped: blank at source; the 2022 cohort left out).
Financial years ending March 2012..2022 (11 periods: 8 before the start, 3 from it).

Columns: force (name: a custom unit), fy (period label "2011/12"), fy_end (2012..2022),
css_violence (outcome), officers (police officer FTE per 100,000 residents at the year's end:
the time-varying covariate), population (mid-year before the year's end), region (the
cluster column), unit_weight (each force's mean population 2011-2021 in millions: a unit
weight), treated (0/1, constant within a force), start_fy_end (2020 for treated, NA else).

Run from the repository root:  python tests/reference/did_complete_make_inputs.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("did_complete_inputs.csv")
FIRST, LAST, START = 2012, 2022, 2020


def main() -> None:
    data = ROOT / "data"
    css = pd.read_csv(data / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv")
    css = css[
        (css["vintage"] == "CSS data tool, YE Mar 2022 edition")
        & (css["geo_level"] == "pfa")
        & (css["offence_group"] == "Violence against the person")
        & css["fy_end_year"].between(FIRST, LAST)
    ]
    reg = pd.read_csv(data / "reference" / "police_force_areas.csv")
    treated = set(reg.loc[reg["vru_cohort"] == 2019, "area_code"])
    never = set(reg.loc[reg["vru_cohort"].isna(), "area_code"]) - {"E23000034"}
    pop = pd.read_csv(
        data / "population_pfa" / "mid2011_2023" / "population_by_pfa_mid2011_2023.csv"
    )
    workforce = "police_workforce_by_force_worker_type_mar2007_2023.csv"
    work = pd.read_csv(data / "police_workforce_2007_2023" / workforce)
    officers = (
        work[work["worker_type"].str.lower() == "police officer"]
        .groupby(["area_code", "as_at_31_march"], as_index=False)["fte"]
        .sum()
        .rename(columns={"as_at_31_march": "fy_end_year", "fte": "officer_fte"})
    )
    d = css[css["area_code"].isin(treated | never)][["area_code", "fy_end_year", "css"]]
    d = d.merge(officers, on=["area_code", "fy_end_year"], how="left")
    pop = pop.assign(fy_end_year=pop["mid_year"] + 1)[["area_code", "fy_end_year", "population"]]
    d = d.merge(pop, on=["area_code", "fy_end_year"], how="left")
    d = d.merge(reg[["area_code", "area_name", "region"]], on="area_code")
    assert d[["css", "officer_fte", "population"]].notna().all().all()
    d["officers"] = d["officer_fte"] / d["population"] * 1e5
    d["unit_weight"] = d.groupby("area_code")["population"].transform("mean") / 1e6
    d["treated"] = d["area_code"].isin(treated).astype(int)
    d["start_fy_end"] = d["treated"].map({1: START, 0: None})
    d["fy"] = [f"{y - 1}/{str(y)[2:]}" for y in d["fy_end_year"]]
    out = d.rename(columns={"area_name": "force", "fy_end_year": "fy_end", "css": "css_violence"})
    out = out[
        [
            "force",
            "fy",
            "fy_end",
            "css_violence",
            "officers",
            "population",
            "region",
            "unit_weight",
            "treated",
            "start_fy_end",
        ]
    ].sort_values(["force", "fy_end"])
    assert len(out) == 40 * (LAST - FIRST + 1), len(out)
    out.to_csv(OUT, index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
