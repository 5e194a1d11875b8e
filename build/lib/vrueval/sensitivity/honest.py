"""Rambachan & Roth (2023) robust confidence sets over a range of restrictions, and the
breakdown value; works on arrays (:func:`honest_did_arrays`) and returns a
:class:`~vrueval.sensitivity.result.SensitivityResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from vrueval.inference.intervals import check_level
from vrueval.inference.seeds import check_seed
from vrueval.sensitivity import conditional, restrictions
from vrueval.sensitivity.flci import flci
from vrueval.sensitivity.identified import identified_set
from vrueval.sensitivity.inputs import EventTimeEstimates, check_estimates
from vrueval.sensitivity.restrictions import Bias, Monotone
from vrueval.sensitivity.result import SensitivityResult

Restriction = Literal["relative_magnitude", "smoothness"]
Method = Literal["c-lf", "conditional", "flci"]
#: What each restriction allows, and its default (the paper's and the R package's choice).
METHODS: dict[str, tuple[str, ...]] = {
    "relative_magnitude": ("c-lf", "conditional"),
    "smoothness": ("flci", "c-lf", "conditional"),
}
DEFAULT_METHOD = {"relative_magnitude": "c-lf", "smoothness": "flci"}
#: The R package's default grid of Mbar values.
DEFAULT_MBAR = tuple(round(0.2 * i, 1) for i in range(11))
METHOD_LABELS = {"c-lf": "C-LF", "conditional": "Conditional", "flci": "FLCI"}
#: Grid points of the test inversion before its ends are refined by bisection.
GRID_POINTS = 41
#: Bisection tolerance on the interval ends, as a fraction of the target's standard error.
END_TOLERANCE = 1e-5


def _choice(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}")


def honest_did_arrays(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    *,
    restriction: Restriction = "relative_magnitude",
    bounds: Sequence[float] | None = None,
    target: str | int | Sequence[float] = 0,
    method: Method | None = None,
    bias: Bias | None = None,
    monotone: Monotone | None = None,
    level: float = 0.95,
    draws: int = 1000,
    seed: int | None = None,
    breakdown: bool = True,
    event_times: Sequence[int] | None = None,
    term: str | None = None,
    warnings: Sequence[str] = (),
    provenance: dict[str, Any] | None = None,
) -> SensitivityResult:
    """Robust confidence sets for an event-study effect when parallel trends may fail.

    Estimand: ``theta = l' tau_post``, one post-period effect (``target`` = its event time,
    0 the first post period) or a weighted average (``target="average"``, or weights).

    Assumptions: ``betahat`` is approximately normal with covariance ``sigma`` (pre-period
    coefficients first, then post, the reference period omitted and lying just before the first
    post period); its mean is ``(0, tau_post) + delta`` with the bias ``delta`` in the
    restriction set:

    - ``restriction="relative_magnitude"``: ``Delta^RM(Mbar)``, post-period changes in the bias
      at most ``Mbar`` times the largest pre-period change; ``bounds`` are the ``Mbar`` values.
    - ``restriction="smoothness"``: ``Delta^SD(M)``, the bias's slope changes by at most ``M``
      a period (``M = 0``: a linear trend, extrapolated); ``bounds`` are the ``M`` values, in the
      outcome's units. By default ten values from 0 to the package's upper bound for ``M``
      from the pre-periods (their largest second difference plus ``z_{1-alpha}`` standard errors).

    ``bias`` ("positive"/"negative") adds that the post-period bias has that sign;
    ``monotone`` ("increasing"/"decreasing") that the bias moves one way throughout.

    Methods: ``"flci"`` (smoothness only, its default: the optimal fixed-length interval),
    ``"c-lf"`` (relative magnitudes' default: the conditional least-favourable hybrid of
    Andrews, Roth & Pakes with ``kappa = alpha / 10``, its first stage simulated with ``draws``
    normal draws from ``seed``) and ``"conditional"`` (the conditional test alone).
    ``seed`` is required for ``"c-lf"`` (its interval moves with the draws, by Monte Carlo
    error) and recorded on the result; the FLCI and the conditional set draw nothing and
    record no seed.

    ``breakdown``: also find the largest bound at which the robust set still excludes zero,
    by bisection on the bound (the sets grow with it).

    References
    ----------
    Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. *Review of
    Economic Studies* 90(5), 2555-2591.
    """
    _choice(restriction, get_args(Restriction), "restriction")
    chosen: str = DEFAULT_METHOD[restriction] if method is None else method
    _choice(chosen, METHODS[restriction], f"method for restriction={restriction!r}")
    if bias is not None:
        _choice(bias, get_args(Bias), "bias")
    if monotone is not None:
        _choice(monotone, get_args(Monotone), "monotone")
    if chosen == "flci" and (bias is not None or monotone is not None):
        raise ValueError(
            "the FLCI is optimal for smoothness alone; with bias= or monotone= use "
            "method='c-lf' or 'conditional'"
        )
    level = check_level(level)
    check_seed(seed, needed=chosen == "c-lf")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 100:
        raise ValueError(f"draws must be an integer of at least 100, got {draws!r}")
    est = check_estimates(betahat, sigma, n_pre, n_post, target, event_times=event_times)
    alpha = 1 - level
    values = _bounds(restriction, bounds, est, alpha)
    solver = _Solver(est, restriction, chosen, bias, monotone, alpha, draws, seed)
    rows = []
    notes = list(warnings)
    for value in values:
        centre, spread, lo, hi = solver.interval(value)
        rows.append((value, centre, spread, lo, hi))
    table = pd.DataFrame(
        rows, columns=["bound", "estimate", "std_error", "conf_low", "conf_high"]
    ).assign(p_value=np.nan)
    if table[["conf_low", "conf_high"]].isna().any().any():
        empty = table.loc[table["conf_low"].isna(), "bound"].tolist()
        notes.append(
            f"the robust set is empty at {_name(restriction)} = {empty}: no value of the target "
            "is consistent with the restriction and the data (the restriction is rejected)"
        )
    if np.isinf(table[["conf_low", "conf_high"]].to_numpy(dtype=float)).any():
        notes.append(
            "some robust sets are unbounded: the restriction does not bound the target there"
        )
    found = solver.breakdown(max(values)) if breakdown else None
    z = stats.norm.ppf(1 - alpha / 2)
    original = {
        "estimate": est.theta_hat,
        "std_error": est.theta_se,
        "conf_low": est.theta_hat - z * est.theta_se,
        "conf_high": est.theta_hat + z * est.theta_se,
    }
    settings: dict[str, Any] = {
        "restriction": restriction,
        "method": chosen,
        "target": target if isinstance(target, str | int) else list(map(float, target)),
        "l_vec": est.l_vec.tolist(),
        "bias": bias,
        "monotone": monotone,
        "n_pre": est.n_pre,
        "n_post": est.n_post,
        "event_times": list(est.event_times),
        "grid_points": GRID_POINTS,
        "end_tolerance_se": END_TOLERANCE,
    }
    if chosen == "c-lf":
        settings.update({"kappa": round(alpha / 10, 12), "draws": draws})
    return SensitivityResult(
        term=term or _term(est),
        table=table.assign(method=METHOD_LABELS[chosen], restriction=restriction),
        original=original,
        breakdown=found,
        estimates={
            "beta": est.beta,
            "sigma": est.sigma,
            "event_times": list(est.event_times),
        },
        settings=settings,
        level=level,
        seed=seed if chosen == "c-lf" else None,
        provenance=provenance,
        warnings=tuple(notes),
    )


def _term(est: EventTimeEstimates) -> str:
    post = est.event_times[est.n_pre :]
    nonzero = np.flatnonzero(est.l_vec)
    if len(nonzero) == 1 and est.l_vec[nonzero[0]] == 1:
        return f"att:e={post[nonzero[0]]}"
    if np.allclose(est.l_vec, 1 / est.n_post):
        return "att:average"
    return "att:weighted"


def _name(restriction: str) -> str:
    return "Mbar" if restriction == "relative_magnitude" else "M"


def _bounds(
    restriction: str, bounds: Sequence[float] | None, est: EventTimeEstimates, alpha: float
) -> list[float]:
    if bounds is None:
        if restriction == "relative_magnitude":
            return list(DEFAULT_MBAR)
        return [float(v) for v in np.linspace(0, smoothness_upper_bound(est, alpha), 10)]
    if isinstance(bounds, int | float):
        bounds = [bounds]
    out = [float(v) for v in bounds]
    name = _name(restriction)
    if not out:
        raise ValueError(f"bounds must hold at least one {name} value")
    bad = [v for v in out if not np.isfinite(v) or v < 0]
    if bad:
        raise ValueError(f"{name} values must be finite and non-negative, got {bad}")
    return out


def smoothness_upper_bound(est: EventTimeEstimates, alpha: float) -> float:
    """The R package's default top of the ``M`` grid: the largest pre-period second difference
    (the reference period at 0 included) plus ``z_{1-alpha}`` of its standard errors; with one
    pre-period coefficient, its standard error."""
    n_pre = est.n_pre
    if n_pre < 2:
        return float(np.sqrt(est.sigma[0, 0]))
    a, _ = restrictions.smoothness(n_pre, 0, 0.0)
    pre = est.beta[:n_pre]
    cov = est.sigma[:n_pre, :n_pre]
    se = np.sqrt(np.einsum("ij,jk,ik->i", a, cov, a))
    return float(np.max(a @ pre + stats.norm.ppf(1 - alpha) * se))


class _Solver:
    """The robust set at one bound, and the breakdown search, for fixed inputs."""

    def __init__(
        self,
        est: EventTimeEstimates,
        restriction: str,
        method: str,
        bias: Bias | None,
        monotone: Monotone | None,
        alpha: float,
        draws: int,
        seed: int | None,
    ) -> None:
        self.est, self.restriction, self.method = est, restriction, method
        self.bias, self.monotone = bias, monotone
        self.alpha, self.kappa = alpha, alpha / 10 if method == "c-lf" else 0.0
        self.draws, self.seed = draws, seed

    def polyhedra(self, value: float) -> list[tuple[np.ndarray, np.ndarray]]:
        n_pre, n_post = self.est.n_pre, self.est.n_post
        if self.restriction == "smoothness":
            base = [restrictions.smoothness(n_pre, n_post, value)]
        else:
            base = [
                restrictions.relative_magnitudes(n_pre, n_post, value, s, positive)
                for s in range(-n_pre + 1, 1)
                for positive in (True, False)
            ]
        extra = []
        if self.bias is not None:
            extra.append(restrictions.sign(n_pre, n_post, self.bias))
        if self.monotone is not None:
            extra.append(restrictions.monotone(n_pre, n_post, self.monotone))
        return [restrictions.intersect(p, *extra) for p in base]

    def _accept(self, value: float) -> Callable[[float], bool]:
        ps = conditional.pieces(
            self.est,
            self.polyhedra(value),
            hybrid=self.method == "c-lf",
            alpha=self.alpha,
            kappa=self.kappa,
            draws=self.draws,
            seed=self.seed,
        )
        return lambda theta: conditional.accepts(ps, theta, self.alpha, self.kappa)

    def interval(self, value: float) -> tuple[float, float, float, float]:
        """The estimate the set is built around, its standard error, and the set's ends: the
        FLCI's own centre and standard deviation, else the original estimate's."""
        if self.method == "flci":
            f = flci(self.est, value, self.alpha)
            return (f.low + f.high) / 2, f.sd, f.low, f.high
        lo, hi = self._robust_set(value)
        return self.est.theta_hat, self.est.theta_se, lo, hi

    def _robust_set(self, value: float) -> tuple[float, float]:
        est = self.est
        se = est.theta_se
        lo, hi = identified_set(est, self.polyhedra(value))
        if not np.isfinite(lo) or not np.isfinite(hi):
            lo, hi = est.theta_hat, est.theta_hat
        pad = 6 * se * (1 + value if self.restriction == "relative_magnitude" else 1)
        return conditional.invert(
            self._accept(value), lo - pad, hi + pad, grid=GRID_POINTS, tol=END_TOLERANCE * se
        )

    def excludes_zero(self, value: float) -> bool:
        if self.method == "flci":
            f = flci(self.est, value, self.alpha)
            return f.low > 0 or f.high < 0
        return not self._accept(value)(0.0)

    def breakdown(self, top: float) -> dict[str, Any]:
        """The largest bound at which zero is rejected, to 0.1% of the bracket (or 1e-6 of
        the target's standard error for ``M``), searching up to 1000 times ``top``."""
        name = _name(self.restriction)
        if not self.excludes_zero(0.0):
            return {
                "value": None,
                "found": False,
                "note": f"zero is in the set already at {name} = 0",
            }
        lo, hi = (
            0.0,
            max(top, 1e-3 if self.restriction == "relative_magnitude" else self.est.theta_se),
        )
        while self.excludes_zero(hi):
            lo, hi = hi, 2 * hi
            if hi > 1000 * max(top, 1.0):
                return {
                    "value": lo,
                    "found": False,
                    "note": f"zero stays excluded up to {name} = {lo:.4g}",
                }
        floor = 1e-6 * (1.0 if self.restriction == "relative_magnitude" else self.est.theta_se)
        while hi - lo > max(1e-3 * hi, floor):
            mid = (lo + hi) / 2
            if self.excludes_zero(mid):
                lo = mid
            else:
                hi = mid
        return {
            "value": lo,
            "found": True,
            "note": f"zero enters the set between {name} = {lo:.4g} and {hi:.4g}",
        }


def honest_did(
    result: object,
    *,
    restriction: Restriction = "relative_magnitude",
    bounds: Sequence[float] | None = None,
    target: str | int | Sequence[float] = 0,
    method: Method | None = None,
    bias: Bias | None = None,
    monotone: Monotone | None = None,
    level: float | None = None,
    draws: int = 1000,
    seed: int | None = None,
    breakdown: bool = True,
    pre_periods: int | None = None,
) -> SensitivityResult:
    """Rambachan & Roth sensitivity of a fitted event study (``ve.EventStudy``) or staggered
    fit (``ve.StaggeredDiD`` with ``base_period="universal"``) to violations of parallel trends.

    Takes the event-time coefficients and their covariance from the result
    (:mod:`vrueval.sensitivity.sources`); ``target`` is a post-period event time (0: the first
    period from the start), ``"average"`` (the mean of the post-period effects, the event
    study's ``att``) or weights. ``level`` defaults to the result's. ``pre_periods``: use only
    that many pre-period coefficients, those nearest the start (default: all); dropping an
    earliest lead that bins every earlier period keeps its jump from the next lead out of
    the largest pre-period violation that relative magnitudes scale by (the remaining
    coefficients keep their joint distribution). Everything else is as in
    :func:`honest_did_arrays`, whose docstring states the estimand, assumptions and methods.
    """
    from vrueval.sensitivity.sources import from_result, split

    src = from_result(result)
    n_pre, n_post = split(src.event_times)
    beta, sigma, times = src.beta, src.sigma, src.event_times
    notes = src.warnings
    if pre_periods is not None:
        if isinstance(pre_periods, bool) or not isinstance(pre_periods, int):
            raise ValueError(f"pre_periods must be an integer, got {pre_periods!r}")
        if not 1 <= pre_periods <= n_pre:
            raise ValueError(
                f"pre_periods must be between 1 and the {n_pre} pre-period coefficients, "
                f"got {pre_periods}"
            )
        keep = np.arange(n_pre - pre_periods, len(beta))
        beta, sigma = beta[keep], sigma[np.ix_(keep, keep)]
        times = tuple(times[i] for i in keep)
        if pre_periods < n_pre:
            notes = tuple(w for w in notes if "earliest lead" not in w) + (
                f"pre-period coefficients before e={times[0]} are left out "
                f"(pre_periods={pre_periods})",
            )
        n_pre = pre_periods
    return honest_did_arrays(
        beta,
        sigma,
        n_pre,
        n_post,
        restriction=restriction,
        bounds=bounds,
        target=target,
        method=method,
        bias=bias,
        monotone=monotone,
        level=src.level if level is None else level,
        draws=draws,
        seed=seed,
        breakdown=breakdown,
        event_times=times,
        warnings=notes,
        provenance={"source": src.origin, **dict(getattr(result, "provenance", {}))},
    )
