"""Record the long Monte Carlo runs of vrueval.reporting.calibration (the slow tests' settings).

Run from the repository root (about a minute on one core):

    .venv/bin/python tests/reference/inference_calibration.py

Writes tests/reference/inference_calibration.json: the rates, the replicates, seeds, date, the
git commit and the command, which the *Methods and validation* report shows as recorded results.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from importlib import metadata
from pathlib import Path

from vrueval.reporting import calibration

HERE = Path(__file__).resolve().parent
ITS_REPS, ITS_SEED = 2000, 20240601  # as tests/test_its_coverage.py::test_coverage_monte_carlo
DID_REPS, DID_SEED, DID_DRAWS = 5000, 2024, 399  # as tests/test_inference_simulation.py (slow)


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


def main() -> None:
    t0 = time.perf_counter()
    its = calibration.its_coverage(ITS_REPS, ITS_SEED)
    t1 = time.perf_counter()
    did = calibration.did_size(DID_REPS, DID_SEED, draws=DID_DRAWS, permutations=DID_DRAWS)
    t2 = time.perf_counter()
    out = {
        "command": ".venv/bin/python tests/reference/inference_calibration.py",
        "date": dt.date.today().isoformat(),
        "git_commit": _commit(),
        "vrueval": metadata.version("vrueval"),
        "its_coverage": {
            "reps": ITS_REPS,
            "seed": ITS_SEED,
            "target": 0.95,
            "seconds": round(t1 - t0, 1),
            "coverage": its,
        },
        "did_size": {
            "reps": DID_REPS,
            "seed": DID_SEED,
            "draws": DID_DRAWS,
            "permutations": DID_DRAWS,
            "target": 0.05,
            "seconds": round(t2 - t1, 1),
            "rejection_rate": did,
        },
    }
    (HERE / "inference_calibration.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
