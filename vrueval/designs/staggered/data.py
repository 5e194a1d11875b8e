"""Staggered-adoption input: a balanced unit x period array, each unit's first treated period.

Two doors lead here: a vrueval :class:`~vrueval.data.Panel` with a mapping unit -> first treated
period (or the VRU registry cohorts), and a plain long frame as academic data come (``mpdta``:
unit id, time, outcome, first-treat, covariates). Both end as a :class:`StaggeredData`, validated
once; every dropped unit is reported in ``messages``, never silently.

The frame door keeps its own reader (:func:`from_long`) rather than going through
:meth:`Panel.from_frame <vrueval.data.panel.Panel.from_frame>`: academic frames index time by
plain integers (1..T) or with calendar gaps, which a Panel's periods cannot hold, and on
35,000 units x 120 periods the Panel validator takes about 2.5 times as long. Its numbers pass
the Panel validator's numeric rule (text, booleans and infinities refused with their rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel, PanelError, _numeric

NEVER = np.inf  # first-treated value of a never-treated unit


class StaggeredDataError(ValueError):
    """Input that the staggered design cannot use, with what to do about it."""


@dataclass(frozen=True)
class StaggeredData:
    """Balanced panel arrays for the group-time estimator.

    Attributes
    ----------
    y : (n, T) outcomes, no missing values.
    x : (n, T, k) covariates (k may be 0).
    first : (n,) position (0..T-1) of each unit's first treated period; ``inf`` when the unit
        is never treated within the window (never treated, or first treated after its end).
    units : unit identifiers, length n.
    periods : period labels, length T (sorted).
    covariates : covariate names.
    messages : what was dropped or recoded, and why.
    """

    y: np.ndarray
    x: np.ndarray
    first: np.ndarray
    units: tuple[object, ...]
    periods: tuple[object, ...]
    covariates: tuple[str, ...]
    first_labels: Mapping[object, object] = field(default_factory=dict)
    messages: tuple[str, ...] = ()
    beyond_window: tuple[object, ...] = ()
    #: each unit's cluster label (None: the units are the clusters)
    cluster: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def groups(self) -> np.ndarray:
        """Positions of the treated cohorts, sorted."""
        g = self.first[np.isfinite(self.first)]
        return np.unique(g).astype(int)


def from_long(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    first_treated: str,
    covariates: Sequence[str] = (),
    never_value: object = 0,
    population: str | None = None,
    per: float | None = None,
    cluster: str | None = None,
) -> StaggeredData:
    """Build :class:`StaggeredData` from a long frame (one row per unit and period).

    ``first_treated`` holds the period in which a unit is first treated, in the units of
    ``time``; ``never_value`` (default 0, as in R ``did``), NaN or ``inf`` mark never-treated
    units. Time values must be sortable; event time counts positions in the sorted list of
    periods, so gaps in the calendar (2003, 2005, ...) are one step. With ``per``, the outcome
    is a rate per ``per`` of the ``population`` column; ``cluster`` names a column of cluster
    labels, constant within a unit (units nested in clusters).
    """
    roles = [c for c in (population, cluster) if c is not None]
    needed = [unit, time, outcome, first_treated, *covariates, *roles]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise StaggeredDataError(
            f"column(s) {absent} not in the frame; it has {list(frame.columns)}"
        )
    d = frame.loc[:, list(dict.fromkeys(needed))].copy()
    unit_codes, unit_index = pd.factorize(d[unit], sort=True)
    time_codes, time_index = pd.factorize(d[time], sort=True)
    # counts per unit x period cell on integer codes (the wide arrays below are that size
    # anyway): row hashing took half a minute on 35,000 units x 120 periods
    cell = unit_codes.astype(np.int64) * len(time_index) + time_codes
    counts = np.bincount(cell[cell >= 0], minlength=len(unit_index) * len(time_index))
    repeats = int((counts[counts > 1] - 1).sum())
    if repeats:
        raise StaggeredDataError(
            f"{repeats} rows repeat a ({unit}, {time}) pair; a panel has one row per unit "
            "and period"
        )
    raw_first = d[first_treated]
    g_num = pd.to_numeric(raw_first, errors="coerce").to_numpy(dtype=float)
    never = raw_first.isna().to_numpy() | (raw_first == never_value).to_numpy() | np.isinf(g_num)
    g_codes = np.where(never, -1, pd.factorize(raw_first)[0])
    first_rows = np.zeros(len(unit_index), dtype=int)
    first_rows[unit_codes[::-1]] = np.arange(len(unit_codes))[::-1]
    varies = g_codes != g_codes[first_rows][unit_codes]  # row differs from its unit's first
    if varies.any():
        bad = list(unit_index[np.unique(unit_codes[varies])][:5])
        raise StaggeredDataError(
            f"{first_treated!r} must be constant within a unit; it varies for {bad}"
        )
    raw_values = raw_first.to_numpy()
    first_map: dict[object, object] = {
        u: (None if never[r] else raw_values[r])
        for u, r in zip(unit_index, first_rows, strict=True)
    }

    def wide(column: str) -> pd.DataFrame:
        out = np.full((len(unit_index), len(time_index)), np.nan)
        # the Panel validator's rule for numbers (booleans, text and infinities refused,
        # NaN missing): a typo is an error naming its rows, never a unit dropped as missing
        out[unit_codes, time_codes] = _numeric(d[column], column, frame).to_numpy()
        return pd.DataFrame(out, index=unit_index, columns=time_index)

    wide_y = wide(outcome)
    if per is not None:
        if population is None:
            raise StaggeredDataError("a rate needs population= (the population column)")
        wide_y = to_rate(wide_y, wide(population), per, population)
    wide_x = [wide(c) for c in covariates]
    clusters = None
    if cluster is not None:
        clusters = _unit_labels(d[cluster], unit_codes, first_rows, unit_index, cluster)
    return _assemble(wide_y, wide_x, tuple(covariates), first_map, clusters)


def _unit_labels(
    column: pd.Series,
    unit_codes: np.ndarray,
    first_rows: np.ndarray,
    unit_index: pd.Index,
    name: str,
) -> dict[object, object]:
    """Each unit's label in ``column``, refused when missing or varying within a unit."""
    if column.isna().any():
        rows = list(column.index[column.isna().to_numpy()][:5])
        raise StaggeredDataError(f"cluster column {name!r} is missing in row(s) {rows}")
    codes = pd.factorize(column)[0]
    varies = codes != codes[first_rows][unit_codes]
    if varies.any():
        bad = list(unit_index[np.unique(unit_codes[varies])][:5])
        raise StaggeredDataError(
            f"cluster column {name!r} must be constant within a unit (units nested in "
            f"clusters); it varies for {bad}"
        )
    values = column.to_numpy()
    return {u: values[r] for u, r in zip(unit_index, first_rows, strict=True)}


def to_rate(wide_y: pd.DataFrame, wide_pop: pd.DataFrame, per: float, name: str) -> pd.DataFrame:
    """The outcome per ``per`` population; a missing population leaves the cell missing (the
    unit is then dropped, and said), a population of zero or less is refused."""
    pop = wide_pop.reindex_like(wide_y)
    bad = pop.notna() & (pop <= 0)
    if bad.to_numpy().any():
        units = list(pop.index[bad.any(axis=1)][:5])
        raise StaggeredDataError(
            f"population {name!r} is zero or negative for unit(s) {units}: no rate"
        )
    return wide_y / pop * per


def from_panel(
    panel: Panel,
    outcome: str,
    first_treated: Mapping[str, object] | None = None,
    covariates: Sequence[str] = (),
    per: float | None = None,
) -> StaggeredData:
    """Build :class:`StaggeredData` from a vrueval Panel (the outcome per ``per`` of the
    panel's population when ``per`` is given).

    ``first_treated`` maps units (any spelling) to the period label each is first treated in
    (``"2019/20"`` on a financial-year panel); units not named are never treated. When None,
    the Home Office VRU registry is used (:func:`registry_first_treated`). ``covariates`` are
    ``"population"`` or other outcomes of the panel.
    """
    if outcome not in panel.outcomes:
        raise StaggeredDataError(f"outcome {outcome!r} not in the panel; it has {panel.outcomes}")
    if first_treated is None:
        first_treated = registry_first_treated(panel)
    first_map: dict[object, object] = {u: None for u in panel.units}
    for name, label in first_treated.items():
        code = areas.resolve(str(name), panel.geography)
        if code not in first_map:
            raise StaggeredDataError(f"unit {name!r} ({code}) is not in the panel")
        first_map[code] = None if label is None else panel.period(label)
    data = panel.data
    rows = data[data["outcome"] == outcome]
    wide_y = rows.pivot(index="unit", columns="period", values="value")
    if per is not None:
        if rows["population"].isna().all():
            raise StaggeredDataError(
                f"scale='rate' needs the panel's population for {outcome!r}; it has none"
            )
        wide_pop = rows.pivot(index="unit", columns="period", values="population")
        wide_y = to_rate(wide_y, wide_pop, per, "population")
    wide_x = []
    for c in covariates:
        if c == "population":
            sub = data[data["outcome"] == outcome]
            wide_x.append(sub.pivot(index="unit", columns="period", values="population"))
        elif c in panel.outcomes:
            sub = data[data["outcome"] == c]
            wide_x.append(
                sub.pivot(index="unit", columns="period", values="value").reindex_like(wide_y)
            )
        else:
            raise StaggeredDataError(
                f"covariate {c!r} is neither 'population' nor an outcome of the panel "
                f"{panel.outcomes}"
            )
    return _assemble(wide_y, wide_x, tuple(covariates), first_map)


def registry_first_treated(panel: Panel) -> dict[str, pd.Period]:
    """First treated period of each VRU force from the registry cohort year.

    A cohort funded from financial year Y/Y+1 is first treated in the panel period that
    contains 1 April Y: FY2019/20 for the 2019 cohort on a financial-year panel, 2019Q2 on a
    quarterly one. Launch dates varied within the year (West Midlands 3 Oct 2019); pass an
    explicit mapping to use them.
    """
    if panel.geography != "force":
        raise StaggeredDataError(
            f"first_treated= is required for a {panel.geography!r} panel (the default, the VRU "
            "cohorts, applies to force-level panels only)"
        )
    out: dict[str, pd.Period] = {}
    for code in panel.units:
        area = areas.get(code, "force")
        if area.vru_cohort is not None:
            start = pd.Timestamp(year=int(area.vru_cohort), month=4, day=1)
            out[code] = panel.period(start)
    return out


def _assemble(
    wide_y: pd.DataFrame,
    wide_x: list[pd.DataFrame],
    covariates: tuple[str, ...],
    first_map: Mapping[object, object],
    clusters: Mapping[object, object] | None = None,
) -> StaggeredData:
    wide_y = wide_y.sort_index(axis=0).sort_index(axis=1)
    periods = list(wide_y.columns)
    messages: list[str] = []
    if len(periods) < 2:
        raise StaggeredDataError(f"need at least two periods, got {len(periods)}")
    xs = [w.reindex(index=wide_y.index, columns=wide_y.columns) for w in wide_x]

    incomplete = wide_y.isna().any(axis=1)
    for w in xs:
        incomplete |= w.isna().any(axis=1)
    if incomplete.any():
        dropped = list(wide_y.index[incomplete])
        messages.append(
            f"dropped {len(dropped)} unit(s) with a missing outcome or covariate in some period "
            f"(the estimator needs a balanced panel): {_show(dropped)}"
        )

    position = {p: i for i, p in enumerate(periods)}
    first = np.full(len(wide_y), NEVER)
    first_labels: dict[object, object] = {}
    beyond: list[object] = []
    before: list[object] = []
    off_grid: list[str] = []
    for i, u in enumerate(wide_y.index):
        g = first_map.get(u)
        if g is None:
            continue
        first_labels[u] = g
        if g in position:
            first[i] = position[g]
        elif _after(g, periods[-1]):
            beyond.append(u)
        elif _after(periods[0], g):
            first[i] = -1  # treated before the window: dropped below
        else:
            off_grid.append(f"{u}: {g}")
    if off_grid:
        raise StaggeredDataError(
            "first treated period(s) that are not periods of the data: " + _show(off_grid)
        )
    keep = ~incomplete.to_numpy()
    early = keep & (first <= 0)
    if early.any():
        before = [u for u, e in zip(wide_y.index, early, strict=True) if e]
        messages.append(
            f"dropped {len(before)} unit(s) treated in or before the first period "
            f"({periods[0]}): no untreated period to compare with: {_show(before)}"
        )
        keep &= ~early
    beyond_kept = [u for u in beyond if keep[list(wide_y.index).index(u)]]
    if beyond_kept:
        messages.append(
            f"{len(beyond_kept)} unit(s) are first treated after the last period "
            f"({periods[-1]}), so they are untreated throughout the window and serve as "
            f"comparison units (not yet treated): {_show(beyond_kept)}"
        )
    y = wide_y.to_numpy(dtype=float)[keep]
    x = (
        np.stack([w.to_numpy(dtype=float) for w in xs], axis=2)[keep]
        if xs
        else np.empty((int(keep.sum()), len(periods), 0))
    )
    units = tuple(u for u, k in zip(wide_y.index, keep, strict=True) if k)
    if not units:
        raise StaggeredDataError("no units left after dropping incomplete or always-treated ones")
    return StaggeredData(
        y=y,
        x=x,
        first=first[keep],
        units=units,
        periods=tuple(periods),
        covariates=covariates,
        first_labels={u: first_labels[u] for u in units if u in first_labels},
        messages=tuple(messages),
        beyond_window=tuple(beyond_kept),
        cluster=None if clusters is None else np.array([clusters[u] for u in units], dtype=object),
    )


def drop_early(data: StaggeredData, anticipation: int) -> StaggeredData:
    """``data`` without the units first treated within ``anticipation`` periods of the start.

    With anticipation of k periods a cohort's last clean period is ``g - k - 1``; a cohort
    first treated in the first k + 1 periods has none, so it can be neither estimated nor a
    comparison. The units dropped are named in ``messages``.
    """
    early = np.isfinite(data.first) & (data.first - anticipation < 1)
    if not early.any():
        return data
    keep = ~early
    names = [u for u, e in zip(data.units, early, strict=True) if e]
    if not keep.any():
        raise StaggeredDataError("every unit is treated within the anticipation window")
    message = (
        f"dropped {len(names)} unit(s) first treated within {anticipation} period(s) of the "
        f"start ({data.periods[anticipation]} or earlier): with anticipation they have no "
        f"untreated period to compare with: {_show(names)}"
    )
    units = tuple(u for u, k in zip(data.units, keep, strict=True) if k)
    return StaggeredData(
        y=data.y[keep],
        x=data.x[keep],
        first=data.first[keep],
        units=units,
        periods=data.periods,
        covariates=data.covariates,
        first_labels={u: v for u, v in data.first_labels.items() if u in set(units)},
        messages=(*data.messages, message),
        beyond_window=data.beyond_window,
        cluster=None if data.cluster is None else data.cluster[keep],
    )


def _after(a: object, b: object) -> bool:
    try:
        return bool(a > b)  # type: ignore[operator]
    except TypeError as err:
        raise PanelError(f"cannot compare first treated period {a!r} with period {b!r}") from err


def _show(items: Sequence[object], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" ... and {len(items) - limit} more" if len(items) > limit else "")
