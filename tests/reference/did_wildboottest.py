"""Reference wild cluster bootstrap p-values from the `wildboottest` package (run in .venv-bench).

The CSS robbery and violence TWFE of tests/reference/did_css_reference.R (2019 VRU forces against
never-funded forces, post from FY2019/20), as an OLS with unit and year dummies, clustered by
force, WCR bootstrap with B = 9,999, Rademacher and Webb weights.

    .venv-bench/bin/python tests/reference/did_wildboottest.py
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pandas as pd
import statsmodels.api as sm
from wildboottest.wildboottest import wildboottest

HERE = Path(__file__).resolve().parent
RAW = HERE.parents[1] / "data"
GROUPS = {
    "Violence against the person": "css_violence_against_the_person",
    "Robbery": "css_robbery",
}


def frame(group: str) -> pd.DataFrame:
    css = pd.read_csv(RAW / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv")
    reg = pd.read_csv(RAW / "reference" / "police_force_areas.csv")
    treated = set(reg.loc[reg["vru_cohort"] == 2019, "area_code"])
    never = set(reg.loc[reg["vru_cohort"].isna(), "area_code"]) - {"E23000034"}
    css = css[
        (css["vintage"] == "CSS data tool, YE Mar 2022 edition")
        & (css["geo_level"] == "pfa")
        & (css["offence_group"] == group)
        & css["area_code"].isin(treated | never)
    ]
    d = css[["area_code", "fy_end_year", "css"]].rename(
        columns={"area_code": "unit", "fy_end_year": "year", "css": "y"}
    )
    d["D"] = (d["unit"].isin(treated) & (d["year"] >= 2020)).astype(float)
    return d.reset_index(drop=True)


def main() -> None:
    out: dict[str, object] = {
        "wildboottest": metadata.version("wildboottest"),
        "B": 9999,
        "note": "WCR (impose_null=True), bootstrap_type 11, two-tailed symmetric p-value",
    }
    for group, key in GROUPS.items():
        d = frame(group)
        x = pd.get_dummies(d[["unit", "year"]].astype(str), drop_first=True).astype(float)
        x.insert(0, "D", d["D"])
        x = sm.add_constant(x)
        model = sm.OLS(d["y"], x)
        res = {}
        for wt in ("rademacher", "webb"):
            table = wildboottest(
                model,
                param="D",
                cluster=pd.factorize(d["unit"])[0],
                B=9999,
                weights_type=wt,
                seed=20240517,
                show=False,
            )
            res[wt] = {
                "p_value": float(table["p-value"].iloc[0]),
                "statistic": float(table["statistic"].iloc[0]),
            }
        out[key] = res
    (HERE / "did_wildboottest.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
