"""DiD power curve, 10 effect sizes x 1,000 simulations on a 43 x 80 panel: vrueval.power.did
against a refit-per-simulation loop (linearmodels PanelOLS, two-way effects, clustered by unit).

The panel is simulated (43 force areas x 80 quarters: unit and period effects, AR(1) errors
with rho = 0.6), because no bundled real panel is that long; the real-data studies are in the
tests. Each simulation draws a placebo treated set of 18 areas and a placebo start, plants a
multiplicative effect into the treated post-period cells, and tests the ATT with CR1 errors.
vrueval computes the whole curve (and the MDE search) from per-unit contrasts without refitting;
the loop refits the TWFE model for every effect and draw. The loop is timed on a subset of the
10,000 fits (``--fits N``, default 300) and scaled up, unless ``--full``; the first fits are
checked against vrueval's numbers for the same draws.

The staggered case times ``vrueval.power.staggered`` (Callaway & Sant'Anna, two cohorts of 16
and 2 areas 8 quarters apart, 20 post quarters, never-treated comparators, random placebo
cohorts at random dates) on the same panel against refitting ``ve.CallawaySantAnna`` on a long
frame for every effect and draw (``--staggered-fits``, default 40, scaled up), checking the
refits' ``att`` and standard error against the draws'.

Run (threads pinned to 1 below)::

    .venv/bin/python benchmarks/bench_power.py [--fits 300 | --full] [--design did|staggered]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd

import vrueval as ve
from vrueval.power import simulate

N_UNITS, N_PERIODS, N_TREATED, POST = 43, 80, 18, 20
N_SIMS, SEED = 1000, 20191003
EFFECTS = np.linspace(-0.25, 0.0, 10)


def panel(seed: int = 7) -> ve.Panel:
    rng = np.random.default_rng(seed)
    codes = [a.code for a in ve.areas.forces()][:N_UNITS]
    periods = pd.period_range("2000Q1", periods=N_PERIODS, freq="Q")
    level = rng.uniform(150, 500, N_UNITS)
    shock = rng.normal(0, 10, N_PERIODS)
    u = np.zeros((N_UNITS, N_PERIODS))
    eps = rng.normal(0, 20, (N_UNITS, N_PERIODS))
    for t in range(N_PERIODS):
        u[:, t] = (0.6 * u[:, t - 1] if t else 0) + eps[:, t]
    y = level[:, None] + shock[None, :] + u
    frame = pd.DataFrame(
        {
            "unit": np.repeat(codes, N_PERIODS),
            "period": np.tile(periods.astype(str), N_UNITS),
            "outcome": "y",
            "value": y.ravel(),
            "population": 1e6,
        }
    )
    return ve.Panel.from_frame(frame, frequency="quarter", measure="count")


def ours(p: ve.Panel) -> ve.power.PowerResult:
    return ve.power.did(
        p, "y", n_treated=N_TREATED, post=POST, n_sims=N_SIMS, seed=SEED, effects=EFFECTS
    )


def loop_fits(p: ve.Panel, n_fits: int) -> tuple[float, list[tuple[float, float]]]:
    """Refit PanelOLS for the first ``n_fits`` (effect, draw) pairs; seconds and (b, se)."""
    from linearmodels.panel import PanelOLS

    wide = p.wide("y")
    y = wide.to_numpy().T  # units x periods
    pre = (N_PERIODS - POST) // 2
    rng = np.random.default_rng(SEED)  # the same draws as vrueval.power.did
    treated, control = simulate.placebo_sets(N_UNITS, N_TREATED, None, N_SIMS, rng)
    starts = simulate.placebo_starts(N_PERIODS, pre, POST)
    first = starts[rng.integers(0, len(starts), size=N_SIMS)]
    width = pre + POST
    out = []
    t0 = time.perf_counter()
    done = 0
    for effect in EFFECTS:
        for s in range(N_SIMS):
            if done == n_fits:
                return time.perf_counter() - t0, out
            cols = slice(first[s], first[s] + width)
            keep = treated[s] | control[s]
            block = y[keep, cols].copy()
            d = np.zeros_like(block)
            d[treated[s][keep], pre:] = 1.0
            block = block * (1 + effect * d)
            idx = pd.MultiIndex.from_product([np.flatnonzero(keep), np.arange(width)])
            frame = pd.DataFrame({"y": block.ravel(), "d": d.ravel()}, index=idx)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = PanelOLS(frame["y"], frame[["d"]], entity_effects=True, time_effects=True)
                res = fit.fit(cov_type="clustered", cluster_entity=True)
            out.append((float(res.params["d"]), float(res.std_errors["d"])))
            done += 1
    return time.perf_counter() - t0, out


COHORTS = {"2010Q1": 16, "2012Q1": 2}  # only the 8-quarter gap matters: dates are placebo


def ours_staggered(p: ve.Panel) -> ve.power.PowerResult:
    return ve.power.staggered(
        p, "y", cohorts=COHORTS, post=POST, n_sims=N_SIMS, seed=SEED, effects=EFFECTS
    )


def loop_staggered(
    p: ve.Panel, res: ve.power.PowerResult, n_fits: int
) -> tuple[float, list[tuple[float, float]]]:
    """Refit ve.CallawaySantAnna on a long frame for the first ``n_fits`` (effect, draw) pairs,
    on the draws ``res`` made (its placebo cohorts and dates); seconds and (att, se)."""
    wide = p.wide("y")
    periods = [str(q) for q in wide.index]
    y = wide.to_numpy().T  # units x periods
    units = list(wide.columns)
    info = res.draws()
    labels = list(COHORTS)
    out = []
    t0 = time.perf_counter()
    for j in range(n_fits):
        e, s = divmod(j, N_SIMS)
        d = info.iloc[s]
        starts = [periods.index(d["placebo_start"]), periods.index(d[f"start:{labels[1]}"])]
        first = np.full(len(units), 0, dtype=int)  # 0: never treated, as R did codes it
        block = y.copy()
        for start, label in zip(starts, labels, strict=True):
            rows = [units.index(u) for u in d[f"units:{label}"].split()]
            first[rows] = start + 1  # time codes 1..T
            block[rows, start:] *= 1 + EFFECTS[e]
        window = slice(starts[0] - 1, starts[0] + POST)
        sub = block[:, window]
        frame = pd.DataFrame(
            {
                "unit": np.repeat(np.arange(len(units)), sub.shape[1]),
                "t": np.tile(np.arange(window.start + 1, window.stop + 1), len(units)),
                "y": sub.ravel(),
                "g": np.repeat(first, sub.shape[1]),
            }
        )
        fit = ve.CallawaySantAnna(frame, outcome="y", unit="unit", time="t", first_treated="g")
        row = fit.fit().effects().set_index("term").loc["att"]
        out.append((float(row["estimate"]), float(row["std_error"])))
    return time.perf_counter() - t0, out


def bench_staggered(p: ve.Panel, n_fits: int, repeats: int) -> None:
    ours_staggered(p)  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = ours_staggered(p)
        times.append(time.perf_counter() - t0)
    t_ours = statistics.median(times)
    total = len(EFFECTS) * N_SIMS
    t_loop, fits = loop_staggered(p, res, n_fits)
    t_loop_full = t_loop * total / n_fits
    b_diff = se_diff = 0.0
    for j, (b, se) in enumerate(fits):
        e, s = divmod(j, N_SIMS)
        draws = res.draws(float(EFFECTS[e]))
        b_diff = max(b_diff, abs(b / draws["estimate"][s] - 1))
        se_diff = max(se_diff, abs(se / draws["std_error"][s] - 1))
    print(
        f"Staggered DiD power curve: {len(EFFECTS)} effects x {N_SIMS} draws, cohorts "
        f"{list(COHORTS.values())} 8 quarters apart, {POST} post quarters"
    )
    print(f"  vrueval.power.staggered (curve + MDE):  {t_ours:8.3f} s (median of {repeats})")
    print(
        f"  refit loop, ve.CallawaySantAnna:        {t_loop_full:8.1f} s (timed {n_fits} of "
        f"{total} fits, scaled up)"
    )
    print(f"  ratio loop / vrueval: {t_loop_full / t_ours:,.0f}x")
    print(
        f"  {len(fits)} refits: max relative ATT difference {b_diff:.1e}; max relative SE "
        f"difference {se_diff:.1e}"
    )
    print(
        f"  simulated MDE (80% power, 5% level): {res.mde_effect():+.3f}; "
        f"size at no effect {res.size['rejection_rate']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fits", type=int, default=300)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--staggered-fits", type=int, default=40)
    parser.add_argument("--design", choices=["did", "staggered", "both"], default="both")
    args = parser.parse_args()
    if args.design != "did":
        bench_staggered(panel(), args.staggered_fits, args.repeats)
        if args.design == "staggered":
            return
    total = len(EFFECTS) * N_SIMS
    n_fits = total if args.full else min(args.fits, total)
    p = panel()
    ours(p)  # warm up
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        res = ours(p)
        times.append(time.perf_counter() - t0)
    t_ours = statistics.median(times)
    t_loop, fits = loop_fits(p, n_fits)
    t_loop_full = t_loop * total / n_fits
    # the loop's first fits against vrueval's numbers for the same draws
    b_diff = se_ratio = 0.0
    for j, (b, se) in enumerate(fits[: min(50, len(fits))]):
        e, s = divmod(j, N_SIMS)
        draws = res.draws(float(EFFECTS[e]))
        b_diff = max(b_diff, abs(b - draws["estimate"][s]) / max(abs(b), 1e-12))
        se_ratio = max(se_ratio, abs(draws["std_error"][s] / se - 1))
    print(
        f"DiD power curve: {len(EFFECTS)} effects x {N_SIMS} draws, {N_UNITS} x {N_PERIODS} panel"
    )
    print(f"  vrueval.power.did (curve + MDE search): {t_ours:8.3f} s (median of {args.repeats})")
    extrap = "" if n_fits == total else f" (timed {n_fits} of {total} fits, scaled up)"
    print(f"  refit loop, linearmodels PanelOLS:      {t_loop_full:8.1f} s{extrap}")
    print(f"  ratio loop / vrueval: {t_loop_full / t_ours:,.0f}x")
    print(
        f"  first {min(50, len(fits))} fits: max relative ATT difference {b_diff:.1e}; "
        f"max |SE ratio - 1| {se_ratio:.2e} (CR1 small-sample factors differ)"
    )
    print(
        f"  simulated MDE (80% power, 5% level): {res.mde_effect():+.3f}; "
        f"size at no effect {res.size['rejection_rate']:.3f}"
    )


if __name__ == "__main__":
    main()
