"""The public DiD path, DataFrame in, against diff-diff's TWFE and pyfixest, in one run.

    .venv-bench/bin/python benchmarks/bench_did_public.py [--big 35000 120] [--rounds 2]

What is timed is what a user calls: ``ve.DiD(frame, "y", unit=, time=, treated=, start=,
geography=...).fit().effects()`` -- validation, the Panel, the comparators, the data
preparation, the fit, CR1 by unit and the effects table -- against diff-diff's
``TwoWayFixedEffects(cluster="unit").fit(frame, ...)`` and pyfixest's
``feols("y ~ D | unit + month", vcov={"CRV1": "unit"})`` on the same frame. One common start,
balanced, so the three estimate the same coefficient (diff-diff absorbs the unit and a post
dummy, which with one start and a balanced panel gives the two-way estimate); the script checks
the estimates agree to 1e-8 before timing.

Units are custom identifiers (force codes would bring the force rules: City of London left out
of the comparators, so the three would not fit the same rows).

* 43 units x 80 months: paired rounds (A B C A B C ...) in one process, process CPU time
  (these shared machines run other work: wall time swings with the load), medians;
* 35,000 custom units x 120 months (4.2 M rows): each fit in its own process (peak resident
  memory, VmHWM, is per process; the frame is read from parquet before the clock starts),
  CPU and wall seconds, ``--rounds`` rounds.

Ratios are to the fastest. Threads pinned to one.
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
METHODS = ("vrueval", "diff-diff", "pyfixest")


def make(n_units: int, n_periods: int, seed: int = 1) -> tuple[pd.DataFrame, list[str], str]:
    """A balanced panel (unit, month, y), its treated units (40%) and their common start."""
    rng = np.random.default_rng(seed)
    units = [f"u{i:05d}" for i in range(n_units)]
    months = pd.period_range("2013-01", periods=n_periods, freq="M").astype(str)
    y = (
        rng.poisson(50, n_units * n_periods)
        + np.repeat(rng.normal(0, 5, n_units), n_periods)
        + np.tile(np.linspace(0, 10, n_periods), n_units)
    )
    frame = pd.DataFrame(
        {"unit": np.repeat(units, n_periods), "month": np.tile(months, n_units), "y": y}
    )
    treated = units[: int(0.4 * n_units)]
    return frame, treated, str(months[n_periods * 3 // 4])


def fitter(method: str, frame: pd.DataFrame, treated: list[str], start: str) -> Callable[[], float]:
    """A call doing ``method``'s whole public fit on ``frame``; it returns the estimate."""
    if method == "vrueval":
        import vrueval as ve

        comparators = sorted(set(frame["unit"]) - set(treated))

        def run() -> float:
            res = ve.DiD(
                frame, "y", unit="unit", time="month", treated=treated,
                comparators=comparators, start=start, geography="custom",
            ).fit()  # fmt: skip
            return float(res.effects()["estimate"].iloc[0])

        return run
    # the peers take the treatment columns ready-made: building them is part of their timing
    if method == "diff-diff":
        from diff_diff import TwoWayFixedEffects

        def run() -> float:
            f = frame.assign(
                treated=frame["unit"].isin(treated).astype(int),
                post=(frame["month"] >= start).astype(int),
            )
            res = TwoWayFixedEffects(cluster="unit").fit(
                f, outcome="y", treatment="treated", post="post", unit="unit"
            )
            return float(res.att)

        return run
    import pyfixest as pf

    def run() -> float:
        f = frame.assign(D=(frame["unit"].isin(treated) & (frame["month"] >= start)).astype(float))
        fit = pf.feols("y ~ D | unit + month", data=f, vcov={"CRV1": "unit"})
        return float(fit.coef()["D"])

    return run


def small(rounds: int) -> None:
    frame, treated, start = make(43, 80)
    runs = {m: fitter(m, frame, treated, start) for m in METHODS}
    est = {m: run() for m, run in runs.items()}
    assert max(est.values()) - min(est.values()) < 1e-8, est
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    for _ in range(rounds):
        for m, run in runs.items():
            t0 = time.process_time()
            run()
            times[m].append(time.process_time() - t0)
    med = {m: float(np.median(t)) for m, t in times.items()}
    best = min(med.values())
    print(f"43 units x 80 months, {rounds} paired rounds, median process CPU time")
    for m in METHODS:
        print(f"  {m:10s} {med[m] * 1e3:8.1f} ms   {med[m] / best:5.2f}x the fastest")


def child(method: str, path: str, treated_path: str, start: str) -> None:
    warnings.filterwarnings("ignore")
    frame = pd.read_parquet(path)
    treated = Path(treated_path).read_text().split()
    run = fitter(method, frame, treated, start)
    t0, c0 = time.perf_counter(), time.process_time()
    est = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(x.split()[1]) / 1024 for x in status if x.startswith("VmHWM:"))
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak, "estimate": est}))


def big(n_units: int, n_periods: int, rounds: int) -> None:
    frame, treated, start = make(n_units, n_periods)
    with tempfile.TemporaryDirectory() as tmp:
        path, tpath = str(Path(tmp) / "panel.parquet"), Path(tmp) / "treated.txt"
        frame.to_parquet(path)
        tpath.write_text("\n".join(treated))
        runs: dict[str, list[dict[str, float]]] = {m: [] for m in METHODS}
        for _ in range(rounds):
            for m in METHODS:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", m, path, str(tpath), start],
                    capture_output=True,
                    text=True,
                )
                if out.returncode:
                    print(f"  {m} failed: {out.stderr.strip().splitlines()[-1]}")
                    continue
                runs[m].append(json.loads(out.stdout.strip().splitlines()[-1]))
    done = {m: r for m, r in runs.items() if r}
    est = {m: r[-1]["estimate"] for m, r in done.items()}
    cpu = {m: float(np.median([x["cpu"] for x in r])) for m, r in done.items()}
    best = min(cpu.values())
    print(
        f"\n{n_units:,} custom units x {n_periods} months ({n_units * n_periods / 1e6:.1f} M "
        f"rows), {rounds} round(s), one process a fit; estimates {est}"
    )
    for m, r in done.items():
        wall = float(np.median([x["wall"] for x in r]))
        peak = max(x["peak_mb"] for x in r)
        print(
            f"  {m:10s} CPU {cpu[m]:7.2f} s ({cpu[m] / best:5.2f}x the fastest)  wall "
            f"{wall:7.2f} s  peak {peak:6.0f} MB"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the big workload")
    ap.add_argument("--small-rounds", type=int, default=20)
    ap.add_argument("--big", type=int, nargs=2, default=[35_000, 120], metavar=("UNITS", "T"))
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    warnings.filterwarnings("ignore")
    small(args.small_rounds)
    if not args.skip_big:
        big(*args.big, args.rounds)


if __name__ == "__main__":
    main()
