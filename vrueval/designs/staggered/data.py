"""Staggered-adoption input: a balanced unit x period array, each unit's first treated period.

Two doors lead here, both through a vrueval :class:`~vrueval.data.Panel`: a Panel with a
mapping unit -> first treated period (or the VRU registry cohorts), and a plain long frame as
academic data come (``mpdta``: unit id, time, outcome, first-treat, covariates), which
:func:`vrueval.data.design_input.staggered` validates with :meth:`Panel.from_frame
<vrueval.data.panel.Panel.from_frame>` as every design's frame (integer time as the
``"index"`` frequency). Both end as a :class:`StaggeredData`; every dropped unit is reported in
``messages``, never silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel, PanelError
from vrueval.data.periods import display

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
    frequency : the panel's frequency, which :attr:`labels` writes the periods in.
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
    frequency: str | None = None

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """The periods as a reader writes them (FY2019/20 as ``2019/20``), for term names,
        tables and messages: :func:`vrueval.data.periods.display`."""
        return tuple(display(p, self.frequency) for p in self.periods)

    @property
    def groups(self) -> np.ndarray:
        """Positions of the treated cohorts, sorted."""
        g = self.first[np.isfinite(self.first)]
        return np.unique(g).astype(int)


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
    *,
    population: str | None = None,
    cluster: str | None = None,
    order: Sequence[object] | None = None,
) -> StaggeredData:
    """Build :class:`StaggeredData` from a vrueval Panel (the outcome per ``per`` of the
    panel's population when ``per`` is given).

    A frame reaches here as the Panel :func:`vrueval.data.design_input.staggered` built from
    it: its covariate columns are the panel's carried covariates, ``population`` and
    ``cluster`` name its population and cluster columns (for messages; with ``cluster`` the
    panel's cluster labels, one a unit, cluster the standard errors). ``order``: the units'
    order (default: sorted as text, the panel's order).

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
    read: dict[object, object] = {}  # each distinct label read once (a few cohorts)
    for name, label in first_treated.items():
        code = areas.resolve(str(name), panel.geography)
        if code not in first_map:
            raise StaggeredDataError(f"unit {name!r} ({code}) is not in the panel")
        if label is not None and label not in read:
            read[label] = panel.period(label)
        first_map[code] = None if label is None else read[label]
    wide_y = panel.wide(outcome).T  # unit x period
    if per is not None:
        wide_pop = panel.wide(outcome, "population").T
        if wide_pop.isna().all().all():
            raise StaggeredDataError(
                f"scale='rate' needs the panel's population for {outcome!r}; it has none"
            )
        wide_y = to_rate(wide_y, wide_pop, per, population or "population")
    wide_x = []
    for c in covariates:
        if c in panel.covariates:  # a frame's covariate column, carried by the panel
            wide_x.append(panel.wide(outcome, c).T)
        elif c == "population":
            wide_x.append(panel.wide(outcome, "population").T)
        elif c in panel.outcomes:
            wide_x.append(panel.wide(c).T.reindex_like(wide_y))
        else:
            raise StaggeredDataError(
                f"covariate {c!r} is neither 'population' nor an outcome of the panel "
                f"{panel.outcomes}"
            )
    clusters = _panel_clusters(panel, outcome, cluster) if cluster is not None else None
    return _assemble(
        wide_y, wide_x, tuple(covariates), first_map, clusters, order, frequency=panel.frequency
    )


def _panel_clusters(panel: Panel, outcome: str, name: str) -> dict[object, object]:
    """Each unit's label in the panel's cluster column (``name`` in the user's frame),
    refused when it varies within a unit (units nested in clusters)."""
    d = panel.select(outcome=outcome)._data
    codes = pd.factorize(d["cluster"])[0]
    unit_code, units = pd.factorize(d["unit"])
    first_row = np.empty(len(units), dtype=np.int64)
    first_row[unit_code[::-1]] = np.arange(len(unit_code))[::-1]
    varies = codes != codes[first_row][unit_code]
    if varies.any():
        bad = list(units[np.unique(unit_code[varies])][:5])
        raise StaggeredDataError(
            f"cluster column {name!r} must be constant within a unit (units nested in "
            f"clusters); it varies for {bad}"
        )
    values = d["cluster"].to_numpy()
    return {u: values[r] for u, r in zip(units, first_row, strict=True)}


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
    order: Sequence[object] | None = None,
    *,
    frequency: str | None = None,
) -> StaggeredData:
    wide_y = wide_y.sort_index(axis=1)
    wide_y = wide_y.sort_index(axis=0) if order is None else wide_y.reindex(index=list(order))
    periods = list(wide_y.columns)
    shown = [display(p, frequency) for p in periods]
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
            off_grid.append(f"{u}: {display(g, frequency)}")
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
            f"({shown[0]}): no untreated period to compare with: {_show(before)}"
        )
        keep &= ~early
    beyond_kept = [u for u in beyond if keep[list(wide_y.index).index(u)]]
    if beyond_kept:
        messages.append(
            f"{len(beyond_kept)} unit(s) are first treated after the last period "
            f"({shown[-1]}), so they are untreated throughout the window and serve as "
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
        frequency=frequency,
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
        f"start ({data.labels[anticipation]} or earlier): with anticipation they have no "
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
        frequency=data.frequency,
    )


def _after(a: object, b: object) -> bool:
    try:
        return bool(a > b)  # type: ignore[operator]
    except TypeError as err:
        raise PanelError(f"cannot compare first treated period {a!r} with period {b!r}") from err


def _show(items: Sequence[object], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" ... and {len(items) - limit} more" if len(items) > limit else "")
