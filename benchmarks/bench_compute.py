"""Benchmark: speed-up of vrueval.compute.pmap against workers, on the package's parallel work.

Times, with 1 process and with ``--jobs`` local processes (loky), and checks the results are
identical. The parallel run is timed twice: ``cold`` is the first map of the process (the
workers start and import vrueval and its stack before their first task, as in one command-line
call), ``warm`` the same work again on the workers already running (as for the later maps of a
``verify``, a report or a session):

* ``verify``: every analysis under analyses/ rerun and compared (independent analyses);
* ``placebo``: an ITS placebo-in-time study, monthly HES West Midlands admissions, Poisson, one
  refit per admissible fake date;
* ``power``: a staggered power study (placebo rollouts, 12,000 draws: 6 blocks of 2,000);
* ``calibration``: the Methods report's live Monte Carlo runs (ITS coverage 200 replicates,
  DiD size 1,000 replicates).

Tasks go to the workers in batches (``vrueval.compute.pmap``: about 4 a worker), so the cost
of shipping a task's function and data is paid once a batch. Expected scaling: near-linear in
workers while tasks outnumber them and each batch is long against shipping it; a cold start
adds the workers' start-up (about 2 s quiet, tens of seconds under load) once. The placebo
study is bounded by its number of fake dates, verify by its slowest analysis, the power study
by its number of blocks.

    python benchmarks/bench_compute.py [--jobs 2] [--only verify placebo power calibration]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import os
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import vrueval as ve  # noqa: E402
from vrueval.analysis import verify  # noqa: E402
from vrueval.compute import using  # noqa: E402
from vrueval.validation import calibration  # noqa: E402


def _verify() -> object:
    return verify(ROOT)


def _placebo() -> object:
    hes = ve.datasets.hes_sharp_object()
    res = ve.ITS(
        hes, {"vru": "2019-10"}, unit="West Midlands", outcome="admissions",
        seasonality="dummies", model="poisson", missing="drop",
    ).fit(placebo=True, min_segment=12)  # fmt: skip
    return res.placebo()


def _power() -> object:
    knife = ve.datasets.knife_quarterly()
    res = ve.power.staggered(
        knife, "knife_offences", cohorts={"2019Q2": 10, "2022Q2": 2}, post=8, scale="rate",
        n_sims=12_000, seed=7,
    )  # fmt: skip
    return res.table()


def _calibration() -> object:
    return calibration.its_coverage(200, 1), calibration.did_size(1000, 1)


WORK: dict[str, Callable[[], object]] = {
    "verify": _verify,
    "placebo": _placebo,
    "power": _power,
    "calibration": _calibration,
}


def timed(func: Callable[[], object], jobs: int) -> tuple[float, bytes]:
    with using(jobs=jobs):
        start = time.perf_counter()
        out = func()
        return time.perf_counter() - start, pickle.dumps(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="+", choices=sorted(WORK), default=list(WORK))
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"{args.jobs} processes, load average {load:.1f} at the start")
    speed = f"{'speed-up':>9s}"
    print(f"{'work':12s} {'1 process':>10s} {'cold':>8s} {speed} {'warm':>8s} {speed}")
    for name in args.only:
        serial, a = timed(WORK[name], 1)
        cold, b = timed(WORK[name], args.jobs)
        warm, c = timed(WORK[name], args.jobs)
        assert a == b == c, f"{name}: results differ between 1 and {args.jobs} processes"
        print(
            f"{name:12s} {serial:9.1f}s {cold:7.1f}s {serial / cold:8.2f}x "
            f"{warm:7.1f}s {serial / warm:8.2f}x",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
