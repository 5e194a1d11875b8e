"""Write the series the extended ITS R reference reads (run from the repo root; output committed).

HES sharp-object admissions of the nine English regions, monthly 2012-04 to 2022-03, with
populations, from the bundled panel (the numbers vrueval fits). The R script
(its_extended_reference.R) builds its own regressors from the periods.
"""

from pathlib import Path

import pandas as pd

import vrueval as ve

OUT = Path(__file__).resolve().parent / "its_extended_inputs.csv"

hes = ve.datasets.hes_sharp_object()
frames = []
for code in sorted(u for u in hes.units if u.startswith("E12")):
    s = hes.series(code, "admissions").reset_index()
    s["unit"] = code
    s["month"] = s["period"].dt.month
    frames.append(s)
out = pd.concat(frames)[["unit", "period", "month", "value", "population"]]
out["period"] = out["period"].astype(str)
out.to_csv(OUT, index=False)
