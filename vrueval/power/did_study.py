"""Power of difference-in-differences and event studies on the real pre-period panel.

The test is the one :class:`vrueval.DiD` (``estimator="twfe"`` or ``"2x2"``) and
:class:`vrueval.EventStudy` (all event times, reference -1) run with ``inference="cr1"``: the
unit-clustered CR1 variance with Stata's small-sample factor and ``t(G - 1)``; for a DiD also the
wild cluster restricted bootstrap (``"wild"``) or randomization inference (``"randomization"``).
With one common start and a balanced panel each estimate is a difference of treated and
comparator means of a per-unit contrast (see :mod:`vrueval.power.kernels` and
:mod:`vrueval.power.resampled`), so neither the draws nor the resamples refit a model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, Required, TypedDict, Unpack, get_args

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel
from vrueval.data.rates import per_population
from vrueval.designs.did.data import check_panel
from vrueval.designs.did.options import DID
from vrueval.inference import few_clusters
from vrueval.inference.draws import check_draws
from vrueval.inference.small_sample import (
    ParamCount,
    SmallSample,
    check_small_sample,
    cr1_factor,
)
from vrueval.inference.wild_bootstrap import BootWeights
from vrueval.power import analytic as an
from vrueval.power import resampled
from vrueval.power import simulate as sim
from vrueval.power.kernels import contrast_difference
from vrueval.power.results import PowerResult
from vrueval.power.scales import baseline
from vrueval.power.study import (
    DEFAULT_EFFECTS,
    Critical,
    Direction,
    assemble,
    check_common,
    check_seed,
    choice,
    post_vru_warning,
)

Placebo = Literal["both", "space", "time"]
Estimator = Literal["twfe", "2x2"]
Scale = Literal["value", "rate"]
Inference = Literal["cr1", "wild", "randomization"]
PLACEBOS: tuple[str, ...] = get_args(Placebo)
#: The design's defaults (its options table): the studies' are these (the test is its test).
_DESIGN = DID.defaults()


class StudyOptions(TypedDict, total=False):
    """The options :func:`did` and :func:`event_study` share (defaults in :func:`_study`)."""

    post: Required[int]
    pre: int | None
    n_treated: int | None
    treated: Sequence[str] | None
    comparators: Sequence[str] | None
    n_comparators: int | None
    placebo: Placebo
    starts: Sequence[Any] | None
    scale: Scale
    per: float
    start: Any
    end: Any
    effects: Sequence[float]
    level: float
    power: float
    n_sims: int
    seed: int | None
    inference: Inference
    draws: int
    boot_weights: BootWeights
    permutations: int
    ri_statistic: Literal["t", "coefficient"]
    small_sample: SmallSample
    direction: Direction
    critical: Critical


def did(
    panel: Panel,
    outcome: str,
    *,
    estimator: Estimator = "twfe",
    **options: Unpack[StudyOptions],
) -> PowerResult:
    """Power and minimum detectable effect of a DiD against comparator areas.

    Estimand and test: the ATT of :class:`vrueval.DiD` (TWFE or 2x2, one common start, unit
    clusters), two-sided at ``level``, with the ``inference`` the analysis will use: ``"cr1"``
    (CR1 with ``t(G - 1)``), ``"wild"`` (wild cluster restricted bootstrap with ``draws``
    ``boot_weights`` weights) or ``"randomization"`` (``permutations`` re-assignments of the
    treated set, on the CR1 t or, with ``ri_statistic="coefficient"``, the estimate). Effects
    are relative changes planted multiplicatively into the treated units' post-period cells.
    The options the design shares default as the design's (its options table,
    :data:`vrueval.designs.did.options.DID`): 9,999 draws and 5,000 permutations as
    :meth:`vrueval.DiD.fit`; give fewer to simulate faster (the 5% decision barely moves).

    Draws (``placebo``):

    * ``"space"``: random treated sets of ``n_treated`` units (the comparators: ``n_comparators``
      others, or all the rest), the start ``post`` periods before the end of the data (the
      last of ``starts`` when given);
    * ``"time"``: the given ``treated`` set against ``comparators`` (default: the rest of the
      pool) at every admissible placebo start (deterministic);
    * ``"both"`` (default): a random treated set and a random start for each draw.

    ``starts`` restricts the placebo start dates (default: every admissible one); the same
    ``seed`` and ``starts`` give common random numbers across designs of different sizes. The
    pool is every unit with a complete outcome over the data used. Windows have ``pre``
    periods before the start (default: all available for "space", half those left after
    ``post`` otherwise) and ``post`` from it.

    Assumptions: the pre-period panel represents the evaluation period; treatment is as good as
    randomly assigned across the pool (placebo in space), so the real treated set's power can
    differ when it is unlike a random set - compare with ``placebo="time"``.

    References
    ----------
    Bertrand, M., Duflo, E. and Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? *QJE* 119(1), 249-275. Burlig, F., Preonas, L. and
    Woerman, M. (2020). Panel data and experimental design. *J. Dev. Econ.* 144, 102458.
    """
    choice(estimator, get_args(Estimator), "estimator")
    return _study(panel, outcome, estimator=estimator, term="att", **options)


def event_study(
    panel: Panel,
    outcome: str,
    *,
    term: str = "att",
    **options: Unpack[StudyOptions],
) -> PowerResult:
    """Power of an event study's ``att`` (mean post-period coefficient) or one ``att:e=<k>``.

    The test is :class:`vrueval.EventStudy`'s with every event time in the window unbinned and
    reference -1, CR1 by unit. ``att:e=<k>`` for a lead (``k < 0``) receives no planted effect:
    its rejection rate is the size of the pre-trend check on that lead. Other options as
    :func:`did`.
    """
    return _study(panel, outcome, estimator="event_study", term=term, **options)


def _study(
    panel: Panel,
    outcome: str,
    *,
    estimator: str,
    term: str,
    post: int,
    pre: int | None = None,
    n_treated: int | None = None,
    treated: Sequence[str] | None = None,
    comparators: Sequence[str] | None = None,
    n_comparators: int | None = None,
    placebo: Placebo = "both",
    starts: Sequence[Any] | None = None,
    scale: Scale = _DESIGN["scale"],
    per: float = _DESIGN["per"],
    start: Any = None,
    end: Any = None,
    effects: Sequence[float] = DEFAULT_EFFECTS,
    level: float = _DESIGN["level"],
    power: float = 0.8,
    n_sims: int = 1000,
    seed: int | None = None,
    inference: Inference = _DESIGN["inference"],
    draws: int = _DESIGN["draws"],
    boot_weights: BootWeights = _DESIGN["boot_weights"],
    permutations: int = _DESIGN["permutations"],
    ri_statistic: Literal["t", "coefficient"] = _DESIGN["ri_statistic"],
    small_sample: SmallSample = _DESIGN["small_sample"],
    direction: Direction = "decrease",
    critical: Critical = "nominal",
) -> PowerResult:
    common = check_common(effects, level, power, n_sims, direction, critical)
    check_panel(panel, outcome)
    choice(placebo, PLACEBOS, "placebo")
    choice(scale, get_args(Scale), "scale")
    choice(inference, get_args(Inference), "inference")
    check_small_sample(small_sample)
    if inference != "cr1":
        if estimator == "event_study":
            raise ValueError("an event study's power is simulated for inference='cr1' only")
        if critical != "nominal":
            raise ValueError(f"inference={inference!r} is calibrated by resampling: drop critical")
    check_seed(seed, needed=placebo != "time" or inference != "cr1")
    if inference == "wild":
        check_draws(draws, level, "draws")
    elif inference == "randomization":
        check_draws(permutations, level, "permutations")
    if not isinstance(post, int) or isinstance(post, bool) or post < 1:
        raise ValueError(f"post must be a positive integer number of periods, got {post!r}")

    sub = panel.select(outcome=outcome, start=start, end=end)
    raw = sub.wide(outcome)
    pop = sub.wide(outcome, "population")
    values = per_population(raw, pop, per) if scale == "rate" else raw
    periods = pd.PeriodIndex(values.index)
    n_periods = len(periods)
    complete = [u for u in values.columns if values[u].notna().all()]
    warnings = post_vru_warning(periods[-1])
    dropped = [u for u in values.columns if u not in complete]
    if dropped:
        warnings.append(
            "left out of the pool for missing values in the window: "
            + ", ".join(areas.name(u) if u in _codes() else u for u in dropped)
        )
    treated_codes = _resolve(treated, panel.geography)
    comparator_codes = _resolve(comparators, panel.geography)
    for u in [*(treated_codes or []), *(comparator_codes or [])]:
        if u not in complete:
            raise ValueError(f"{u} has missing values in the data used; it cannot take part")

    if placebo == "time":
        if treated_codes is None:
            raise ValueError("placebo='time' keeps the real treated set: give treated=[...]")
        pool = list(complete)
        if comparator_codes is None:
            comparator_codes = [u for u in pool if u not in treated_codes]
        n_t, n_c = len(treated_codes), len(comparator_codes)
    else:
        pool = list(complete)
        if n_treated is None:
            if treated_codes is None:
                raise ValueError("give n_treated (placebo treated sets) or treated=[...]")
            n_treated = len(treated_codes)
        if not isinstance(n_treated, int) or n_treated < 1:
            raise ValueError(f"n_treated must be a positive integer, got {n_treated!r}")
        n_t = n_treated
        n_c = len(pool) - n_t if n_comparators is None else n_comparators

    # the test simulated is the one the analysis runs: refused or warned about alike
    warnings += few_clusters.check(
        inference, few_clusters.ClusterCounts(n_t + n_c, n_t, n_c), level=level
    )
    pre_default = n_periods - post if placebo == "space" else (n_periods - post) // 2
    pre = pre_default if pre is None else pre
    if not isinstance(pre, int) or isinstance(pre, bool) or pre < 1:
        raise ValueError(f"pre must be a positive integer number of periods, got {pre!r}")
    allowed = sim.placebo_starts(n_periods, pre, post)
    if starts is not None:
        index = {p: i for i, p in enumerate(periods)}
        wanted = [index.get(panel.period(d), -1) - pre for d in starts]
        bad = [str(d) for d, w in zip(starts, wanted, strict=True) if w not in set(allowed)]
        if bad or not wanted:
            lo, hi = periods[allowed[0] + pre], periods[allowed[-1] + pre]
            raise ValueError(
                f"placebo starts {bad or '[]'} do not leave {pre} pre- and {post} post-periods "
                f"in the data; admissible: {lo}..{hi}"
            )
        allowed = np.asarray(wanted)
    rng = np.random.default_rng(seed)
    Y = values[pool].to_numpy(dtype=float)  # T x N
    if placebo == "time":
        assert treated_codes is not None and comparator_codes is not None
        first = allowed
        idx = {u: i for i, u in enumerate(pool)}
        t_mask = np.zeros((len(first), len(pool)), dtype=bool)
        c_mask = np.zeros_like(t_mask)
        t_mask[:, [idx[u] for u in treated_codes]] = True
        c_mask[:, [idx[u] for u in comparator_codes]] = True
    else:
        t_mask, c_mask = sim.placebo_sets(len(pool), n_t, n_comparators, n_sims, rng)
        first = (
            np.full(n_sims, allowed[-1])
            if placebo == "space"
            else allowed[rng.integers(0, len(allowed), size=n_sims)]
        )
    weights, post_weights = contrast_weights(estimator, term, pre, post)
    A = np.zeros((len(first), n_periods))
    B = np.zeros_like(A)
    cols = first[:, None] + np.arange(pre + post)[None, :]
    rows = np.arange(len(first))[:, None]
    A[rows, cols] = weights
    B[rows, cols] = post_weights
    C = A @ Y
    V = B @ Y
    g = float(n_t + n_c)
    width = pre + post
    n_obs, count = {
        "twfe": (g * width, ParamCount.two_way(int(g), width, 1)),
        "2x2": (2 * g, ParamCount.two_way(int(g), 2, 1)),
        "event_study": (g * width, ParamCount.two_way(int(g), width, width - 1)),
    }[estimator]
    factor = np.full(len(first), cr1_factor(small_sample, n_obs=n_obs, n_clusters=g, count=count))
    planted = contrast_difference(C, V, t_mask, c_mask, factor)
    if inference != "cr1":
        # its own stream: the placebo draws stay those of the CR1 study with the same seed
        resample_rng = np.random.default_rng([seed or 0, 1])
        planted = resampled.for_did(
            inference,
            planted,
            C,
            V,
            t_mask,
            c_mask,
            factor,
            draws=draws,
            boot_weights=boot_weights,
            permutations=permutations,
            ri_statistic=ri_statistic,
            rng=resample_rng,
        )

    analytic = _analytic(
        Y, allowed, weights, post_weights, pool, treated_codes, comparator_codes, n_t, n_c, placebo
    )
    rescaled = bool(treated_codes) and n_t != len(treated_codes or ())
    if treated_codes and not rescaled:
        base = baseline(raw, pop, panel.frequency, panel.measure, list(treated_codes))
    elif treated_codes:  # n_treated changes the design: its baseline follows (issue 15, item 6)
        base = baseline(raw, pop, panel.frequency, panel.measure, list(treated_codes), scale_to=n_t)
    else:  # placebo sets: the average pooled unit, times the number treated
        base = baseline(raw, pop, panel.frequency, panel.measure, pool, scale_to=n_t)
    names = {"twfe": "DiD (TWFE)", "2x2": "DiD (2x2)", "event_study": "Event study (TWFE)"}
    settings: dict[str, Any] = {
        "outcome": outcome,
        "term": term,
        "estimator": estimator,
        "inference": inference,
        "small_sample": small_sample,
        **_resampling_settings(inference, draws, boot_weights, permutations, ri_statistic),
        "placebo": placebo,
        "pre": pre,
        "post": post,
        "n_treated": n_t,
        "n_comparators": n_c,
        # with n_treated other than the real set's size, the real areas only give the baseline
        "treated": list(treated_codes) if treated_codes and not rescaled else None,
        "comparators": list(comparator_codes) if comparator_codes else None,
        "baseline_from": list(treated_codes) if treated_codes and rescaled else None,
        "pool": pool,
        "scale": scale,
        "per": per if scale == "rate" else None,
        "data_start": str(periods[0]),
        "data_end": str(periods[-1]),
        "n_sims": n_sims if placebo != "time" else None,
        "effect_model": "multiplicative, constant from the start, treated units only",
    }
    if scale == "value" and panel.measure == "count":
        warnings.append(
            "the DiD is on counts: a proportional effect in areas of very different size makes "
            "the treated areas' changes unequal, and the unweighted estimate can lose power as "
            "the effect or the number of areas grows; scale='rate' usually tests it better"
        )
    diag = {
        "n_placebo_starts": int(len(allowed)),
        "placebo_starts": [str(periods[s + pre]) for s in allowed],
        "cr1_factor": float(factor[0]),
    }
    return assemble(
        common,
        design=names[estimator],
        planted=planted,
        analytic=analytic,
        baseline=base,
        settings=settings,
        seed=seed if placebo != "time" or inference != "cr1" else None,
        diagnostics=diag,
        warnings=warnings,
        sources=panel.sources,
        draw_info=pd.DataFrame({"placebo_start": [str(periods[f + pre]) for f in first]}),
    )


def _resampling_settings(
    inference: str, draws: int, boot_weights: str, permutations: int, ri_statistic: str
) -> dict[str, Any]:
    if inference == "wild":
        return {"draws": draws, "boot_weights": boot_weights}
    if inference == "randomization":
        return {"permutations": permutations, "ri_statistic": ri_statistic}
    return {}


def _codes() -> set[str]:
    return {a.code for a in (*areas.forces(), *areas.regions())}


def _resolve(units: Sequence[str] | None, geography: str) -> list[str] | None:
    if units is None:
        return None
    if isinstance(units, str):
        units = [units]
    codes = [areas.resolve(u, geography) for u in units]  # type: ignore[arg-type]
    if len(set(codes)) < len(codes):
        raise ValueError("a unit is listed twice")
    return codes


def contrast_weights(estimator: str, term: str, pre: int, post: int) -> tuple[np.ndarray, ...]:
    """Period weights ``a_t`` of the per-unit contrast over a window, and their post part.

    TWFE and 2x2: post-period mean minus pre-period mean. Event study ``att``: post-period mean
    minus the reference period (-1); ``att:e=<k>``: period k minus the reference.
    """
    a = np.zeros(pre + post)
    if estimator in ("twfe", "2x2"):
        if term != "att":
            raise ValueError(f"a DiD tests term 'att', got {term!r}")
        a[:pre] = -1 / pre
        a[pre:] = 1 / post
    else:
        if pre < 1:
            raise ValueError("an event study needs the reference period -1 in the window")
        a[pre - 1] = -1.0
        if term == "att":
            a[pre:] = 1 / post
        else:
            m = re.fullmatch(r"att:e=(-?\d+)", term)
            if not m:
                raise ValueError(f"term must be 'att' or 'att:e=<k>', got {term!r}")
            k = int(m.group(1))
            if k == -1 or not -pre <= k < post:
                raise ValueError(f"event time {k} must be in {-pre}..{post - 1}, not -1")
            a[pre + k] += 1.0
    b = np.where(np.arange(pre + post) >= pre, a, 0.0)
    return a, b


def _analytic(
    Y: np.ndarray,
    starts: np.ndarray,
    weights: np.ndarray,
    post_weights: np.ndarray,
    pool: list[str],
    treated: list[str] | None,
    comparators: list[str] | None,
    n_t: int,
    n_c: int,
    placebo: str,
) -> dict[str, an.Analytic]:
    """Closed forms with the contrast variance measured on the panel, or from an AR(1)."""
    width = len(weights)
    if placebo == "space":
        starts = starts[-1:]
    windows = starts[:, None] + np.arange(width)[None, :]
    C = np.stack([weights @ Y[w] for w in windows])  # W x N
    V = np.stack([post_weights @ Y[w] for w in windows])
    if placebo == "time" and treated is not None and comparators is not None:
        ti = [pool.index(u) for u in treated]
        ci = [pool.index(u) for u in comparators]
        var_t = float(np.mean(np.var(C[:, ti], axis=1, ddof=1))) if len(ti) > 1 else np.nan
        var_c = float(np.mean(np.var(C[:, ci], axis=1, ddof=1)))
        if not np.isfinite(var_t):
            var_t = var_c
        shift = float(np.mean(V[:, ti]))
    else:
        var_t = var_c = float(np.mean(np.var(C, axis=1, ddof=1)))
        shift = float(np.mean(V))
    out = {"analytic": an.did_clustered(var_t, var_c, n_t, n_c, shift)}
    # parametric: AR(1) of the two-way demeaned panel
    r = Y.T - Y.mean(axis=0)[:, None] - Y.mean(axis=1)[None, :] + Y.mean()
    sigma2, rho = an.panel_ar1(r)
    var_ar1 = an.contrast_var_ar1(weights, sigma2, rho)
    out["analytic_ar1"] = an.did_clustered(
        var_ar1, var_ar1, n_t, n_c, shift, {"sigma2": sigma2, "rho": rho}
    )
    return out
