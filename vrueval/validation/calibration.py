"""Monte Carlo calibration of the inference: do 95% intervals cover, do 5% tests reject 5%?

Two studies with a known truth, shared by the simulation tests (few replicates in the normal
suite, many in the slow one) and the *Methods and validation* report:

- :func:`its_coverage` - coverage of the 95% interval for an ITS level change when the errors
  are AR(1) with rho = 0.5 (n = 120 months, interruption at month 60), for naive OLS, plain
  Newey-West, the default fixed-b HAC, EWC and GLS-AR(1); :func:`its_coverage_by_term` gives
  the level and the slope change together for any rho (the slope-change study uses 0.5 and 0.8).
- :func:`did_size` - rejection rate at 5% of a DiD with no effect on 43 clusters, 18 treated,
  20 periods, AR(1) errors with rho = 0.7 and cluster heteroskedasticity, for CR1 (t with G - 1
  df), the wild cluster restricted bootstrap (Webb weights) and randomization inference.

The numbers of the long runs are recorded in ``tests/reference/inference_calibration.json`` by
``tests/reference/inference_calibration.py``; :func:`recorded` reads them.

References
----------
Bertrand, M., Duflo, E. and Mullainathan, S. (2004). How much should we trust
differences-in-differences estimates? *Quarterly Journal of Economics* 119(1), 249-275.
Lazarus, E., Lewis, D. J., Stock, J. H. and Watson, M. W. (2018). HAR inference:
recommendations for practice. *Journal of Business & Economic Statistics* 36(4), 541-559.
MacKinnon, J. G. and Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster
sizes. *Journal of Applied Econometrics* 32(2), 233-254.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vrueval.compute import pmap, streams
from vrueval.data.panel import Panel
from vrueval.designs.did.model import TwoWayFE, ols_absorbed
from vrueval.designs.its import ITS
from vrueval.inference import cluster
from vrueval.inference.randomization import ClusterBlocks, Statistic, permutation_test
from vrueval.inference.small_sample import ParamCount, cr1_factor
from vrueval.inference.wild_bootstrap import wild_cluster_bootstrap
from vrueval.reporting.report import project_root

# -- ITS: coverage under AR(1) errors -------------------------------------------------------------
ITS_N, ITS_T0, ITS_RHO = 120, 60, 0.5
# y_t = 10 + 0.05 t - 2 L_t + 0.02 S_t + e_t (L: level step at T0, S: slope after T0)
ITS_BETA = np.array([10.0, 0.05, -2.0, 0.02])

# (key, model, inference, fit options); "hac" is the library default (whatever it is)
ITS_VARIANTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("naive", "ols", "classical", {}),
    ("nw_plain", "ols", "hac", {"hac_lag": "nw1994", "hac_fixed_b": False}),
    ("hac", "ols", "hac", {}),
    ("ewc", "ols", "hac", {"hac_kernel": "ewc"}),
    ("gls", "gls", "model", {}),
]
ITS_LABELS = {
    "naive": "OLS, classical standard errors",
    "nw_plain": "OLS, plain Newey-West (lag 4, no fixed-b)",
    "hac": "OLS, default HAC (Bartlett, fixed-b)",
    "ewc": "OLS, EWC (fixed-b)",
    "gls": "GLS with AR(1) errors (REML)",
}


def _its_panel(y: np.ndarray) -> Panel:
    frame = pd.DataFrame(
        {
            "unit": "West Midlands",
            "period": pd.period_range("2010-01", periods=ITS_N, freq="M"),
            "outcome": "y",
            "value": y,
        }
    )
    return Panel.from_frame(frame, frequency="month", measure="score", geography="region")


def its_coverage(reps: int, seed: int) -> dict[str, float]:
    """Share of ``reps`` simulated series whose 95% interval covers the true level change
    (rho = 0.5; the same draws as :func:`its_coverage_by_term` with that seed)."""
    return its_coverage_by_term(reps, seed, ITS_RHO)["level_change"]


ITS_TERMS = ("level_change", "slope_change")
ITS_RHOS = (0.5, 0.8)  # the slope-change study: moderate and strong autocorrelation


def its_coverage_by_term(reps: int, seed: int, rho: float = ITS_RHO) -> dict[str, dict[str, float]]:
    """Coverage of the 95% intervals of the level change and the slope change, by method.

    The model of :func:`its_coverage` (n = 120, interruption at t = 60) with AR(1) errors of
    coefficient ``rho`` (stationary start, unit innovation variance). Returns
    ``{term: {method key: coverage}}``; both terms come from the same fits. Replicate ``r``
    draws from stream ``r`` of ``seed`` (:func:`vrueval.compute.streams`), so the replicates
    run in parallel where :func:`vrueval.compute.using` says, with the same numbers.
    """
    t = np.arange(ITS_N)
    b = ITS_BETA
    truth = {"level_change": b[2], "slope_change": b[3]}
    mean = b[0] + b[1] * t + b[2] * (t >= ITS_T0) + b[3] * np.maximum(0, t - ITS_T0)
    interruption = str(pd.Period("2010-01", "M") + ITS_T0)

    def replicates(chunk: list[np.random.SeedSequence]) -> np.ndarray:
        hits = np.zeros((len(ITS_TERMS), len(ITS_VARIANTS)), dtype=np.int64)
        for stream in chunk:
            rng = np.random.default_rng(stream)
            e = np.empty(ITS_N)
            e[0] = rng.normal() / np.sqrt(1 - rho**2)
            z = rng.normal(size=ITS_N)
            for i in range(1, ITS_N):
                e[i] = rho * e[i - 1] + z[i]
            panel = _its_panel(mean + e)
            for v, (_, model, inference, options) in enumerate(ITS_VARIANTS):
                its = ITS(panel, interruption, model=model)  # type: ignore[arg-type]
                eff = its.fit(inference, **options).effects().set_index("term")  # type: ignore[arg-type]
                for j, term in enumerate(ITS_TERMS):
                    low, high = eff.loc[term, "conf_low"], eff.loc[term, "conf_high"]
                    hits[j, v] += int(low <= truth[term] <= high)
        return hits

    hits = np.sum(pmap(replicates, _chunks(streams(seed, reps)), desc="ITS replicates"), axis=0)
    return {
        term: {key: float(hits[j, v]) / reps for v, (key, *_) in enumerate(ITS_VARIANTS)}
        for j, term in enumerate(ITS_TERMS)
    }


def _chunks(items: list[Any], size: int = 25) -> list[list[Any]]:
    """Replicates in tasks of ``size`` (each keeps its own stream, so the size moves nothing)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def its_slope_coverage_table(
    study: dict[float, dict[str, dict[str, float]]], reps: int
) -> pd.DataFrame:
    """Coverage of level and slope changes by method and rho, with Monte Carlo s.e.

    ``study`` maps rho to the output of :func:`its_coverage_by_term` (e.g. the ``coverage``
    entry of ``recorded()["its_slope_coverage"]``, whose keys are rho as text).
    """
    rows = []
    for rho, by_term in study.items():
        for key in ITS_LABELS:
            row: dict[str, Any] = {"method": ITS_LABELS[key], "rho": float(rho)}
            for term in ITS_TERMS:
                rate = by_term[term][key]
                row[term] = rate
                row[f"{term}_mc_se"] = monte_carlo_se(rate, reps)
            rows.append(row)
    return pd.DataFrame(rows).assign(reps=reps)


# -- DiD: size with few clusters ------------------------------------------------------------------
DID_UNITS, DID_TREATED, DID_PERIODS, DID_START, DID_RHO = 43, 18, 20, 16, 0.7
DID_LABELS = {
    "cr1": "CR1 cluster-robust, t with G - 1 df",
    "wild": "Wild cluster restricted bootstrap (Webb)",
    "randomization": "Randomization inference, studentised (CR1 t; the default)",
    "randomization_coef": "Randomization inference on the coefficient",
}


def did_size(reps: int, seed: int, draws: int = 399, permutations: int = 399) -> dict[str, float]:
    """Rejection rates at 5% under no effect: CR1, WCR bootstrap (Webb weights) and RI on the
    CR1 t (studentised, :class:`vrueval.DiD`'s default) and on the coefficient.

    Replicate ``r`` draws its data from stream ``r`` of ``seed`` (:func:`vrueval.compute.streams`)
    and seeds its bootstrap and permutations with ``seed * 100_000 + r``, so the replicates run
    in parallel where :func:`vrueval.compute.using` says, with the same numbers.
    """
    unit = np.repeat(np.arange(DID_UNITS), DID_PERIODS)
    period = np.tile(np.arange(DID_PERIODS), DID_UNITS)
    after = period >= DID_START
    fe = TwoWayFE(unit, period)
    cols = np.zeros((len(unit), DID_UNITS))
    cols[np.arange(len(unit)), unit] = after
    q_cols = fe.absorb_star(cols)
    gram = q_cols.T @ q_cols
    count = ParamCount.two_way(DID_UNITS, DID_PERIODS, 1)
    factor = float(cr1_factor("fixest", n_obs=len(unit), n_clusters=DID_UNITS, count=count))
    crit = stats.t.ppf(0.975, DID_UNITS - 1)
    keys = ("cr1", "wild", "randomization", "randomization_coef")

    def replicates(chunk: list[tuple[int, np.random.SeedSequence]]) -> np.ndarray:
        hits = np.zeros(len(keys), dtype=np.int64)
        for r, stream in chunk:
            rng = np.random.default_rng(stream)
            treated = np.zeros(DID_UNITS)
            treated[rng.choice(DID_UNITS, DID_TREATED, replace=False)] = 1
            d = treated[unit] * after
            e = np.empty((DID_UNITS, DID_PERIODS))
            e[:, 0] = rng.normal(size=DID_UNITS) / np.sqrt(1 - DID_RHO**2)
            for t in range(1, DID_PERIODS):
                e[:, t] = DID_RHO * e[:, t - 1] + rng.normal(size=DID_UNITS)
            # heteroskedastic across units, with unit and period effects; no treatment effect
            scale = rng.uniform(0.5, 2.0, DID_UNITS)[:, None]
            y = (
                rng.normal(size=DID_UNITS)[:, None] + np.linspace(0, 1, DID_PERIODS) + scale * e
            ).ravel()
            fit = ols_absorbed(fe, y, d)
            cov = cluster.cr1(
                fit.x * fit.resid[:, None], fit.xtx_inv, unit, n_obs=len(y), count=count
            )
            hits[0] += int(abs(fit.coef[0] / np.sqrt(cov.vcov[0, 0])) > crit)
            wb = wild_cluster_bootstrap(
                fit.x[:, 0],
                fit.y,
                unit,
                fe.absorb_star,
                draws=draws,
                weights="webb",
                seed=seed * 100_000 + r,
                small_sample=factor,
                conf_int=False,
            )
            hits[1] += int(wb.p_value < 0.05)
            blocks = ClusterBlocks.from_columns(q_cols, fit.y, unit)
            statistics: tuple[Statistic, ...] = ("t", "coefficient")
            for k, statistic in enumerate(statistics, start=2):
                ri = permutation_test(
                    q_cols.T @ fit.y,
                    gram,
                    treated,
                    permutations=permutations,
                    seed=seed * 100_000 + r,
                    conf_int=False,
                    statistic=statistic,
                    blocks=blocks,
                )
                hits[k] += int(ri.p_value < 0.05)
        return hits

    tasks = _chunks(list(enumerate(streams(seed, reps))))
    hits = np.sum(pmap(replicates, tasks, desc="DiD replicates"), axis=0)
    return {key: float(hits[k]) / reps for k, key in enumerate(keys)}


# -- tables ----------------------------------------------------------------------------------------
def monte_carlo_se(rate: float, reps: int) -> float:
    """Binomial standard error of a simulated rate."""
    return float(np.sqrt(rate * (1 - rate) / reps))


def its_coverage_table(coverage: dict[str, float], reps: int) -> pd.DataFrame:
    """Coverage by method with its Monte Carlo standard error (target 0.95)."""
    return pd.DataFrame(
        {
            "method": [ITS_LABELS[k] for k in coverage],
            "coverage": list(coverage.values()),
            "mc_se": [monte_carlo_se(c, reps) for c in coverage.values()],
            "reps": reps,
        }
    )


def did_size_table(rates: dict[str, float], reps: int) -> pd.DataFrame:
    """Rejection rate at 5% by method with its Monte Carlo standard error (target 0.05)."""
    return pd.DataFrame(
        {
            "method": [DID_LABELS[k] for k in rates],
            "rejection_rate": list(rates.values()),
            "mc_se": [monte_carlo_se(r, reps) for r in rates.values()],
            "reps": reps,
        }
    )


def recorded(folder: Path | str | None = None) -> dict[str, Any]:
    """The long runs recorded in ``inference_calibration.json`` (settings, date, command)."""
    folder = Path(folder) if folder is not None else project_root() / "tests" / "reference"
    data: dict[str, Any] = json.loads((folder / "inference_calibration.json").read_text())
    return data


def plot_rates(table: pd.DataFrame, column: str, target: float, title: str, ax: Any = None) -> Any:
    """Simulated rates by method with 95% Monte Carlo intervals and the target as a line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 * len(table) + 1.2))
    y = np.arange(len(table))[::-1]
    half = 1.96 * table["mc_se"].to_numpy()
    ax.errorbar(table[column], y, xerr=half, fmt="o", color="#1f4e79", capsize=3)
    ax.axvline(target, color="#c0392b", linestyle="--", linewidth=1)
    ax.set_yticks(y, table["method"])
    ax.set_title(title, loc="left", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return ax


def side_by_side(
    live: dict[str, float],
    live_reps: int,
    long: dict[str, float],
    long_reps: int,
    labels: dict[str, str],
) -> pd.DataFrame:
    """A short run next to the long run (both recorded), each as 'rate (Monte Carlo s.e.)'."""

    def cell(rate: float, reps: int) -> str:
        return f"{rate:.3f} ({monte_carlo_se(rate, reps):.3f})"

    return pd.DataFrame(
        {
            "Method": [labels[k] for k in long],
            f"Short run ({live_reps:,} reps)": [cell(live[k], live_reps) for k in long],
            f"Long run ({long_reps:,} reps)": [cell(long[k], long_reps) for k in long],
        }
    )
