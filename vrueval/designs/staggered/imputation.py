"""Borusyak, Jaravel & Spiess (2024) imputation estimator, as group-time cells.

Unit and period effects are fitted by OLS on the untreated observations only (never-treated
units, and treated units before ``g - anticipation``); each treated observation's untreated
outcome is imputed from them, ``y_it(0) = a_i + b_t``, and ``tau_it = y_it - y_it(0)``. The
cell ATT(g,t) is cohort g's mean ``tau`` in period t; every aggregate (the overall ATT over
all treated observations, the event-time effects) is the shared cohort-share aggregation of
:mod:`vrueval.designs.staggered.aggregate`, which weights each treated observation of the
aggregate equally, as Borusyak et al.'s default estimands do.

Variance: the conservative clustered estimator of their Theorem 3, ``sum_i (sum_t v_it e_it)^2``
with ``v`` the estimator's implied weights on the outcomes and, for treated observations,
``e_it = tau_it - tau_bar`` with ``tau_bar`` the cell's (cohort x period) mean (the
"cohort_horizon" partition of diff-diff, and ``did_imputation``'s default grouping); for the
untreated, the first-stage residuals. Not the leave-one-out refinement of their appendix A.9.
Conditional on the treatment timing, the cohort shares are fixed, so the aggregates add no
share-estimation term. Because ``v`` is linear in the weights, the per-unit sums of each cell
are influence functions whose fixed-weight combinations give the variance of any aggregate.

Time-varying covariates join the first stage with common slopes, fitted by Frisch-Waugh-Lovell
on the untreated observations (the two-way residuals of covariates and outcome there); the
weights of a cell on the untreated outcomes then gain ``x..(X..'X..)^-1 c`` with ``c`` the
cell's own imputation "effect" on the covariates, which enters its unit scores.

The first stage is solved through the period effects alone: eliminating the unit effects
leaves a T x T system (units of a cohort share their untreated periods), so the cost is
linear in the number of units.

References
----------
Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting event-study designs: robust and
efficient estimation. Review of Economic Studies 91(6), 3253-3285.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.staggered.aggregate import AGGREGATIONS, Aggregation
from vrueval.designs.staggered.data import StaggeredData
from vrueval.designs.staggered.estimate import (
    GroupTime,
    IdentificationError,
    check_anticipation,
    check_time_varying,
)
from vrueval.designs.staggered.options import IMPUTATION, Scale
from vrueval.designs.staggered.pipeline import (
    StaggeredDesign,
    input_settings,
    load,
    refuse_fixed_covariates,
)
from vrueval.options import OptionsTable, choice


def imputation_cells(data: StaggeredData, *, anticipation: int = 0) -> GroupTime:
    """Imputation ATT(g,t) for every treated (or anticipating) cohort-period cell.

    Cells are the periods ``t >= g - anticipation`` in which the period effect is identified
    (some unit untreated then); their influence functions are scaled so that
    ``sqrt(sum(psi^2)) / n`` is Theorem 3's conservative standard error.
    """
    k = check_anticipation(anticipation, len(data.periods))
    y = data.y
    n, n_periods = y.shape
    first = data.first
    groups = data.groups
    if len(groups) == 0:
        raise IdentificationError("no treated units")
    if groups.min() - k < 1:
        raise IdentificationError(
            "a cohort has no period before its anticipation window: drop it first "
            "(vrueval.designs.staggered.data.drop_early)"
        )
    periods = np.arange(n_periods)
    cohorts = np.unique(first)  # treated cohorts, then inf for the never treated
    member = [first == h for h in cohorts]
    untreated = np.array([periods < h - k for h in cohorts], dtype=float)  # cohorts x T
    sizes = np.array([m.sum() for m in member], dtype=float)
    n_untreated = untreated.sum(axis=1)
    count_t = sizes @ untreated
    ident = np.flatnonzero(count_t > 0)
    notes: list[str] = []
    if len(ident) < n_periods:
        notes.append(
            "no unit is untreated from "
            f"{data.labels[int(ident.max()) + 1]} on, so the period effects there, and the "
            "effects of those periods, cannot be imputed"
        )
    u = untreated[:, ident]
    s_full = np.diag(count_t[ident]) - (u * (sizes / n_untreated)[:, None]).T @ u
    unit_cohort = np.searchsorted(cohorts, first)
    u_unit = untreated[unit_cohort]  # n x T, 1 where untreated

    def two_way(values: np.ndarray) -> np.ndarray:
        """``values`` less their unit and period effects fitted on the untreated cells."""
        sums = np.array([values[m].sum(axis=0) for m in member])  # cohort totals by period
        rhs = (
            u
            * (
                sums[:, ident]
                - (u * sums[:, ident]).sum(axis=1, keepdims=True) / n_untreated[:, None]
            )
        ).sum(axis=0)
        beta = np.zeros(n_periods)
        beta[ident] = _solve_normalised(s_full, rhs[:, None])[:, 0]
        alpha = ((values - beta) * u_unit).sum(axis=1) / u_unit.sum(axis=1)
        return values - alpha[:, None] - beta[None, :]

    x = data.x
    n_cov = x.shape[2]
    # covariates by Frisch-Waugh-Lovell within the untreated cells: the slopes from the
    # covariates' and the outcome's two-way residuals there, then the two-way model of
    # y - x'gamma; tau_x is each covariate's own imputation "effect"
    tau_x = np.stack([two_way(x[:, :, c]) for c in range(n_cov)], axis=2) if n_cov else x
    x_dot = tau_x * u_unit[:, :, None]
    gamma = np.zeros(n_cov)
    if n_cov:
        flat = x_dot.reshape(-1, n_cov)
        xtx = flat.T @ flat
        check_time_varying(flat, x[u_unit.astype(bool)], data.covariates)
        gamma = np.linalg.solve(xtx, flat.T @ (two_way(y) * u_unit).ravel())
        y = y - x @ gamma
    tau = two_way(y)
    resid = tau * u_unit  # first-stage residuals, 0 at treated observations

    rows = [(int(g), int(t)) for g in groups for t in ident if t >= g - k]
    if not rows:
        raise IdentificationError("no treated cohort-period with an identified period effect")
    n_cells = len(rows)
    # the weights' first-stage solution, one column per cell: S theta = e_t - u_g / |U_g|
    rhs_cells = np.zeros((len(ident), n_cells))
    position = {int(t): i for i, t in enumerate(ident)}
    for j, (g, t) in enumerate(rows):
        c = int(np.searchsorted(cohorts, g))
        rhs_cells[position[t], j] += 1.0
        rhs_cells[:, j] -= u[c] / n_untreated[c]
    theta = _solve_normalised(s_full, rhs_cells)
    inf = np.asfortranarray(-(resid[:, ident] @ theta))
    att = np.zeros(n_cells)
    n_t = np.zeros(n_cells, dtype=int)
    slopes = np.zeros((n_cells, n_cov))
    for j, (g, t) in enumerate(rows):
        m = first == g
        n_t[j] = int(m.sum())
        att[j] = tau[m, t].mean()
        inf[m, j] += (tau[m, t] - att[j]) / n_t[j]
        slopes[j] = tau_x[m, t].mean(axis=0)
    if n_cov:
        # a cell's weights on the untreated outcomes also move with gamma: each unit's score
        # loses (the cell's covariate "effect")' (X'X)^-1 sum_t x_dot_it e_it
        score = np.einsum("itk,it->ik", x_dot, resid)
        adjust = np.linalg.solve(xtx, slopes.T)
        for lo in range(0, n_cells, n_periods):  # in blocks: no second n x cells array
            inf[:, lo : lo + n_periods] -= score @ adjust[:, lo : lo + n_periods]
    inf *= n
    return GroupTime(
        group=np.array([r[0] for r in rows], dtype=int),
        time=np.array([r[1] for r in rows], dtype=int),
        base=np.array([r[0] - k - 1 for r in rows], dtype=int),
        att=att,
        inf=inf,
        n_treated=n_t,
        n_control=np.array([int(count_t[t]) for _, t in rows]),
        reference=np.zeros(n_cells, dtype=bool),
        notes=tuple(notes),
        share_variance=False,
        anticipation=k,
        covariate_slopes=tuple(float(v) for v in gamma),
    )


def _solve_normalised(s: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the singular period-effects system with the first period's effect fixed at 0.

    The system's null space is the constant vector (a common shift moves into the unit
    effects), and every right-hand side here sums to zero, so fixing one effect loses nothing.
    A further singularity means the untreated observations do not connect the periods.
    """
    out = np.zeros((s.shape[0], rhs.shape[1]))
    reduced = s[1:, 1:]
    if reduced.size and np.linalg.matrix_rank(reduced) < reduced.shape[0]:
        raise IdentificationError(
            "the untreated observations do not connect every period with the others, so the "
            "period effects are not identified"
        )
    out[1:] = np.linalg.solve(reduced, rhs[1:])
    return out


class Imputation(StaggeredDesign):
    """Borusyak, Jaravel & Spiess (2024) imputation estimator for staggered adoption.

    Estimand: the average effect on treated observations, by cohort and period
    (``att:g=<g>,t=<t>``), by event time (``att:e=<k>``: every treated observation k periods
    after first treatment equally), by cohort, by calendar period and overall
    (``att:simple``: every post-treatment observation equally, their default), computed by
    the same aggregation as :class:`~vrueval.StaggeredDiD` so the terms compare one for one.

    Assumptions: untreated outcomes follow unit plus period effects (parallel trends for all
    units and periods, before treatment as well: stronger than Callaway & Sant'Anna's, in
    exchange for efficiency); no anticipation beyond ``anticipation`` periods; treatment,
    once started, stays on. There are no pre-treatment cells: test pre-trends separately.

    Inference: Theorem 3's conservative variance clustered by unit, residuals of treated
    observations taken from their cohort x period mean (not the leave-one-out refinement),
    normal intervals; conditional on treatment timing, so aggregates hold the cohort shares
    fixed.

    Parameters
    ----------
    data : Panel or DataFrame
    outcome : str
    first_treated : mapping or str, optional
        As for :class:`~vrueval.StaggeredDiD`.
    unit, time : str
        Frame only.
    geography : str, optional
        Frame only: what the units are, one of :data:`vrueval.areas.GEOGRAPHIES` (names
        resolved to codes, LSOA/MSOA codes checked for form); default ``"custom"``, any
        identifiers taken as given.
    covariates : sequence of str
        Time-varying covariates in the untreated-only first stage, ``y_it(0) = a_i + b_t +
        x_it'gamma`` (Borusyak et al.'s eq. 3; diff-diff's ``covariates``, the first stage of
        pyfixest's ``did2s``); each treated observation's untreated outcome is imputed with
        them, and the variance carries the slopes' estimation. Covariates constant within
        units (absorbed by the unit effects) are refused; the slopes are in
        ``diagnostics["covariate_slopes"]``. Panel: ``"population"`` or other outcomes; frame:
        columns.
    population : str, optional
        Frame only: the population column, read with ``scale="rate"`` (a Panel carries its
        own).
    cluster : str, optional
        Frame only: a column of cluster labels, constant within units (units nested in
        clusters, e.g. local authorities in force areas). The influence functions are summed
        within clusters for the standard errors (Theorem 3 by cluster, as diff-diff's
        ``cluster=``), the multiplier bootstrap draws one
        weight per cluster, and the few-clusters rule counts clusters. None (or the unit
        column): the units.
    scale : {"value", "rate"}
        The outcome as given, or per ``per`` population (as :class:`vrueval.DiD`); a missing
        population drops the unit (said in the warnings), a population of zero or less is
        refused.
    per : float
        The rate's denominator (per 100,000 by default).
    anticipation : int
        Observations within ``anticipation`` periods before first treatment are not used to
        fit the untreated model, and their effects are reported (``att:e=-1`` ...) but not
        averaged as post-treatment ones; units treated within ``anticipation`` periods of the
        start are dropped.
    overall : {"simple", "dynamic", "group", "calendar"}
        Which aggregation the ``att`` term reports.

    References
    ----------
    Borusyak, K., Jaravel, X. and Spiess, J. (2024). Review of Economic Studies 91(6),
    3253-3285.
    """

    #: The options table (:mod:`vrueval.designs.staggered.options`).
    OPTIONS: ClassVar[OptionsTable] = IMPUTATION
    _design: ClassVar[str] = "Staggered DiD (Borusyak, Jaravel & Spiess imputation)"

    def __init__(
        self,
        data: Panel | pd.DataFrame,
        *,
        outcome: str,
        first_treated: Mapping[str, object] | str | None = None,
        unit: str | None = None,
        time: str | None = None,
        covariates: Sequence[str] = (),
        population: str | None = None,
        cluster: str | None = None,
        geography: str | None = None,
        scale: Scale = "value",
        per: float = 100_000.0,
        anticipation: int = 0,
        overall: Aggregation = "simple",
    ) -> None:
        choice(overall, AGGREGATIONS, "overall")
        self._data, self._provenance, k = load(
            data,
            outcome=outcome,
            first_treated=first_treated,
            unit=unit,
            time=time,
            covariates=covariates,
            population=population,
            cluster=cluster,
            geography=geography,
            scale=scale,
            per=per,
            anticipation=anticipation,
        )
        refuse_fixed_covariates("Imputation", self._data)
        self._settings: dict[str, Any] = {
            **input_settings(outcome, scale=scale, per=per, cluster=cluster, unit=unit),
            "anticipation": k,
            "overall": overall,
            # no pre-treatment cells: every cell is against the fitted untreated outcome
            "base_period": "none",
            "covariates": list(self._data.covariates),
            "variance": "conservative (Theorem 3, cohort x period residuals)",
            "cluster": cluster if cluster not in (None, unit) else "unit",
        }

    def _cells(self) -> tuple[GroupTime, float | None]:
        return imputation_cells(self._data, anticipation=self._settings["anticipation"]), None

    def _comparison(self) -> str:
        return "untreated"
