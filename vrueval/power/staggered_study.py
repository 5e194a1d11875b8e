"""Power of a staggered-adoption DiD (Callaway & Sant'Anna) on the real pre-period panel.

The test is the one :class:`vrueval.StaggeredDiD` (alias ``CallawaySantAnna``) reports for its
overall ``att`` without covariates: the ``"group"`` (its default) or ``"simple"`` aggregation of
the post-treatment ATT(g,t), never-treated (default) or not-yet-treated comparison units, the
analytic influence-function standard error and the normal critical value of its pointwise
interval, or (``inference="bootstrap"``) the multiplier-bootstrap standard error its
``fit(inference="bootstrap")`` reports. Without covariates every ATT(g,t) is a difference of
treated and comparison means of the long differences ``y_t - y_{g-1}``, so each draw's estimate
and influence function are linear in the planted effect and its analytic variance quadratic
(:func:`vrueval.power.kernels.group_time_mean`); the bootstrap's deviations are linear too
(:func:`vrueval.power.resampled.multiplier_bootstrap`): no draw refits the model or reruns a
bootstrap.

A planned rollout is a mapping from each cohort's first treated period to its size (placebo
treated sets) or to its units (placebo in time keeps the real cohorts), e.g.
``{"2019Q2": 18, "2022Q2": 2}``. Only the spacing of the dates is used: each draw moves the
whole rollout to a placebo date within the data, keeping the gaps between cohorts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd
from scipy import optimize, stats

from vrueval import areas
from vrueval.compute import pmap
from vrueval.data.panel import Panel
from vrueval.data.periods import display
from vrueval.data.rates import per_population
from vrueval.designs.did.data import check_panel
from vrueval.designs.staggered.estimate import ControlGroup
from vrueval.designs.staggered.options import TABLE as STAGGERED_OPTIONS
from vrueval.designs.staggered.options import Inference
from vrueval.inference.draws import check_draws
from vrueval.inference.multiplier_bootstrap import MULTIPLIER_WEIGHTS, MultiplierWeights
from vrueval.power import analytic as an
from vrueval.power import resampled
from vrueval.power import simulate as sim
from vrueval.power.did_study import PLACEBOS, Placebo, Scale, _codes, _resolve
from vrueval.power.kernels import Planted, group_time_mean
from vrueval.power.results import PowerResult
from vrueval.power.scales import baseline
from vrueval.power.search import MAX_INCREASE
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

Overall = Literal["group", "simple"]  # the aggregations `att` may report, as the design's
#: The design's defaults (its options table): the study's are these.
_DESIGN = STAGGERED_OPTIONS.defaults()
DESIGN = "Staggered DiD (Callaway & Sant'Anna)"
BLOCK = 2000  # draws per kernel call: bounds the draws x units x cells arrays


def staggered(
    panel: Panel,
    outcome: str,
    *,
    cohorts: Mapping[Any, int | Sequence[str]],
    post: int,
    pre: int = 1,
    comparators: Sequence[str] | None = None,
    n_comparators: int | None = None,
    placebo: Placebo = "both",
    starts: Sequence[Any] | None = None,
    control_group: ControlGroup = _DESIGN["control_group"],
    overall: Overall = _DESIGN["overall"],
    inference: Inference = _DESIGN["inference"],
    draws: int = _DESIGN["draws"],
    boot_weights: MultiplierWeights = _DESIGN["boot_weights"],
    scale: Scale = "value",
    per: float = 100_000.0,
    start: Any = None,
    end: Any = None,
    effects: Sequence[float] = DEFAULT_EFFECTS,
    level: float = _DESIGN["level"],
    power: float = 0.8,
    n_sims: int = 1000,
    seed: int | None = None,
    direction: Direction = "decrease",
    critical: Critical = "nominal",
) -> PowerResult:
    """Power and minimum detectable effect of a Callaway & Sant'Anna staggered DiD.

    Estimand and test: the overall ATT of :class:`vrueval.StaggeredDiD` without covariates
    (``overall="group"``, the design's default ``att``: cohort effects averaged by cohort
    size; or ``"simple"``: all post-treatment ATT(g,t) averaged with cohort-size weights), two-
    sided at ``level`` with the normal critical value and the analytic influence-function
    standard error, or (``inference="bootstrap"``) the multiplier-bootstrap one of
    ``fit(inference="bootstrap", draws=draws, boot_weights=boot_weights, seed=seed)``: the
    interquartile range of ``draws`` perturbed influence functions, which exceeds the analytic
    SE when a few units dominate the influence function (counts in areas of very different
    size). Effects are relative changes planted multiplicatively into each treated
    unit's cells from its cohort's start on.

    Parameters
    ----------
    panel, outcome : the real data (pre-period only) and the outcome.
    cohorts : mapping
        First treated period of each planned cohort -> its number of units (placebo treated
        sets) or its units (any spelling; required for ``placebo="time"``, whose draws keep
        them; for the other placebos only their number is used), e.g. ``{"2019Q2": 18,
        "2022Q2": 2}``. The periods may lie after the data: only their spacing is used.
    post : int
        Periods from the first cohort's start to the end of the planned analysis' data (a
        cohort starting ``k`` periods after the first has ``post - k``). A cohort starting
        after the end is untreated in the window and, as the design does, serves as comparison.
        Each ATT(g,t) differences from the single period before the start, so when units drift
        apart over the years (knife-offence rates do) a longer horizon can lower power.
    pre : int
        Periods kept before the first start (default 1, the base period). The overall ATT uses
        only each cohort's period before its start and its post periods, so ``pre`` only
        limits how early a placebo rollout may start.
    comparators, n_comparators : the never-treated units (placebo in time: default the rest of
        the pool), or how many of the rest each placebo set keeps (default all).
    placebo : {"both", "space", "time"}
        ``"space"``: random cohorts of the planned sizes drawn from the pool (units complete
        over the data used), the rest never treated, the rollout ending with the data (the last
        of ``starts`` when given); ``"time"``: the real cohorts at every admissible placebo
        date (deterministic); ``"both"`` (default): random cohorts at a random date per draw.
    starts : placebo start dates of the first cohort (default: every admissible one).
    overall : {"group", "simple"}
        The aggregation ``att`` reports, as the design's ``overall``.
    control_group : {"never_treated", "not_yet_treated"}
        As the design's: never-treated units, or also cohorts not yet treated in the cell's
        period. At least one never-treated unit is required either way.
    inference : {"analytic", "bootstrap"}
        The analysis' standard error, as the design's ``fit(inference=...)``.
    draws, boot_weights : int, {"mammen", "rademacher"}
        The bootstrap's draws and multipliers (the fit's ``draws`` and ``boot_weights``). The
        multipliers are those ``fit(seed=seed)`` draws for the draw's treated and comparison
        units in pool order (a fresh ``numpy.random.default_rng(seed)``; the placebo sets come
        from another generator seeded alike), shared by every simulated dataset and effect.
    scale : {"value", "rate"}
        The outcome as it is, or per ``per`` residents (a rate panel for the analysis).
    effects, level, power, n_sims, seed, direction, critical : as :func:`vrueval.power.did`.

    Assumptions: the pre-period panel represents the evaluation period; cohorts are as good as
    randomly drawn from the pool (placebo in space); the effect is a constant proportion from
    each cohort's start. The influence-function variance has no small-sample correction and the
    reference is normal, so with few units the test can over-reject: the study reports its size
    at no effect, and ``critical="calibrated"`` gives size-adjusted power.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
    periods. *Journal of Econometrics* 225(2), 200-230. Burlig, F., Preonas, L. and Woerman, M.
    (2020). Panel data and experimental design. *J. Dev. Econ.* 144, 102458.
    """
    common = check_common(effects, level, power, n_sims, direction, critical)
    check_panel(panel, outcome)
    choice(placebo, PLACEBOS, "placebo")
    choice(scale, get_args(Scale), "scale")
    choice(control_group, get_args(ControlGroup), "control_group")
    choice(overall, get_args(Overall), "overall")
    choice(inference, get_args(Inference), "inference")
    bootstrap = inference == "bootstrap"
    if bootstrap:
        choice(boot_weights, MULTIPLIER_WEIGHTS, "boot_weights")
        check_draws(draws, level, "draws")
    check_seed(seed, needed=placebo != "time" or bootstrap)
    for name, value in (("post", post), ("pre", pre)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer number of periods, got {value!r}")
    labels, offsets, sizes, members, notes = _cohorts(panel, cohorts, post, placebo)

    sub = panel.select(outcome=outcome, start=start, end=end)
    raw = sub.wide(outcome)
    pop = sub.wide(outcome, "population")
    values = per_population(raw, pop, per) if scale == "rate" else raw
    periods = pd.PeriodIndex(values.index)
    pool = [u for u in values.columns if values[u].notna().all()]
    warnings = [*post_vru_warning(periods[-1]), *notes]
    dropped = [u for u in values.columns if u not in pool]
    if dropped:
        warnings.append(
            "left out of the pool for missing values in the window: "
            + ", ".join(_show(u) for u in dropped)
        )
    comparator_codes = _resolve(comparators, panel.geography)
    for u in [*(u for m in members or [] for u in m), *(comparator_codes or [])]:
        if u not in pool:
            raise ValueError(f"{_show(u)} has missing values in the data used; it cannot take part")
    n_treated = int(sum(sizes))

    allowed = sim.placebo_starts(len(periods), pre, post)
    if starts is not None:
        allowed = _placebo_starts(panel, periods, starts, allowed, pre, post)
    if placebo == "time":
        assert members is not None
        first, cohort_of, comparator_codes = _real_cohorts(allowed, pool, members, comparator_codes)
    else:
        if n_comparators is None and n_treated >= len(pool):
            raise ValueError(
                f"no never-treated units left: {n_treated} treated units and a pool of "
                f"{len(pool)} with complete data"
            )
        rng = np.random.default_rng(seed)
        cohort_of = sim.placebo_cohorts(len(pool), sizes, n_comparators, n_sims, rng)
        first = (
            np.full(n_sims, allowed[-1])
            if placebo == "space"
            else allowed[rng.integers(0, len(allowed), size=n_sims)]
        )
    n_c = int((cohort_of[0] == sim.COMPARATOR).sum())

    cells = _cells(offsets, post)
    weights = _weights(cells, sizes, overall)
    Y = values[pool].to_numpy(dtype=float).T  # N x T
    planted = _planted(Y, first + pre, cohort_of, cells, offsets, weights, control_group, placebo)
    if bootstrap:
        assert seed is not None
        psi0, psi1 = _influence_blocks(
            Y, first + pre, cohort_of, cells, offsets, weights, control_group, placebo
        )
        planted = resampled.multiplier_bootstrap(
            planted, psi0, psi1, cohort_of != sim.LEFT_OUT,
            draws=int(draws), weights=boot_weights, seed=int(seed),
        )  # fmt: skip
    treated, control = _roles(cohort_of[:1], cells, offsets, control_group)

    analytic = _analytic(
        Y, allowed[-1:] if placebo == "space" else allowed, pre, cells, weights,
        treated[0], control[0], placebo,
    )  # fmt: skip
    if placebo == "time":
        assert members is not None
        base = baseline(raw, pop, panel.frequency, panel.measure, [u for m in members for u in m])
    else:  # placebo sets: the average pooled unit, times the number treated
        base = baseline(raw, pop, panel.frequency, panel.measure, pool, scale_to=n_treated)
    if scale == "value" and panel.measure == "count":
        warnings.append(
            "the staggered DiD is on counts: a proportional effect in areas of very different "
            "size makes the treated areas' changes unequal, and the unweighted estimate can lose "
            "power as areas are added; scale='rate' (an analysis on rates) usually tests it better"
        )
    settings: dict[str, Any] = {
        "outcome": outcome,
        "term": "att",
        "estimator": "callaway_santanna",
        "overall": overall,
        "control_group": control_group,
        "inference": inference,
        "standard_error": (
            "multiplier bootstrap (interquartile range), normal reference"
            if bootstrap
            else "analytic influence function, normal reference"
        ),
        "draws": int(draws) if bootstrap else None,
        "boot_weights": boot_weights if bootstrap else None,
        "placebo": placebo,
        "pre": pre,
        "post": post,
        "cohorts": {lab: int(n) for lab, n in zip(labels, sizes, strict=True)},
        "cohort_offsets": [int(o) for o in offsets],
        "cohort_units": (
            {lab: list(m) for lab, m in zip(labels, members, strict=True)} if members else None
        ),
        "n_treated": n_treated,
        "n_comparators": n_c,
        "comparators": list(comparator_codes) if comparator_codes else None,
        "pool": pool,
        "scale": scale,
        "per": per if scale == "rate" else None,
        "data_start": str(periods[0]),
        "data_end": str(periods[-1]),
        "n_sims": n_sims if placebo != "time" else None,
        "effect_model": "multiplicative, constant from each cohort's start, treated units only",
    }
    diag = {
        "n_placebo_starts": int(len(allowed)),
        "placebo_starts": [str(periods[s + pre]) for s in allowed],
        "n_cells": len(cells),
    }
    return assemble(
        common,
        design=DESIGN,
        planted=planted,
        analytic=analytic,
        baseline=base,
        settings=settings,
        seed=seed if placebo != "time" or bootstrap else None,
        diagnostics=diag,
        warnings=warnings,
        sources=panel.sources,
        draw_info=_draw_info(
            periods, panel.frequency, first + pre, offsets, labels, cohort_of, pool
        ),
    )


# -- the planned rollout ------------------------------------------------------------------------
def _cohorts(
    panel: Panel, cohorts: Mapping[Any, int | Sequence[str]], post: int, placebo: str
) -> tuple[list[str], np.ndarray, list[int], list[list[str]] | None, list[str]]:
    """Cohort labels (sorted), start offsets from the first, sizes, units (None: sizes only) and
    notes; cohorts starting after the planned data end are left out (their units compare)."""
    if not isinstance(cohorts, Mapping) or not cohorts:
        raise ValueError(
            "cohorts must be a mapping first treated period -> number of units or units, e.g. "
            f"{{'2019Q2': 18, '2022Q2': 2}}; got {cohorts!r}"
        )
    parsed = sorted(((panel.period(k), v) for k, v in cohorts.items()), key=lambda kv: kv[0])
    dates = [p for p, _ in parsed]
    if len(set(dates)) < len(dates):
        raise ValueError("two cohorts start in the same period: merge them")
    offsets = np.array([(p - dates[0]).n for p in dates], dtype=np.int64)
    sizes: list[int] = []
    members: list[list[str]] = []
    for p, v in parsed:
        if isinstance(v, int | np.integer) and not isinstance(v, bool):
            if v < 1:
                raise ValueError(f"cohort {p} must have at least one unit, got {v}")
            sizes.append(int(v))
        elif isinstance(v, Sequence) and not isinstance(v, str | bytes) and len(v) > 0:
            codes = _resolve(list(v), panel.geography)
            assert codes is not None
            members.append(codes)
            sizes.append(len(codes))
        else:
            raise ValueError(f"cohort {p} must be a number of units or a list of units, got {v!r}")
    if members and len(members) < len(sizes):
        raise ValueError("give every cohort as units, or every cohort as a number of units")
    everyone = [u for m in members for u in m]
    if len(set(everyone)) < len(everyone):
        raise ValueError("a unit is in two cohorts")
    if placebo == "time" and not members:
        raise ValueError(
            "placebo='time' keeps the real cohorts: give each cohort's units, e.g. "
            "{'2019Q2': ['West Midlands', ...], '2022Q2': ['Cleveland', 'Humberside']}"
        )
    keep = offsets < post
    notes = []
    if not keep.all():
        late = [display(p, panel.frequency) for p, k in zip(dates, keep, strict=True) if not k]
        notes.append(
            f"cohort(s) {late} start after the planned data end ({post} periods from the first "
            "start): untreated throughout, their units serve as comparison units, as the design "
            "treats them"
        )
    return (
        [display(p, panel.frequency) for p, k in zip(dates, keep, strict=True) if k],
        offsets[keep],
        [n for n, k in zip(sizes, keep, strict=True) if k],
        [m for m, k in zip(members, keep, strict=True) if k] if members else None,
        notes,
    )


def _real_cohorts(
    allowed: np.ndarray,
    pool: list[str],
    members: list[list[str]],
    comparators: list[str] | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Placebo in time: window starts, the fixed labels of every draw, and the comparators."""
    taken = {u for m in members for u in m}
    if comparators is None:
        comparators = [u for u in pool if u not in taken]
    overlap = taken & set(comparators)
    if overlap:
        raise ValueError(f"{sorted(_show(u) for u in overlap)} both treated and comparator")
    if not comparators:
        raise ValueError("no never-treated units left: the pool is all treated")
    row = np.full(len(pool), sim.LEFT_OUT, dtype=np.int64)
    for c, m in enumerate(members):
        row[[pool.index(u) for u in m]] = c
    row[[pool.index(u) for u in comparators]] = sim.COMPARATOR
    return allowed, np.tile(row, (len(allowed), 1)), comparators


def _placebo_starts(
    panel: Panel,
    periods: pd.PeriodIndex,
    starts: Sequence[Any],
    allowed: np.ndarray,
    pre: int,
    post: int,
) -> np.ndarray:
    index = {p: i for i, p in enumerate(periods)}
    wanted = [index.get(panel.period(d), -1 - pre) - pre for d in starts]
    bad = [str(d) for d, w in zip(starts, wanted, strict=True) if w not in set(allowed)]
    if bad or not wanted:
        lo, hi = periods[allowed[0] + pre], periods[allowed[-1] + pre]
        raise ValueError(
            f"placebo starts {bad or '[]'} do not leave {pre} pre- and {post} post-periods in the "
            f"data; admissible first-cohort starts: {lo}..{hi}"
        )
    return np.asarray(wanted)


def _cells(offsets: np.ndarray, post: int) -> np.ndarray:
    """Post-treatment cells as rows (cohort, t - first start, base - first start)."""
    return np.array(
        [(c, t, o - 1) for c, o in enumerate(offsets) for t in range(int(o), post)], dtype=np.int64
    )


def _weights(cells: np.ndarray, sizes: list[int], overall: str) -> np.ndarray:
    """Cell weights of the overall ATT (as :mod:`vrueval.designs.staggered.aggregate` has them)."""
    n_g = np.asarray(sizes, dtype=float)[cells[:, 0]]
    if overall == "simple":
        return n_g / n_g.sum()
    n_cells = np.bincount(cells[:, 0], minlength=len(sizes)).astype(float)[cells[:, 0]]
    return n_g / float(sum(sizes)) / n_cells


def _blocks(
    kernel: Callable[..., Any],
    Y: np.ndarray,
    g1: np.ndarray,
    cohort_of: np.ndarray,
    cells: np.ndarray,
    offsets: np.ndarray,
    weights: np.ndarray,
    control_group: str,
    placebo: str,
) -> list[Any]:
    """``kernel(D, L, treated, control, weights)`` over blocks of draws (its arrays are draws x
    units x cells, so blocks bound the memory)."""

    def run(lo: int) -> Any:
        block = slice(lo, lo + BLOCK)
        D, L = _differences(Y, g1[block], cells, shared=placebo == "space")
        treated, control = _roles(cohort_of[block], cells, offsets, control_group)
        return kernel(D, L, treated, control, weights)

    # blocks of a fixed size, whatever the workers: the same arithmetic on every backend
    return pmap(run, list(range(0, len(g1), BLOCK)), desc="draw blocks")


def _planted(*args: Any) -> Planted:
    """The kernel's statistic for every draw (arguments as :func:`_blocks`)."""
    parts = _blocks(group_time_mean, *args)
    if len(parts) == 1:
        return cast(Planted, parts[0])
    return Planted(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Planted)))


def _influence_blocks(*args: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each draw's influence function of the overall ATT (S, N), arguments as :func:`_blocks`."""
    parts = _blocks(_influence, *args)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _influence(
    D: np.ndarray, L: np.ndarray, treated: np.ndarray, control: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Influence function of the overall ATT divided by ``n``, per unit (S, N): without effect
    and per unit of planted effect.

    The same ``psi`` whose sum of squares is :func:`vrueval.power.kernels.group_time_mean`'s
    variance (see its notes): ``psi_i = sum_k A_ik (D_ik - m0_k) - est * tau_i``, ``tau_i`` the
    unit's total treated weight; the planted signal ``T L`` has no comparison mean.
    """
    t = treated.astype(float)
    k = control.astype(float)
    w = np.asarray(weights, dtype=float)
    wt = w / t.sum(axis=1)
    n_c = k.sum(axis=1)
    a = t * wt[:, None, :] - k * (w / n_c)[:, None, :]
    tau = np.einsum("snk,sk->sn", t, wt)
    d = np.broadcast_to(D, a.shape)
    psi0 = np.einsum("snk,snk->sn", a, d)
    psi0 -= psi0.sum(axis=1)[:, None] * tau
    psi0 -= np.einsum("snk,sk->sn", a, np.einsum("snk,snk->sk", k, d) / n_c)
    psi1 = np.einsum("snk,snk->sn", a, t * L)
    psi1 -= psi1.sum(axis=1)[:, None] * tau
    return psi0, psi1


def _differences(
    Y: np.ndarray, g1: np.ndarray, cells: np.ndarray, shared: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Long differences and levels (S or 1, N, K) of every unit in every cell of each draw."""
    g = g1[:1] if shared else g1
    level = Y[:, g[:, None] + cells[None, :, 1]]  # N x S x K
    base = Y[:, g[:, None] + cells[None, :, 2]]
    return np.transpose(level - base, (1, 0, 2)), np.transpose(level, (1, 0, 2))


def _roles(
    cohort_of: np.ndarray, cells: np.ndarray, offsets: np.ndarray, control_group: str
) -> tuple[np.ndarray, np.ndarray]:
    """Treated and comparison masks (S, N, K): never treated, or also not yet treated in t."""
    treated = cohort_of[:, :, None] == cells[None, None, :, 0]
    control = np.broadcast_to((cohort_of == sim.COMPARATOR)[:, :, None], treated.shape)
    if control_group == "not_yet_treated":
        start = np.where(cohort_of >= 0, offsets[np.maximum(cohort_of, 0)], -1)
        control = control | (start[:, :, None] > cells[None, None, :, 1])
    return treated, np.ascontiguousarray(control)


def _draw_info(
    periods: pd.PeriodIndex,
    frequency: str,
    g1: np.ndarray,
    offsets: np.ndarray,
    labels: list[str],
    cohort_of: np.ndarray,
    pool: list[str],
) -> pd.DataFrame:
    names = np.asarray([display(p, frequency) for p in periods], dtype=object)
    info: dict[str, Any] = {"placebo_start": names[g1]}
    codes = np.asarray(pool, dtype=object)
    for c, (label, o) in enumerate(zip(labels, offsets, strict=True)):
        if c:
            info[f"start:{label}"] = names[g1 + o]
        info[f"units:{label}"] = [" ".join(codes[row == c]) for row in cohort_of]
    return pd.DataFrame(info)


def _show(code: str) -> str:
    return areas.name(code) if code in _codes() else code


# -- closed forms ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class WindowedAnalytic(an.Analytic):
    """Closed-form power averaged over placebo windows, with the effect's own variance.

    In window ``w`` the estimate has mean ``delta * shift_w`` and variance ``v0_w + 2 delta
    v1_w + delta^2 v2_w`` (a proportional effect also scales the treated units' spread); power
    is the two-sided normal test's, averaged over the windows. ``se`` and ``shift`` report the
    root-mean-square standard error and the mean shift at no effect.
    """

    shifts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v1: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v2: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def power(self, effects: np.ndarray, level: float) -> np.ndarray:
        d = np.atleast_1d(np.asarray(effects, dtype=float))[:, None]
        var = self.v0 + 2 * d * self.v1 + d * d * self.v2
        lam = np.abs(d * self.shifts) / np.sqrt(np.maximum(var, 1e-300))
        z = stats.norm.ppf(0.5 + level / 2)
        return np.asarray((stats.norm.cdf(lam - z) + stats.norm.cdf(-lam - z)).mean(axis=1))

    def mde(self, level: float, power: float, sign: float) -> float:
        """Smallest effect along ``sign`` whose averaged power reaches ``power`` (NaN: none)."""
        top = 0.99 if sign < 0 else MAX_INCREASE
        grid = sign * np.linspace(0.0, top, 991)
        hit = np.flatnonzero(self.power(grid, level) >= power)
        if len(hit) == 0 or hit[0] == 0:
            return float("nan")
        lo, hi = grid[hit[0] - 1], grid[hit[0]]
        return float(optimize.brentq(lambda x: self.power(np.array([x]), level)[0] - power, lo, hi))


def _analytic(
    Y: np.ndarray,
    windows: np.ndarray,
    pre: int,
    cells: np.ndarray,
    weights: np.ndarray,
    treated: np.ndarray,
    control: np.ndarray,
    placebo: str,
) -> dict[str, an.Analytic]:
    """Closed forms of the estimate ``sum_ik A_ik D_ik`` with independent units.

    Units in one role (a cohort, or the comparators) share the weights ``a_r = A_i``; with
    their per-unit contrasts ``D_i . a_r`` (and ``L_i . a_r`` over the treated cells, the
    planted signal) drawn independently, ``var = sum_r n_r Var(D . a_r + delta L . a_r)`` and
    the shift is ``sum_r n_r E(L . a_r)``. ``"analytic"``: moments across the pool's units in
    each placebo window (placebo in time: the treated units' for the cohorts, the comparators'
    for them), power averaged over the windows; with one cohort, never-treated comparators and
    no effect on the variance it is :func:`vrueval.power.analytic.did_clustered`'s two-sample
    form. ``"analytic_ar1"``: the covariance of the long differences implied by an AR(1) of the
    two-way demeaned panel, one standard error. Normal reference, as the test.
    """
    t = treated.astype(float)
    k = control.astype(float)
    A = t * (weights / t.sum(axis=0)) - k * (weights / k.sum(axis=0))  # N x K, one draw's roles
    g = windows + pre
    level = Y[:, g[:, None] + cells[None, :, 1]]  # N x W x K
    D = level - Y[:, g[:, None] + cells[None, :, 2]]
    in_role = treated.any(axis=1) | control.any(axis=1)
    is_t = treated.any(axis=1)
    roles = np.unique(np.c_[A, treated][in_role], axis=0)
    n_cells = len(cells)
    v0 = np.zeros(len(g))
    v1, v2, shifts = np.zeros_like(v0), np.zeros_like(v0), np.zeros_like(v0)
    for row in roles:
        a, hit = row[:n_cells], row[n_cells:].astype(bool)
        members = np.all(np.c_[A, treated] == row, axis=1)
        units = (is_t if hit.any() else ~is_t & in_role) if placebo == "time" else slice(None)
        zd = D[units] @ a  # units x W
        zl = level[units] @ (a * hit)
        n_r = float(members.sum())
        dd, dl = zd - zd.mean(axis=0), zl - zl.mean(axis=0)
        ddof = zd.shape[0] - 1
        v0 += n_r * np.einsum("nw,nw->w", dd, dd) / ddof
        v1 += n_r * np.einsum("nw,nw->w", dd, dl) / ddof
        v2 += n_r * np.einsum("nw,nw->w", dl, dl) / ddof
        shifts += n_r * zl.mean(axis=0)
    out: dict[str, an.Analytic] = {
        "analytic": WindowedAnalytic(
            se=float(np.sqrt(np.mean(v0))),
            shift=float(np.mean(shifts)),
            df=np.inf,
            inputs={"n_windows": float(len(g))},
            shifts=shifts,
            v0=v0,
            v1=v1,
            v2=v2,
        )
    }
    r = Y - Y.mean(axis=1)[:, None] - Y.mean(axis=0)[None, :] + Y.mean()
    sigma2, rho = an.panel_ar1(r)
    R = sigma2 * an.ar1_correlation(np.r_[cells[:, 1], cells[:, 2]], rho)
    s_ar1 = R[:n_cells, :n_cells] - R[:n_cells, n_cells:] - R[n_cells:, :n_cells]
    s_ar1 = s_ar1 + R[n_cells:, n_cells:]
    var_ar1 = float(np.einsum("nk,kl,nl->", A, s_ar1, A))
    out["analytic_ar1"] = an.Analytic(
        float(np.sqrt(var_ar1)), float(np.mean(shifts)), np.inf, {"sigma2": sigma2, "rho": rho}
    )
    return out
