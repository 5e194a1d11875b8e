"""Reference values for ve.SyntheticControl from pysyncon on ADH (2010)'s Proposition 99 data.

The predictor specification of Abadie, Diamond and Hainmueller (2010), Table 1: ln income,
retail price and share aged 15-24 averaged over 1980-88, beer consumption over 1984-88,
cigarette sales in 1988, 1980 and 1975; California against the 38 donor states, 1970-88.

Recorded:
* ``nested``: pysyncon's nested V (Nelder-Mead, from its "equal" and "ols" starts, the lower
  loss kept, as vrueval does), its donor weights, V and pre-period MSPE ``loss_V``;
* ``custom_v``: the weights pysyncon's inner solver gives for that V (vrueval, given the same
  V, must reach a loss no larger: a convex problem, which pysyncon's SLSQP solves only
  approximately);
* ``outcomes_only``: weights minimising the plain MSPE of the 19 pre-period outcomes (vrueval's
  default without predictors; pysyncon scales each predictor by its standard deviation, so
  its V is set proportional to their variances to undo that).

Run in a venv with pysyncon (not the project's):
    /work/refvenv-synth/bin/pip install pysyncon==1.7.0
    /work/refvenv-synth/bin/python tests/reference/synth_adh_pysyncon.py
Writes tests/reference/synth_adh_pysyncon.json.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "data" / "california_prop99" / "adh_smoking.csv"
R8 = range(1980, 1989)
PRE = range(1970, 1989)


def main() -> None:
    from pysyncon import Dataprep, Synth

    df = pd.read_csv(DATA)
    df["year"] = df["year"].astype(int)
    donors = sorted(set(df["state"]) - {"California"})
    common = dict(
        foo=df,
        dependent="cigsale",
        unit_variable="state",
        time_variable="year",
        treatment_identifier="California",
        controls_identifier=donors,
        time_optimize_ssr=PRE,
    )
    adh = Dataprep(
        predictors=["lnincome", "retprice", "age15to24"],
        predictors_op="mean",
        time_predictors_prior=R8,
        special_predictors=[
            ("beer", range(1984, 1989), "mean"),
            ("cigsale", [1988], "mean"),
            ("cigsale", [1980], "mean"),
            ("cigsale", [1975], "mean"),
        ],
        **common,
    )
    fits = []
    for start in ("equal", "ols"):
        s = Synth()
        s.fit(dataprep=adh, optim_initial=start)
        fits.append((float(s.loss_V), start, s))
    loss, start, best = min(fits, key=lambda f: f[0])
    v = np.asarray(best.V, dtype=float)
    custom = Synth()
    custom.fit(dataprep=adh, custom_V=v)
    outcomes = Dataprep(
        predictors=[],
        predictors_op="mean",
        time_predictors_prior=PRE,
        special_predictors=[("cigsale", [y], "mean") for y in PRE],
        **common,
    )
    # pysyncon divides each predictor by its standard deviation over the units; V_j
    # proportional to sd_j^2 undoes that, so it minimises the plain pre-period outcome MSPE
    wide = df.pivot(index="state", columns="year", values="cigsale")[list(PRE)]
    sd2 = wide.std(axis=0).to_numpy() ** 2
    flat = Synth()
    flat.fit(dataprep=outcomes, custom_V=sd2 / sd2.sum())
    out = {
        "pysyncon": metadata.version("pysyncon"),
        "numpy": np.__version__,
        "scipy": metadata.version("scipy"),
        "donors": donors,
        "nested": {
            "start": start,
            "loss_v": loss,
            "losses": {f[1]: f[0] for f in fits},
            "v": v.tolist(),
            "weights": dict(zip(donors, map(float, best.W), strict=True)),
        },
        "custom_v": {"weights": dict(zip(donors, map(float, custom.W), strict=True))},
        "outcomes_only": {"weights": dict(zip(donors, map(float, flat.W), strict=True))},
    }
    (HERE / "synth_adh_pysyncon.json").write_text(json.dumps(out, indent=1) + "\n")
    top = sorted(out["nested"]["weights"].items(), key=lambda kv: -kv[1])[:6]
    print(loss, start, top)


if __name__ == "__main__":
    main()
