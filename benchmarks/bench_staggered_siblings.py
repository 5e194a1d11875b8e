"""Sun-Abraham and imputation (Borusyak, Jaravel & Spiess): vrueval against pyfixest and diff-diff.

Two workloads with never-treated units and several cohorts: 2,500 units x 5 periods (three
cohorts) and 35,000 units x 120 periods (three cohorts; 4.2 million rows). Each estimator
fits the fully saturated model (every cohort x relative period) with unit-clustered standard
errors and reports event-time effects:

- Sun & Abraham: ``ve.SunAbraham(...).fit()`` (every aggregation and term), pyfixest ``feols``
  with ``i(rel, cohort, ref=-1, ref2=0)`` and CRV1 plus the cohort-share event-time
  combinations, diff-diff ``SunAbraham``.
- imputation: ``ve.Imputation(...).fit()``, pyfixest ``did2s`` (Gardner's two-stage
  estimator: the same point estimates, a different variance), diff-diff ``ImputationDiD``
  with its event-study aggregation.

Every run happens in a child process (warmed up on 300 units first: imports, compilation) with
one thread, a 6 GB address-space limit and a time
limit, so a peer that cannot hold the large workload fails on its own; its failure is printed.
Runs are paired (A B A B ...) and the median is reported, with the ratio to vrueval and the
largest event-time difference from vrueval (a check that the numbers timed are the same).

    /work/refvenv-stagger/bin/python benchmarks/bench_staggered_siblings.py
    BENCH_REPEATS=3 BENCH_LARGE=0 ...   (fewer rounds; skip the 35,000 x 120 workload)
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
LARGE = os.environ.get("BENCH_LARGE", "1") == "1"
MEMORY_LIMIT = 6 * 1024**3
TIME_LIMIT = 900
ROOT = Path(__file__).resolve().parents[1]


def simulated(n: int, periods: int, cohorts: list[int], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohort = np.where(rng.random(n) < 0.5, rng.choice(cohorts, n), 0)
    unit_fe = rng.normal(size=n)
    t = np.arange(1, periods + 1)
    e = t[None, :] - cohort[:, None]
    effect = np.where((cohort[:, None] > 0) & (e >= 0), 0.5 + 0.02 * e, 0.0)
    y = unit_fe[:, None] + 0.05 * t[None, :] + effect + rng.normal(size=(n, periods))
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), periods),
            "t": np.tile(t, n),
            "y": y.ravel(),
            "g": np.repeat(cohort, periods),
        }
    )


# -- runners: each returns {event time: estimate} -----------------------------------------------
def vrueval_sa(d: pd.DataFrame) -> dict[int, float]:
    import vrueval as ve

    res = ve.SunAbraham(d, outcome="y", unit="id", time="t", first_treated="g").fit()
    return _vrueval_events(res)


def vrueval_imputation(d: pd.DataFrame) -> dict[int, float]:
    import vrueval as ve

    res = ve.Imputation(d, outcome="y", unit="id", time="t", first_treated="g").fit()
    return _vrueval_events(res)


def _vrueval_events(res: object) -> dict[int, float]:
    es = res.event_study()  # type: ignore[attr-defined]
    return {int(e): float(v) for e, v in zip(es["event_time"], es["estimate"], strict=True)}


def pyfixest_sa(d: pd.DataFrame) -> dict[int, float]:
    import pyfixest as pf

    d = d.assign(rel=np.where(d["g"] > 0, d["t"] - d["g"], -1))
    fit = pf.feols("y ~ i(rel, g, ref=-1, ref2=0) | id + t", data=d, vcov={"CRV1": "id"})
    names = list(fit.tidy().index)
    parsed = [n.replace("rel::", "").replace("g::", "").split(":") for n in names]
    rel = np.array([int(p[0]) for p in parsed])
    coh = np.array([int(p[1]) for p in parsed])
    coef, vcov = np.asarray(fit.coef()), np.asarray(fit._vcov)
    size = d[d["g"] > 0].groupby("g")["id"].nunique()
    out = {}
    for e in np.unique(rel):
        w = np.where(rel == e, size.reindex(coh).to_numpy(dtype=float), 0.0)
        w /= w.sum()
        out[int(e)] = float(w @ coef)
        np.sqrt(w @ vcov @ w)
    return out


def pyfixest_did2s(d: pd.DataFrame) -> dict[int, float]:
    import pyfixest as pf

    d = d.assign(
        rel=np.where(d["g"] > 0, d["t"] - d["g"], -1000),
        treat=(d["g"] > 0) & (d["t"] >= d["g"]),
    )
    fit = pf.did2s(
        d,
        yname="y",
        first_stage="~ 0 | id + t",
        second_stage="~ i(rel, ref=-1000)",
        treatment="treat",
        cluster="id",
    )
    tidy = fit.tidy()
    out = {}
    for name, est in zip(tidy.index, tidy["Estimate"], strict=True):
        e = int(float(str(name).split("::")[1]))
        if e >= 0:
            out[e] = float(est)
    return out


def diff_diff_sa(d: pd.DataFrame) -> dict[int, float]:
    from diff_diff import SunAbraham

    r = SunAbraham().fit(d, outcome="y", unit="id", time="t", first_treat="g")
    return {int(e): float(v["effect"]) for e, v in r.event_study_effects.items()}


def diff_diff_imputation(d: pd.DataFrame) -> dict[int, float]:
    from diff_diff import ImputationDiD

    r = ImputationDiD().fit(d, outcome="y", unit="id", time="t", first_treat="g")
    es = r.aggregate("event_study").to_dataframe()
    es = es[~es["is_reference"].astype(bool)]
    return {int(e): float(v) for e, v in zip(es["event_time"], es["att"], strict=True)}


RUNNERS: dict[str, dict[str, Callable[[pd.DataFrame], dict[int, float]]]] = {
    "Sun-Abraham": {
        "vrueval": vrueval_sa,
        "pyfixest": pyfixest_sa,
        "diff-diff": diff_diff_sa,
    },
    "imputation": {
        "vrueval": vrueval_imputation,
        "pyfixest did2s": pyfixest_did2s,
        "diff-diff": diff_diff_imputation,
    },
}


def child(estimator: str, tool: str, path: str) -> None:
    """One timed run in this (child) process: prints seconds and the event-time estimates."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    warnings.simplefilter("ignore")
    d = pd.read_parquet(path)
    fn = RUNNERS[estimator][tool]
    # warm-up on a few units (imports, numba compilation), so the clock sees the fit alone
    fn(d[d["id"].isin(np.unique(d["id"])[:300])].reset_index(drop=True))
    start = time.perf_counter()
    out = fn(d)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "events": {str(k): v for k, v in out.items()}}))


def run_child(estimator: str, tool: str, path: str) -> dict | str:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}"}
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", estimator, tool, path],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return f"over {TIME_LIMIT} s"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["exit " + str(proc.returncode)])[-1]
        return f"failed: {last[:120]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench(name: str, d: pd.DataFrame, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "panel.parquet")
        d.to_parquet(path)
        for estimator, tools in RUNNERS.items():
            times: dict[str, list[float]] = {t: [] for t in tools}
            events: dict[str, dict[str, float]] = {}
            failed: dict[str, str] = {}
            for _ in range(repeats):  # paired rounds; the first includes imports
                for tool in tools:
                    if tool in failed:
                        continue
                    out = run_child(estimator, tool, path)
                    if isinstance(out, str):
                        failed[tool] = out
                        continue
                    times[tool].append(out["seconds"])
                    events[tool] = out["events"]
            print(f"\n{name}, {estimator}: median of {repeats} paired runs (one thread each)")
            header = f"{'seconds':>9} {'ratio to vrueval':>17} {'max |att:e diff|':>17}"
            print(f"  {'estimator':<15} {header}")
            base = statistics.median(times["vrueval"]) if times["vrueval"] else np.nan
            for tool in tools:
                if tool in failed:
                    print(f"  {tool:<15} {failed[tool]}")
                    continue
                med = statistics.median(times[tool])
                common = [e for e in events[tool] if e in events.get("vrueval", {})]
                diff = max(
                    (abs(events[tool][e] - events["vrueval"][e]) for e in common), default=np.nan
                )
                print(f"  {tool:<15} {med:9.3f} {med / base:17.2f} {diff:17.2e}")


def main() -> None:
    bench("2,500 units x 5 periods", simulated(2500, 5, [3, 4, 5]), REPEATS)
    if LARGE:
        bench("35,000 units x 120 periods", simulated(35_000, 120, [40, 70, 100]), min(REPEATS, 3))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
