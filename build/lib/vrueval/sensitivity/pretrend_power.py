"""Roth (2022): how strong a pre-trend would the pre-test catch, and what bias does it let
through?

Under a linear violation of parallel trends with slope ``gamma`` per period (``delta_e =
gamma (e + 1)``, zero at the reference period ``e = -1``), the estimated coefficients are
``beta_hat ~ N(delta + (0, tau), Sigma)``. Two pre-tests:

- ``rule="wald"``: the joint Wald test that the pre-period coefficients are zero. Its power is
  that of a noncentral chi-squared with noncentrality ``delta_pre' Sigma_pre^{-1} delta_pre``,
  or, with ``clusters=G``, of the Hotelling-scaled F the event study prints
  (``F = W (G - q) / (q (G - 1))`` on ``(q, G - q)``, noncentral F with the same noncentrality).
- ``rule="individual"``: pass when no pre-period coefficient is individually significant
  (``|beta_j / se_j| <= z_{1-alpha/2}`` for all j), Roth's rule; its power is one minus a
  rectangle probability of the multivariate normal, simulated from ``draws`` seeded normal
  draws shared by every slope (common random numbers, so the slope at a given power is found
  by bisection on one smooth-enough curve); Genz's algorithm (:func:`rectangle_power`) checks
  it in the tests but takes about a second an evaluation.

The bias of the post-period estimates among studies that pass is ``delta_post + Sigma_qp
Sigma_pp^{-1} (E[beta_pre_hat | pass] - delta_pre)`` (the post-period errors' regression on the
pre-period ones); the truncated mean ``E[beta_pre_hat | pass]`` is simulated (``draws``, ``seed``)
and its Monte Carlo standard error reported. Passing the pre-test selects draws whose pre-period
errors offset the trend, which moves the post-period estimates by the covariance between them.

References
----------
Roth, J. (2022). Pretest with caution: event-study estimates after testing for parallel trends.
*American Economic Review: Insights* 4(3), 305-322.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import optimize, stats

from vrueval.inference.intervals import check_level
from vrueval.inference.seeds import check_seed
from vrueval.results import FrozenRecord, frozen, to_jsonable
from vrueval.sensitivity.inputs import check_estimates

Rule = Literal["wald", "individual"]
#: Genz's algorithm's absolute error for the rectangle probabilities.
RECTANGLE_ABSEPS = 1e-5


def linear_violation(event_times: Sequence[int], slope: float) -> np.ndarray:
    """``delta_e = slope * (e + 1)``: a linear trend through zero at the reference ``e = -1``."""
    return float(slope) * (np.asarray(event_times, dtype=float) + 1.0)


def wald_power(
    delta_pre: np.ndarray, sigma_pre: np.ndarray, *, level: float, clusters: int | None = None
) -> float:
    """Probability that the joint Wald test rejects when the pre-period coefficients have mean
    ``delta_pre``: noncentral chi-squared, or with ``clusters`` the Hotelling-scaled F."""
    q = len(delta_pre)
    lam = float(delta_pre @ np.linalg.solve(sigma_pre, delta_pre))
    return _wald_power_at(lam, q, level, clusters)


def _wald_power_at(lam: float, q: int, level: float, clusters: int | None) -> float:
    if clusters is None:
        return float(stats.ncx2.sf(stats.chi2.ppf(level, q), q, lam))
    d2 = clusters - q
    return float(stats.ncf.sf(stats.f.ppf(level, q, d2), q, d2, lam))


def rectangle_power(
    delta_pre: np.ndarray, sigma_pre: np.ndarray, *, level: float, seed: int
) -> float:
    """Probability that some pre-period coefficient is individually significant, by Genz's
    algorithm (seeded; absolute error about ``RECTANGLE_ABSEPS``)."""
    half = stats.norm.ppf(0.5 + level / 2) * np.sqrt(np.diag(sigma_pre))
    inside = stats.multivariate_normal.cdf(
        half,
        mean=delta_pre,
        cov=sigma_pre,
        allow_singular=True,
        abseps=RECTANGLE_ABSEPS,
        releps=0,
        lower_limit=-half,
        rng=np.random.default_rng(seed),
    )
    return float(1.0 - inside)


def wald_slope_for_power(
    power: float,
    times_pre: np.ndarray,
    sigma_pre: np.ndarray,
    *,
    level: float,
    clusters: int | None = None,
) -> float:
    """The positive slope of a linear violation the joint Wald test detects with probability
    ``power`` (the noncentrality solved for, then ``gamma = sqrt(lambda / t'Sigma^-1 t)``)."""
    t = times_pre + 1.0
    q = len(t)
    unit = float(t @ np.linalg.solve(sigma_pre, t))
    lo, hi = 0.0, float(q)
    while _wald_power_at(hi, q, level, clusters) < power:
        lo, hi = hi, 2 * hi
    lam = optimize.brentq(
        lambda v: _wald_power_at(v, q, level, clusters) - power, lo, hi, xtol=1e-10, rtol=1e-9
    )
    return float(np.sqrt(lam / unit))


class _PreDraws:
    """Seeded draws of the pre-period errors, shared by every slope (common random numbers)."""

    def __init__(self, sigma_pre: np.ndarray, draws: int, seed: int) -> None:
        w, v = np.linalg.eigh(sigma_pre)
        root = v * np.sqrt(np.clip(w, 0, None))
        self.errors = np.random.default_rng(seed).standard_normal((draws, len(w))) @ root.T

    def power(self, delta_pre: np.ndarray, sigma_pre: np.ndarray, level: float) -> float:
        passed = _passes(delta_pre + self.errors, sigma_pre, "individual", level, None)
        return float(1.0 - passed.mean())

    def slope_for_power(
        self, power: float, times_pre: np.ndarray, sigma_pre: np.ndarray, level: float
    ) -> float:
        t = times_pre + 1.0
        lo, hi = 0.0, float(np.sqrt(np.max(np.diag(sigma_pre)))) / float(np.max(np.abs(t)))
        while self.power(hi * t, sigma_pre, level) < power:
            lo, hi = hi, 2 * hi
        while hi - lo > 1e-7 * hi:
            mid = (lo + hi) / 2
            if self.power(mid * t, sigma_pre, level) < power:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2


def bias_given_pass(
    delta: np.ndarray,
    sigma: np.ndarray,
    n_pre: int,
    pre_errors: np.ndarray,
    *,
    rule: Rule,
    level: float,
    clusters: int | None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean bias of the post-period estimates among the draws (``delta_pre + pre_errors``)
    that pass, its Monte Carlo standard errors, and the share that pass."""
    s_pp = sigma[:n_pre, :n_pre]
    s_qp = sigma[n_pre:, :n_pre]
    passed = _passes(delta[:n_pre] + pre_errors, s_pp, rule, level, clusters)
    share = float(passed.mean())
    if passed.sum() < 2:
        nan = np.full(len(delta) - n_pre, np.nan)
        return nan, nan, share
    shift = pre_errors[passed] @ np.linalg.solve(s_pp, s_qp.T)
    mean = delta[n_pre:] + shift.mean(axis=0)
    se = shift.std(axis=0, ddof=1) / np.sqrt(passed.sum())
    return mean, se, share


def _passes(
    b_pre: np.ndarray, s_pp: np.ndarray, rule: Rule, level: float, clusters: int | None
) -> np.ndarray:
    q = s_pp.shape[0]
    if rule == "wald":
        w = np.einsum("ij,ij->i", b_pre, np.linalg.solve(s_pp, b_pre.T).T)
        if clusters is None:
            return w <= stats.chi2.ppf(level, q)
        f = w * (clusters - q) / (q * (clusters - 1))
        return f <= stats.f.ppf(level, q, clusters - q)
    z = stats.norm.ppf(0.5 + level / 2)
    return np.all(np.abs(b_pre) <= z * np.sqrt(np.diag(s_pp)), axis=1)


class PretrendPower(FrozenRecord):
    """Power of the pre-test against linear violations and the bias it lets through.

    Views: :attr:`slopes` (the slopes detected with 50% and 80% power), :attr:`slope` and
    :attr:`power` (the violation analysed: by default the 50%-power slope), :meth:`table`
    (per post event time: the violation's bias and the mean bias among studies that pass, with
    its Monte Carlo standard error), :attr:`pass_share`.
    """

    _change_hint = "run pretrend_power again"

    def __init__(
        self,
        *,
        slopes: Mapping[float, float],
        slope: float,
        power: float,
        table: pd.DataFrame,
        pass_share: float,
        settings: Mapping[str, Any],
        level: float,
        seed: int,
        warnings: tuple[str, ...] = (),
    ) -> None:
        self._slopes = frozen({float(k): float(v) for k, v in slopes.items()})
        self._slope, self._power, self._share = float(slope), float(power), float(pass_share)
        self._table = table.reset_index(drop=True).copy()
        self._record(
            design="Pre-trend power (Roth 2022)",
            settings=settings,
            level=level,
            seed=seed,
            provenance=None,
            diagnostics={"slope": self._slope, "power": self._power, "pass_share": self._share},
            warnings=warnings,
        )
        self._freeze()

    @property
    def slopes(self) -> Mapping[float, float]:
        return self._slopes

    @property
    def slope(self) -> float:
        return self._slope

    @property
    def power(self) -> float:
        return self._power

    @property
    def pass_share(self) -> float:
        return self._share

    def table(self) -> pd.DataFrame:
        return self._table.copy()

    def summary(self) -> str:
        rule = self.settings["rule"]
        lines = [f"{self.design}: pre-test '{rule}' at {int(round(self.level * 100))}%"]
        lines += [
            f"  slope detected with {int(p * 100)}% power: {s:.4g} per period"
            for p, s in self._slopes.items()
        ]
        lines += [
            "",
            f"Violation analysed: slope {self._slope:.4g} per period (power {self._power:.3f})",
            self._table.to_string(index=False, float_format="{:.4g}".format),
        ]
        lines += self._warning_lines()
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        body = {
            "slopes": {str(k): v for k, v in self._slopes.items()},
            "slope": self._slope,
            "power": self._power,
            "pass_share": self._share,
            "table": self._table,
        }
        return to_jsonable(self._as_dict(body))


def pretrend_power_arrays(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    *,
    slope: float | None = None,
    rule: Rule = "individual",
    level: float = 0.95,
    clusters: int | None = None,
    powers: Sequence[float] = (0.5, 0.8),
    event_times: Sequence[int] | None = None,
    draws: int = 100_000,
    seed: int | None = None,
) -> PretrendPower:
    """Roth (2022) pre-trend power for event-study coefficients (pre-period first, the reference
    ``e = -1`` left out). ``slope``: the linear violation to analyse (per period; default the
    slope the pre-test detects with the first of ``powers``). Only ``sigma`` and the event
    times matter; ``betahat`` is validated with them but the power does not depend on it."""
    if rule not in get_args(Rule):
        raise ValueError(f"rule must be one of {get_args(Rule)}, got {rule!r}")
    level = check_level(level)
    check_seed(seed, needed=True)
    assert seed is not None  # check_seed refused None
    est = check_estimates(betahat, sigma, n_pre, n_post, 0, event_times=event_times)
    if clusters is not None and (rule != "wald" or clusters <= n_pre):
        raise ValueError("clusters applies to rule='wald' and must exceed the number of leads")
    bad = [p for p in powers if not 1 - level < p < 1]
    if bad or not powers:
        raise ValueError(
            f"powers must lie between the test's size {1 - level:.3g} and 1, got {bad}"
        )
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1000:
        raise ValueError(f"draws must be an integer of at least 1000, got {draws!r}")
    times = np.asarray(est.event_times, dtype=float)
    s_pp = est.sigma[:n_pre, :n_pre]
    pre_draws = _PreDraws(s_pp, draws, seed)
    if rule == "wald":
        slopes = {
            p: wald_slope_for_power(p, times[:n_pre], s_pp, level=level, clusters=clusters)
            for p in powers
        }
    else:
        slopes = {p: pre_draws.slope_for_power(p, times[:n_pre], s_pp, level) for p in powers}
    chosen = slopes[powers[0]] if slope is None else float(slope)
    delta = linear_violation(est.event_times, chosen)
    power = (
        wald_power(delta[:n_pre], s_pp, level=level, clusters=clusters)
        if rule == "wald"
        else pre_draws.power(delta[:n_pre], s_pp, level)
    )
    mean, se, share = bias_given_pass(
        delta, est.sigma, n_pre, pre_draws.errors, rule=rule, level=level, clusters=clusters
    )
    table = pd.DataFrame(
        {
            "event_time": list(est.event_times[n_pre:]),
            "bias": delta[n_pre:],
            "bias_given_pass": mean,
            "mc_std_error": se,
        }
    )
    settings = {
        "rule": rule,
        "clusters": clusters,
        "powers": list(powers),
        "slope_source": "given" if slope is not None else f"{int(powers[0] * 100)}% power",
        "violation": "linear, zero at e=-1",
        "draws": draws,
        "event_times": list(est.event_times),
    }
    return PretrendPower(
        slopes=slopes,
        slope=chosen,
        power=power,
        table=table,
        pass_share=share,
        settings=settings,
        level=level,
        seed=seed,
    )


def pretrend_power(result: object, **options: Any) -> PretrendPower:
    """:func:`pretrend_power_arrays` on a fitted event study or staggered result. For an event
    study ``rule`` defaults to ``"wald"`` with the fit's clusters: the power of the
    Hotelling-scaled F test its summary prints."""
    from vrueval.designs.did.results import DiDResult
    from vrueval.sensitivity.sources import from_result, split

    src = from_result(result)
    n_pre, n_post = split(src.event_times)
    if isinstance(result, DiDResult) and "rule" not in options:
        test = result.pretrend_test
        options["rule"] = "wald"
        if test is not None:
            options.setdefault("clusters", int(test["df1"]) + int(test["df2"]))
    options.setdefault("level", src.level)
    return pretrend_power_arrays(
        src.beta, src.sigma, n_pre, n_post, event_times=src.event_times, **options
    )
