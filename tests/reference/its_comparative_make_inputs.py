"""Write the series the comparative ITS R reference reads (run from the repo root; committed).

``.venv/bin/python tests/reference/its_comparative_make_inputs.py`` writes
``its_comparative_inputs.csv``: sharp-object admissions (HES, monthly 2012-2022) for the West
Midlands, South West and East Midlands regions, and quarterly knife offences (2008-2019) for the
West Midlands and Staffordshire forces, with populations, from the bundled panels vrueval fits.
Missing values (South West has two suppressed months) stay missing; R drops them as vrueval's
``missing="drop"`` does.
"""

from pathlib import Path

import pandas as pd

import vrueval as ve

OUT = Path(__file__).resolve().parent / "its_comparative_inputs.csv"

frames = []
hes = ve.datasets.hes_sharp_object()
for region in ("West Midlands", "South West", "East Midlands"):
    s = hes.series(region, "admissions").reset_index()
    s["data"], s["unit"], s["season"] = "hes", region, s["period"].dt.month
    frames.append(s)
knife = ve.datasets.knife_quarterly()
for force in ("West Midlands", "Staffordshire"):
    s = knife.series(force, "knife_offences").reset_index()
    s["data"], s["unit"], s["season"] = "knife", force, s["period"].dt.quarter
    frames.append(s)
out = pd.concat(frames)[["data", "unit", "period", "season", "value", "population"]]
out["period"] = out["period"].astype(str)
out.to_csv(OUT, index=False)
