"""Wild cluster bootstrap and randomization inference: vrueval against its peers, in one run.

    .venv-bench/bin/python benchmarks/bench_did_inference.py

Data: a 43 x 80 TWFE panel (43 force-like units, 18 treated from period 60, AR(1) errors), the
scale of the issue. Threads are pinned to one. Runs are paired (A B A B ...) and the median of
each method is reported as a ratio to vrueval, with the p-values side by side.

Wild cluster restricted bootstrap, B = 9,999, Rademacher and Webb: vrueval's p-value only (as the
peers compute), and the full DiD fit including the interval by test inversion; pyfixest's
``Feols.wildboottest``; ``wildboottest`` on statsmodels OLS with dummies; diff-diff's
``TwoWayFixedEffects(inference="wild_bootstrap")``.

Randomization inference, 5,000 permutations of the treated set across units: vrueval's vectorised
test, studentised (the CR1 t recomputed under every permutation, the DiD default) and on the
coefficient; diff-diff's ``permutation_test`` (coefficient); refit-per-permutation loops (numpy
OLS on absorbed data, with the CR1 t for the studentised one).
pyfixest's ``ritest`` permutes the treatment column row by row, so its draws are not unit-level
assignments (a unit can be treated in some post periods and not others): the script counts how
many of its draws are valid assignments instead of timing it as a peer.
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from vrueval.designs.did.model import TwoWayFE, ols_absorbed
from vrueval.inference import cluster
from vrueval.inference.randomization import ClusterBlocks, permutation_test
from vrueval.inference.small_sample import ParamCount
from vrueval.inference.wild_bootstrap import wild_cluster_bootstrap

warnings.filterwarnings("ignore")
N_UNITS, N_PERIODS, N_TREATED, START, B, R = 43, 80, 18, 60, 9999, 5000


def make_panel(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(N_UNITS), N_PERIODS)
    period = np.tile(np.arange(N_PERIODS), N_UNITS)
    treated = (unit < N_TREATED).astype(float)
    post = (period >= START).astype(float)
    e = np.zeros((N_UNITS, N_PERIODS))
    for t in range(1, N_PERIODS):
        e[:, t] = 0.6 * e[:, t - 1] + rng.normal(size=N_UNITS)
    y = rng.normal(size=N_UNITS)[unit] + 0.01 * period + e.ravel() + 0.15 * treated * post
    return pd.DataFrame(
        {
            "unit": unit,
            "period": period,
            "treated": treated,
            "post": post,
            "D": treated * post,
            "y": y,
        }
    )


def timed(fn: Callable[[], float], reps: int) -> tuple[list[float], float]:
    times, value = [], float("nan")
    for _ in range(reps):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return times, value


def paired(methods: dict[str, Callable[[], float]], rounds: int) -> pd.DataFrame:
    """A B A B ...: every method once a round, so drift hits them alike."""
    for fn in methods.values():
        fn()  # warm-up (JIT compilation of the peers that use numba counts in their first call)
    times: dict[str, list[float]] = {k: [] for k in methods}
    values: dict[str, float] = {}
    for _ in range(rounds):
        for name, fn in methods.items():
            t, v = timed(fn, 1)
            times[name] += t
            values[name] = v
    base = float(np.median(times[next(iter(methods))]))
    return pd.DataFrame(
        {
            "median_s": {k: float(np.median(v)) for k, v in times.items()},
            "ratio_to_vrueval": {k: float(np.median(v)) / base for k, v in times.items()},
            "p_value": values,
        }
    )


def wild_methods(df: pd.DataFrame, weights: str) -> dict[str, Callable[[], float]]:
    import pyfixest as pf
    import statsmodels.api as sm
    from diff_diff import TwoWayFixedEffects
    from wildboottest.wildboottest import wildboottest

    unit, period = df["unit"].to_numpy(), df["period"].to_numpy()

    def ours(conf_int: bool) -> float:
        fe = TwoWayFE(unit, period)
        fit = ols_absorbed(fe, df["y"].to_numpy(), df["D"].to_numpy())
        res = wild_cluster_bootstrap(
            fit.x[:, 0],
            fit.y,
            unit,
            fe.absorb_star,
            draws=B,
            weights=weights,  # type: ignore[arg-type]
            seed=1,
            conf_int=conf_int,
        )
        return res.p_value

    def pyfixest_wb() -> float:
        fit = pf.feols("y ~ D | unit + period", data=df, vcov={"CRV1": "unit"})
        out = fit.wildboottest(param="D", reps=B, cluster="unit", weights_type=weights, seed=2)
        return float(out["Pr(>|t|)"])

    x = pd.get_dummies(df[["unit", "period"]].astype(str), drop_first=True).astype(float)
    x.insert(0, "D", df["D"])
    x = sm.add_constant(x)

    def wildboottest_pkg() -> float:
        model = sm.OLS(df["y"], x)
        out = wildboottest(
            model, param="D", cluster=unit, B=B, weights_type=weights, seed=3, show=False
        )
        return float(out["p-value"].iloc[0])

    def diffdiff_wb() -> float:
        est = TwoWayFixedEffects(
            cluster="unit",
            inference="wild_bootstrap",
            n_bootstrap=B,
            bootstrap_weights=weights,
            seed=4,
        )
        res = est.fit(df, outcome="y", treatment="treated", post="post", unit="unit")
        return float(res.p_value)

    return {
        "vrueval (p-value)": lambda: ours(False),
        "vrueval (p-value + CI by inversion)": lambda: ours(True),
        "pyfixest wildboottest": pyfixest_wb,
        "wildboottest": wildboottest_pkg,
        "diff-diff TWFE wild": diffdiff_wb,
    }


def ri_methods(df: pd.DataFrame) -> dict[str, Callable[[], float]]:
    from diff_diff import permutation_test as dd_permutation_test

    unit, period = df["unit"].to_numpy(), df["period"].to_numpy()
    after = df["post"].to_numpy()
    assign = (np.arange(N_UNITS) < N_TREATED).astype(float)

    def ours(statistic: str) -> Callable[[], float]:
        def run() -> float:
            fe = TwoWayFE(unit, period)
            cols = np.zeros((len(unit), N_UNITS))
            cols[np.arange(len(unit)), unit] = after
            q = fe.absorb_star(cols)
            ys = fe.absorb_star(df["y"].to_numpy())
            blocks = ClusterBlocks.from_columns(q, ys, unit) if statistic == "t" else None
            return permutation_test(
                q.T @ ys,
                q.T @ q,
                assign,
                permutations=R,
                seed=1,
                conf_int=False,
                statistic=statistic,  # type: ignore[arg-type]
                blocks=blocks,
            ).p_value

        return run

    def refit_loop(studentised: bool) -> Callable[[], float]:
        def stat(fe: TwoWayFE, y: np.ndarray, d: np.ndarray) -> float:
            fit = ols_absorbed(fe, y, d)
            if not studentised:
                return float(fit.coef[0])
            count = ParamCount.two_way(fe.n_units, fe.n_periods, 1)
            cov = cluster.cr1(
                fit.x * fit.resid[:, None], fit.xtx_inv, unit, n_obs=len(y), count=count
            )
            return float(fit.coef[0] / np.sqrt(cov.vcov[0, 0]))

        def run() -> float:
            rng = np.random.default_rng(2)
            fe = TwoWayFE(unit, period)
            y = df["y"].to_numpy()
            b0 = stat(fe, y, assign[unit] * after)
            hits = 0
            for _ in range(R):
                perm = rng.permutation(assign)
                hits += abs(stat(fe, y, perm[unit] * after)) >= abs(b0)
            return (hits + 1) / (R + 1)

        return run

    def diffdiff() -> float:
        res = dd_permutation_test(
            df, outcome="y", treatment="treated", post="post", unit="unit", n_permutations=R, seed=3
        )
        return float(res.p_value)

    return {
        "vrueval (studentised t)": ours("t"),
        "vrueval (coefficient)": ours("coefficient"),
        "refit loop, t (numpy OLS + CR1)": refit_loop(True),
        "refit loop, coefficient (numpy OLS)": refit_loop(False),
        "diff-diff (coefficient)": diffdiff,
    }


def ritest_validity(df: pd.DataFrame) -> str:
    """What pyfixest's ritest permutes: the D column row by row, not units' assignments."""
    rng = np.random.default_rng(0)
    d = df["D"].to_numpy()
    valid = 0
    draws = 1000
    for _ in range(draws):
        perm = rng.permutation(d).reshape(N_UNITS, N_PERIODS)
        # a unit-level assignment treats each unit in all post periods or in none
        rows = perm[:, START:]
        valid += np.all((rows.sum(axis=1) == 0) | (rows.sum(axis=1) == N_PERIODS - START)) and (
            perm[:, :START].sum() == 0
        )
    return f"{valid} of {draws} row-wise permutations of D are valid unit-level assignments"


def main() -> None:
    df = make_panel()
    pd.set_option("display.width", 140)
    for weights in ("rademacher", "webb"):
        print(f"\nWild cluster restricted bootstrap, B = {B}, {weights}, 43 x 80 panel")
        print(paired(wild_methods(df, weights), rounds=5).to_string(float_format="{:.4g}".format))
    print(f"\nRandomization inference, {R} permutations of the treated set across 43 units")
    print(paired(ri_methods(df), rounds=3).to_string(float_format="{:.4g}".format))
    print("\npyfixest ritest (randomization-c) redraws the treatment column row by row:")
    print("  " + ritest_validity(df))


if __name__ == "__main__":
    main()
