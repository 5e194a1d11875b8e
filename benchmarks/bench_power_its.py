"""Quasi-Poisson ITS power: 1,000 simulated series x 7 effect sizes (plus the MDE search), batched
refits against refitting one series at a time.

The series is West Midlands Police's real quarterly knife offences, 2014Q2-2019Q3 (22 quarters)
with 8 post quarters simulated by the AR sieve, as ``analyses/power/power_its_wm_knife.toml``.
vrueval refits every draw's Poisson GLM together (batched IRLS, warm-started) and computes the
fixed-b HAC variance for all of them; the loops fit each (effect, draw) series on its own:

* statsmodels ``GLM(Poisson, offset).fit(cov_type="HAC")`` (plain Newey-West with the same lag:
  less work than fixed-b, so the ratio flatters the loop);
* ``vrueval.ITS(model="poisson").fit()`` on a panel per series (the full design path).

The loops are timed on ``--fits`` series (default 100) and scaled to the 7,000 of the curve;
vrueval's time includes the MDE search, which the loops would need on top.

Run (threads pinned to 1 below)::

    .venv/bin/python benchmarks/bench_power_its.py [--fits 100]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

import vrueval as ve
from vrueval.power.glm_kernel import GLMPlanted

EFFECTS = (-0.3, -0.25, -0.2, -0.15, -0.1, -0.05, 0.0)
OPTIONS = dict(
    unit="West Midlands",
    outcome="knife_offences",
    post=8,
    start="2014Q2",
    end="2019Q3",
    seed=20191003,
    model="poisson",
    seasonality="dummies",  # as the ITS refits below (the design default is "none")
    n_sims=1000,
    effects=EFFECTS,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fits", type=int, default=100)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    knife = ve.datasets.knife_quarterly()
    ve.power.its(knife, **{**OPTIONS, "n_sims": 20})  # warm up
    t0 = time.perf_counter()
    res = ve.power.its(knife, **OPTIONS)
    t_ours = time.perf_counter() - t0
    planted = res._planted
    X, Y, P, off, lag = planted.X, planted.Y, planted.P, planted.offset, planted.options.lag
    col = planted.column
    n_evaluated = len(planted.cache)
    t0 = time.perf_counter()  # like for like with the loops: the 7 effects of the curve only
    curve = GLMPlanted.build(X, col, Y, P, off, planted.time, planted.options)
    for e in EFFECTS:
        curve.fits(e)
    t_curve = time.perf_counter() - t0
    fits = [(e, s) for e in EFFECTS for s in range(args.fits // len(EFFECTS) + 1)][: args.fits]

    t0 = time.perf_counter()
    sm_est = []
    for e, s in fits:
        y = Y[:, s] + e * P[:, s]
        fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=off).fit(
            cov_type="HAC", cov_kwds={"maxlags": lag}
        )
        sm_est.append(fit.params[col])
    t_sm = time.perf_counter() - t0

    wm = ve.areas.resolve("West Midlands", "force")
    sub = knife.select(outcome="knife_offences", units=[wm], start="2014Q2", end="2019Q3")
    pop = sub.series(wm, "knife_offences")["population"].to_numpy()
    window = pd.period_range(res.diagnostics["window_first"], periods=len(Y), freq="Q")
    pop_w = np.r_[pop, np.repeat(pop[-1], len(Y) - len(pop))][-len(Y) :]
    t0 = time.perf_counter()
    ve_est = []
    for e, s in fits:
        frame = pd.DataFrame(
            {
                "unit": wm,
                "period": window,
                "outcome": "y",
                "value": Y[:, s] + e * P[:, s],
                "population": pop_w,
            }
        )
        panel = ve.Panel.from_frame(frame, frequency="quarter")
        its = ve.ITS(
            panel,
            unit=wm,
            interruptions={"x": res.diagnostics["placebo_start"]},
            seasonality="dummies",
            model="poisson",
        )
        ve_est.append(float(np.log(its.fit().effects()["estimate"].iloc[0])))
    t_ve = time.perf_counter() - t0

    total = len(EFFECTS) * OPTIONS["n_sims"]
    ours = np.array([planted.estimate(e)[s] for e, s in fits])
    print(f"Quasi-Poisson ITS power: {len(EFFECTS)} effects x {OPTIONS['n_sims']} sieve series")
    print(
        f"  vrueval.power.its(model='poisson'), curve + MDE search: {t_ours:7.2f} s "
        f"({n_evaluated} effect sizes refitted)"
    )
    print(f"  vrueval batched refits, the curve's {total} fits only:  {t_curve:7.2f} s")
    for name, t_loop in (("statsmodels GLM + HAC", t_sm), ("vrueval ITS per series", t_ve)):
        full = t_loop * total / len(fits)
        print(
            f"  loop, {name:24s} {full:8.1f} s (timed {len(fits)} of {total}, scaled up); "
            f"ratio loop / vrueval batched: {full / t_curve:,.1f}x"
        )
    print(
        "  estimates of the timed series: max |vrueval - statsmodels| "
        f"{np.max(np.abs(ours - np.asarray(sm_est))):.1e}, max |batched - ITS| "
        f"{np.max(np.abs(ours - np.asarray(ve_est))):.1e}"
    )
    print(f"  simulated MDE (80% power, 5%): {res.mde_effect():+.3f}")


if __name__ == "__main__":
    main()
