"""Reference values for vrueval.sensitivity from the Python ``honestdid`` package (a port of
Rambachan & Roth's R HonestDiD, which does not install from these registries).

Run in a separate environment (honestdid pulls in torch and cvxpy; it needs numpy < 2.3, whose
``float()`` of a 1x1 array it relies on):

    python3.11 -m venv /work/refvenv-honest
    /work/refvenv-honest/bin/pip install honestdid "numpy<2.3"
    /work/refvenv-honest/bin/python tests/reference/honestdid_reference.py

or, side by side (each case:target in its own process, then folded in):

    .../python tests/reference/honestdid_reference.py medicaid:first &
    .../python tests/reference/honestdid_reference.py vru_violence:first &
    .../python tests/reference/honestdid_reference.py --merge

Reads honestdid_inputs.json (honestdid_make_inputs.py) and writes honestdid_reference.json:
robust intervals under relative magnitudes (C-LF, and Conditional for the Medicaid example) and
smoothness (FLCI, and C-LF), the original interval, and, for the breakdown values, intervals
on a fine grid of bounds around where zero enters. honestdid inverts its tests on a grid of
1000 points over [-20, 20] standard errors of the target (RM), or its own bounds (SD); its grid
step is written beside each result, since agreement can be no closer than that.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GRID_POINTS = 1000


def _rows(frame, bound: str, step: float) -> list[dict]:
    return [
        {"bound": float(r[bound]), "lb": float(r["lb"]), "ub": float(r["ub"]), "grid_step": step}
        for _, r in frame.iterrows()
    ]


def rm_step(sigma: np.ndarray, n_pre: int, l_vec: np.ndarray) -> float:
    post = sigma[n_pre:, n_pre:]
    return 40 * float(np.sqrt(l_vec @ post @ l_vec)) / (GRID_POINTS - 1)


def run(case: dict, plan: dict, out: dict, save: Callable[[], None]) -> None:
    """Every computation of ``plan`` on ``case``, saved as it finishes (honestdid takes minutes
    for each relative-magnitudes bound)."""
    import honestdid as hd

    b = np.asarray(case["betahat"])
    s = np.asarray(case["sigma"])
    n_pre, n_post = case["n_pre"], case["n_post"]
    for name, target in plan["targets"].items():
        l_vec = np.asarray(target, dtype=float)
        step = rm_step(s, n_pre, l_vec)
        res: dict = out.setdefault(name, {})
        res["l_vec"] = l_vec.tolist()
        orig = hd.constructOriginalCS(b, s, n_pre, n_post, l_vec=l_vec)
        res["original"] = {"lb": float(orig["lb"].iloc[0]), "ub": float(orig["ub"].iloc[0])}
        jobs = [
            ("rm_breakdown_grid", "Mbar", plan.get("rm_breakdown_grid"), {}),
            ("sd_FLCI", "M", plan.get("m"), {}),
            ("rm_C-LF", "Mbar", plan.get("mbar"), {}),
            ("sd_breakdown_grid", "M", plan.get("sd_breakdown_grid"), {}),
            ("sd_C-LF", "M", plan.get("sd_clf"), {"method": "C-LF"}),
        ]
        for key, bound, values, extra in jobs:
            if not values or (name != "first" and key != "sd_FLCI" and key != "rm_C-LF"):
                continue
            # resume bound by bound: rows an earlier run finished are kept
            done = {r["bound"]: r for r in res.get(key, [])}
            t = time.time()
            for v in values:
                if float(v) in done:
                    continue
                if bound == "M":
                    frame = hd.createSensitivityResults(
                        b, s, n_pre, n_post, Mvec=[v], l_vec=l_vec, **extra
                    )
                    rows = _rows(frame, "M", float("nan"))
                else:
                    frame = hd.createSensitivityResults_relativeMagnitudes(
                        b, s, n_pre, n_post, Mbarvec=[v], l_vec=l_vec, **extra
                    )
                    rows = _rows(frame, "Mbar", step)
                done.update({r["bound"]: r for r in rows})
                res[key] = [done[float(u)] for u in values if float(u) in done]
                save()
                print(name, key, v, round(time.time() - t, 1), "s", flush=True)


PLANS = {
    "medicaid": {
        "targets": {"first": [1.0, 0.0], "average": [0.5, 0.5]},
        "m": [0.0, 0.01, 0.02, 0.03, 0.04, 0.05],
        "sd_breakdown_grid": [0.0220, 0.0225, 0.0230, 0.0235],
        "mbar": [0.5, 1.0, 1.5, 2.0],
        "sd_clf": [0.0, 0.02],
        "rm_breakdown_grid": [1.94, 1.98, 1.96],
    },
    "vru_violence": {
        "targets": {"first": [1.0, 0.0, 0.0], "average": [1 / 3, 1 / 3, 1 / 3]},
        "m": [0.0, 0.05, 0.1, 0.2],
        "mbar": [0.5, 1.0],
    },
}


def main(only: list[str]) -> None:
    """Run every case (or ``only``: ``case:target`` names), resuming from what the reference
    file already holds. With ``only``, rows go to ``honestdid_reference.<case>.<target>.part``
    so that runs of different cases can go side by side; ``--merge`` folds the parts in."""
    warnings.filterwarnings("ignore")
    inputs = json.loads((HERE / "honestdid_inputs.json").read_text())
    out: dict = {
        "versions": {
            "honestdid": metadata.version("honestdid"),
            "numpy": metadata.version("numpy"),
            "scipy": metadata.version("scipy"),
            "cvxpy": metadata.version("cvxpy"),
        },
        "grid_points": GRID_POINTS,
        "level": 0.95,
    }
    path = HERE / "honestdid_reference.json"
    earlier = json.loads(path.read_text()) if path.exists() else {}
    if earlier.get("versions") != out["versions"]:
        earlier = {}
    order = [
        ("medicaid", "first"),
        ("vru_violence", "first"),
        ("medicaid", "average"),
        ("vru_violence", "average"),
    ]
    if only:
        order = [o for o in order if f"{o[0]}:{o[1]}" in only]
        path = HERE / f"honestdid_reference.{order[0][0]}.{order[0][1]}.part"
        if path.exists():
            earlier = json.loads(path.read_text())

    def save() -> None:
        path.write_text(json.dumps(out, indent=1) + "\n")

    for case, target in order:
        plan = {**PLANS[case], "targets": {target: PLANS[case]["targets"][target]}}
        out.setdefault(case, {})
        if target in earlier.get(case, {}):
            out[case][target] = earlier[case][target]
        run(inputs[case], plan, out[case], save)
    save()


def merge() -> None:
    """Fold the ``.part`` files of side-by-side runs into honestdid_reference.json."""
    path = HERE / "honestdid_reference.json"
    out = json.loads(path.read_text())
    for part in sorted(HERE.glob("honestdid_reference.*.part")):
        got = json.loads(part.read_text())
        if got["versions"] != out["versions"]:
            raise SystemExit(f"{part.name} was made with other versions: {got['versions']}")
        for case in PLANS:
            for target, res in got.get(case, {}).items():
                out.setdefault(case, {})[target] = res
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--merge"]:
        merge()
    else:
        main(sys.argv[1:])
