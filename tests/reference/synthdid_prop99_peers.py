"""Reference values for ve.SyntheticDiD from two PyPI peers, on the California Prop 99 panel.

* ``synthdid-py`` (a port of R ``synthdid``): SDiD, SC and DiD estimates and weights; the placebo
  standard error with ``random_state=1`` and 200 replications (its permutations come from
  ``numpy.random.default_rng(1).permutation``, the same stream vrueval draws with ``seed=1``,
  so the numbers must agree to the solver's rounding); the fixed-weights jackknife on a panel
  with several treated units (California and the last five donor rows, as the R script).
* ``diff-diff``'s ``SyntheticDiD``: point estimate and jackknife standard error (its own
  Frank-Wolfe; its placebo draws use another stream, so only point estimates and the
  deterministic jackknife are compared).

Run in a venv with the peers (not the project's):
    python3.11 -m venv /work/refvenv-synth
    /work/refvenv-synth/bin/pip install synthdid-py==0.1.0 diff-diff==3.13.0
    /work/refvenv-synth/bin/python tests/reference/synthdid_prop99_peers.py
Writes tests/reference/synthdid_prop99_peers.json.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
PANEL = ROOT / "data" / "california_prop99" / "california_prop99.csv"
MULTI = 5  # extra treated units in the several-treated panel


def synthdid_py() -> dict[str, object]:
    import synthdid as sd

    frame = pd.read_csv(PANEL, sep=";")
    setup = sd.panel_matrices(frame)
    y, n0, t0 = setup.Y, setup.N0, setup.T0
    out: dict[str, object] = {"version": metadata.version("synthdid-py")}
    for name, fn in (
        ("sdid", sd.synthdid_estimate),
        ("sc", sd.sc_estimate),
        ("did", sd.did_estimate),
    ):
        est = fn(y, n0, t0)
        out[name] = {
            "estimate": float(est),
            "omega": [float(v) for v in est.weights.omega],
            "lambda": [float(v) for v in est.weights["lambda"]],
            "placebo_se_seed1_200": float(sd.placebo_se(est, 200, random_state=1)),
        }
    multi = sd.synthdid_estimate(y, n0 - MULTI, t0)
    out["multi"] = {
        "estimate": float(multi),
        "jackknife_se": float(sd.jackknife_se(multi)),
        "n0": n0 - MULTI,
    }
    return out


def diff_diff() -> dict[str, object]:
    from diff_diff import SyntheticDiD

    frame = pd.read_csv(PANEL, sep=";")
    ever = frame.groupby("State")["treated"].transform("max")
    frame = frame.assign(ever=ever)
    post = sorted(frame.loc[frame["treated"] == 1, "Year"].unique().tolist())
    out: dict[str, object] = {"version": metadata.version("diff-diff")}
    res = SyntheticDiD(variance_method="jackknife").fit(
        frame,
        outcome="PacksPerCapita",
        treatment="ever",
        unit="State",
        time="Year",
        post_periods=post,
    )
    out["sdid_estimate"] = float(res.att)
    # several treated units, as above: the last MULTI donor rows in R's order (alphabetical)
    donors = sorted(frame.loc[frame["ever"] == 0, "State"].unique())
    extra = set(donors[-MULTI:])
    multi = frame.assign(ever=np.where(frame["State"].isin(extra), 1, frame["ever"]))
    res = SyntheticDiD(variance_method="jackknife").fit(
        multi,
        outcome="PacksPerCapita",
        treatment="ever",
        unit="State",
        time="Year",
        post_periods=post,
    )
    out["multi"] = {"estimate": float(res.att), "jackknife_se": float(res.se)}
    return out


def main() -> None:
    out = {"synthdid_py": synthdid_py(), "diff_diff": diff_diff()}
    (HERE / "synthdid_prop99_peers.json").write_text(json.dumps(out, indent=1) + "\n")
    print(
        json.dumps(
            {k: {kk: vv for kk, vv in v.items() if kk != "sdid"} for k, v in out.items()},
            default=str,
        )[:2000]
    )


if __name__ == "__main__":
    main()
