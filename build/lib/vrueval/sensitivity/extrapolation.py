"""Pre-trend extrapolation: fit a linear trend to the event study's leads, project it into the
post period and subtract it.

Model. The event-study coefficients (relative to the reference period ``e = -1``) are
``beta_e = gamma (e + 1) + tau_e 1{e >= 0} + error``: the treated units' outcomes drift from the
comparators' along a straight line in event time, which the normalisation at ``e = -1`` pins
through zero there (a level difference is absorbed by the unit effects), and the effect
``tau_e`` starts at ``e = 0``. This is Rambachan and Roth's smoothness restriction with
``M = 0``, estimated rather than bounded.

Estimator. The slope is fitted to the chosen leads ``L`` (``e <= -2``; the reference point
``(e = -1, 0)`` has no sampling error and enters only through the line's pinning):
``gamma_hat = (t'W t)^{-1} t'W beta_L`` with ``t = e + 1``, and ``W`` the identity
(``weighting="ols"``, each lead counts alike) or ``Sigma_LL^{-1}`` (``"gls"``, the best linear
unbiased slope). Then ``tau_hat_e = beta_e - gamma_hat (e + 1)`` for each post period and
``att`` their mean. All of it is linear in ``beta``, ``theta_hat = A beta``, so the delta method
is exact: ``Var(theta_hat) = A Sigma A'`` with ``Sigma`` the event study's covariance
(:meth:`~vrueval.designs.did.results.DiDResult.event_vcov`).

What it costs. The projection's error grows with the distance from the leads: far post periods
lean on the slope, whose standard error the leads alone determine. The estimator is unbiased
only if the violation is exactly linear; a curved pre-trend is extrapolated wrongly, which
:func:`~vrueval.sensitivity.honest_did` with ``restriction="smoothness"`` bounds instead.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. *Review of
Economic Studies* 90(5), 2555-2591 (section 2: linear extrapolation as ``Delta^SD(0)``).
Dobkin, C., Finkelstein, A., Kluender, R. and Notowidigdo, M. J. (2018). The economic
consequences of hospital admissions. *American Economic Review* 108(2), 308-352 (pre-trend
extrapolation in an event study).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from vrueval.inference.intervals import check_level, wald_table
from vrueval.options import choice
from vrueval.sensitivity.extrapolation_result import TrendExtrapolationResult
from vrueval.sensitivity.inputs import check_estimates

Weighting = Literal["ols", "gls"]


def extrapolation_matrix(
    event_times: Sequence[int],
    leads: Sequence[int],
    sigma: np.ndarray,
    weighting: Weighting = "ols",
) -> tuple[np.ndarray, np.ndarray]:
    """The linear maps of the estimator: ``slope_row`` (``gamma_hat = slope_row @ beta``) and
    ``a`` (one row per post period, then one for their mean: ``theta_hat = a @ beta``).

    ``event_times`` label the coefficients of ``beta`` (pre then post, ``-1`` left out);
    ``leads`` are the event times the slope is fitted to.
    """
    times = np.asarray(event_times, dtype=int)
    pos = [int(np.flatnonzero(times == e)[0]) for e in leads]
    t = np.asarray(leads, dtype=float) + 1.0
    if weighting == "ols":
        w_t = t
    else:
        w_t = np.linalg.solve(sigma[np.ix_(pos, pos)], t)
    slope_row = np.zeros(len(times))
    slope_row[pos] = w_t / float(t @ w_t)
    post = np.flatnonzero(times >= 0)
    a = np.zeros((len(post) + 1, len(times)))
    for i, j in enumerate(post):
        a[i, j] = 1.0
        a[i] -= (times[j] + 1.0) * slope_row
    a[-1] = a[:-1].mean(axis=0)
    return slope_row, a


def trend_extrapolation_arrays(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    *,
    event_times: Sequence[int] | None = None,
    leads: Sequence[int] | None = None,
    weighting: Weighting = "ols",
    level: float = 0.95,
    df: float | None = None,
    warnings: Sequence[str] = (),
    provenance: dict[str, Any] | None = None,
) -> TrendExtrapolationResult:
    """Event-study effects net of the pre-period trend, projected linearly into the post period.

    Estimand: ``tau_e`` (terms ``att:e=<k>``, ``k >= 0``) and their mean (``att``), the effects
    once a linear differential trend in event time, zero at the reference period ``e = -1``,
    is removed.

    Assumptions: the violation of parallel trends is linear in event time (exactly; a curved
    one is extrapolated wrongly); the coefficients ``betahat`` (pre-period first, the
    reference period left out) are approximately normal with covariance ``sigma``; nothing
    anticipates the start (the leads carry the trend alone).

    Parameters
    ----------
    betahat, sigma, n_pre, n_post, event_times
        As for :func:`~vrueval.sensitivity.honest_did_arrays`.
    leads
        Event times (``<= -2``) the slope is fitted to; default every lead.
    weighting
        ``"ols"``: every lead alike; ``"gls"``: weighted by ``sigma``'s inverse (the best
        linear unbiased slope; with pre- and post-period coefficients uncorrelated, the
        minimum-variance estimator of the effect under a linear violation, the FLCI at
        ``M = 0``).
    level
        Confidence level of the intervals.
    df
        Degrees of freedom of a t reference distribution; the normal when None (as the
        sensitivity analysis's original interval).

    Returns
    -------
    TrendExtrapolationResult
        Frozen; ``effects()`` has ``att`` and ``att:e=<k>`` with the contract's columns.

    References
    ----------
    Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. *Review of
    Economic Studies* 90(5), 2555-2591.
    """
    choice(weighting, get_args(Weighting), "weighting")
    level = check_level(level)
    if df is not None and (isinstance(df, bool) or not df > 0):
        raise ValueError(f"df must be a positive number or None, got {df!r}")
    est = check_estimates(betahat, sigma, n_pre, n_post, 0, event_times=event_times)
    times = est.event_times
    if any(times[i] >= 0 for i in range(n_pre)) or any(t < 0 for t in times[n_pre:]):
        raise ValueError(
            f"event_times must hold the {n_pre} leads (negative) first, then the post periods "
            f"(0 and after); got {list(times)}"
        )
    available = [t for t in times[:n_pre] if t <= -2]
    chosen = available if leads is None else [int(e) for e in leads]
    missing = sorted(set(chosen) - set(available))
    if missing or not chosen:
        raise ValueError(
            f"leads must be event times of the leads (e <= -2) {available}; got {list(chosen)}"
        )
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"leads are repeated: {list(chosen)}")
    notes = list(warnings)
    if len(chosen) == 1:
        notes.append(
            f"the trend is fitted to one lead (e={chosen[0]}) and the reference period: its "
            "slope is that lead's coefficient alone, so any noise in it is extrapolated"
        )
    slope_row, a = extrapolation_matrix(times, chosen, est.sigma, weighting)
    theta = a @ est.beta
    cov = a @ est.sigma @ a.T
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    post = list(times[n_pre:])
    terms = [f"att:e={k}" for k in post] + ["att"]
    table = wald_table(terms, theta, se, level=level, df=df)
    order = [len(terms) - 1, *range(len(terms) - 1)]
    table = table.iloc[order].reset_index(drop=True)
    slope = float(slope_row @ est.beta)
    slope_se = float(np.sqrt(max(slope_row @ est.sigma @ slope_row, 0.0)))
    original = np.r_[est.beta[n_pre:], est.beta[n_pre:].mean()]
    by_time = pd.DataFrame(
        {
            "event_time": list(times),
            "coefficient": est.beta,
            "trend": slope * (np.asarray(times, dtype=float) + 1.0),
            "used_for_trend": [t in chosen for t in times],
        }
    )
    settings: dict[str, Any] = {
        "weighting": weighting,
        "leads": sorted(chosen),
        "trend": "linear in event time, zero at e=-1",
        "reference_distribution": "normal" if df is None else f"t({df:g})",
        "event_times": list(times),
    }
    return TrendExtrapolationResult(
        effects=table,
        by_time=by_time,
        original=dict(zip(terms, map(float, original), strict=True)),
        covariance=pd.DataFrame(cov, index=terms, columns=terms),
        settings=settings,
        level=level,
        diagnostics={"slope": slope, "slope_std_error": slope_se, "n_leads": len(chosen)},
        warnings=tuple(notes),
        provenance=provenance,
    )


def trend_extrapolation(
    result: object,
    *,
    leads: Sequence[int] | None = None,
    weighting: Weighting = "ols",
    level: float | None = None,
    df: float | None = None,
) -> TrendExtrapolationResult:
    """:func:`trend_extrapolation_arrays` on a fitted ``ve.EventStudy`` or ``ve.StaggeredDiD``
    (``base_period="universal"``) result: its event-time coefficients and their covariance.

    By default the trend is fitted to every lead except an earliest one that bins the periods
    before it (``leads=`` in the event study): a binned coefficient averages the trend over
    periods whose spread the result does not keep, so it does not lie on the line at its event
    time. ``level`` defaults to the result's.
    """
    from vrueval.sensitivity.sources import from_result, split

    src = from_result(result)
    n_pre, n_post = split(src.event_times)
    # the source's notes on binned ends speak of the restrictions; say what binning does here
    notes = [w for w in src.warnings if "restrictions treat it" not in w]
    settings = getattr(result, "settings", {})
    if settings.get("lags") is not None:
        notes.append(
            f"the last lag (e={src.event_times[-1]}) bins every later period: the trend is "
            "projected to it as if it were that one period, which understates the trend "
            "removed from the later ones"
        )
    binned = src.event_times[0] if settings.get("leads") is not None else None
    if leads is None:
        leads = list(src.event_times[:n_pre])
        if binned is not None and len(leads) > 1:
            notes.append(
                f"the earliest lead (e={binned}) bins every earlier period and is left out "
                "of the trend"
            )
            leads = leads[1:]
    elif binned is not None and binned in leads:
        notes.append(
            f"the earliest lead (e={binned}) bins every earlier period: the trend is fitted "
            "through it as if it were that one period"
        )
    return trend_extrapolation_arrays(
        src.beta,
        src.sigma,
        n_pre,
        n_post,
        event_times=src.event_times,
        leads=leads,
        weighting=weighting,
        level=src.level if level is None else level,
        df=df,
        warnings=notes,
        provenance={"source": src.origin, **dict(getattr(result, "provenance", {}))},
    )
