"""Record the long Monte Carlo runs of vrueval.validation.calibration (the slow tests' settings).

Run from the repository root (about four minutes on one core):

    .venv/bin/python tests/reference/inference_calibration.py [--jobs N] [PART ...]

PART is any of its_coverage, did_size, its_slope_coverage, short_run (default: all); only the
named parts are recomputed, the others are kept from the existing file. ``--jobs N`` runs the
replicates on N local processes (vrueval.compute): the numbers are the same as with one, only
faster.

Writes tests/reference/inference_calibration.json: the rates, the replicates, seeds, date, the
git commit and the command, which the *Methods and validation* report shows as recorded results.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from vrueval.compute import current, using
from vrueval.validation import calibration

HERE = Path(__file__).resolve().parent
ITS_REPS, ITS_SEED = 2000, 20240601  # as tests/test_its_coverage.py::test_coverage_monte_carlo
DID_REPS, DID_SEED, DID_DRAWS = 5000, 2024, 399  # as tests/test_inference_simulation.py (slow)
# as tests/test_its_coverage.py::test_slope_coverage_monte_carlo (one seed per rho)
SLOPE_REPS, SLOPE_SEEDS = 2000, {0.5: 20240601, 0.8: 20240602}
# the Methods report's short run (its tables put it beside the long runs); re-simulated and
# compared with this record by tests/test_inference_calibration_record.py (slow)
SHORT_ITS_REPS, SHORT_DID_REPS, SHORT_SEED = 200, 1000, 1
PARTS = ("its_coverage", "did_size", "its_slope_coverage", "short_run")


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "vrueval"],
            cwd=HERE.parents[1],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes to vrueval/)" if dirty else "")
    except OSError:
        return "unknown"


def _its_coverage() -> dict[str, Any]:
    t0 = time.perf_counter()
    its = calibration.its_coverage(ITS_REPS, ITS_SEED)
    return {
        "reps": ITS_REPS,
        "seed": ITS_SEED,
        "target": 0.95,
        "seconds": round(time.perf_counter() - t0, 1),
        "coverage": its,
    }


def _did_size() -> dict[str, Any]:
    t0 = time.perf_counter()
    did = calibration.did_size(DID_REPS, DID_SEED, draws=DID_DRAWS, permutations=DID_DRAWS)
    return {
        "reps": DID_REPS,
        "seed": DID_SEED,
        "draws": DID_DRAWS,
        "permutations": DID_DRAWS,
        "target": 0.05,
        "seconds": round(time.perf_counter() - t0, 1),
        "rejection_rate": did,
    }


def _its_slope_coverage() -> dict[str, Any]:
    t0 = time.perf_counter()
    coverage = {
        str(rho): calibration.its_coverage_by_term(SLOPE_REPS, seed, rho)
        for rho, seed in SLOPE_SEEDS.items()
    }
    return {
        "reps": SLOPE_REPS,
        "seeds": {str(rho): seed for rho, seed in SLOPE_SEEDS.items()},
        "n": calibration.ITS_N,
        "target": 0.95,
        "seconds": round(time.perf_counter() - t0, 1),
        "coverage": coverage,
    }


def _short_run() -> dict[str, Any]:
    t0 = time.perf_counter()
    its = calibration.its_coverage(SHORT_ITS_REPS, SHORT_SEED)
    did = calibration.did_size(SHORT_DID_REPS, SHORT_SEED)
    return {
        "its_reps": SHORT_ITS_REPS,
        "did_reps": SHORT_DID_REPS,
        "seed": SHORT_SEED,
        "seconds": round(time.perf_counter() - t0, 1),
        "its_coverage": its,
        "did_size": did,
    }


def main(parts: list[str]) -> None:
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s) {sorted(unknown)}; choose from {PARTS}")
    path = HERE / "inference_calibration.json"
    old: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    runners = {
        "its_coverage": _its_coverage,
        "did_size": _did_size,
        "its_slope_coverage": _its_slope_coverage,
        "short_run": _short_run,
    }
    out: dict[str, Any] = {
        "command": ".venv/bin/python tests/reference/inference_calibration.py",
        "jobs": current().jobs,  # where the seconds below were measured
        "date": dt.date.today().isoformat(),
        "git_commit": _commit(),
        "vrueval": metadata.version("vrueval"),
    }
    for part in PARTS:
        if part in parts:
            out[part] = runners[part]()
            out[part]["recorded"] = {"date": out["date"], "git_commit": out["git_commit"]}
        elif part in old:
            out[part] = old[part]
    if set(parts) != set(PARTS):
        # the top-level date and commit are those of the last full run
        for key in ("command", "date", "git_commit", "vrueval"):
            out[key] = old.get(key, out[key])
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in parts}, indent=2))


if __name__ == "__main__":
    args = sys.argv[1:]
    jobs = 1
    if args[:1] == ["--jobs"]:
        jobs, args = int(args[1]), args[2:]
    with using(jobs=jobs):
        main(args or list(PARTS))
