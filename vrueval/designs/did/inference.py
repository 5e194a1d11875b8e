"""Turning a fitted DiD model into an effects table under the chosen inference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from vrueval.designs.did.model import OLSFit, TwoWayFE
from vrueval.designs.did.regressors import Clustering
from vrueval.inference import cluster, randomization, wild_bootstrap
from vrueval.inference.draws import attainable_p_warning, counted_p_warnings
from vrueval.inference.intervals import wald_table
from vrueval.inference.small_sample import (
    DEFAULT_SMALL_SAMPLE,
    ParamCount,
    SmallSample,
    cr1_factor,
)

Inference = Literal["cr1", "cr2", "wild", "randomization"]
INFERENCES: tuple[str, ...] = get_args(Inference)


def param_count(fe: TwoWayFE, k: int) -> ParamCount:
    """The parameters of a TWFE fit with ``k`` coefficients: N unit effects (nested in the unit
    clusters), T - 1 period effects."""
    return ParamCount.two_way(fe.n_units, fe.n_periods, k)


def covariance(
    fit: OLSFit,
    fe: TwoWayFE,
    clusters: np.ndarray | Clustering,
    kind: str,
    small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
) -> cluster.ClusterCovariance:
    """CR1 (with the ``small_sample`` rule; two-way where ``clusters`` has two dimensions) or
    CR2 covariance of an absorbed OLS fit. ``clusters`` is one array of labels (unit
    clusters, effects counted as nested) or a :class:`Clustering`."""
    how = _clustering(clusters, fe)
    if kind == "cr2":
        return cluster.cr2(fit.x, fit.resid, how.one_way, fe.absorb_star, fe.weights)
    return cluster.cr1_multiway(
        fit.x * fit.resid[:, None],
        fit.xtx_inv,
        how.codes,
        n_obs=len(fit.y),
        count=how.count(fe, fit.x.shape[1]),
        small_sample=small_sample,
    )


def _clustering(clusters: np.ndarray | Clustering, fe: TwoWayFE) -> Clustering:
    if isinstance(clusters, Clustering):
        return clusters
    return Clustering(("unit",), (np.asarray(clusters),), True, False)


def vcov_table(
    terms: list[str],
    coef: np.ndarray,
    cov: cluster.ClusterCovariance,
    level: float,
    log_link: bool = False,
    constant: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Wald rows from a cluster covariance (per-coefficient t degrees of freedom); ``constant``
    as in :func:`~vrueval.inference.intervals.wald_table`."""
    se = np.sqrt(np.diag(cov.vcov))
    df = np.asarray(cov.df, dtype=float)
    if len(df) and (df == df[0]).all():  # one df for every term: one table, no concat
        return wald_table(
            terms, coef, se, level=level, df=float(df[0]), log_link=log_link, constant=constant
        )
    rows = [
        wald_table([t], [b], [s], level=level, df=float(d), log_link=log_link, constant=constant)
        for t, b, s, d in zip(terms, coef, se, cov.df, strict=True)
    ]
    return pd.concat(rows, ignore_index=True)


def wild_table(
    terms: list[str],
    fit: OLSFit,
    fe: TwoWayFE,
    clusters: np.ndarray | Clustering,
    *,
    level: float,
    seed: int | None,
    draws: int,
    weights: wild_bootstrap.BootWeights,
    small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """One WCR bootstrap per term (the other terms partialled out), same draws for each; the
    reported standard errors are CR1 under ``small_sample``.

    Returns the table, the bootstrap's diagnostics and the warnings the result must carry: a
    p-value within Monte Carlo error of ``1 - level``, or an enumeration of Rademacher sign
    patterns too small to reject at ``level`` (:mod:`vrueval.inference.draws`).
    """
    how = _clustering(clusters, fe)
    cov = covariance(fit, fe, how, "cr1", small_sample)
    table = vcov_table(terms, fit.coef, cov, level)
    factor = float(
        cr1_factor(
            small_sample,
            n_obs=len(fit.y),
            n_clusters=cov.n_clusters,
            count=how.count(fe, fit.x.shape[1]),
        )
    )
    info: dict[str, Any] = {}
    for j in range(len(terms)):
        others = np.delete(fit.x, j, axis=1)
        res = wild_bootstrap.wild_cluster_bootstrap(
            fit.x[:, j],
            fit.y,
            how.one_way,
            fe.absorb_star,
            others=others if others.shape[1] else None,
            draws=draws,
            weights=weights,
            seed=seed,
            level=level,
            small_sample=factor,
        )
        table.loc[j, ["conf_low", "conf_high", "p_value"]] = [
            res.conf_low,
            res.conf_high,
            res.p_value,
        ]
        info = {"bootstrap_draws": res.draws, "bootstrap_enumerated": res.enumerated}
    table["df"] = np.nan
    warnings: list[str] = []
    if info.get("bootstrap_enumerated"):
        # the all-ones pattern reproduces the observed t and its negation mirrors it
        what = f"{cov.n_clusters} clusters allow {info['bootstrap_draws']} Rademacher sign patterns"
        floor = attainable_p_warning(2, int(info["bootstrap_draws"]), level, what)
        warnings += [floor] if floor is not None else []
    elif info:
        warnings += counted_p_warnings(
            table["term"], table["p_value"], int(info["bootstrap_draws"]), level
        )
    return table, info, warnings


def randomization_table(
    term: str,
    fit: OLSFit,
    fe: TwoWayFE,
    clusters: np.ndarray | Clustering,
    unit_code: np.ndarray,
    after: np.ndarray,
    assignment: np.ndarray,
    *,
    level: float,
    seed: int | None,
    permutations: int,
    statistic: randomization.Statistic = "t",
    small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """Permute the unit-level assignment; std_error stays the CR1 one for reference.

    ``statistic`` "t" compares the CR1 t recomputed under each re-assignment (studentised),
    "coefficient" the estimate. Returns the table, diagnostics and the warnings the result must
    carry (a sampled p-value within Monte Carlo error of ``1 - level``; the attainable-p floor of
    an exact enumeration is checked with the clusters, by
    :func:`vrueval.inference.few_clusters.check`). With more columns than the treatment
    (covariates, which do not depend on the assignment), they are partialled out with the
    effects before permuting (Frisch-Waugh-Lovell); ``fit`` has the treatment first.
    """
    how = _clustering(clusters, fe)
    n_units = len(assignment)
    cols = np.zeros((len(unit_code), n_units))
    cols[np.arange(len(unit_code)), unit_code] = after.astype(float)
    # the other columns (absorbed already): projecting them off completes the FWL step
    others = fit.x[:, 1:]
    proj = np.linalg.pinv(others.T @ others, hermitian=True) if others.shape[1] else None

    def off_others(m: np.ndarray) -> np.ndarray:
        return m if proj is None else m - others @ (proj @ (others.T @ m))

    y = off_others(fit.y)
    q_cols = off_others(fe.absorb_star(fe.star(cols)))
    blocks = (
        randomization.ClusterBlocks.from_columns(q_cols, y, how.one_way)
        if statistic == "t"
        else None
    )
    res = randomization.permutation_test(
        q_cols.T @ y,
        q_cols.T @ q_cols,
        assignment,
        permutations=permutations,
        seed=seed,
        level=level,
        statistic=statistic,
        blocks=blocks,
    )
    cov = covariance(fit, fe, how, "cr1", small_sample)
    table = vcov_table([term], fit.coef[:1], _first(cov), level)
    table.loc[0, ["conf_low", "conf_high", "p_value"]] = [res.conf_low, res.conf_high, res.p_value]
    table["df"] = np.nan
    warnings = (
        [] if res.exact else counted_p_warnings([term], [res.p_value], res.assignments, level)
    )
    return (
        table,
        {
            "permutation_assignments": res.assignments,
            "permutation_exact": res.exact,
            "permutation_statistic": res.statistic,
        },
        warnings,
    )


def _first(cov: cluster.ClusterCovariance) -> cluster.ClusterCovariance:
    """The covariance of the first coefficient alone."""
    return replace(cov, vcov=cov.vcov[:1, :1], df=cov.df[:1])


def wald_pretrend(
    coef: np.ndarray, vcov: np.ndarray, idx: list[int], terms: list[str], df2: float
) -> dict[str, Any]:
    """Joint test that the lead coefficients are zero, with the Hotelling small-sample scaling.

    ``W = b'V^-1 b`` uses a cluster-robust ``V`` estimated from only ``G = df2 + 1`` clusters;
    compared with F(q, G-1) it rejects a true null far too often when q is a sizeable share of G
    (17-19% at 5% with 12 leads and 40 forces in simulation). Treating ``V`` as a Wishart-like
    estimate on G-1 degrees of freedom gives Hotelling's ``F = W (G-q) / (q (G-1))`` on
    (q, G-q), which holds its size there (Pustejovsky & Tipton 2018 discuss the general case).
    """
    b = coef[idx]
    v = vcov[np.ix_(idx, idx)]
    q = len(idx)
    g = df2 + 1
    if g - q < 1:
        raise ValueError(f"{q} leads cannot be tested jointly with {g:.0f} clusters; bin more")
    wald = float(b @ np.linalg.solve(v, b))
    f = wald * (g - q) / (q * (g - 1))
    return {
        "statistic": f,
        "df1": q,
        "df2": g - q,
        "p_value": float(stats.f.sf(f, q, g - q)),
        "wald": wald,
        "terms": [terms[i] for i in idx],
        "test": "Hotelling-scaled Wald F, leads jointly zero",
    }
