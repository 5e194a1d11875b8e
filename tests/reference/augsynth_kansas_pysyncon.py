"""Reference values for the augmented and penalised ve.SyntheticControl from pysyncon 1.7.0.

Data: the Kansas tax-cut panel of the R package ``augsynth`` (log GDP per capita, 50 states,
1990 Q1 - 2016 Q1, Kansas treated from 2012 Q2; data/augsynth_kansas/).

Recorded (pysyncon's classes implement the same estimators; its inner solver is SLSQP, so its
weights are near, not at, the optimum):

* ``augsynth``: ``pysyncon.AugSynth`` (ridge ASCM, pre-period outcomes only). Its own
  cross-validation grid is offset by one step from the R package's (its exponents run -1..19
  where ``augsynth``'s ``seq(0:n_lambda) - 1`` runs 0..20), so we record (a) its
  cross-validation errors at the R package's grid (``cross_validate`` with those lambdas), (b)
  the weights and ATT path at the penalty vrueval chooses (passed as ``lambda_``), and (c) the
  penalty its own grid would choose, for the record.
* ``penalized``: ``pysyncon.PenalizedSynth`` on the last eight pre-period outcomes of the
  first ten donor states (a small problem SLSQP solves well), at penalties 0.01, 0.1 and 1,
  identity V; its objective value ``loss_W``. pysyncon divides each row by its standard
  deviation over all eleven units first, so the script records the scaled matrices too.

Run in a venv with pysyncon (not the project's):
    /work/refvenv-synth/bin/pip install pysyncon==1.7.0
    /work/refvenv-synth/bin/python tests/reference/augsynth_kansas_pysyncon.py
Writes tests/reference/augsynth_kansas_pysyncon.json.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "data" / "augsynth_kansas" / "kansas_lngdpcapita.csv"
#: The penalty vrueval's cross-validation chooses on this panel (the R package's grid).
LAMBDA = 0.07866222813499744
PENALTIES = (0.01, 0.1, 1.0)


def r_grid(x0_centred: np.ndarray) -> np.ndarray:
    """augsynth's grid: s_max^2 * (1e-8^(1/20))^(0..20)."""
    top = np.linalg.svd(x0_centred, compute_uv=False)[0] ** 2
    return top * (1e-8 ** (1 / 20)) ** np.arange(21)


def main() -> None:
    from pysyncon import AugSynth, Dataprep, PenalizedSynth

    df = pd.read_csv(DATA)
    times = sorted(df["year_qtr"].unique())
    start = df.loc[df["treated"] == 1, "year_qtr"].min()
    pre = [t for t in times if t < start]
    donors = sorted(set(df["state"]) - {"Kansas"})
    prep = Dataprep(
        foo=df,
        predictors=[],
        predictors_op="mean",
        dependent="lngdpcapita",
        unit_variable="state",
        time_variable="year_qtr",
        treatment_identifier="Kansas",
        controls_identifier=donors,
        time_predictors_prior=pre,
        time_optimize_ssr=pre,
    )
    own = AugSynth()
    own.fit(dataprep=prep, use_covariates=False)
    x0, x1 = prep.make_outcome_mats(time_period=pre)
    x0c = x0.subtract(x0.mean(axis=1), axis=0)
    x1c = (x1 - x0.mean(axis=1)).rename(x1.name)
    grid = r_grid(x0c.to_numpy().T)
    cv = own.cross_validate(x0c, x1c, grid, len(pre))
    at = AugSynth()
    at.fit(dataprep=prep, lambda_=LAMBDA, use_covariates=False)
    y0, y1 = prep.make_outcome_mats(time_period=times)
    gap = y1.to_numpy() - y0.to_numpy() @ at.W
    post = np.asarray(times) >= start

    wide = df.pivot(index="year_qtr", columns="state", values="lngdpcapita")
    small_units = [*donors[:10], "Kansas"]
    block = wide.loc[pre[-8:], small_units]
    penalised = {}
    for lam in PENALTIES:
        p = PenalizedSynth()
        p.fit(X0=block[donors[:10]], X1=block["Kansas"], lambda_=lam)
        penalised[str(lam)] = {"weights": np.asarray(p.W).tolist(), "loss_W": p.loss_W}
    scaled = block.divide(block.std(axis=1), axis=0)

    out = {
        "package": f"pysyncon {metadata.version('pysyncon')}",
        "data": "data/augsynth_kansas/kansas_lngdpcapita.csv",
        "augsynth": {
            "donors": donors,
            "r_grid": grid.tolist(),
            "cv_errors": cv.errors_mean.tolist(),
            "cv_std_errors": cv.errors_se.tolist(),
            "cv_chosen_on_r_grid": cv.best_lambda(),
            "own_grid_lambda": own.lambda_,
            "lambda": LAMBDA,
            "weights": np.asarray(at.W).tolist(),
            "sc_weights": np.asarray(at.synw).tolist(),
            "att": float(gap[post].mean()),
            "att_path": gap[post].tolist(),
            "avg_bias": at.avg_bias,
            "l2_imbalance": at.l2_imbalance,
            "scaled_l2_imbalance": at.scaled_l2_imbalance,
        },
        "penalized": {
            "donors": donors[:10],
            "periods": [float(t) for t in pre[-8:]],
            "scaled_x0": scaled[donors[:10]].to_numpy().tolist(),
            "scaled_x1": scaled["Kansas"].to_numpy().tolist(),
            "fits": penalised,
        },
    }
    (HERE / "augsynth_kansas_pysyncon.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
