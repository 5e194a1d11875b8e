"""Standard errors of ``att:unit`` in ve.SyntheticDiD (issue 13): under the placebo variance,
the spread of the pseudo-treated units' own effects, pooled over the replications; none (and
a warning saying why) under the jackknife and the bootstrap.

Reference: the same replications solved one by one through the unbatched estimator
(``estimators.estimate`` on each permuted panel) and the unit effects taken with
``estimators.unit_effects``; agreement to 1e-10 (the batch runs each problem's own Frank-Wolfe
iterations, so only the summation order differs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vrueval as ve
from vrueval.designs.synthetic import estimators as est
from vrueval.designs.synthetic.variance import _starts


def _frame(n0: int = 20, n1: int = 4, t: int = 10, t0: int = 7, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n0 + n1
    factors = np.cumsum(rng.normal(size=(2, t)), axis=1)
    y = rng.uniform(0.5, 1.5, (n, 2)) @ factors + rng.normal(0, 2, n)[:, None]
    y = y + 0.5 * rng.normal(size=(n, t))
    units = [f"u{i:02d}" for i in range(n)]
    frame = pd.DataFrame(
        {"unit": np.repeat(units, t), "time": np.tile(np.arange(t), n), "y": y.ravel()}
    )
    frame["treated"] = ((frame["unit"].isin(units[n0:])) & (frame["time"] >= t0)).astype(int)
    return frame


def test_placebo_unit_standard_error_equals_unbatched_replications():
    frame = _frame()
    design = ve.SyntheticDiD(frame, unit="unit", time="time", outcome="y", treated="treated")
    res = design.fit(inference="placebo", draws=50, seed=11)
    d = design.data
    y, n0, t0, n1 = d.y, d.n0, d.t0, d.n1
    fitted = est.fit(y, n0, t0, "sdid")
    rng = np.random.default_rng(11)
    pooled = []
    for _ in range(50):
        order = rng.permutation(n0)
        ys = y[order]
        new_n0 = n0 - n1
        start = _starts(fitted.omega[order[:new_n0]][None])[0]
        one = est.estimate(ys, new_n0, t0, fitted.options, start, fitted.lam)
        pooled.extend(est.unit_effects(ys, new_n0, t0, one.omega, one.lam))
    expected = float(np.std(pooled, ddof=0))
    eff = res.effects().set_index("term")
    units = eff.loc[[t for t in eff.index if t.startswith("att:unit=")]]
    assert len(units) == n1
    np.testing.assert_allclose(units["std_error"], expected, rtol=1e-10)
    # the unit effects average to the overall one, and their intervals are estimate +- z se
    assert units["estimate"].mean() == pytest.approx(eff.loc["att", "estimate"], abs=1e-10)
    np.testing.assert_allclose(
        units["conf_high"] - units["estimate"], 1.959963984540054 * expected, rtol=1e-9
    )
    assert not any("att:unit rows carry no standard error" in w for w in res.warnings)


@pytest.mark.parametrize("inference", ["jackknife", "bootstrap"])
def test_unit_rows_without_standard_error_say_why(inference: str):
    design = ve.SyntheticDiD(
        _frame(n1=12), unit="unit", time="time", outcome="y", treated="treated"
    )
    options = {"draws": 50, "seed": 1} if inference == "bootstrap" else {}
    res = design.fit(inference=inference, **options)
    eff = res.effects()
    units = eff[eff["term"].str.startswith("att:unit=")]
    assert units["std_error"].isna().all() and units["estimate"].notna().all()
    said = f"att:unit rows carry no standard error under the {inference}"
    assert any(said in w for w in res.warnings)
