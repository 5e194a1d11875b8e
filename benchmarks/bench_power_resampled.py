"""DiD power under the wild cluster bootstrap: 10 effect sizes x 1,000 simulations x 999 bootstrap
draws on a 43 x 80 panel, against refitting the bootstrap test for every simulated dataset.

The panel and the placebo draws are those of ``bench_power.py`` (simulated: unit and period
effects, AR(1) errors). vrueval computes every draw's bootstrap p-value at every effect from
per-unit contrasts (:mod:`vrueval.power.resampled`); the loops refit the TWFE model and bootstrap
it for each (effect, draw) pair:

* pyfixest ``Feols.wildboottest`` (WCR, Webb weights, 999 draws; pyfixest is the fastest peer on
  one bootstrap test in ``bench_did_inference.py``);
* vrueval's own ``DiD(...).fit("wild")``, the per-dataset path the vectorised study replaces.

The loops are timed on a subset (``--fits N``, default 30) and scaled to the 10,000 pairs; the
first pairs' p-values are compared with vrueval's (Monte Carlo error only: different weights).
Randomization inference with 999 re-assignments is timed beside it.

Run with the peers' environment (``make bench-env``; threads pinned to 1 below)::

    .venv-bench/bin/python benchmarks/bench_power_resampled.py [--fits 30]
"""

from __future__ import annotations

import pinned  # noqa: F401  (first: one thread for BLAS and numba)

# isort: split

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_power import EFFECTS, N_PERIODS, N_SIMS, N_TREATED, N_UNITS, POST, SEED, panel

import vrueval as ve
from vrueval.power import simulate

DRAWS = 999


def ours(p: ve.Panel, inference: str) -> ve.power.PowerResult:
    return ve.power.did(
        p,
        "y",
        n_treated=N_TREATED,
        post=POST,
        n_sims=N_SIMS,
        seed=SEED,
        effects=EFFECTS,
        inference=inference,  # type: ignore[arg-type]
        draws=DRAWS,
        permutations=DRAWS,
        boot_weights="webb",
    )


def datasets(p: ve.Panel, n_fits: int) -> list[tuple[int, int, pd.DataFrame]]:
    """About ``n_fits`` (effect, draw) datasets of the study (the first draws at every
    effect), as long frames."""
    y = p.wide("y").to_numpy().T
    pre = (N_PERIODS - POST) // 2
    rng = np.random.default_rng(SEED)  # the same draws as vrueval.power.did
    treated, control = simulate.placebo_sets(N_UNITS, N_TREATED, None, N_SIMS, rng)
    starts = simulate.placebo_starts(N_PERIODS, pre, POST)
    first = starts[rng.integers(0, len(starts), size=N_SIMS)]
    out = []
    per_effect = max(1, n_fits // len(EFFECTS))  # spread over the effects: p-values vary
    for e, effect in enumerate(EFFECTS):
        for s in range(per_effect):
            cols = slice(first[s], first[s] + pre + POST)
            keep = treated[s] | control[s]
            block = y[keep, cols]
            d = np.zeros_like(block)
            d[treated[s][keep], pre:] = 1.0
            units = np.repeat(np.flatnonzero(keep), pre + POST)
            periods = np.tile(np.arange(pre + POST), int(keep.sum()))
            frame = pd.DataFrame(
                {"unit": units, "period": periods, "y": (block * (1 + effect * d)).ravel()}
            )
            frame["D"] = d.ravel()
            out.append((e, s, frame))
    return out


def time_loop(
    fits: list[tuple[int, int, pd.DataFrame]], fn: Callable[[pd.DataFrame], float]
) -> tuple[float, list[float]]:
    t0 = time.perf_counter()
    p_values = [fn(frame) for _, _, frame in fits]
    return time.perf_counter() - t0, p_values


def pyfixest_p(frame: pd.DataFrame) -> float:
    import pyfixest as pf

    fit = pf.feols("y ~ D | unit + period", data=frame, vcov={"CRV1": "unit"})
    out = fit.wildboottest(param="D", reps=DRAWS, cluster="unit", weights_type="webb", seed=2)
    return float(out["Pr(>|t|)"])


def vrueval_refit_p(frame: pd.DataFrame) -> float:
    from vrueval.designs.did.model import TwoWayFE, ols_absorbed
    from vrueval.inference.wild_bootstrap import wild_cluster_bootstrap

    unit = np.unique(frame["unit"].to_numpy(), return_inverse=True)[1]
    period = frame["period"].to_numpy()
    fe = TwoWayFE(unit, period)
    fit = ols_absorbed(fe, frame["y"].to_numpy(), frame["D"].to_numpy())
    res = wild_cluster_bootstrap(
        fit.x[:, 0],
        fit.y,
        unit,
        fe.absorb_star,
        draws=DRAWS,
        weights="webb",
        seed=3,
        conf_int=False,
    )
    return float(res.p_value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fits", type=int, default=30)
    args = parser.parse_args()
    total = len(EFFECTS) * N_SIMS
    p = panel()
    warnings.simplefilter("ignore")
    timings = {}
    results = {}
    for inference in ("wild", "randomization", "cr1"):
        t0 = time.perf_counter()
        results[inference] = ours(p, inference)
        timings[inference] = time.perf_counter() - t0
    fits = datasets(p, args.fits)
    pyfixest_p(fits[0][2])  # warm up (numba compilation)
    t_pf, p_pf = time_loop(fits, pyfixest_p)
    t_ve, p_ve = time_loop(fits, vrueval_refit_p)
    scale = total / len(fits)
    print(
        f"DiD power under the wild bootstrap: {len(EFFECTS)} effects x {N_SIMS} draws x "
        f"{DRAWS} bootstrap draws, {N_UNITS} x {N_PERIODS} panel"
    )
    print(f"  vrueval.power.did(inference='wild') (curve + MDE): {timings['wild']:8.2f} s")
    print(f"  vrueval.power.did(inference='randomization'):      {timings['randomization']:8.2f} s")
    print(f"  vrueval.power.did(inference='cr1'):                {timings['cr1']:8.2f} s")
    for name, t_loop in (("pyfixest wildboottest", t_pf), ("vrueval DiD refit", t_ve)):
        full = t_loop * scale
        print(
            f"  refit loop, {name:22s} {full:9.0f} s (timed {len(fits)} of {total}, scaled up); "
            f"ratio loop / vrueval: {full / timings['wild']:,.0f}x"
        )
    wild = results["wild"]
    ours_p = [wild.draws(float(EFFECTS[e]))["p_value"].iloc[s] for e, s, _ in fits]
    diff = np.abs(np.asarray(ours_p) - np.asarray(p_pf))
    print(
        f"  p-values of the first {len(fits)} datasets, vrueval vs pyfixest: max |diff| "
        f"{diff.max():.3f} (independent bootstraps: sd of a diff <= {np.sqrt(0.5 / DRAWS):.3f})"
    )
    print(
        f"  simulated MDE (80% power, 5%): wild {wild.mde_effect():+.3f}, "
        f"randomization {results['randomization'].mde_effect():+.3f}, "
        f"CR1 {results['cr1'].mde_effect():+.3f}"
    )
    diff_ve = np.abs(np.asarray(ours_p) - np.asarray(p_ve))
    print(f"  ... vrueval vectorised vs vrueval refit: max |diff| {diff_ve.max():.3f}")


if __name__ == "__main__":
    main()
