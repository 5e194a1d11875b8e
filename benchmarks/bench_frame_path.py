"""What a DataFrame costs over a Panel: the public ``ve.DiD(...).fit()`` both ways.

    python benchmarks/bench_frame_path.py [n_units] [n_periods] [repeats]

43 units x 80 months by default (the issue's workload). The Panel path is timed from a built
Panel (``ve.DiD(panel, ...).fit()``); the DataFrame path from the user's frame
(``ve.DiD(frame, unit=..., time=..., ...).fit()``: ``Panel.from_frame`` then the same path).
Paired rounds (Panel, frame, Panel, frame ...) in one process with threads pinned to one, timed
in process CPU time (these shared machines run other work: wall time swings with the load); the
medians and their ratio are printed, and the two paths' numbers are checked identical.
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split
import sys
import time
import warnings

import numpy as np
import pandas as pd

import vrueval as ve
from vrueval import areas
from vrueval.data.panel import Panel


def make(n_units: int, n_periods: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = [a.code for a in areas.forces()]
    units = codes[:n_units] if n_units <= len(codes) else [f"u{i}" for i in range(n_units)]
    months = pd.period_range("2013-01", periods=n_periods, freq="M").astype(str)
    return pd.DataFrame(
        {
            "force": np.repeat(units, n_periods),
            "month": np.tile(months, len(units)),
            "offences": rng.poisson(50, len(units) * n_periods).astype(float),
            "residents": 1e6,
        }
    )


def main() -> None:
    n_units = int(sys.argv[1]) if len(sys.argv) > 1 else 43
    n_periods = int(sys.argv[2]) if len(sys.argv) > 2 else 80
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    warnings.filterwarnings("ignore")
    df = make(n_units, n_periods)
    geography = "pfa" if n_units <= 43 else "custom"
    columns = {"unit": "force", "time": "month", "population": "residents"}
    units = list(pd.unique(df["force"]))
    # force areas: the VRU forces of 2019 against the never-funded ones, as the default design
    treated = None if geography == "pfa" else units[: max(2, n_units // 3)]
    start = str(pd.Period(df["month"].iloc[0], "M") + n_periods * 3 // 4)
    panel = Panel.from_frame(
        df,
        geography=geography,
        outcome="offences",
        **columns,  # type: ignore[arg-type]
    )

    def by_panel() -> pd.DataFrame:
        return ve.DiD(panel, "offences", treated=treated, start=start).fit().effects()

    def by_frame() -> pd.DataFrame:
        return (
            ve.DiD(df, "offences", treated=treated, start=start, geography=geography, **columns)
            .fit()
            .effects()
        )

    pd.testing.assert_frame_equal(by_panel(), by_frame())
    times: dict[str, list[float]] = {"panel": [], "frame": []}
    for _ in range(repeats):
        for name, run in (("panel", by_panel), ("frame", by_frame)):
            t0 = time.process_time()
            run()
            times[name].append(time.process_time() - t0)
    t0 = time.process_time()
    for _ in range(repeats):
        Panel.from_frame(df, geography=geography, outcome="offences", **columns)  # type: ignore[arg-type]
    build = (time.process_time() - t0) / repeats
    panel_s, frame_s = (float(np.median(times[k])) for k in ("panel", "frame"))
    print(f"ve.DiD(...).fit(), {n_units} units x {n_periods} months, {repeats} paired rounds (CPU)")
    print(f"  Panel path     median {panel_s * 1e3:8.2f} ms")
    print(f"  DataFrame path median {frame_s * 1e3:8.2f} ms")
    print(f"  ratio frame/panel     {frame_s / panel_s:8.3f}")
    print(f"  Panel.from_frame alone {build * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
