"""Record the Monte Carlo calibration of the synthetic designs' inference
(vrueval.validation.synthetic_calibration: panels of 43 units x 14 years, AR(1) errors, unit and
time effects, one or 18 treated units).

Run from the repository root (about 7 minutes of CPU; ``--jobs 2`` halves the wall time and
gives the same numbers):

    .venv/bin/python tests/reference/synthetic_calibration.py [--jobs N]

Writes tests/reference/synthetic_calibration.json: the rates, replicates, seeds, the 3-standard-
error Monte Carlo bands, seconds, the git commit and the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from vrueval.validation import synthetic_calibration as cal

HERE = Path(__file__).resolve().parent
#: (replicates, seed) of each study; the slow tests use the same seeds with fewer replicates
SC_PLACEBO = (400, 20261301)
SDID_ONE = (100, 20261302)
SDID_EIGHTEEN = (100, 20261303)
CONFORMAL = (100, 20261304)
DRAWS = 100


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True)
    return out.stdout.decode().strip() or "unknown"


def _timed(fn: Any, *args: Any, **kw: Any) -> tuple[dict[str, float], float]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, round(time.perf_counter() - t0, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1)
    jobs = ap.parse_args().jobs
    out: dict[str, Any] = {
        "panel": {
            "units": cal.UNITS,
            "years": cal.YEARS,
            "pre": cal.PRE,
            "rho": cal.RHO,
            "effect": cal.EFFECT,
        },
        "date": dt.date.today().isoformat(),
        "commit": _commit(),
        "vrueval": metadata.version("vrueval"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    path = HERE / "synthetic_calibration.json"

    def save() -> None:
        for study in out.values():
            if isinstance(study, dict) and "reps" in study:
                study["band_3se"] = {
                    k: list(cal.band(v, study["reps"]))
                    for k, v in study.items()
                    if k in ("placebo", "placebo_unit", "jackknife", "att", "rejection_at_0.10")
                }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(out, indent=1) + "\n")
        tmp.replace(path)  # after each study: a long run interrupted keeps what it finished

    reps, seed = SC_PLACEBO
    res, sec = _timed(cal.sc_placebo_size, reps, seed, jobs=jobs)
    out["sc_placebo_size"] = {"reps": reps, "seed": seed, "seconds": sec, **res}
    save()
    reps, seed = CONFORMAL
    res, sec = _timed(cal.conformal_coverage, reps, seed, jobs=jobs)
    out["conformal"] = {"reps": reps, "seed": seed, "seconds": sec, "target": 0.9, **res}
    save()
    for key, (reps, seed), n1 in (
        ("sdid_eighteen_treated", SDID_EIGHTEEN, 18),
        ("sdid_one_treated", SDID_ONE, 1),
    ):
        res, sec = _timed(cal.sdid_coverage, reps, seed, n1, draws=DRAWS, jobs=jobs)
        out[key] = {"reps": reps, "seed": seed, "draws": DRAWS, "seconds": sec, "target": 0.95}
        out[key].update(res)
        save()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
