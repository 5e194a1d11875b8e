"""From a Panel and design settings to the arrays a DiD fit needs (one job: data preparation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel
from vrueval.data.rates import per_population
from vrueval.designs.did import comparators as comp
from vrueval.options import choice

Missing = Literal["drop_units", "unbalanced"]
MISSINGS: tuple[str, ...] = get_args(Missing)


@dataclass(frozen=True)
class DiDData:
    """Long arrays for the kept units, in unit-major order, and what was decided on the way."""

    frame: pd.DataFrame  # unit, period, y, population, weight, treated, post, intensity, event
    units: tuple[str, ...]
    periods: pd.PeriodIndex
    unit_code: np.ndarray
    period_code: np.ndarray
    start: dict[str, pd.Period]  # treatment start of each treated unit
    chosen: comp.ComparatorSet
    staggered: bool
    messages: tuple[str, ...]

    @property
    def balanced(self) -> bool:
        """Every kept unit observed in every period."""
        return len(self.frame) == len(self.units) * len(self.periods)

    @property
    def assignment(self) -> np.ndarray:
        """Unit-level treatment (0/1 or intensity) in ``units`` order."""
        first = self.frame.groupby("unit", sort=False)["intensity"].first()
        return first.loc[list(self.units)].to_numpy(dtype=float)


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
) -> DiDData:
    """Select the window, compute rates, choose comparators, and lay out the long arrays.

    ``missing`` says what a unit with some missing outcome periods in the window does:
    "drop_units" drops the unit (a balanced panel); "unbalanced" keeps it and leaves out only
    its missing cells (never filled in), so the two-way fixed effects are fitted on an unbalanced
    panel. Units missing in every period are dropped either way.
    """
    choice(missing, MISSINGS, "missing")
    sub = panel.select(outcome=outcome, start=window[0], end=window[1])
    wide = sub.wide(outcome)
    pop = sub.wide(outcome, "population")
    messages: list[str] = []
    if scale == "rate":
        wide = per_population(wide, pop, per)
    starts = dict(start) if isinstance(start, Mapping) else {u: start for u in treated}
    first_start = min(starts.values())
    periods = pd.PeriodIndex(wide.index)
    pre = periods[periods < first_start]
    if len(pre) == 0:
        raise ValueError(f"no pre-treatment period before {first_start} in the window")
    if not (periods >= max(starts.values())).any():
        raise ValueError(f"no post-treatment period from {max(starts.values())} in the window")
    na = wide.isna()
    gappy = list(wide.columns[(na.any() & ~na.all()).to_numpy()])
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
    # unit-level facts laid out by row codes (unit-major): no per-row Python on 4 M-row panels
    row_unit = np.repeat(np.arange(len(cols)), n_t)
    row_period = np.tile(np.arange(n_t), len(cols))
    long = pd.DataFrame(
        {
            "unit": np.repeat(cols, n_t),
            "period": periods[row_period],
            "y": wide[cols].to_numpy(dtype=float).T.ravel(),
            "population": pop[cols].to_numpy(dtype=float).T.ravel(),
        }
    )
    # event times count positions in the window's periods, before any cell is left out
    period_index = {p: i for i, p in enumerate(periods)}
    has_start = np.array([u in starts for u in cols], dtype=bool)
    start_pos = np.array([period_index[starts[u]] if u in starts else 0 for u in cols])
    present = np.ones(n_t, dtype=bool)
    if kept_gappy:
        observed = long["y"].notna().to_numpy()
        long = long[observed].reset_index(drop=True)
        row_unit, row_period = row_unit[observed], row_period[observed]
        present = np.zeros(n_t, dtype=bool)
        present[row_period] = True
        periods = periods[present]
    treated_set = set(chosen.treated)
    is_treated = np.array([u in treated_set for u in cols], dtype=bool)[row_unit]
    long["treated"] = is_treated
    started = has_start[row_unit]
    since = row_period - start_pos[row_unit]
    long["post"] = started & (since >= 0)
    long["after"] = long["period"] >= first_start
    if intensity is not None:
        level = np.array([float(intensity.get(u, 0.0)) for u in cols])
        long["intensity"] = level[row_unit]
    else:
        long["intensity"] = is_treated.astype(float)
    long["event"] = since if has_start.all() else np.where(started, since, np.nan)
    long["weight"] = long["population"] if weights == "population" else 1.0
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
    )


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
    g = f.assign(wy=f["y"] * f["weight"]).groupby(["unit", "after"], sort=False)
    collapsed = g.agg(
        y=("wy", "sum"),
        weight=("weight", "sum"),
        population=("population", "mean"),
        treated=("treated", "first"),
        intensity=("intensity", "first"),
        n=("y", "size"),
    ).reset_index()
    collapsed["y"] = collapsed["y"] / collapsed["weight"]
    collapsed["weight"] = collapsed["weight"] / collapsed["n"]
    collapsed["post"] = collapsed["after"] & collapsed["treated"]
    collapsed["event"] = np.where(collapsed["treated"], collapsed["after"] - 1.0, np.nan)
    collapsed = collapsed.sort_values(["unit", "after"], key=_unit_order(data.units))
    collapsed = collapsed.reset_index(drop=True)
    labels = pd.PeriodIndex([data.periods[0], min(data.start.values())], freq=data.periods.freq)
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
    )
