"""Sun & Abraham (2021) cohort x relative-period interactions, as group-time cells.

The regression is two-way fixed effects with one dummy for every treated cohort g and relative
period l = t - g except the reference ``l = -1 - anticipation``, fitted on the treated cohorts
and a control cohort that is untreated throughout the sample (never treated, or the last
treated with the periods from its anticipation window on dropped)::

    y_it = a_i + b_t + sum_g sum_{l != ref} d_gl 1{G_i = g} 1{t - G_i = l} + e_it

Saturated this way on a balanced panel, the model fits each treated cohort's unit x period
table by its own two-way effects, so ``d_gl`` is the difference between cohort g's and the
control cohort's mean change from ``g - 1 - anticipation`` to ``g + l`` (Sun & Abraham 2021,
Proposition 3), and the residuals are each cohort's two-way demeaned outcomes. Both are
computed in that closed form (no regression matrix), exact for the balanced panels
:mod:`vrueval.designs.staggered.data` builds, and checked against pyfixest's ``feols`` to 1e-8.

Time-varying covariates enter with common slopes. By Frisch-Waugh-Lovell their slopes are
those of the within-cohort two-way demeaned covariates, and the cells are the same closed
form applied to ``y - x'gamma``; each cell's weights on the outcomes then lose
``(A x)(X~'X~)^-1 x~_it``, which gives its CR1 score.

Each coefficient is linear in the outcomes, ``d = sum a_it y_it``, so its CR1 variance
clustered by unit is ``c * sum_i (sum_t a_it u_it)^2`` with the package's small-sample factor
``c`` (:mod:`vrueval.inference.small_sample`); the per-unit sums, scaled, are the cells'
influence functions, and the interaction-weighted event-time estimates are the shared
cohort-share aggregation of :mod:`vrueval.designs.staggered.aggregate` with the shares held
fixed (as fixest's ``aggregate`` and pyfixest do).

References
----------
Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, get_args

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
from vrueval.designs.staggered.options import SUN_ABRAHAM, Scale, SunAbrahamControl
from vrueval.designs.staggered.pipeline import (
    StaggeredDesign,
    input_settings,
    load,
    refuse_fixed_covariates,
)
from vrueval.inference.small_sample import (
    DEFAULT_SMALL_SAMPLE,
    ParamCount,
    SmallSample,
    check_small_sample,
    cr1_factor,
)
from vrueval.options import OptionsTable, choice


def interaction_cells(
    data: StaggeredData,
    *,
    control_group: SunAbrahamControl = "never_treated",
    anticipation: int = 0,
    small_sample: SmallSample = "fixest",
) -> tuple[GroupTime, int]:
    """Every cohort x period coefficient of the saturated regression, and the CR1 df (G - 1).

    Returns cells with ``group``, ``time`` and ``base`` (the reference period
    ``g - 1 - anticipation``, whose own cell is marked ``reference``), and influence functions
    scaled so that ``sqrt(sum(psi^2)) / n`` is the CR1 standard error.
    """
    k = check_anticipation(anticipation, len(data.periods))
    first = data.first
    never = ~np.isfinite(first)
    groups = data.groups
    notes: list[str] = []
    n_periods = len(data.periods)
    if control_group == "never_treated":
        if not never.any():
            raise IdentificationError(
                "no never-treated units: use control_group='last_treated' (the last cohort "
                "serves as control, and the periods from its anticipation window on are dropped)"
            )
        control = never
    else:
        if len(groups) < 2:
            raise IdentificationError(
                "control_group='last_treated' needs at least two treated cohorts"
            )
        latest = int(groups.max())
        n_periods = latest - k
        groups = groups[groups < latest]
        control = never | (first == latest)
        notes.append(
            f"the last cohort ({data.labels[latest]}) is the control: periods from "
            f"{data.labels[n_periods]} on are dropped"
        )
        cut = groups[groups >= n_periods]
        if len(cut) and len(cut) < len(groups):
            notes.append(
                f"cohort(s) {', '.join(data.labels[g] for g in cut)} start(s) after the kept "
                "periods: in the event study's leads only, in no post-treatment average"
            )
        if len(groups) and groups.min() >= n_periods:
            raise IdentificationError(
                f"no cohort is treated before {data.labels[n_periods]}, where the periods end "
                f"with the last cohort ({data.labels[latest]}) as control and anticipation={k}: "
                "no treated cell to estimate; use control_group='never_treated' or less "
                "anticipation"
            )
    if len(groups) and groups.min() - k < 1:
        raise IdentificationError(
            "a cohort has no period before its anticipation window: drop it first "
            "(vrueval.designs.staggered.data.drop_early)"
        )
    if not len(groups):
        raise IdentificationError("no treated cohort to estimate")
    y = data.y[:, :n_periods]
    x = data.x[:, :n_periods, :]
    sample = control | np.isin(first, groups)
    n_units = int(sample.sum())
    n = data.n
    members = [(int(g), first == g) for g in groups]
    blocks = [m for _, m in [*members, (-1, control)]]
    control_idx = np.flatnonzero(control)
    n_c = len(control_idx)

    # covariates by Frisch-Waugh-Lovell: the fixed effects and the saturated dummies span
    # each block's own two-way effects, so their residuals are each block's two-way demeaned
    # values; the covariate slopes come from those, and the cells from y - x'gamma
    gamma = np.zeros(x.shape[2])
    x_tilde = _two_way_residuals(x, blocks) if x.shape[2] else x
    if x.shape[2]:
        flat = x_tilde[sample].reshape(-1, x.shape[2])
        check_time_varying(flat, x[sample].reshape(-1, x.shape[2]), data.covariates)
        xtx = flat.T @ flat
        gamma = np.linalg.solve(xtx, flat.T @ _two_way_residuals(y, blocks)[sample].ravel())
        y = y - x @ gamma
    resid = _two_way_residuals(y, blocks)
    mean_c = y[control_idx].mean(axis=0)
    resid_c = resid[control_idx]

    rows: list[tuple[int, int, int]] = [
        (g, t, g - 1 - k) for g, _ in members for t in range(n_periods)
    ]
    att = np.zeros(len(rows))
    # column-major: each cell's influence function is contiguous for the aggregations
    inf = np.zeros((n, len(rows)), order="F")
    n_t = np.zeros(len(rows), dtype=int)
    for c, (g, m) in enumerate(members):
        idx = np.flatnonzero(m)
        ref = g - 1 - k
        cols = slice(c * n_periods, (c + 1) * n_periods)
        mean_g = y[idx].mean(axis=0)
        # the reference cell comes out exactly 0, estimate and influence alike
        att[cols] = (mean_g - mean_g[ref]) - (mean_c - mean_c[ref])
        resid_g = resid[idx]
        inf[idx, cols] = (resid_g - resid_g[:, [ref]]) / len(idx)
        inf[control_idx, cols] = -(resid_c - resid_c[:, [ref]]) / n_c
        n_t[cols] = len(idx)
    if x.shape[2]:
        # each cell is A (y - x'gamma): its weights on the outcomes lose
        # (A x)(X~'X~)^-1 x~_it, so each unit's score loses (A x)(X~'X~)^-1 sum_t x~_it u_it
        slopes = np.zeros((len(rows), x.shape[2]))
        mean_xc = x[control_idx].mean(axis=0)
        for c, (g, m) in enumerate(members):
            ref = g - 1 - k
            mean_xg = x[m].mean(axis=0)
            slopes[c * n_periods : (c + 1) * n_periods] = (mean_xg - mean_xg[ref]) - (
                mean_xc - mean_xc[ref]
            )
        score = np.einsum("itk,it->ik", x_tilde, resid) * sample[:, None]
        adjust = np.linalg.solve(xtx, slopes.T)
        for c in range(len(members)):  # by cohort: no second n x cells array
            cols = slice(c * n_periods, (c + 1) * n_periods)
            inf[:, cols] -= score @ adjust[:, cols]
    reference = np.array([t == ref for _, t, ref in rows], dtype=bool)
    coefficients = int((~reference).sum()) + x.shape[2]
    # clusters: the units, or the cluster column's labels (units nested in them)
    n_clusters = (
        n_units if data.cluster is None else len(np.unique(data.cluster[sample].astype(str)))
    )
    factor = cr1_factor(
        small_sample,
        n_obs=n_units * n_periods,
        n_clusters=n_clusters,
        count=ParamCount(coefficients, n_units, n_periods - 1),
    )
    # rows scaled so that aggregate.analytic_se, sqrt(mean(psi^2) / n), gives the CR1 error
    inf *= n * np.sqrt(float(factor))
    cells = GroupTime(
        group=np.array([r[0] for r in rows], dtype=int),
        time=np.array([r[1] for r in rows], dtype=int),
        base=np.array([r[2] for r in rows], dtype=int),
        att=att,
        inf=inf,
        n_treated=n_t,
        n_control=np.full(len(rows), n_c),
        reference=reference,
        notes=tuple(notes),
        share_variance=False,
        anticipation=k,
        covariate_slopes=tuple(float(v) for v in gamma),
    )
    return cells, n_clusters - 1


def _two_way_residuals(values: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    """``values`` (units x periods, or units x periods x covariates) two-way demeaned within
    each block of units: the residuals of each block's own unit and period effects."""
    out = np.zeros_like(values)
    for m in blocks:
        b = values[m]
        out[m] = b - b.mean(axis=1, keepdims=True) - b.mean(axis=0) + b.mean(axis=(0, 1))
    return out


class SunAbraham(StaggeredDesign):
    """Sun & Abraham (2021) interaction-weighted event-study estimator for staggered adoption.

    Estimand: CATT(g, l), the average effect l periods after first treatment on the units
    first treated in period g, reported as cells ``att:g=<g>,t=<g+l>``, and their
    cohort-share-weighted averages: by event time (``att:e=<l>``, the interaction-weighted
    estimator), by cohort, by calendar period and overall, computed by the same aggregation as
    :class:`~vrueval.StaggeredDiD` so the terms compare one for one.

    Assumptions: parallel trends between every treated cohort and the control cohort; no
    anticipation beyond ``anticipation`` periods; treatment, once started, stays on. The
    saturated regression makes the relative-period coefficients free of the contamination
    from other periods that a binned two-way fixed-effects event study suffers.

    Inference: CR1 clustered by unit with the package's small-sample rule
    (:mod:`vrueval.inference.small_sample`), t(G - 1) intervals; aggregates hold the cohort
    shares fixed, as fixest and pyfixest do (so their standard errors are a little smaller
    than Sun & Abraham's, which add the shares' sampling variance). With never-treated controls
    and no anticipation the post-treatment cells equal Callaway & Sant'Anna's with
    never-treated controls and no covariates exactly (their standard errors differ: CR1 here).

    Parameters
    ----------
    data : Panel or DataFrame
        A vrueval Panel, or a long frame with one row per unit and period.
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
        Time-varying covariates added to the saturated regression with common slopes
        (``y ~ dummies + x | unit + time``, as fixest writes it), so parallel trends need
        hold only after their linear adjustment. Covariates constant within units (absorbed by
        the unit effects) are refused. The slopes are in ``diagnostics["covariate_slopes"]``;
        the cells' CR1 errors carry their estimation. Panel: ``"population"`` or other
        outcomes; frame: columns.
    population : str, optional
        Frame only: the population column, read with ``scale="rate"`` (a Panel carries its
        own).
    cluster : str, optional
        Frame only: a column of cluster labels, constant within units (units nested in
        clusters, e.g. local authorities in force areas). The influence functions are summed
        within clusters for the standard errors (CR1 by cluster with G clusters, t(G - 1)
        intervals, as fixest's ``cluster=``), the multiplier bootstrap draws one
        weight per cluster, and the few-clusters rule counts clusters. None (or the unit
        column): the units.
    scale : {"value", "rate"}
        The outcome as given, or per ``per`` population (as :class:`vrueval.DiD`); a missing
        population drops the unit (said in the warnings), a population of zero or less is
        refused.
    per : float
        The rate's denominator (per 100,000 by default).
    control_group : {"never_treated", "last_treated"}
        The never-treated units, or (Sun & Abraham's alternative when there are none) the last
        treated cohort together with any never-treated units, the periods from the last
        cohort's anticipation window on being dropped.
    anticipation : int
        The reference period is ``g - 1 - anticipation``; units treated within
        ``anticipation`` periods of the start are dropped.
    overall : {"simple", "dynamic", "group", "calendar"}
        Which aggregation the ``att`` term reports; ``simple`` (every post-treatment
        observation equally, fixest's ``aggregate(att = TRUE)``) by default.
    small_sample : {"fixest", "stata", "plm", "none"}
        The CR1 factor's parameter count.

    References
    ----------
    Sun, L. and Abraham, S. (2021). Journal of Econometrics 225(2), 175-199.
    """

    #: The options table (:mod:`vrueval.designs.staggered.options`).
    OPTIONS: ClassVar[OptionsTable] = SUN_ABRAHAM
    _design: ClassVar[str] = "Staggered DiD (Sun & Abraham interaction-weighted)"

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
        control_group: SunAbrahamControl = "never_treated",
        anticipation: int = 0,
        overall: Aggregation = "simple",
        small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
    ) -> None:
        choice(control_group, get_args(SunAbrahamControl), "control_group")
        choice(overall, AGGREGATIONS, "overall")
        check_small_sample(small_sample)
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
        refuse_fixed_covariates("SunAbraham", self._data)
        self._settings: dict[str, Any] = {
            **input_settings(outcome, scale=scale, per=per, cluster=cluster, unit=unit),
            "control_group": control_group,
            "anticipation": k,
            "overall": overall,
            # pre-treatment cells against g - 1 - anticipation: StaggeredDiD's "universal"
            "base_period": "universal",
            "small_sample": small_sample,
            "covariates": list(self._data.covariates),
            "cluster": cluster if cluster not in (None, unit) else "unit",
        }

    def _cells(self) -> tuple[GroupTime, float | None]:
        s = self._settings
        return interaction_cells(
            self._data,
            control_group=s["control_group"],
            anticipation=s["anticipation"],
            small_sample=s["small_sample"],
        )

    def _comparison(self) -> str:
        never = self._settings["control_group"] == "never_treated"
        return "never-treated" if never else "control"
