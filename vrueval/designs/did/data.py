"""From a Panel and design settings to the arrays a DiD fit needs (one job: data preparation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, cast, get_args

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel
from vrueval.data.rates import per_population
from vrueval.designs.did import comparators as comp
from vrueval.options import choice

Missing = Literal["drop_units", "unbalanced"]
MISSINGS: tuple[str, ...] = get_args(Missing)
#: Cluster dimensions: the unit, the period, or the panel's own ``cluster`` column.
CLUSTER_DIMENSIONS = ("unit", "period", "cluster")
#: The frame column holding covariate ``name``.
COVARIATE_PREFIX = "cov:"


@dataclass(frozen=True)
class DiDData:
    """Long arrays for the kept units, in unit-major order, and what was decided on the way."""

    # unit, period, y, population, weight, treated, post, after, intensity, event, anticipating,
    # cov:<name> per covariate, cluster (the panel's cluster labels, when used)
    frame: pd.DataFrame
    units: tuple[str, ...]
    periods: pd.PeriodIndex
    unit_code: np.ndarray
    period_code: np.ndarray
    start: dict[str, pd.Period]  # treatment start of each treated unit
    chosen: comp.ComparatorSet
    staggered: bool
    messages: tuple[str, ...]
    covariates: tuple[str, ...] = ()

    @property
    def covariate_columns(self) -> list[str]:
        """The frame columns of the covariates, in ``covariates`` order."""
        return [COVARIATE_PREFIX + c for c in self.covariates]

    @property
    def balanced(self) -> bool:
        """Every kept unit observed in every period."""
        return len(self.frame) == len(self.units) * len(self.periods)

    @property
    def assignment(self) -> np.ndarray:
        """Unit-level treatment (0/1 or intensity) in ``units`` order."""
        first_row = np.empty(len(self.units), dtype=np.int64)
        rows = np.arange(len(self.unit_code))
        first_row[self.unit_code[::-1]] = rows[::-1]  # each unit's first row
        return self.frame["intensity"].to_numpy(dtype=float)[first_row]


def check_panel(panel: object, outcome: str) -> Panel:
    """The panel, if a comparator design can use it: a Panel holding ``outcome``, not overlapping
    rolling totals (their consecutive values share nine months)."""
    if not isinstance(panel, Panel):
        raise TypeError(f"panel must be a vrueval Panel, got {type(panel).__name__}")
    if outcome not in panel.outcomes:
        raise ValueError(f"unknown outcome {outcome!r}; this panel has {panel.outcomes}")
    if panel.overlapping:
        raise ValueError(
            "rolling 12-month totals overlap; call panel.non_overlapping(end_month) first"
        )
    return panel


def prepare(
    panel: Panel,
    outcome: str,
    *,
    treated: Sequence[str],
    start: pd.Period | Mapping[str, pd.Period],
    comparators: comp.ComparatorRule | Sequence[str],
    exclude: Sequence[str],
    n_similar: int,
    scale: str,
    per: float,
    window: tuple[object, object],
    intensity: Mapping[str, float] | None,
    weights: str,
    missing: str = "drop_units",
    covariates: Sequence[str] = (),
    cluster: Sequence[str] = ("unit",),
    anticipation: int = 0,
) -> DiDData:
    """Select the window, compute rates, choose comparators, and lay out the long arrays.

    ``missing`` says what a unit with some missing outcome periods in the window does:
    "drop_units" drops the unit (a balanced panel); "unbalanced" keeps it and leaves out only
    its missing cells (never filled in), so the two-way fixed effects are fitted on an unbalanced
    panel. Units missing in every period are dropped either way. A cell whose covariate or
    (``weights="panel"``) weight is missing counts as a missing cell under the same rule, and
    the result says so; it is never filled in. ``covariates`` are the panel's carried
    covariates, ``"population"`` or other outcomes of the panel; ``cluster`` the dimensions
    the standard errors cluster by (:data:`CLUSTER_DIMENSIONS`); ``anticipation`` the periods
    before each start flagged ``anticipating`` (kept out of the baseline).
    """
    choice(missing, MISSINGS, "missing")
    sub = panel.select(outcome=outcome, start=window[0], end=window[1])
    wide = sub.wide(outcome)
    pop = sub.wide(outcome, "population")
    messages: list[str] = []
    if scale == "rate":
        wide = per_population(wide, pop, per)
    cov_wide = {c: _covariate_wide(panel, sub, outcome, c, pop, window) for c in covariates}
    weight_wide = _carried_wide(sub, outcome, "weights") if weights == "panel" else None
    if weight_wide is not None:
        nonpositive = (weight_wide <= 0) & wide.notna()
        if nonpositive.to_numpy().any():
            cells = _cells(nonpositive)
            raise ValueError(
                f"weights must be positive where the outcome is observed; zero or negative in "
                f"{cells}"
            )
    cluster_wide = _carried_wide(sub, outcome, "cluster") if "cluster" in cluster else None
    needed = {**{f"covariate {c!r}": w for c, w in cov_wide.items()}}
    if weight_wide is not None:
        needed["the weight"] = weight_wide
    for what, values in needed.items():
        gone = values.isna() & wide.notna()
        if gone.to_numpy().any():
            # never filled in: the cell is left out as a missing outcome would be
            messages.append(
                f"{what} missing in {int(gone.to_numpy().sum())} cell(s) with an outcome "
                f"({_cells(gone)}): those cells count as missing (missing={missing!r})"
            )
            wide = wide.mask(gone)
    starts = dict(start) if isinstance(start, Mapping) else {u: start for u in treated}
    first_start = min(starts.values())
    periods = cast(pd.PeriodIndex, wide.index)  # whole numbers on an integer index
    pre = periods[periods < first_start]
    if len(pre) == 0:
        raise ValueError(f"no pre-treatment period before {first_start} in the window")
    if not (periods >= max(starts.values())).any():
        raise ValueError(f"no post-treatment period from {max(starts.values())} in the window")
    na = np.isnan(wide.to_numpy(dtype=float))
    gappy = list(wide.columns[na.any(axis=0) & ~na.all(axis=0)])
    choose_from = wide
    if missing == "unbalanced" and gappy:
        # the comparator rule sees gaps interpolated (for the most-similar ranking only): the
        # fit below never uses a filled-in value
        choose_from = wide.copy()
        choose_from[gappy] = wide[gappy].interpolate(limit_direction="both")
    chosen = comp.choose(
        choose_from,
        pop,
        treated,
        comparators,
        exclude=exclude,
        pre_periods=pd.Index(pre),
        n_similar=n_similar,
        geography=panel.geography,
        allow_no_comparators=intensity is not None,
    )
    messages += chosen.messages
    units = (*chosen.treated, *chosen.comparators)
    gappy_set = set(gappy)
    kept_gappy = [u for u in units if u in gappy_set]
    for u in kept_gappy:
        gaps = [str(p) for p in wide.index[wide[u].isna().to_numpy()]]
        messages.append(
            f"kept {areas.label(u)} ({u}) with its outcome missing in {len(gaps)} period(s): "
            f"{', '.join(gaps[:6])}; only those cells are left out (unbalanced panel)"
        )
    if weights == "population":
        bad = [u for u in units if (pop[u].isna() | (pop[u] <= 0))[wide[u].notna()].any()]
        if bad:
            raise ValueError(
                f"population weights need populations for every period; missing: {bad}"
            )
    cols = list(units)
    n_t = len(periods)
    # unit-level facts laid out by row codes (unit-major): no per-row Python on 4 M-row panels,
    # and the frame built once from its columns (a column inserted at a time cost a tenth of a fit)
    row_unit = np.repeat(np.arange(len(cols)), n_t)
    row_period = np.tile(np.arange(n_t), len(cols))
    at = wide.columns.get_indexer(pd.Index(cols))  # one lookup of the kept units' columns
    y = wide.to_numpy(dtype=float)[:, at].T.ravel()
    population = pop.to_numpy(dtype=float)[:, at].T.ravel()
    # event times count positions in the window's periods, before any cell is left out
    period_index = {p: i for i, p in enumerate(periods)}
    has_start = np.array([u in starts for u in cols], dtype=bool)
    start_pos = np.array([period_index[starts[u]] if u in starts else 0 for u in cols])
    after_period = np.asarray(periods >= first_start, dtype=bool)
    present = np.ones(n_t, dtype=bool)
    if kept_gappy:
        observed = ~np.isnan(y)
        y, population = y[observed], population[observed]
        row_unit, row_period = row_unit[observed], row_period[observed]
        present = np.zeros(n_t, dtype=bool)
        present[row_period] = True
    treated_set = set(chosen.treated)
    is_treated = np.array([u in treated_set for u in cols], dtype=bool)[row_unit]
    started = has_start[row_unit]
    since = row_period - start_pos[row_unit]
    event = since if has_start.all() else np.where(started, since, np.nan)
    if intensity is not None:
        level = np.array([float(intensity.get(u, 0.0)) for u in cols])[row_unit]
    else:
        level = is_treated.astype(float)
    columns: dict[str, object] = {
        "unit": pd.array(cols, dtype="str").take(row_unit),
        "period": periods[row_period],
        "y": y,
        "population": population,
        "treated": is_treated,
        "post": started & (since >= 0),
        "after": after_period[row_period],
        "intensity": level,
        "event": event,
        "anticipating": (event >= -anticipation) & (event < 0)
        if anticipation
        else np.zeros(len(y), dtype=bool),
    }
    if weights == "population":
        columns["weight"] = population
    elif weight_wide is None:
        columns["weight"] = np.ones(len(y))
    long = pd.DataFrame(columns, copy=False)
    if kept_gappy:
        periods = periods[present]
    if weight_wide is not None:
        long["weight"] = _long_values(weight_wide, cols, long)
    for c, w in cov_wide.items():
        long[COVARIATE_PREFIX + c] = _long_values(w, cols, long)
    if cluster_wide is not None:
        long["cluster"] = _long_values(cluster_wide, cols, long)
    unit_code = row_unit
    period_code = (np.cumsum(present) - 1)[row_period]
    staggered = len({starts[u] for u in chosen.treated}) > 1
    return DiDData(
        long,
        units,
        periods,
        unit_code,
        period_code,
        {u: starts[u] for u in chosen.treated},
        chosen,
        staggered,
        tuple(messages),
        tuple(covariates),
    )


def _carried_wide(sub: Panel, outcome: str, column: str) -> pd.DataFrame:
    """A column the panel carries (weights, cluster), period x unit."""
    if column not in sub.data.columns:
        role = "weights" if column == "weights" else "cluster"
        raise ValueError(
            f"this panel carries no {column} column (build it with Panel.from_frame(..., "
            f"{role}=<column>) or give the DataFrame with {role}=<column>)"
        )
    return sub.wide(outcome, column)


def _covariate_wide(
    panel: Panel,
    sub: Panel,
    outcome: str,
    name: str,
    pop: pd.DataFrame,
    window: tuple[object, object],
) -> pd.DataFrame:
    """A covariate, period x unit: a carried covariate, the population, or another outcome."""
    if name in panel.covariates:
        return sub.wide(outcome, name)
    if name == "population":
        return pop
    if name in panel.outcomes and name != outcome:
        other = panel.select(outcome=name, start=window[0], end=window[1]).wide(name)
        return other.reindex(index=pop.index, columns=pop.columns)
    raise ValueError(
        f"unknown covariate {name!r}: a covariate is a column the panel carries "
        f"{list(panel.covariates)}, 'population' or another outcome of the panel "
        f"{[o for o in panel.outcomes if o != outcome]}"
    )


def _long_values(wide: pd.DataFrame, cols: list[str], long: pd.DataFrame) -> np.ndarray:
    """Values of a period x unit table at the long frame's (unit, period) rows."""
    stacked = wide[cols].stack(future_stack=True)
    index = pd.MultiIndex.from_arrays([long["period"], long["unit"]])
    return stacked.reindex(index).to_numpy()


def _cells(mask: pd.DataFrame) -> str:
    """A few (unit period) cells where ``mask`` is True, for messages."""
    where = mask.stack(future_stack=True)
    where = where[where.to_numpy(dtype=bool)]
    shown = [f"{u} {p}" for p, u in where.index[:6]]
    return ", ".join(shown) + (", ..." if len(where) > 6 else "")


def keep_rows(data: DiDData, keep: np.ndarray, why: str) -> DiDData:
    """The data without the rows where ``keep`` is False, codes renumbered; a unit left with no
    row moves to the dropped units (reason ``why``, shown by ``result.comparators()``) and a
    period left with no row leaves the window. The caller reports what was dropped."""
    keep = np.asarray(keep, dtype=bool)
    frame = data.frame[keep].reset_index(drop=True)
    present = set(frame["unit"])
    units = tuple(u for u in data.units if u in present)
    periods = data.periods[data.periods.isin(frame["period"])]
    chosen = replace(
        data.chosen,
        treated=tuple(u for u in data.chosen.treated if u in present),
        comparators=tuple(u for u in data.chosen.comparators if u in present),
        dropped=(*data.chosen.dropped, *((u, why) for u in data.units if u not in present)),
    )
    start = {u: s for u, s in data.start.items() if u in present}
    return DiDData(
        frame,
        units,
        periods,
        frame["unit"].map({u: i for i, u in enumerate(units)}).to_numpy(),
        frame["period"].map({p: i for i, p in enumerate(periods)}).to_numpy(),
        start,
        chosen,
        len(set(start.values())) > 1,
        data.messages,
        data.covariates,
    )


def _unit_order(units: Sequence[str]) -> Callable[[pd.Series], pd.Series]:
    order = {u: i for i, u in enumerate(units)}

    def key(col: pd.Series) -> pd.Series:
        return col.map(order) if col.name == "unit" else col

    return key


def collapse_two_periods(data: DiDData) -> DiDData:
    """The canonical 2x2: each unit's mean outcome before and after the (common) start."""
    f = data.frame
    if data.staggered:
        raise ValueError("the canonical 2x2 needs one common start; use estimator='twfe'")
    if not data.balanced:
        # pre/post means over different periods for different units would mix period effects
        # into the comparison
        raise ValueError("the canonical 2x2 needs a balanced panel; use estimator='twfe'")
    if f["anticipating"].any():
        # anticipation periods belong to neither the baseline nor the treated period, for the
        # comparators too (the same calendar periods on both sides of the comparison)
        f = f[~f["period"].isin(f.loc[f["anticipating"], "period"])]
    covs = data.covariate_columns
    if "cluster" in f and (f.groupby("unit")["cluster"].nunique() > 1).any():
        raise ValueError("the canonical 2x2 needs each unit in one cluster; use estimator='twfe'")
    weighted = {f"w{j}": f[c] * f["weight"] for j, c in enumerate(["y", *covs])}
    g = f.assign(**weighted).groupby(["unit", "after"], sort=False)
    collapsed = g.agg(
        **{f"w{j}": (f"w{j}", "sum") for j in range(1 + len(covs))},
        weight=("weight", "sum"),
        population=("population", "mean"),
        treated=("treated", "first"),
        intensity=("intensity", "first"),
        n=("y", "size"),
        **({"cluster": ("cluster", "first")} if "cluster" in f else {}),
    ).reset_index()
    for j, c in enumerate(["y", *covs]):
        collapsed[c] = collapsed.pop(f"w{j}") / collapsed["weight"]
    collapsed["anticipating"] = False
    collapsed["weight"] = collapsed["weight"] / collapsed["n"]
    collapsed["post"] = collapsed["after"] & collapsed["treated"]
    collapsed["event"] = np.where(collapsed["treated"], collapsed["after"] - 1.0, np.nan)
    collapsed = collapsed.sort_values(["unit", "after"], key=_unit_order(data.units))
    collapsed = collapsed.reset_index(drop=True)
    labels = data.periods[data.periods.isin([data.periods[0], min(data.start.values())])]
    labels = labels.rename(None)
    collapsed["period"] = labels[collapsed["after"].to_numpy(dtype=int)]
    unit_code = collapsed["unit"].map({u: i for i, u in enumerate(data.units)}).to_numpy()
    period_code = collapsed["after"].astype(int).to_numpy()
    return DiDData(
        collapsed.drop(columns=["n"]),
        data.units,
        labels,
        unit_code,
        period_code,
        data.start,
        data.chosen,
        data.staggered,
        data.messages,
        data.covariates,
    )
