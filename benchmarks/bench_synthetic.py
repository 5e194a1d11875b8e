"""Synthetic control and synthetic DiD against pysyncon, synthdid (the PyPI port of R
``synthdid``) and diff-diff's ``SyntheticDiD``, in one run.

    .venv/bin/python benchmarks/bench_synthetic.py [--peer-python PY] [--rounds 3] [--skip-lsoa]

vrueval runs in this interpreter's environment; the peers in ``--peer-python`` (default this
interpreter: ``make bench-env`` puts all of them in .venv-bench; or a venv of your own with
``pip install pysyncon==1.7.0 synthdid-py==0.1.0 diff-diff==3.13.0``). Every (task, package) runs
in its own process, so its peak memory (VmHWM) is its own; the panel is simulated there from the
same seed (two latent factors, unit levels, noise), controls first, treated units last.

Workloads (the issue's three):

* **one treated, 42 donors x 14 years** (9 pre, 5 post);
* **18 treated, 25 donors x 56 quarters** (38 pre, 18 post), placebo inference over every donor;
* **LSOA scale: 1,000 units x 100 periods** (50 treated, 80 pre).

Tasks and the settings each package is given (the same estimator on the same matrix):

* ``sc_placebo`` -- synthetic control of each treated unit on the pre-period outcomes (plain
  MSPE, no predictors), then in-space placebos: every donor refitted from the other donors.
  vrueval: ``SyntheticControl(...).fit(inference="placebo")`` (exact simplex least squares).
  pysyncon: ``Synth.fit(X0=Z0, X1=Z1, custom_V=sd^2)`` for the treated unit and for each donor
  (its ``PlaceboTest`` calls the same fit once a donor, in a process pool; here it is called in
  one process, which favours pysyncon). pysyncon scales each predictor by its standard
  deviation over the units, and V proportional to the variances undoes that, so both minimise
  the plain pre-period MSPE. Checked before timing: the average effects agree to 1e-3 of the
  outcome scale, or, where they do not, vrueval's exact weights reach a pre-period MSPE no
  larger than pysyncon's (its SLSQP stops short of the optimum, and its effect moves with it).
* ``sdid_placebo`` -- synthetic DiD with the paper's defaults (zeta_omega = (N1 T1)^(1/4)
  sigma, zeta_lambda = 1e-6 sigma, R's Frank-Wolfe with sparsify, 10,000 iterations at most)
  and the placebo variance (Algorithm 4), 200 replications, permutations from
  ``numpy.random.default_rng(1)``: vrueval ``fit(inference="placebo", draws=200, seed=1)``,
  synthdid ``placebo_se(est, 200, random_state=1)``, diff-diff ``SyntheticDiD(
  variance_method="placebo", n_bootstrap=200, seed=1)``. All three draw the same permutations,
  so estimate and standard error must agree to 1e-8 (checked before timing).
* ``sdid_jackknife`` (LSOA scale) -- SDiD with the fixed-weights jackknife (Algorithm 3), the
  same defaults: vrueval ``fit(inference="jackknife")``, synthdid ``jackknife_se``, diff-diff
  ``variance_method="jackknife"``; estimate and SE agree to 1e-8.

Each child times ``--rounds`` runs after one untimed warm-up (imports, numba's compile or
cache load) and reports the best (smallest) process CPU time of them (the machine is shared:
wall time swings with the load, and the best of N is the least disturbed). Ratios are
vrueval's time over the fastest peer's on the same task, and the speed-up its inverse; the
placebo tasks are marked against the issue's goal (at least 5x faster than the fastest peer).
One thread for BLAS, OpenMP and numba (``pinned``). The load average is printed with every
task.
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: name: (units, periods, treated, pre-periods)
WORKLOADS = {
    "one_treated": (43, 14, 1, 9),
    "eighteen_treated": (43, 56, 18, 38),
    "lsoa": (1000, 100, 50, 80),
}
TASKS = {
    "one_treated": ("sc_placebo", "sdid_placebo"),
    "eighteen_treated": ("sc_placebo", "sdid_placebo"),
    "lsoa": ("sdid_jackknife",),
}
PEERS = {
    "sc_placebo": ("pysyncon",),
    "sdid_placebo": ("synthdid", "diff-diff"),
    "sdid_jackknife": ("synthdid", "diff-diff"),
}
#: agreement required before timing (absolute, on the outcome's scale)
TOLERANCE = {"sc_placebo": 1e-3, "sdid_placebo": 1e-8, "sdid_jackknife": 1e-8}
DRAWS, SEED = 200, 1


def panel(name: str, seed: int = 20261203) -> tuple[np.ndarray, int, int]:
    """The workload's outcome matrix (controls first, treated last), N0 and T0."""
    n, t, n1, t0 = WORKLOADS[name]
    rng = np.random.default_rng(seed)
    factors = np.cumsum(rng.normal(size=(2, t)), axis=1)
    loadings = rng.uniform(0.5, 1.5, size=(n, 2))
    y = loadings @ factors + rng.normal(0, 3, n)[:, None] + 0.5 * rng.normal(size=(n, t)) + 50
    y[n - n1 :, t0:] += 1.0
    return y, n - n1, t0


def long_frame(y: np.ndarray, n0: int, t0: int) -> pd.DataFrame:
    n, t = y.shape
    unit = np.repeat([f"u{i:04d}" for i in range(n)], t)
    period = np.tile(np.arange(t), n)
    ever = np.repeat(np.arange(n) >= n0, t)
    return pd.DataFrame(
        {
            "unit": unit,
            "time": period,
            "y": y.ravel(),
            "ever": ever.astype(int),
            "treated": (ever & (period >= t0)).astype(int),
        }
    )


def vrueval_task(task: str, y: np.ndarray, n0: int, t0: int) -> Callable[[], list[float]]:
    import vrueval as ve

    frame = long_frame(y, n0, t0)
    if task == "sc_placebo":
        treated = [f"u{i:04d}" for i in range(n0, y.shape[0])]
        donors = frame[frame["ever"] == 0]

        def sc() -> list[float]:
            att, mspe = [], []
            for u in treated:
                one = pd.concat([donors, frame[frame["unit"] == u]])
                res = ve.SyntheticControl(
                    one, unit="unit", time="time", outcome="y", treated="treated"
                ).fit(inference="placebo")
                att.append(float(res.effects()["estimate"].iloc[0]))
                mspe.append(float(res.diagnostics["pre_rmspe"]) ** 2)
            return att + mspe

        return sc
    inference = "placebo" if task == "sdid_placebo" else "jackknife"
    extra = {"draws": DRAWS, "seed": SEED} if inference == "placebo" else {}

    def sdid() -> list[float]:
        res = ve.SyntheticDiD(frame, unit="unit", time="time", outcome="y", treated="treated")
        row = res.fit(inference=inference, **extra).effects().iloc[0]  # type: ignore[arg-type]
        return [float(row["estimate"]), float(row["std_error"])]

    return sdid


def pysyncon_task(y: np.ndarray, n0: int, t0: int) -> Callable[[], list[float]]:
    from pysyncon import Synth

    def one(rows: np.ndarray, treated: int) -> tuple[float, float]:
        """pysyncon's fit of ``treated`` from ``rows`` on the pre-period outcomes (V undoing
        its scaling): the average post-period gap and the pre-period MSPE."""
        z = pd.DataFrame(y[np.append(rows, treated), :t0].T, columns=[*map(str, rows), "t"])
        x0, x1 = z.drop(columns="t"), z["t"]
        sd2 = pd.concat([x0, x1], axis=1).std(axis=1).to_numpy() ** 2
        s = Synth()
        s.fit(X0=x0, X1=x1, Z0=x0, Z1=x1, custom_V=sd2 / sd2.sum())
        w = np.asarray(s.W, dtype=float)
        gap = y[treated] - w @ y[rows]
        return float(gap[t0:].mean()), float(np.mean(gap[:t0] ** 2))

    def run() -> list[float]:
        donors = np.arange(n0)
        att, mspe = [], []
        for u in range(n0, y.shape[0]):
            a, m = one(donors, u)
            att.append(a)
            mspe.append(m)
            for j in donors:
                one(donors[donors != j], j)
        return att + mspe

    return run


def synthdid_task(task: str, y: np.ndarray, n0: int, t0: int) -> Callable[[], list[float]]:
    import synthdid as sd

    def run() -> list[float]:
        est = sd.synthdid_estimate(y, n0, t0)
        if task == "sdid_placebo":
            se = sd.placebo_se(est, DRAWS, random_state=SEED)
        else:
            se = sd.jackknife_se(est)
        return [float(est), float(se)]

    return run


def diff_diff_task(task: str, y: np.ndarray, n0: int, t0: int) -> Callable[[], list[float]]:
    from diff_diff import SyntheticDiD

    frame = long_frame(y, n0, t0)
    post = list(range(t0, y.shape[1]))
    method = "placebo" if task == "sdid_placebo" else "jackknife"

    def run() -> list[float]:
        res = SyntheticDiD(variance_method=method, n_bootstrap=DRAWS, seed=SEED).fit(
            frame, outcome="y", treatment="ever", unit="unit", time="time", post_periods=post
        )
        return [float(res.att), float(res.se)]

    return run


def child(workload: str, task: str, package: str, rounds: int) -> None:
    warnings.filterwarnings("ignore")
    y, n0, t0 = panel(workload)
    if package == "vrueval":
        run = vrueval_task(task, y, n0, t0)
    elif package == "pysyncon":
        run = pysyncon_task(y, n0, t0)
    elif package == "synthdid":
        run = synthdid_task(task, y, n0, t0)
    else:
        run = diff_diff_task(task, y, n0, t0)
    values = run()  # warm-up (imports, first calls), and the numbers compared
    cpu = []
    for _ in range(max(rounds, 1)):
        c0 = time.process_time()
        run()
        cpu.append(time.process_time() - c0)
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(x.split()[1]) / 1024 for x in status if x.startswith("VmHWM:"))
    print(json.dumps({"cpu": float(np.min(cpu)), "peak_mb": peak, "values": values}))


def check(task: str, ours: list[float], theirs: list[float]) -> str:
    """Agreement of a peer's numbers with vrueval's. Synthetic control: the average effects
    agree to the tolerance, or vrueval's exact weights fit the pre-period no worse (a smaller
    MSPE: the peer's SLSQP stopped short of the optimum, so its effect differs by that)."""
    a, b = np.asarray(ours), np.asarray(theirs)
    if task == "sc_placebo":
        k = len(a) // 2
        diff = float(np.max(np.abs(a[:k] - b[:k])))
        worse = float(np.max(a[k:] - b[k:]))
        ok = diff <= TOLERANCE[task] or worse <= 1e-9
        return (
            f"{'agree' if ok else 'DISAGREE'} (max |att diff| {diff:.1e}; vrueval's pre-MSPE "
            f"minus the peer's, worst {worse:+.1e})"
        )
    diff = float(np.max(np.abs(a - b)))
    ok = diff <= TOLERANCE[task]
    return f"{'agree' if ok else 'DISAGREE'} (max |diff| {diff:.1e}, tolerance {TOLERANCE[task]:g})"


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_child(python: str, workload: str, task: str, package: str, rounds: int) -> dict | None:
    cmd = [python, __file__, "--child", workload, task, package, "--rounds", str(rounds)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        tail = (out.stderr.strip().splitlines() or ["(no message)"])[-1]
        print(f"    {package} failed: {tail}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-python", default=sys.executable)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-lsoa", action="store_true")
    ap.add_argument("--only", nargs="*", help="workload names to run")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child, args.rounds)
        return
    names = args.only or [w for w in WORKLOADS if not (args.skip_lsoa and w == "lsoa")]
    print(f"best process CPU of {args.rounds} rounds after a warm-up; one thread")
    for workload in names:
        n, t, n1, t0 = WORKLOADS[workload]
        print(f"\n{workload}: {n - n1} donors, {n1} treated, {t} periods ({t0} pre)")
        for task in TASKS[workload]:
            res: dict[str, dict] = {}
            for package in ("vrueval", *PEERS[task]):
                python = sys.executable if package == "vrueval" else args.peer_python
                got = run_child(python, workload, task, package, args.rounds)
                if got is not None:
                    res[package] = got
            if "vrueval" not in res:
                continue
            for got in res.values():
                got["check"] = check(task, res["vrueval"]["values"], got["values"])
            peers = [p for p in res if p != "vrueval"]
            best = min((res[p]["cpu"] for p in peers), default=float("nan"))
            print(f"  {task}  (load average {_load()})")
            for package, got in res.items():
                mine = package == "vrueval"
                ratio = ""
                if mine:
                    speedup = best / got["cpu"]
                    ratio = (
                        f"{got['cpu'] / best:.3f}x the fastest peer's time, {speedup:.1f}x faster"
                    )
                    if task.endswith("placebo"):
                        ratio += (
                            " (5x goal met)" if best / got["cpu"] >= 5 else " (5x goal NOT met)"
                        )
                print(
                    f"    {package:9s} {got['cpu']:9.3f} s  peak {got['peak_mb']:7.0f} MB  "
                    f"{got['check']}  {ratio}"
                )


if __name__ == "__main__":
    main()
