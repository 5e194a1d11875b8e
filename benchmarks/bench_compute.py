"""Benchmark: speed-up of vrueval.compute.pmap against workers, on the package's parallel work.

Times each piece of work on 1 process and on ``--jobs`` local processes (loky), five ways, and
checks that every run returns the same bytes:

* ``1 process``: in this process;
* ``cold``: the first map of a process, as one command-line call runs it: no worker is running,
  so ``pmap`` times the first task here and starts the workers only if they save more than their
  start-up (``START_SECONDS``), else finishes here;
* ``cold, forced``: the workers started whatever the work (``START_SECONDS = 0``: the behaviour
  before that rule), start-up and imports included;
* ``warm``: the same work on the workers already running (the later maps of a ``verify``, a
  report or a session), in batches of consecutive tasks (about 4 a worker);
* ``warm, chunk 1``: warm, but one task a batch (the shipping cost paid once a task).

The work:

* ``verify``: every analysis under analyses/ rerun and compared (independent analyses);
* ``placebo``: an ITS placebo-in-time study, monthly HES West Midlands admissions, Poisson, one
  refit per admissible fake date (67 refits of about 20 ms quiet);
* ``power``: a staggered power study (placebo rollouts, 60,000 draws: 30 blocks of 2,000);
* ``calibration``: the Methods report's live Monte Carlo runs (ITS coverage 200 replicates,
  DiD size 1,000 replicates).

Expected scaling: near-linear in workers while batches outnumber them and each batch is long
against shipping it; a cold start adds the workers' start-up (about 2 s quiet, tens of seconds
under load) once. The placebo study is bounded by its number of fake dates, verify by its
slowest analysis, the power study by its number of blocks.

    python benchmarks/bench_compute.py [--jobs 2] [--only verify placebo power calibration]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import importlib
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

PMAP = importlib.import_module("vrueval.compute.pmap")
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
        n_sims=60_000, seed=7,
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


def stop_workers() -> None:
    """No local worker left running: the next map starts cold."""
    from joblib.externals.loky import reusable_executor

    running = reusable_executor._executor
    if running is not None:
        running.shutdown(wait=True)
    PMAP._pools.clear()


def five_ways(func: Callable[[], object], jobs: int) -> list[float]:
    timed(func, 1)  # untimed: this process's own first-call costs (imports, caches) paid here
    serial, expected = timed(func, 1)
    times = [serial]
    stop_workers()
    runs: list[tuple[float, float]] = [  # START_SECONDS, BATCHES_PER_WORKER
        (2.0, 4),  # cold: pmap decides
        (0.0, 4),  # cold, forced
        (2.0, 4),  # warm (the workers the forced run started)
        (2.0, 10**9),  # warm, one task a batch
    ]
    for i, (start, batches) in enumerate(runs):
        if i == 1:
            stop_workers()
        PMAP.START_SECONDS, PMAP.BATCHES_PER_WORKER = start, batches
        try:
            seconds, got = timed(func, jobs)
        finally:
            PMAP.START_SECONDS, PMAP.BATCHES_PER_WORKER = 2.0, 4
        assert got == expected, f"results differ between 1 and {jobs} processes"
        times.append(seconds)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="+", choices=sorted(WORK), default=list(WORK))
    args = ap.parse_args()
    print(f"{args.jobs} processes; load average {os.getloadavg()[0]:.1f} at the start")
    heads = ["1 process", "cold", "cold, forced", "warm", "warm, chunk 1"]
    print(f"{'work':12s}" + "".join(f"{h:>15s}" for h in heads))
    for name in args.only:
        times = five_ways(WORK[name], args.jobs)
        cells = [f"{times[0]:14.1f}s"] + [
            f"{t:6.1f}s {times[0] / t:5.2f}x".rjust(15) for t in times[1:]
        ]
        print(f"{name:12s}" + "".join(cells), flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
