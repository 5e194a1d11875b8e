"""Monte Carlo calibration of the synthetic designs' inference on panels shaped like the VRU
force panels: 43 units, 14 years (9 before the start, 5 after), one or 18 treated units.

The panel: ``y_it = a_i + b_t + u_it (+ tau for treated units after the start)`` with unit
effects ``a_i ~ N(0, 3^2)``, a random-walk time effect ``b_t`` (steps ``N(0, 1)``), and AR(1)
errors ``u_it = rho u_i,t-1 + e_it`` (``rho = 0.5``, ``e ~ N(0, 1)``, stationary start). Units
are drawn alike, so which is treated is as good as random: the in-space placebo test is exact
and the placebo variance's homoskedasticity across units holds.

Studies (one replicate a panel, each from its own seeded stream through
:func:`vrueval.compute.pmap`, so any number of jobs gives the same numbers):

* ``sc_placebo_size`` -- one treated unit, no effect: how often
  ``ve.SyntheticControl(...).fit(inference="placebo")`` rejects at 10% by its RMSPE-ratio rank
  p-value. With 42 placebos it can reject only when the rank is 1..4 of 43: exact size
  4/43 = 0.093 (Abadie, Diamond and Hainmueller 2010; a permutation test).
* ``sdid_coverage`` -- effect 1: coverage of the 95% interval of ``att`` of
  ``ve.SyntheticDiD`` with the placebo variance (one and 18 treated) and the jackknife
  (18 treated; with one treated it is refused, Arkhangelsky et al. 2021, section 5), and of
  the ``att:unit`` placebo intervals (18 treated: every unit's interval, pooled).
* ``conformal_coverage`` -- one treated unit, effect 1: coverage of the 90% conformal set for
  a constant effect (``att``, moving-block, 14 cyclic shifts: it can reject only when the
  statistic ranks first, so its size is at most 1/14 and coverage at least 13/14 = 0.929),
  and how often the pointwise sets for one year are unbounded (10 shifts: they can never reject
  at 10%, and the design warns so).

Recorded by ``tests/reference/synthetic_calibration.py`` in
``tests/reference/synthetic_calibration.json``; the slow tests in
``tests/test_synthetic_calibration.py`` rerun fewer replicates.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from vrueval.compute import pmap

UNITS, YEARS, PRE, RHO, EFFECT = 43, 14, 9, 0.5, 1.0


def panel(rng: np.random.Generator, n_treated: int, effect: float) -> pd.DataFrame:
    """One simulated panel (long: unit, year, y, treated), treated units last."""
    a = rng.normal(0.0, 3.0, UNITS)
    b = np.cumsum(rng.normal(0.0, 1.0, YEARS))
    e = rng.normal(size=(UNITS, YEARS))
    u = np.empty_like(e)
    u[:, 0] = e[:, 0] / np.sqrt(1 - RHO**2)
    for t in range(1, YEARS):
        u[:, t] = RHO * u[:, t - 1] + e[:, t]
    y = 20.0 + a[:, None] + b[None, :] + u
    treated = np.zeros((UNITS, YEARS), dtype=int)
    treated[UNITS - n_treated :, PRE:] = 1
    y = y + effect * treated
    units = [f"u{i:02d}" for i in range(UNITS)]
    return pd.DataFrame(
        {
            "unit": np.repeat(units, YEARS),
            "year": np.tile(np.arange(2010, 2010 + YEARS), UNITS),
            "y": y.ravel(),
            "treated": treated.ravel(),
        }
    )


def _covers(row: pd.Series, truth: float) -> bool:
    return bool(row["conf_low"] <= truth <= row["conf_high"])


def _sc_placebo(_: int, rng: np.random.Generator) -> dict[str, float]:
    import vrueval as ve

    frame = panel(rng, 1, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ve.SyntheticControl(
            frame, unit="unit", time="year", outcome="y", treated="treated"
        ).fit(inference="placebo")
    return {"p_value": float(res.effects()["p_value"].iloc[0])}


def _sdid(n_treated: int, rng: np.random.Generator, draws: int) -> dict[str, Any]:
    import vrueval as ve

    frame = panel(rng, n_treated, EFFECT)
    design = ve.SyntheticDiD(frame, unit="unit", time="year", outcome="y", treated="treated")
    seed = int(rng.integers(2**31))
    out: dict[str, Any] = {}
    placebo = design.fit(inference="placebo", draws=draws, seed=seed).effects()
    out["placebo"] = _covers(placebo.iloc[0], EFFECT)
    units = placebo[placebo["term"].str.startswith("att:unit=")]
    if len(units):
        out["placebo_unit"] = float(np.mean([_covers(r, EFFECT) for _, r in units.iterrows()]))
    if n_treated > 1:
        jack = design.fit(inference="jackknife").effects()
        out["jackknife"] = _covers(jack.iloc[0], EFFECT)
    return out


def _conformal(_: int, rng: np.random.Generator) -> dict[str, Any]:
    import vrueval as ve

    frame = panel(rng, 1, EFFECT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ve.SyntheticControl(
            frame, unit="unit", time="year", outcome="y", treated="treated"
        ).fit(inference="conformal", level=0.9)
    eff = res.effects()
    year = eff.iloc[1]
    return {
        "att": _covers(eff.iloc[0], EFFECT),
        "pointwise_unbounded": bool(np.isinf(year["conf_low"]) and np.isinf(year["conf_high"])),
    }


def sc_placebo_size(reps: int, seed: int, jobs: int | None = None) -> dict[str, float]:
    """Rejection rate at 10% of the RMSPE-ratio placebo test with no effect."""
    rows = pmap(_sc_placebo, list(range(reps)), seed=seed, jobs=jobs, desc="sc placebo")
    p = np.array([r["p_value"] for r in rows])
    return {"rejection_at_0.10": float(np.mean(p <= 0.10)), "exact_size": 4 / 43}


def sdid_coverage(
    reps: int, seed: int, n_treated: int, draws: int = 100, jobs: int | None = None
) -> dict[str, float]:
    """Coverage of the 95% SDiD intervals with effect 1 (placebo; jackknife with several)."""
    rows = pmap(
        lambda task, rng: _sdid(task, rng, draws),
        [n_treated] * reps,
        seed=seed,
        jobs=jobs,
        desc=f"sdid {n_treated}",
    )
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def conformal_coverage(reps: int, seed: int, jobs: int | None = None) -> dict[str, float]:
    """Coverage of the 90% conformal constant-effect set; share of unbounded yearly sets."""
    rows = pmap(_conformal, list(range(reps)), seed=seed, jobs=jobs, desc="conformal")
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def band(rate: float, reps: int, z: float = 3.0) -> tuple[float, float]:
    """``rate +- z`` binomial standard errors for ``reps`` replicates (the Monte Carlo error)."""
    half = z * np.sqrt(rate * (1 - rate) / reps)
    return rate - half, rate + half
