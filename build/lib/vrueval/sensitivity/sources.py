"""The event-time coefficients and their covariance, taken from a fitted result.

- :class:`~vrueval.designs.did.results.DiDResult` of an event study: the ``att:e=<k>``
  coefficients and the covariance the fit estimated (:meth:`event_vcov`).
- :class:`~vrueval.designs.staggered.results.StaggeredResult`: the dynamic aggregation's
  effects and the covariance of their influence functions, ``psi'psi / n^2`` (what R's
  ``honest_did.AGGTEobj`` uses). Its pre-period effects are comparable with the relative
  magnitudes and smoothness restrictions only against one base period, so the fit must use
  ``base_period="universal"``; the reference cell ``e = -1`` (zero by construction) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vrueval.designs.did.results import DiDResult
from vrueval.designs.staggered.results import StaggeredResult


@dataclass(frozen=True)
class EventTimeSource:
    """Coefficients by event time (pre then post), covariance, and what the analysis should
    say about where they came from."""

    event_times: tuple[int, ...]
    beta: np.ndarray
    sigma: np.ndarray
    level: float
    warnings: tuple[str, ...]
    origin: str


def from_result(result: object) -> EventTimeSource:
    """The event-time estimates of an event study or staggered result; ValueError when the
    result cannot give them."""
    if isinstance(result, DiDResult):
        return _from_event_study(result)
    if isinstance(result, StaggeredResult):
        return _from_staggered(result)
    raise TypeError(
        "honest_did takes an EventStudy or StaggeredDiD result; for other estimates use "
        f"honest_did_arrays(betahat, sigma, n_pre, n_post), got {type(result).__name__}"
    )


def _from_event_study(result: DiDResult) -> EventTimeSource:
    es = result.event_study()
    vcov = result.event_vcov()
    if es.empty or vcov is None:
        raise ValueError(
            "this result has no event-time coefficients with their covariance: fit an "
            "EventStudy (results fitted before vrueval kept the covariance must be refitted)"
        )
    reference = int(result.settings.get("reference", -1))
    if reference != -1:
        raise ValueError(
            f"the reference period is e={reference}; the restrictions compare consecutive "
            "periods through the reference, which must be the period just before the start "
            "(fit with reference=-1)"
        )
    terms = es["term"].tolist()
    times = es["event_time"].astype(int).to_numpy()
    order = np.argsort(times)
    times = times[order]
    beta = es["estimate"].to_numpy(dtype=float)[order]
    sigma = vcov.loc[[terms[i] for i in order], [terms[i] for i in order]].to_numpy(dtype=float)
    notes = []
    if result.settings.get("leads") is not None:
        notes.append(
            f"the earliest lead (e={int(times[0])}) bins every earlier period; the restrictions "
            "treat it as one period"
        )
    if result.settings.get("lags") is not None:
        notes.append(
            f"the last lag (e={int(times[-1])}) bins every later period; the restrictions "
            "treat it as one period"
        )
    if result.settings.get("inference") == "wild":
        notes.append("the covariance is CR1: the wild bootstrap gives no covariance matrix")
    notes += [f"from the event study: {w}" for w in result.warnings]
    return EventTimeSource(
        tuple(int(t) for t in times), beta, sigma, result.level, tuple(notes), result.design
    )


def _from_staggered(result: StaggeredResult) -> EventTimeSource:
    if result.settings.get("base_period") != "universal":
        raise ValueError(
            "the pre-period effects of base_period='varying' are period-on-period changes, not "
            "deviations from one base period; fit StaggeredDiD with base_period='universal' "
            "for the sensitivity analysis (as R's honest_did requires)"
        )
    agg = result.aggregate("dynamic")
    inf = agg.inf
    n = inf.shape[0]
    sigma = inf.T @ inf / n**2
    keep = np.asarray(agg.keys) != -1
    times = np.asarray(agg.keys, dtype=int)[keep]
    notes = [f"from the staggered fit: {w}" for w in result.warnings]
    return EventTimeSource(
        tuple(int(t) for t in times),
        np.asarray(agg.att, dtype=float)[keep],
        sigma[np.ix_(keep, keep)],
        result.level,
        tuple(notes),
        result.design,
    )


def split(times: tuple[int, ...]) -> tuple[int, int]:
    """Numbers of pre-period (``e <= -2``) and post-period (``e >= 0``) coefficients; the
    event times must run without gaps on each side of the reference ``e = -1``."""
    pre = [t for t in times if t < -1]
    post = [t for t in times if t >= 0]
    if -1 in times:
        raise ValueError("the reference period e=-1 must be left out of the coefficients")
    if pre != list(range(-len(pre) - 1, -1)) or post != list(range(len(post))):
        raise ValueError(
            f"event times must run without gaps from the earliest lead to -2 and from 0; got "
            f"{list(times)}"
        )
    if not post:
        raise ValueError("there are no post-period coefficients (e >= 0)")
    return len(pre), len(post)
