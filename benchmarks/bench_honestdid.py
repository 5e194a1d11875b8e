"""Rambachan-Roth relative magnitudes: vrueval against the Python ``honestdid`` package.

Workload (the issue's): an event study with 8 pre-period and 5 post-period coefficients
(simulated, seeded covariance with correlated coefficients, a small pre-trend and an effect),
the first post-period effect as target, C-LF robust intervals at 20 values of Mbar from 0.1 to
2.0. vrueval: ``honest_did_arrays(..., bounds=mbar, seed=0, breakdown=False)``, and once more
with the breakdown value (which honestdid does not compute). honestdid:
``createSensitivityResults_relativeMagnitudes(betahat, sigma, 8, 5, Mbarvec=mbar)``.

Each side runs in its own child process with one thread (``pinned``), vrueval in this
environment, honestdid in the environment given by ``HONESTDID_PYTHON`` (it pulls in torch and
cvxpy and needs numpy < 2.3). Times are CPU seconds of the child (the machine is shared: wall
time there measures the neighbours), with wall time beside them.

honestdid solves each Mbar value on its own (a loop over ``Mbarvec``, a grid of 1,000 test
inversions each), minutes per value on this machine; ``BENCH_PEER_BOUNDS=k`` times it on k of
the 20 values, spread over the range, and scales its time by 20 / k (printed as such). The
intervals of the bounds both sides computed are compared (they must agree within 1.5 of
honestdid's grid steps) so that the times are for the same numbers.

    HONESTDID_PYTHON=/work/refvenv-sens/bin/python python benchmarks/bench_honestdid.py
    BENCH_PEER_BOUNDS=2 ...   (honestdid on 2 of the 20 values)
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_PRE, N_POST = 8, 5
MBAR = [round(0.1 * (i + 1), 1) for i in range(20)]
PEER_BOUNDS = int(os.environ.get("BENCH_PEER_BOUNDS", "20"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def workload(seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and an AR(1)-like covariance scaled by a random positive diagonal."""
    rng = np.random.default_rng(seed)
    k = N_PRE + N_POST
    idx = np.arange(k)
    corr = 0.5 ** np.abs(idx[:, None] - idx[None, :])
    sd = 0.02 * (1 + rng.random(k))
    sigma = corr * np.outer(sd, sd)
    times = np.r_[np.arange(-N_PRE - 1, -1), np.arange(N_POST)]
    beta = 0.002 * (times + 1) + np.where(times >= 0, 0.12, 0.0)
    beta = beta + rng.multivariate_normal(np.zeros(k), sigma)
    return beta, sigma


def peer_bounds() -> list[float]:
    k = max(1, min(PEER_BOUNDS, len(MBAR)))
    picks = np.unique(np.round(np.linspace(0, len(MBAR) - 1, k)).astype(int))
    return [MBAR[i] for i in picks]


def child_vrueval(breakdown: bool) -> dict:
    from vrueval.sensitivity import honest_did_arrays

    beta, sigma = workload()
    honest_did_arrays(beta, sigma, N_PRE, N_POST, bounds=[0.5], seed=0, breakdown=False)  # warm
    runs = []
    for _ in range(REPEATS):
        cpu, wall = time.process_time(), time.perf_counter()
        res = honest_did_arrays(
            beta, sigma, N_PRE, N_POST, bounds=MBAR, seed=0, breakdown=breakdown
        )
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    eff = res.effects()
    return {
        "cpu": min(r[0] for r in runs),
        "wall": min(r[1] for r in runs),
        "rows": eff[["bound", "conf_low", "conf_high"]].to_numpy().tolist(),
        "breakdown": None if res.breakdown is None else res.breakdown["value"],
    }


def child_honestdid() -> dict:
    import warnings

    import honestdid as hd

    warnings.filterwarnings("ignore")
    beta, sigma = workload()
    bounds = peer_bounds()
    cpu, wall = time.process_time(), time.perf_counter()
    frame = hd.createSensitivityResults_relativeMagnitudes(
        beta, sigma, N_PRE, N_POST, Mbarvec=bounds
    )
    return {
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "bounds": bounds,
        "rows": [[float(r["Mbar"]), float(r["lb"]), float(r["ub"])] for _, r in frame.iterrows()],
    }


def _child(python: str, role: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [python, __file__, "--child", role], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{role} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    peer_python = os.environ.get("HONESTDID_PYTHON")
    if not peer_python:
        raise SystemExit("set HONESTDID_PYTHON to a Python with honestdid installed")
    ours = _child(sys.executable, "vrueval")
    ours_bd = _child(sys.executable, "vrueval-breakdown")
    peer = _child(peer_python, "honestdid")
    share = len(MBAR) / len(peer["bounds"])
    peer_cpu = peer["cpu"] * share
    peer_wall = peer["wall"] * share
    beta, sigma = workload()
    step = 40 * float(np.sqrt(sigma[N_PRE, N_PRE])) / 999
    mine = {round(b, 6): (lo, hi) for b, lo, hi in ours["rows"]}
    worst = max(
        max(abs(mine[round(b, 6)][0] - lo), abs(mine[round(b, 6)][1] - hi))
        for b, lo, hi in peer["rows"]
    )
    fastest = min(ours["cpu"], peer_cpu)
    print(f"Relative magnitudes, C-LF: {N_PRE} pre, {N_POST} post, {len(MBAR)} Mbar values")
    print(f"{'':28s}{'CPU s':>10s}{'wall s':>10s}{'ratio':>9s}")
    print(f"{'vrueval':28s}{ours['cpu']:10.2f}{ours['wall']:10.2f}{ours['cpu'] / fastest:9.2f}")
    print(
        f"{'vrueval + breakdown':28s}{ours_bd['cpu']:10.2f}{ours_bd['wall']:10.2f}"
        f"{ours_bd['cpu'] / fastest:9.2f}"
    )
    label = "honestdid" + (f" ({len(peer['bounds'])} of 20, x{share:g})" if share != 1 else "")
    print(f"{label:28s}{peer_cpu:10.2f}{peer_wall:10.2f}{peer_cpu / fastest:9.2f}")
    print(
        f"largest difference in the interval ends at Mbar {peer['bounds']}: {worst:.2e} "
        f"(honestdid's grid step {step:.2e}; agree: {worst <= 1.5 * step})"
    )
    print(f"vrueval's breakdown Mbar: {ours_bd['breakdown']}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        role = sys.argv[2]
        if role == "honestdid":
            result = child_honestdid()
        else:
            result = child_vrueval(breakdown=role == "vrueval-breakdown")
        print(json.dumps(result))
    else:
        main()
