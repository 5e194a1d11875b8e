"""Staggered-adoption input of the synthetic designs: a complete unit x period outcome matrix
with the never-treated units first and the treated units after them, cohort by cohort.

Two doors lead here, as for :mod:`vrueval.designs.synthetic.data`: a vrueval
:class:`~vrueval.data.Panel` with a mapping unit -> first treated period (or None: the Home Office
VRU registry cohorts, as :class:`~vrueval.StaggeredDiD`), and a long frame with a
``first_treated`` column (missing, 0 or inf: never treated) or a 0/1 treatment column. Nothing is
filled or dropped: a missing cell, a unit treated from the first period, a cohort with too few
pre-periods is an error naming what and where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel
from vrueval.data.periods import display
from vrueval.designs.synthetic.data import (
    SyntheticDataError,
    check_complete,
    check_stays_on,
    finite_rows,
    long_and_wide,
    treated_rows,
)
from vrueval.designs.synthetic.inputs import frame_columns, provenance


@dataclass(frozen=True)
class CohortData:
    """The outcome matrix of a staggered design.

    Attributes
    ----------
    y : (n, T) outcomes, never-treated units first, then each cohort's units (cohorts in order
        of adoption); no missing values.
    n0 : number of never-treated (control) units.
    starts : each cohort's first treated period as a column index (increasing).
    sizes : each cohort's number of units (rows follow in this order after the controls).
    units, periods : labels in row and column order.
    late : units whose first treated period lies after the last period: untreated throughout
        the data, so they are controls (named so the result can say so).
    frequency : the panel's frequency (None for a frame), which :attr:`labels` writes the
        periods in.
    """

    y: np.ndarray
    n0: int
    starts: tuple[int, ...]
    sizes: tuple[int, ...]
    units: tuple[Any, ...]
    periods: tuple[Any, ...]
    late: tuple[Any, ...] = ()
    frequency: str | None = None

    @property
    def n1(self) -> int:
        return int(sum(self.sizes))

    @property
    def controls(self) -> tuple[Any, ...]:
        return self.units[: self.n0]

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """The periods as a reader writes them (FY2019/20 as ``2019/20``), for term names
        and tables: :func:`vrueval.data.periods.display`."""
        return tuple(display(p, self.frequency) for p in self.periods)

    @property
    def cohort_labels(self) -> tuple[str, ...]:
        """Each cohort's first treated period, as a label (``att:cohort=<label>``)."""
        return tuple(self.labels[s] for s in self.starts)

    def cohort_rows(self, c: int) -> np.ndarray:
        """Row indices of cohort ``c``'s units."""
        first = self.n0 + int(sum(self.sizes[:c]))
        return np.arange(first, first + self.sizes[c])

    def cohort_units(self, c: int) -> tuple[Any, ...]:
        return tuple(self.units[i] for i in self.cohort_rows(c))

    def cohort_matrix(self, c: int) -> np.ndarray:
        """The controls and cohort ``c``'s units, every period (the cohort's own SDiD panel)."""
        return self.y[np.concatenate([np.arange(self.n0), self.cohort_rows(c)])]


def membership(d: CohortData) -> dict[str, Any]:
    """Each cohort's units (by its label) and the controls, as a staggered design's settings
    record them."""
    return {
        "cohorts": {
            lab: [str(u) for u in d.cohort_units(c)] for c, lab in enumerate(d.cohort_labels)
        },
        "controls": [str(u) for u in d.controls],
    }


def late_warning(d: CohortData) -> list[str]:
    """The warning a staggered result carries when units first treated after the last period
    serve as controls (none otherwise)."""
    if not d.late:
        return []
    return [
        f"{len(d.late)} unit(s) first treated after the last period "
        f"({[str(u) for u in d.late][:5]}) are untreated in the data and used as controls"
    ]


def from_long(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    first_treated: str | None = None,
    treated: str | None = None,
    min_pre: int = 1,
) -> CohortData:
    """Build :class:`CohortData` from a long frame (one row a unit and period).

    Treatment is given by ``first_treated``, a column with each unit's first treated period (in
    the units of ``time``; missing, 0 or inf: never treated), or by ``treated``, a 0/1 column that
    is 1 from each treated unit's start on (as Stata ``sdid`` and R ``synthdid`` read it).
    """
    if not isinstance(frame, pd.DataFrame):
        raise SyntheticDataError(f"data must be a Panel or a DataFrame, not {type(frame).__name__}")
    if (first_treated is None) == (treated is None):
        raise SyntheticDataError("give one of first_treated= (a column) or treated= (a 0/1 column)")
    role = first_treated if first_treated is not None else treated
    assert role is not None
    d, wide = long_and_wide(
        frame, [unit, time, outcome, role], unit=unit, time=time, outcome=outcome
    )
    if first_treated is not None:
        firsts = _first_column(d, unit, first_treated)
    else:
        assert treated is not None
        firsts = _from_indicator(d, unit, time, treated)
    return assemble(wide.astype(float), firsts, min_pre)


def _first_column(d: pd.DataFrame, unit: str, column: str) -> dict[Any, Any]:
    per_unit = d.groupby(unit)[column].agg(["min", "max"])
    varies = per_unit.index[(per_unit["min"] != per_unit["max"]) & per_unit["min"].notna()]
    if len(varies):
        raise SyntheticDataError(
            f"{column!r} must be constant within a unit; it varies for {list(varies)[:5]}"
        )
    g = per_unit["min"]
    never = g.isna() | (g == 0) | np.isinf(pd.to_numeric(g, errors="coerce").fillna(0))
    return {u: (None if never[u] else g[u]) for u in g.index}


def _from_indicator(d: pd.DataFrame, unit: str, time: str, treated: str) -> dict[Any, Any]:
    starts = treated_rows(d, treated).groupby(unit)[time].min()
    check_stays_on(d, unit, time, treated, starts)
    return {u: starts.get(u) for u in d[unit].unique()}


def from_panel(
    panel: Panel,
    *,
    outcome: str,
    first_treated: Mapping[str, object] | None,
    min_pre: int = 1,
) -> CohortData:
    """Build :class:`CohortData` from a vrueval Panel: ``first_treated`` maps units (any
    spelling) to the first treated period label (units not named: never treated); None takes
    the VRU registry cohorts (:func:`vrueval.designs.staggered.data.registry_first_treated`)."""
    if outcome not in panel.outcomes:
        raise SyntheticDataError(f"outcome {outcome!r} not in the panel; it has {panel.outcomes}")
    if first_treated is None:
        from vrueval.designs.staggered.data import registry_first_treated

        firsts: dict[Any, Any] = dict(registry_first_treated(panel))
    elif isinstance(first_treated, Mapping):
        firsts = {}
        for name, label in first_treated.items():
            code = areas.resolve(str(name), panel.geography)
            if code not in panel.units:
                raise SyntheticDataError(f"unit {name!r} ({code}) is not in the panel")
            firsts[code] = None if label is None else panel.period(label)
    else:
        raise SyntheticDataError(
            "for a Panel, first_treated is a mapping unit -> first treated period (or None for "
            "the VRU registry cohorts)"
        )
    wide = panel.wide(outcome).T  # unit x period; suppressed or unavailable cells are NaN
    d = assemble(wide.astype(float), {u: firsts.get(u) for u in wide.index}, min_pre)
    return replace(d, frequency=panel.frequency)


def assemble(wide: pd.DataFrame, firsts: Mapping[Any, Any], min_pre: int) -> CohortData:
    """Order ``wide`` (unit x period) as controls, then cohorts by start, and check it."""
    check_complete(wide)
    periods = list(wide.columns)
    last = periods[-1]
    late: list[Any] = []
    by_start: dict[int, list[Any]] = {}
    controls: list[Any] = []
    for u in wide.index:
        g = firsts.get(u)
        if g is None or (isinstance(g, float) and np.isnan(g)):
            controls.append(u)
            continue
        if g > last:
            controls.append(u)
            late.append(u)
            continue
        later = [i for i, p in enumerate(periods) if p >= g]
        t0 = later[0]
        if t0 < min_pre:
            raise SyntheticDataError(
                f"unit {u!r} is first treated at {g}, leaving {t0} pre-treatment period(s) "
                f"(the data start at {periods[0]}); each cohort needs at least {min_pre}: drop "
                "that cohort's units or start the data earlier"
            )
        by_start.setdefault(t0, []).append(u)
    if not by_start:
        raise SyntheticDataError("no unit is treated within the periods of the data")
    if len(controls) < 2:
        raise SyntheticDataError(
            f"{len(controls)} never-treated unit(s) {controls}: at least 2 are needed to weight"
        )
    starts = tuple(sorted(by_start))
    order = [*controls, *(u for s in starts for u in by_start[s])]
    y = finite_rows(wide, order)
    return CohortData(
        y=y,
        n0=len(controls),
        starts=starts,
        sizes=tuple(len(by_start[s]) for s in starts),
        units=tuple(order),
        periods=tuple(periods),
        late=tuple(late),
    )


def read(
    data: Panel | pd.DataFrame,
    *,
    outcome: str,
    first_treated: Mapping[str, object] | str | None,
    treated: str | None,
    unit: str | None,
    time: str | None,
    min_pre: int,
) -> tuple[CohortData, dict[str, Any]]:
    """The validated matrix and the provenance of ``data`` (either door)."""
    recorded = provenance(data)
    if isinstance(data, Panel):
        if unit is not None or time is not None or treated is not None:
            raise SyntheticDataError(
                "unit=, time= and treated= are for a DataFrame; a Panel knows its own (give "
                "first_treated= as a mapping, or None for the VRU cohorts)"
            )
        if isinstance(first_treated, str):
            raise SyntheticDataError(
                "for a Panel, first_treated is a mapping unit -> first treated period (or None "
                "for the VRU registry cohorts)"
            )
        d = from_panel(data, outcome=outcome, first_treated=first_treated, min_pre=min_pre)
        return d, recorded
    unit, time = frame_columns(unit, time)
    if first_treated is not None and not isinstance(first_treated, str):
        raise SyntheticDataError("for a DataFrame, first_treated= is a column name")
    d = from_long(
        data,
        unit=unit,
        time=time,
        outcome=outcome,
        first_treated=first_treated,
        treated=treated,
        min_pre=min_pre,
    )
    return d, recorded
