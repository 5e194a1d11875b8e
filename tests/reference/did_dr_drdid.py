"""Reference for DiD(estimator="dr"): the ``drdid`` package (a Python port of R's DRDID,
statsmodels' logit and WLS), ``drdid_panel`` on the same real data as did_complete_reference.R.

Inputs: did_complete_inputs.csv. Each force's outcome is its mean CSS violence before
(FY2011/12-2018/19) and from (2019/20-2021/22) the start, its covariate its mean police officers
per 100,000 before the start (and, with anticipation of one period, the baseline ends a year
earlier and FY2018/19 is left out). Writes did_dr_drdid.json: the ATT, DRDID's analytic
standard error ``sd(psi) / sqrt(n)`` and the influence function (in the order of the forces'
names), and the region-clustered standard error from that influence function
(``sqrt(G/(G-1) sum_g S_g^2) / n``, ``S_g`` the region sums of the centred influence function).

Run in a venv holding drdid (not the project's):
    python -m venv /tmp/ref && /tmp/ref/bin/pip install drdid==1.1.7 pandas
    /tmp/ref/bin/python tests/reference/did_dr_drdid.py
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from drdid._estimators import drdid_panel  # type: ignore[import-not-found]

HERE = Path(__file__).parent


def case(d: pd.DataFrame, anticipation: int) -> dict[str, object]:
    before = d["fy_end"] < 2020 - anticipation
    after = d["fy_end"] >= 2020
    y0 = d[before].groupby("force")["css_violence"].mean()
    y1 = d[after].groupby("force")["css_violence"].mean()
    x = d[before].groupby("force")["officers"].mean()
    treated = d.groupby("force")["treated"].first()
    region = d.groupby("force")["region"].first()
    forces = sorted(y0.index)
    att, psi = drdid_panel(
        y1.loc[forces].to_numpy(),
        y0.loc[forces].to_numpy(),
        treated.loc[forces].to_numpy().astype(float),
        np.column_stack([np.ones(len(forces)), x.loc[forces].to_numpy()]),
    )
    n = len(psi)
    centred = psi - psi.mean()
    sums = pd.Series(centred).groupby(region.loc[forces].to_numpy()).sum().to_numpy()
    g = len(sums)
    return {
        "att": float(att),
        "std_error": float(np.std(psi, ddof=1) / np.sqrt(n)),
        "std_error_region": float(np.sqrt(g / (g - 1) * np.sum(sums**2)) / n),
        "influence": [float(v) for v in psi],
        "forces": forces,
    }


def main() -> None:
    d = pd.read_csv(HERE / "did_complete_inputs.csv")
    out = {
        "versions": {"drdid": version("drdid"), "statsmodels": version("statsmodels")},
        "dr": case(d, 0),
        "dr_anticipation_1": case(d, 1),
    }
    (HERE / "did_dr_drdid.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
