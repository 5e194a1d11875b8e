"""TWFE with unit-clustered CR1 at LSOA-month scale: vrueval against pyfixest and diff-diff.

    .venv-bench/bin/python benchmarks/bench_did_twfe.py [n_units] [n_periods]

35,000 units x 120 periods (4.2 million rows) by default, balanced and unbalanced (10% of cells
dropped at random). Each fit runs in its own process (peak resident memory is per process), in
paired rounds (A B C A B C), threads pinned to one; medians as ratios to vrueval.
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r"""
import os, sys, time, json, resource, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
method, path = sys.argv[1], sys.argv[2]
df = pd.read_parquet(path)
t0 = time.perf_counter()
if method == "vrueval":
    from vrueval.designs.did.model import TwoWayFE, ols_absorbed
    from vrueval.inference import cluster
    unit, period = df["unit"].to_numpy(), df["period"].to_numpy()
    fe = TwoWayFE(unit, period)
    fit = ols_absorbed(fe, df["y"].to_numpy(), df["D"].to_numpy())
    from vrueval.inference.small_sample import ParamCount
    cov = cluster.cr1(fit.x * fit.resid[:, None], fit.xtx_inv, unit, n_obs=len(df),
                      count=ParamCount.two_way(fe.n_units, fe.n_periods, 1))
    est, se = fit.coef[0], float(np.sqrt(cov.vcov[0, 0]))
elif method == "pyfixest":
    import pyfixest as pf
    fit = pf.feols("y ~ D | unit + period", data=df, vcov={"CRV1": "unit"})
    est, se = float(fit.coef()["D"]), float(fit.se()["D"])
elif method == "diff-diff":
    from diff_diff import TwoWayFixedEffects
    res = TwoWayFixedEffects(cluster="unit").fit(df, outcome="y", treatment="treated",
                                                 post="post", unit="unit")
    est, se = float(res.att), float(res.se)
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak, "estimate": est, "se": se}))
"""


def make(n_units: int, n_periods: int, drop: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    treated = (unit < int(0.4 * n_units)).astype(np.int8)
    post = (period >= int(0.75 * n_periods)).astype(np.int8)
    y = rng.poisson(3.0 + 0.5 * (unit % 7), len(unit)).astype(float) + 0.2 * treated * post
    df = pd.DataFrame(
        {
            "unit": unit.astype(np.int32),
            "period": period.astype(np.int16),
            "treated": treated,
            "post": post,
            "D": (treated * post).astype(float),
            "y": y,
        }
    )
    if drop:
        df = df[rng.random(len(df)) >= drop].reset_index(drop=True)
    return df


def run(method: str, path: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, method, path],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if out.returncode:
        return {
            "seconds": float("nan"),
            "peak_mb": float("nan"),
            "estimate": float("nan"),
            "se": float("nan"),
            "error": out.stderr.strip().splitlines()[-1],
        }  # type: ignore[dict-item]
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    n_units = int(sys.argv[1]) if len(sys.argv) > 1 else 35_000
    n_periods = int(sys.argv[2]) if len(sys.argv) > 2 else 120
    methods = ["vrueval", "pyfixest", "diff-diff"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, drop in (("balanced", 0.0), ("unbalanced (10% cells dropped)", 0.1)):
            path = str(Path(tmp) / "panel.parquet")
            make(n_units, n_periods, drop).to_parquet(path)
            runs: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
            for _ in range(2):
                for m in methods:
                    runs[m].append(run(m, path))
            base = float(np.median([r["seconds"] for r in runs["vrueval"]]))
            table = pd.DataFrame(
                {
                    m: {
                        "median_s": float(np.median([r["seconds"] for r in rs])),
                        "ratio_to_vrueval": float(np.median([r["seconds"] for r in rs])) / base,
                        "peak_mb": float(np.max([r["peak_mb"] for r in rs])),
                        "estimate": rs[-1]["estimate"],
                        "se": rs[-1]["se"],
                    }
                    for m, rs in runs.items()
                }
            ).T
            print(f"\nTWFE + CR1 by unit, {n_units} units x {n_periods} periods, {label}")
            print(table.to_string(float_format="{:.6g}".format))
            for m, rs in runs.items():
                if "error" in rs[-1]:
                    print(f"  {m} failed: {rs[-1]['error']}")


if __name__ == "__main__":
    main()
