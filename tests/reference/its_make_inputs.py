"""Write the series the ITS R reference reads (run from the repo root; output committed).

The values and populations come from the bundled panels (the same numbers vrueval fits); the R
script builds its own regressors from the periods, so the design construction is checked too.
"""

from pathlib import Path

import pandas as pd

import vrueval as ve

OUT = Path(__file__).resolve().parent / "its_inputs.csv"

frames = []
hes = ve.datasets.hes_sharp_object()
for region in ("West Midlands", "London"):
    s = hes.series(region, "admissions").reset_index()
    s["series"] = f"hes_{region.lower().replace(' ', '_')}"
    s["season"] = s["period"].dt.month
    frames.append(s)
knife = ve.datasets.knife_quarterly()
s = knife.series("West Midlands", "knife_offences").reset_index()
s["series"] = "knife_west_midlands"
s["season"] = s["period"].dt.quarter
frames.append(s)
out = pd.concat(frames)[["series", "period", "season", "value", "population"]]
out["period"] = out["period"].astype(str)
out.to_csv(OUT, index=False)
