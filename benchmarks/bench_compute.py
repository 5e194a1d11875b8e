"""Benchmark: speed-up of vrueval.compute.pmap against workers, on the package's parallel work.

Times, with 1 process and with ``--jobs`` local processes (loky), and checks the results are
identical:

* ``verify``: every analysis under analyses/ rerun and compared (independent analyses);
* ``placebo``: an ITS placebo-in-time study, monthly HES West Midlands admissions, Poisson, one
  refit per admissible fake date;
* ``power``: a staggered power study (placebo rollouts, 12,000 draws: 6 blocks of 2,000);
* ``calibration``: the Methods report's live Monte Carlo runs (ITS coverage 200 replicates,
  DiD size 1,000 replicates).

Expected scaling: near-linear in workers while tasks outnumber them and each task is long
against the cost of starting a worker and shipping its inputs (a fraction of a second for
loky); the placebo study is bounded by its number of fake dates, verify by its slowest analysis.

    python benchmarks/bench_compute.py [--jobs 2] [--only verify placebo power calibration]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
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
    print(f"{'work':12s} {'1 process':>10s} {f'{args.jobs} processes':>12s} {'speed-up':>9s}")
    for name in args.only:
        serial, a = timed(WORK[name], 1)
        parallel, b = timed(WORK[name], args.jobs)
        assert a == b, f"{name}: results differ between 1 and {args.jobs} processes"
        print(f"{name:12s} {serial:9.1f}s {parallel:11.1f}s {serial / parallel:8.2f}x")


if __name__ == "__main__":
    main()
