"""Group-time average treatment effects ATT(g,t) and their influence functions.

Each ATT(g,t) is a two-period, two-group DiD between cohort ``g`` and its comparison units, on
the change in outcome from a base period to period ``t`` (Callaway & Sant'Anna 2021, eq. 2.5
and 2.6). With covariates it is the doubly robust estimator of Sant'Anna & Zhao (2020, eq. 3.1):
a logit propensity score and a linear regression of the change on the comparison units; either
model being right identifies the ATT. The influence functions are those of the ``DRDID``
estimators, rescaled to the whole sample so that aggregation and bootstrap can run afterwards.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-Differences with multiple time
periods. Journal of Econometrics 225(2), 200-230.
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences estimators.
Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vrueval.designs.staggered.data import StaggeredData

ControlGroup = Literal["never_treated", "not_yet_treated"]
Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]

#: comparison units with a propensity score above this are trimmed (as DRDID's trim.level)
PS_TRIM = 0.995


@dataclass(frozen=True)
class GroupTime:
    """ATT(g,t) estimates with the n x K influence-function matrix (columns = cells).

    ``group``/``time``/``base`` are period positions; ``n_treated``/``n_control`` count the
    units behind each cell. ``reference`` marks the universal base period's cell (0 by
    construction, no standard error).
    """

    group: np.ndarray
    time: np.ndarray
    base: np.ndarray
    att: np.ndarray
    inf: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    reference: np.ndarray
    notes: tuple[str, ...] = ()
    #: whether aggregates add the variance of the estimated cohort shares (Callaway &
    #: Sant'Anna's random-sampling view); False when inference conditions on the cohort sizes
    #: (the regression and imputation estimators, as fixest and Borusyak et al. do)
    share_variance: bool = True
    #: periods of anticipation: cells with ``g - anticipation <= t < g`` are neither placebo
    #: (pre-treatment) cells nor averaged as post-treatment ones
    anticipation: int = 0
    #: the covariates' common slopes where the estimator fits one set (the regression and
    #: imputation estimators' two-way models); empty otherwise
    covariate_slopes: tuple[float, ...] = ()
    #: multiplies every variance computed from the influence functions, aggregates included
    #: (Callaway & Sant'Anna's G/(G-1) with a cluster column)
    variance_factor: float = 1.0


class IdentificationError(ValueError):
    """No valid comparison units for the requested design."""


def group_time_att(
    data: StaggeredData,
    *,
    control_group: ControlGroup = "never_treated",
    method: Method = "dr",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
) -> GroupTime:
    """All ATT(g,t) for the treated cohorts and the periods of the panel.

    Post-treatment and anticipation cells (t >= g - anticipation) compare t with the last
    period before anticipation, ``g - anticipation - 1``. Pre-treatment cells compare t with
    t - 1 under ``base_period="varying"`` (R ``did``'s default: short differences, a placebo
    each period) or with ``g - anticipation - 1`` under ``"universal"`` (long differences, an
    event-study-like reference period whose cell is 0).

    Comparison units: never treated (``"never_treated"``), or additionally those first treated
    more than ``anticipation`` periods after both periods of the comparison
    (``"not_yet_treated"``). Every cohort needs a period before its anticipation window
    (:func:`~vrueval.designs.staggered.data.drop_early` removes the others first).
    """
    k = check_anticipation(anticipation, len(data.periods))
    n, n_periods = data.y.shape
    first = data.first
    groups = data.groups
    never = ~np.isfinite(first)
    notes: list[str] = []
    last_period = n_periods
    if control_group == "never_treated" and not never.any():
        raise IdentificationError(
            "no never-treated units: use control_group='not_yet_treated' to compare with "
            "units treated later"
        )
    if len(groups) and groups.min() - k < 1:
        raise IdentificationError(
            "a cohort has no period before its anticipation window: drop it first "
            "(vrueval.designs.staggered.data.drop_early)"
        )
    if not never.any():
        latest = int(groups.max())
        last_period = latest - k
        groups = groups[groups < latest]
        if not len(groups):
            raise IdentificationError(
                "no never-treated and no not-yet-treated units: every unit is treated at the "
                "same time, so nothing identifies the untreated trend"
            )
        notes.append(
            f"no never-treated units: periods from {data.labels[last_period]} on are dropped "
            f"and the last cohort ({data.labels[latest]}) serves only as comparison"
        )

    rows: list[tuple[int, int, int, bool]] = []
    for g in groups:
        start = 1 if base_period == "varying" else 0
        for t in range(start, last_period):
            if t >= g - k or base_period == "universal":
                base = g - k - 1
            else:
                base = t - 1
            rows.append((int(g), t, base, t == base))

    n_cells = len(rows)
    att = np.zeros(n_cells)
    inf = np.zeros((n, n_cells), order="F")
    n_t = np.zeros(n_cells, dtype=int)
    n_c = np.zeros(n_cells, dtype=int)
    x_all = data.x
    has_x = x_all.shape[2] > 0
    overlap: list[str] = []
    for j, (g, t, base, is_ref) in enumerate(rows):
        treated = first == g
        if control_group == "never_treated":
            control = never
        else:
            control = never | ((first > max(t, base) + k) & (first != g))
        n_t[j], n_c[j] = int(treated.sum()), int(control.sum())
        if is_ref:
            continue
        cell = f"cohort {data.labels[g]} in {data.labels[t]}"
        if n_c[j] == 0:
            raise IdentificationError(f"no comparison units for {cell}")
        keep = treated | control
        idx = np.flatnonzero(keep)
        dy = data.y[idx, t] - data.y[idx, base]
        d = treated[idx].astype(float)
        if has_x:
            cov = np.column_stack([np.ones(len(idx)), x_all[idx, min(t, base), :]])
            if method == "reg":
                est, psi = _reg_panel(dy, d, cov)
            else:
                try:
                    est, psi, trimmed = _weighted_panel(dy, d, cov, outcome_model=method == "dr")
                except IdentificationError as err:
                    raise IdentificationError(f"{cell}: {err}") from err
                if trimmed:
                    overlap.append(f"{cell}: {trimmed}")
        else:
            est, psi = _unconditional(dy, d)
        att[j] = est
        inf[idx, j] = psi * (n / len(idx))
    if overlap:
        notes.append(
            f"poor overlap (propensity scores of {PS_TRIM} or more): comparison units that high "
            "are trimmed (as R did/DRDID do), and treated units that high have no comparable "
            "comparison unit, so these cells rest on the propensity model's extrapolation: "
            + "; ".join(overlap)
        )
    return GroupTime(
        group=np.array([r[0] for r in rows], dtype=int),
        time=np.array([r[1] for r in rows], dtype=int),
        base=np.array([r[2] for r in rows], dtype=int),
        att=att,
        inf=inf,
        n_treated=n_t,
        n_control=n_c,
        reference=np.array([r[3] for r in rows], dtype=bool),
        notes=tuple(notes),
        anticipation=k,
    )


def check_anticipation(anticipation: object, n_periods: int) -> int:
    """``anticipation`` as a count of periods, or a ValueError saying what is allowed."""
    if (
        isinstance(anticipation, bool)
        or not isinstance(anticipation, (int, np.integer))
        or not 0 <= anticipation < n_periods - 1
    ):
        raise ValueError(
            f"anticipation must be a whole number of periods from 0 to {n_periods - 2} (the "
            f"panel has {n_periods} periods), got {anticipation!r}"
        )
    return int(anticipation)


def check_time_varying(x_tilde: np.ndarray, x: np.ndarray, names: Sequence[str]) -> None:
    """Refuse covariates that a two-way fixed-effects model absorbs (``x_tilde``: their
    residuals on the unit and period effects, ``x`` the raw values, observations x
    covariates), or that are collinear: the regression and imputation estimators' slopes
    would not be identified."""
    spread = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    left = (x_tilde**2).sum(axis=0)
    flat = [str(c) for c, a, b in zip(names, left, spread, strict=True) if a <= 1e-10 * b or b == 0]
    scaled = x_tilde / np.sqrt(np.maximum(left, 1e-300))
    if flat or np.linalg.matrix_rank(scaled) < len(names):
        raise IdentificationError(
            f"covariate(s) {flat or list(names)} "
            + (
                "vary only as the unit and period effects do (constant within units, or "
                "moving with the periods alone), which absorb them: the two-way model "
                "cannot use them"
                if flat
                else "are collinear once the unit and period effects are removed"
            )
            + "; give time-varying, linearly independent covariates (fixed ones condition "
            "parallel trends in ve.StaggeredDiD(covariates=...))"
        )


def _unconditional(dy: np.ndarray, d: np.ndarray) -> tuple[float, np.ndarray]:
    """Difference of mean changes; every 2x2 estimator reduces to it without covariates."""
    treated = d == 1
    p = treated.mean()
    m1, m0 = dy[treated].mean(), dy[~treated].mean()
    psi = np.where(treated, (dy - m1) / p, -(dy - m0) / (1 - p))
    return float(m1 - m0), psi


def _ols_on_controls(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitted change for everyone from OLS on the comparison units, and its linear rep."""
    w = 1 - d
    xtx = (x * w[:, None]).T @ x / len(dy)
    beta = np.linalg.solve(xtx * len(dy), (x * w[:, None]).T @ dy)
    fitted = x @ beta
    lin_rep = (w * (dy - fitted))[:, None] * x @ np.linalg.inv(xtx)
    return fitted, lin_rep


def logit(d: np.ndarray, x: np.ndarray, *, tol: float = 1e-12, max_iter: int = 60) -> np.ndarray:
    """Maximum-likelihood logit coefficients by Newton-Raphson (the glm fit, untruncated).

    Under separation the likelihood has no maximum: the iterations stop where the Hessian
    becomes singular, and the caller detects the separation from the fitted index.
    """
    beta = np.zeros(x.shape[1])
    with np.errstate(over="ignore"):
        for _ in range(max_iter):
            eta = x @ beta
            p = 1 / (1 + np.exp(-eta))
            w = p * (1 - p)
            try:
                step = np.linalg.solve((x * w[:, None]).T @ x, x.T @ (d - p))
            except np.linalg.LinAlgError:
                break
            beta = beta + step
            if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
                break
    return beta


def _weighted_panel(
    dy: np.ndarray, d: np.ndarray, x: np.ndarray, *, outcome_model: bool
) -> tuple[float, np.ndarray, str]:
    """Sant'Anna & Zhao (2020) doubly robust DiD for panel data (``outcome_model=True``), or
    the normalised (Hajek) inverse-probability-weighted DiD (``False``: DRDID's
    ``std_ipw_did_panel``), each with its influence function.

    Returns the estimate, the influence function and a description of the overlap problems
    (``""`` when none): comparison units trimmed for a propensity score of ``PS_TRIM`` or
    more, and treated units whose score is that high (no comparison unit resembles them).
    Complete separation (no overlap at all) is refused.
    """
    n = len(dy)
    beta = logit(d, x)
    index = x @ beta
    if index[d == 1].min() > index[d == 0].max():
        raise IdentificationError(
            "the covariates separate the cohort from its comparison units completely (every "
            "propensity score is 0 or 1): there is no overlap, so the weighted comparison is "
            "not identified; use method='reg', fewer covariates or another comparison group"
        )
    ps = 1 / (1 + np.exp(-index))
    w_fisher = ps * (1 - ps)
    hessian_inv = np.linalg.inv((x * w_fisher[:, None]).T @ x) * n
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 1, 1.0, (ps < PS_TRIM).astype(float))
    if not np.any(trim * (1 - d)):
        raise IdentificationError(
            f"every comparison unit has a propensity score of {PS_TRIM} or more: no overlap "
            "with the cohort, so its effect is not identified with these covariates"
        )
    cut = int(((d == 0) & (ps >= PS_TRIM)).sum())
    alike = int(((d == 1) & (ps >= PS_TRIM)).sum())
    trimmed = ", ".join(
        [
            *([f"{cut} of {int((d == 0).sum())} comparison units trimmed"] if cut else []),
            *(
                [f"{alike} of {int(d.sum())} treated units with no comparable comparison unit"]
                if alike
                else []
            ),
        ]
    )
    if outcome_model:
        fitted, lin_ols = _ols_on_controls(dy, d, x)
    else:
        fitted, lin_ols = np.zeros(n), np.zeros((n, x.shape[1]))

    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    resid = dy - fitted
    eta_treat = np.mean(w_treat * resid) / np.mean(w_treat)
    eta_cont = np.mean(w_cont * resid) / np.mean(w_cont)

    lin_ps = ((d - ps)[:, None] * x) @ hessian_inv
    inf_treat = (
        w_treat * resid - w_treat * eta_treat - lin_ols @ np.mean(w_treat[:, None] * x, axis=0)
    ) / np.mean(w_treat)
    m2 = np.mean((w_cont * (resid - eta_cont))[:, None] * x, axis=0)
    m3 = np.mean(w_cont[:, None] * x, axis=0)
    inf_cont = (w_cont * resid - w_cont * eta_cont + lin_ps @ m2 - lin_ols @ m3) / np.mean(w_cont)
    return float(eta_treat - eta_cont), inf_treat - inf_cont, trimmed


def _reg_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD (Heckman, Ichimura & Todd 1997) for panel data, with its IF."""
    fitted, lin_ols = _ols_on_controls(dy, d, x)
    p = np.mean(d)
    eta_treat = np.mean(d * dy) / p
    eta_cont = np.mean(d * fitted) / p
    inf_treat = (d * dy - d * eta_treat) / p
    inf_cont = (d * fitted - d * eta_cont + lin_ols @ np.mean(d[:, None] * x, axis=0)) / p
    return float(eta_treat - eta_cont), inf_treat - inf_cont
