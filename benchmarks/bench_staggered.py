"""Callaway-Sant'Anna, doubly robust, 999 multiplier-bootstrap draws: vrueval against peers.

Two data sets: a simulated panel of 2,500 units x 5 periods with two covariates and three
cohorts, and R ``did``'s ``mpdta`` (500 counties x 5 years, covariate ``lpop``). Each estimator
computes all ATT(g,t) with 999 bootstrap draws and its event-study and group aggregations
(vrueval computes all four aggregations and their bands in the same call). Runs are paired
(A B A B ...) and the median of each is reported, with the ratio peer / vrueval and the largest
ATT(g,t) difference from vrueval.

Run with the benchmark environment (threads pinned to 1):

    .venv-bench/bin/python benchmarks/bench_staggered.py
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import vrueval as ve

B = 999
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
ROOT = Path(__file__).resolve().parents[1]


def simulated(n: int = 2500, periods: int = 5, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n).astype(float)
    cohort = np.where(rng.random(n) < 0.45, rng.choice([2, 3, 4], n), 0)
    frames = []
    for t in range(periods):
        effect = np.where((cohort > 0) & (t >= cohort), 0.5 + 0.1 * (t - cohort), 0.0)
        y = x1 + t * (0.3 + 0.2 * x1 - 0.1 * x2) + effect + rng.normal(size=n)
        frames.append(
            pd.DataFrame(
                {
                    "id": np.arange(n),
                    "t": t + 1,
                    "y": y,
                    "g": np.where(cohort > 0, cohort + 1, 0),
                    "x1": x1,
                    "x2": x2,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def ours(d: pd.DataFrame, spec: dict) -> np.ndarray:
    res = ve.StaggeredDiD(
        d,
        outcome=spec["y"],
        unit=spec["id"],
        time=spec["t"],
        first_treated=spec["g"],
        covariates=spec["x"],
        method="dr",
    ).fit(inference="bootstrap", draws=B, seed=1)
    return res.group_time()["estimate"].to_numpy()


def diff_diff(d: pd.DataFrame, spec: dict) -> np.ndarray:
    from diff_diff import CallawaySantAnna

    r = CallawaySantAnna(estimation_method="dr", n_bootstrap=B, seed=1).fit(
        d,
        outcome=spec["y"],
        unit=spec["id"],
        time=spec["t"],
        first_treat=spec["g"],
        covariates=spec["x"],
        aggregate="all",
    )
    return r.to_dataframe("group_time")["effect"].to_numpy()


def csdid(d: pd.DataFrame, spec: dict) -> np.ndarray:
    from csdid.att_gt import ATTgt

    fit = ATTgt(
        yname=spec["y"],
        gname=spec["g"],
        idname=spec["id"],
        tname=spec["t"],
        data=d,
        xformla=f"{spec['y']}~" + "+".join(spec["x"]),
        biters=B,
    ).fit(est_method="dr", bstrap=True)
    fit.aggte(typec="dynamic")
    fit.aggte(typec="group")
    return np.asarray(fit.results["att"], dtype=float)


def differences(d: pd.DataFrame, spec: dict) -> np.ndarray:
    from differences import ATTgt

    dd = d.copy()
    dd["cohort_"] = dd[spec["g"]].where(dd[spec["g"]] > 0)
    dd = dd.set_index([spec["id"], spec["t"]])
    att = ATTgt(data=dd, cohort_column="cohort_")
    att.fit(
        formula=f"{spec['y']} ~ " + " + ".join(spec["x"]),
        est_method="dr",
        boot_iterations=B,
        random_state=1,
        progress_bar=False,
    )
    att.aggregate("event")
    att.aggregate("cohort")
    res = att.results()
    return res[[c for c in res.columns if c[-1] == "ATT"][0]].to_numpy()


def quiet(fn: Callable[[], np.ndarray]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        devnull = open(os.devnull, "w")  # csdid prints its summaries
        old = sys.stdout
        sys.stdout = devnull
        try:
            return fn()
        finally:
            sys.stdout = old
            devnull.close()


def bench(name: str, d: pd.DataFrame, spec: dict) -> None:
    runners = {"vrueval": ours, "diff-diff": diff_diff, "csdid": csdid, "differences": differences}
    times: dict[str, list[float]] = {k: [] for k in runners}
    atts: dict[str, np.ndarray] = {}
    for k, fn in runners.items():  # warm-up: imports, JIT, caches
        try:
            atts[k] = quiet(lambda fn=fn: fn(d, spec))
        except Exception as err:
            print(f"  {k}: failed ({type(err).__name__}: {err})")
            times.pop(k)
    for _ in range(REPEATS):  # paired: every estimator once per round
        for k in times:
            start = time.perf_counter()
            quiet(lambda k=k: runners[k](d, spec))
            times[k].append(time.perf_counter() - start)
    base = statistics.median(times["vrueval"])
    print(f"\n{name}: DR, {B} bootstrap draws, median of {REPEATS} paired runs")
    print(
        f"  {'estimator':<12} {'seconds':>9} {'ratio to vrueval':>17} {'max |ATT(g,t) diff|':>21}"
    )
    for k, ts in times.items():
        med = statistics.median(ts)
        diff = (
            np.max(np.abs(atts[k] - atts["vrueval"]))
            if len(atts[k]) == len(atts["vrueval"])
            else np.nan
        )
        print(f"  {k:<12} {med:9.4f} {med / base:17.2f} {diff:21.2e}")


def main() -> None:
    sim = simulated()
    bench(
        "simulated 2,500 units x 5 periods",
        sim,
        {"y": "y", "id": "id", "t": "t", "g": "g", "x": ["x1", "x2"]},
    )
    mp = pd.read_csv(ROOT / "tests" / "reference" / "mpdta.csv.gz")
    bench(
        "mpdta 500 counties x 5 years",
        mp,
        {"y": "lemp", "id": "countyreal", "t": "year", "g": "first.treat", "x": ["lpop"]},
    )


if __name__ == "__main__":
    main()
