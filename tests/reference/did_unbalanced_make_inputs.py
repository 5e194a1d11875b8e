"""Write the panels the unbalanced-DiD R reference reads (run from the repo root; output committed).

Two real panels with missing cells, as the bundled data hold them (missing = empty, never zero):

* ``hes_intensity``: monthly sharp-object admissions by English region (HES), Apr 2012-Mar 2022,
  with population, and each region's 2019 VRU population share (analyses/did_hes_intensity.toml);
  East of England has one suppressed month, South West two.
* ``knife_hsi``: quarterly knife homicide-and-serious-injury offences by force, 2008Q2-2019Q1,
  the 2019 VRU forces (treated) and the never-funded forces; four forces miss one quarter.

The R script builds its own rates, treatment and dummies from these values and periods.
"""

import tomllib
from pathlib import Path

import pandas as pd

import vrueval as ve

HERE = Path(__file__).resolve().parent
OUT = HERE / "did_unbalanced_inputs.csv"

spec = tomllib.loads((HERE.parents[1] / "analyses" / "did_hes_intensity.toml").read_text())
intensity = spec["design"]["intensity"]
hes = ve.datasets.hes_sharp_object().select(outcome="admissions", units=list(intensity))
a = hes.data[["unit", "period", "value", "population"]].assign(
    case="hes_intensity", intensity=lambda f: f["unit"].map(intensity), treated=1
)
knife = ve.datasets.knife_quarterly().select(outcome="homicide_and_serious_injury")
vru, never = set(ve.areas.vru_2019()), set(ve.areas.comparators())
b = knife.data[knife.data["unit"].isin(vru | never)][["unit", "period", "value", "population"]]
b = b.assign(case="knife_hsi", intensity=lambda f: f["unit"].isin(vru).astype(float))
b["treated"] = b["intensity"].astype(int)
out = pd.concat([a, b])[["case", "unit", "period", "value", "population", "intensity", "treated"]]
out["period"] = out["period"].astype(str)
out.to_csv(OUT, index=False)
print(f"wrote {OUT} ({len(out)} rows, {int(out['value'].isna().sum())} missing values)")
