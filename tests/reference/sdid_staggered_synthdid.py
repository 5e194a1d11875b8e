"""Reference values for ve.StaggeredSyntheticDiD from the PyPI package ``synthdid`` (d2cml-ai's
Python port of Stata ``sdid``, which supports staggered adoption), on two public staggered panels:

* ``mpdta`` (data/mpdta; Callaway and Sant'Anna 2021 county teen employment, ``lemp``) without
  the 2004 cohort (one pre-period: no noise level, Stata and the port fail on it): cohorts 2006
  and 2007 against the 309 never-treated counties;
* ``ehec`` (tests/reference/ehec_data.csv; Medicaid expansion, ``dins``, 2008-2019; provenance in
  honestdid_make_inputs.py): cohorts 2014-2019 against the never-expanding states.

Compared: each cohort's estimate (``att_info.att_time``), its aggregation weight and the overall
``att`` (which the package rounds to 5 decimals), and each cohort's unit and time weights. The
Stata sdid example data (``quota``) are not shipped by the package (it downloads them from
GitHub), so they are not used.

The package's jackknife (``vcov(method="jackknife")``) drops the left-out control's weight
without renormalising the rest (Stata ``sdid`` renormalises: ``sum_norm(omega_aux[id1])``), so its
standard error is recorded for the record but not used as a reference; the jackknife reference
is tests/reference/sdid_staggered_reference.R, which follows Stata.

Run in a venv of its own (not the project's):
    python3.11 -m venv /work/refvenv-sdidstag
    /work/refvenv-sdidstag/bin/pip install synthdid==0.10.1
    /work/refvenv-sdidstag/bin/python tests/reference/sdid_staggered_synthdid.py
Writes tests/reference/sdid_staggered_synthdid.json.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def panels() -> dict[str, pd.DataFrame]:
    mpdta = pd.read_csv(ROOT / "data" / "mpdta" / "mpdta.csv.gz")
    mpdta = mpdta[mpdta["first.treat"] != 2004]
    mpdta = pd.DataFrame(
        {
            "unit": mpdta["countyreal"],
            "time": mpdta["year"],
            "outcome": mpdta["lemp"],
            "first": mpdta["first.treat"].astype(float),
        }
    )
    ehec = pd.read_csv(HERE / "ehec_data.csv")
    ehec = pd.DataFrame(
        {
            "unit": ehec["stfips"],
            "time": ehec["year"].astype(int),
            "outcome": ehec["dins"],
            "first": ehec["yexp2"].fillna(0).astype(float),
        }
    )
    out = {}
    for name, frame in (("mpdta", mpdta), ("ehec", ehec)):
        frame = frame.copy()
        treated = (frame["first"] > 0) & (frame["time"] >= frame["first"])
        frame["treatment"] = treated.astype(int)
        out[name] = frame.reset_index(drop=True)
    return out


def run(frame: pd.DataFrame) -> dict[str, object]:
    from synthdid.synthdid import Synthdid

    model = Synthdid(frame, "unit", "time", "treatment", "outcome").fit()
    info = model.att_info
    units = [list(map(str, u)) for u in model.Y_units]
    cohorts = {}
    for i, row in info.iterrows():
        n0 = int(row["N0"])
        cohorts[str(int(row["time"]))] = {
            "estimate": float(row["att_time"]),
            "share": float(row["att_wt"]),
            "n0": n0,
            "t0": int(row["T0"]),
            "n1": int(row["N1"]),
            "t1": int(row["T1"]),
            "controls": units[i][:n0],
            "omega": [float(v) for v in model.weights["omega"][i]],
            "lambda": [float(v) for v in model.weights["lambda"][i]],
        }
    out: dict[str, object] = {"att_rounded_5": float(model.att), "cohorts": cohorts}
    try:
        model.vcov(method="jackknife")
        out["jackknife_se_package_unrenormalised"] = float(model.se)
    except ValueError as err:
        out["jackknife_refused"] = str(err)
    return out


def main() -> None:
    np.random.seed(0)  # noqa: NPY002 -- the package draws from the global stream (unused here)
    out: dict[str, object] = {
        "package": "synthdid",
        "version": metadata.version("synthdid"),
        "settings": "Synthdid(frame, 'unit', 'time', 'treatment', 'outcome').fit() defaults",
    }
    for name, frame in panels().items():
        out[name] = run(frame)
    (HERE / "sdid_staggered_synthdid.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
