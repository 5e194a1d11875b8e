"""Synthetic-design input: a complete unit x period outcome matrix with the treated units last.

Two doors lead here: a vrueval :class:`~vrueval.data.Panel` with a list of treated units and the
first treated period, and a long frame of any units (states, local authorities) with named
columns. Both end as a :class:`SyntheticData`, validated once. Nothing is filled or dropped: a
missing cell, a duplicate row, a non-numeric outcome, too few donors or a treated unit with no
pre-period is an error naming what and where, because the weights are fitted to every cell.

Simultaneous adoption only: every treated unit starts in the same period (staggered adoption is
a different estimator, see issue 13 item 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel
from vrueval.data.periods import display


class SyntheticDataError(ValueError):
    """Input the synthetic designs cannot use, saying what and where."""


@dataclass(frozen=True)
class SyntheticData:
    """The outcome matrix the weights are fitted to.

    Attributes
    ----------
    y : (n, T) outcomes, donors first then treated units, no missing values.
    n0 : number of donors (control units); rows ``n0:`` are treated.
    t0 : number of pre-treatment periods; columns ``t0:`` are post-treatment.
    units : unit identifiers in row order.
    periods : period labels in column order (sorted).
    predictors : (n, k) predictor values for synthetic control (k may be 0), rows as ``y``.
    predictor_names : their names.
    frequency : the panel's frequency (None for a frame), which :attr:`labels` writes the
        periods in.
    """

    y: np.ndarray
    n0: int
    t0: int
    units: tuple[Any, ...]
    periods: tuple[Any, ...]
    predictors: np.ndarray
    predictor_names: tuple[str, ...] = ()
    frequency: str | None = None

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """The periods as a reader writes them (FY2019/20 as ``2019/20``), for term names
        (``att:t=<period>``) and tables: :func:`vrueval.data.periods.display`."""
        return tuple(display(p, self.frequency) for p in self.periods)

    @property
    def n1(self) -> int:
        return int(self.y.shape[0]) - self.n0

    @property
    def t1(self) -> int:
        return int(self.y.shape[1]) - self.t0

    @property
    def donors(self) -> tuple[Any, ...]:
        return self.units[: self.n0]

    @property
    def treated(self) -> tuple[Any, ...]:
        return self.units[self.n0 :]

    @property
    def start(self) -> Any:
        """The first treated period."""
        return self.periods[self.t0]


#: A predictor: a column averaged over all pre-periods, or over the periods given.
Predictor = str | tuple[str, Sequence[Any]]


def from_long(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Sequence[Any] | str,
    start: Any = None,
    first_treated: str | None = None,
    predictors: Sequence[Predictor] = (),
    min_pre: int = 1,
) -> SyntheticData:
    """Build :class:`SyntheticData` from a long frame (one row a unit and period).

    Treatment is given one of three ways: ``treated`` a list of units with ``start`` the first
    treated period; ``treated`` the name of a 0/1 column that is 1 from each treated unit's
    start on (as R ``synthdid``'s ``panel.matrices``); or ``first_treated`` a column holding each
    unit's first treated period (missing, 0 or inf: never treated). ``predictors`` are columns
    of the frame (see :func:`predictor_matrix`).
    """
    if not isinstance(frame, pd.DataFrame):
        raise SyntheticDataError(f"data must be a Panel or a DataFrame, not {type(frame).__name__}")
    columns = [unit, time, outcome]
    if isinstance(treated, str):
        columns.append(treated)
    if first_treated is not None:
        columns.append(first_treated)
    columns += [p if isinstance(p, str) else p[0] for p in predictors]
    d, wide = long_and_wide(frame, columns, unit=unit, time=time, outcome=outcome)
    treated_units, start = _treatment(d, unit, time, treated, start, first_treated)
    extra = {}
    for p in predictors:
        name = p if isinstance(p, str) else p[0]
        if name not in extra:
            _numeric(d[name], name, d[[unit, time]])
            extra[name] = d.pivot(index=unit, columns=time, values=name).reindex_like(wide)
    return _assemble(wide.astype(float), treated_units, start, predictors, extra, min_pre)


def long_and_wide(
    frame: pd.DataFrame, columns: Sequence[str], *, unit: str, time: str, outcome: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``columns`` of a long frame (each once) and its outcome as a unit x period table,
    periods sorted; an absent column, a repeated (unit, time) pair or a non-numeric outcome is
    refused (both synthetic inputs read a frame this way)."""
    columns = list(dict.fromkeys(columns))
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise SyntheticDataError(
            f"column(s) {absent} not in the frame; it has {list(frame.columns)}"
        )
    d = frame.loc[:, columns]
    dup = d.duplicated([unit, time])
    if dup.any():
        first = d.loc[dup, [unit, time]].iloc[0].tolist()
        raise SyntheticDataError(
            f"{int(dup.sum())} row(s) repeat a ({unit}, {time}) pair, e.g. {first}; a panel has "
            "one row a unit and period"
        )
    _numeric(d[outcome], outcome, d[[unit, time]])
    return d, d.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)


def from_panel(
    panel: Panel,
    *,
    outcome: str,
    treated: Sequence[str],
    start: Any,
    min_pre: int = 1,
) -> SyntheticData:
    """Build :class:`SyntheticData` from a vrueval Panel: ``treated`` units (any spelling),
    ``start`` the first treated period label (read in the panel's frequency)."""
    if outcome not in panel.outcomes:
        raise SyntheticDataError(f"outcome {outcome!r} not in the panel; it has {panel.outcomes}")
    if isinstance(treated, str):
        raise SyntheticDataError("for a Panel, treated is a list of units, e.g. ['West Midlands']")
    if start is None:
        raise SyntheticDataError("give start=, the first treated period (e.g. '2019/20')")
    codes = [areas.resolve(str(u), panel.geography) for u in treated]
    wide = panel.wide(outcome).T  # unit x period; suppressed or unavailable cells are NaN
    d = _assemble(wide.astype(float), codes, panel.period(start), (), {}, min_pre)
    return replace(d, frequency=panel.frequency)


def _numeric(values: pd.Series, name: str, keys: pd.DataFrame) -> None:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        coerced = pd.to_numeric(values, errors="coerce")
        bad = coerced.isna() & values.notna()
        where = keys[bad].head(3).to_numpy().tolist() if bad.any() else []
        raise SyntheticDataError(
            f"column {name!r} must be numeric, it is {values.dtype}"
            + (f"; non-numeric values at {where}" if where else "")
        )


def _treatment(
    d: pd.DataFrame,
    unit: str,
    time: str,
    treated: Sequence[Any] | str,
    start: Any,
    first_treated: str | None,
) -> tuple[list[Any], Any]:
    if first_treated is not None:
        if not isinstance(treated, str) and treated:
            raise SyntheticDataError("give either treated= or first_treated=, not both")
        per_unit = d.groupby(unit)[first_treated].agg(["min", "max"])
        varies = per_unit.index[per_unit["min"] != per_unit["max"]]
        if len(varies):
            raise SyntheticDataError(
                f"{first_treated!r} must be constant within a unit; it varies for "
                f"{list(varies)[:5]}"
            )
        g = per_unit["min"]
        never = g.isna() | (g == 0) | np.isinf(pd.to_numeric(g, errors="coerce").fillna(0))
        starts = g[~never].unique()
        if len(starts) == 0:
            raise SyntheticDataError(f"no unit has a first treated period in {first_treated!r}")
        if len(starts) > 1:
            raise SyntheticDataError(
                f"treated units start in different periods {sorted(starts)}: these designs need "
                "simultaneous adoption (fit one cohort at a time)"
            )
        return list(g.index[~never]), starts[0]
    if isinstance(treated, str):
        firsts = treated_rows(d, treated).groupby(unit)[time].min()
        if firsts.nunique() > 1:
            raise SyntheticDataError(
                f"treated units start in different periods {sorted(firsts.unique())}: these "
                "designs need simultaneous adoption (fit one cohort at a time)"
            )
        s = firsts.iloc[0]
        check_stays_on(d, unit, time, treated, firsts)
        if start is not None and start != s:
            raise SyntheticDataError(
                f"start={start!r} disagrees with {treated!r}, which starts at {s!r}"
            )
        return list(firsts.index), s
    if start is None:
        raise SyntheticDataError(
            "give start=, the first treated period, with a list of treated units"
        )
    return list(treated), start


def treated_rows(d: pd.DataFrame, treated: str) -> pd.DataFrame:
    """The rows where the treatment column ``treated`` is 1; it must be 0 or 1 in every row
    and 1 in some."""
    flag = pd.to_numeric(d[treated], errors="coerce")
    if flag.isna().any() or not flag.isin([0, 1]).all():
        raise SyntheticDataError(f"treatment column {treated!r} must be 0 or 1 in every row")
    on = d[flag == 1]
    if on.empty:
        raise SyntheticDataError(f"treatment column {treated!r} is 0 in every row")
    return on


def check_stays_on(d: pd.DataFrame, unit: str, time: str, treated: str, starts: pd.Series) -> None:
    """Refuse a 0 in the treatment column ``treated`` at or after a unit's start (``starts``:
    unit -> first treated period)."""
    after = d[d[unit].isin(starts.index)]
    after = after[after[time].to_numpy() >= starts.reindex(after[unit]).to_numpy()]
    off = after[pd.to_numeric(after[treated]) == 0]
    if not off.empty:
        raise SyntheticDataError(
            f"treatment must stay on once started; {treated!r} is 0 again at "
            f"{off[[unit, time]].head(3).to_numpy().tolist()}"
        )


def _assemble(
    wide: pd.DataFrame,
    treated: Sequence[Any],
    start: Any,
    predictors: Sequence[Predictor],
    extra: Mapping[str, pd.DataFrame],
    min_pre: int,
) -> SyntheticData:
    if len(set(treated)) != len(treated):
        raise SyntheticDataError(f"treated units repeat: {list(treated)}")
    if not treated:
        raise SyntheticDataError("no treated unit given")
    absent = [u for u in treated if u not in wide.index]
    if absent:
        raise SyntheticDataError(f"treated unit(s) {absent} not in the data")
    check_complete(wide)
    periods = list(wide.columns)
    if start not in periods:
        raise SyntheticDataError(
            f"first treated period {start!r} is not a period of the data "
            f"({periods[0]}..{periods[-1]})"
        )
    t0 = periods.index(start)
    if t0 < min_pre:
        raise SyntheticDataError(
            f"the treated unit(s) {list(treated)} have {t0} pre-treatment period(s) before "
            f"{start!r} (the data start at {periods[0]}); at least {min_pre} are needed"
        )
    donors = [u for u in wide.index if u not in set(treated)]
    if len(donors) < 2:
        raise SyntheticDataError(
            f"{len(donors)} donor (untreated) unit(s) {donors}: at least 2 are needed to weight"
        )
    order = [*donors, *treated]
    y = finite_rows(wide, order)
    x, names = predictor_matrix(predictors, extra, wide, order, periods[:t0])
    return SyntheticData(
        y=y,
        n0=len(donors),
        t0=t0,
        units=tuple(order),
        periods=tuple(periods),
        predictors=x,
        predictor_names=names,
    )


def check_complete(wide: pd.DataFrame) -> None:
    """Refuse an outcome matrix (unit x period) with a missing cell, naming some: the weights
    are fitted to every cell and nothing is filled."""
    missing = wide.isna()
    if missing.to_numpy().any():
        cells = _cells(missing, 6)
        raise SyntheticDataError(
            f"the outcome matrix has {int(missing.to_numpy().sum())} missing cell(s) (absent rows, "
            f"suppressed or missing values), e.g. {', '.join(cells)}; the weights are fitted to "
            "every cell and nothing is filled: drop those units or periods first"
        )


def finite_rows(wide: pd.DataFrame, order: list[Any]) -> np.ndarray:
    """The outcome matrix with its rows in ``order``, refused if a value is infinite."""
    y = wide.loc[order].to_numpy(dtype=float)
    if not np.isfinite(y).all():
        raise SyntheticDataError("the outcome matrix has infinite values")
    return y


def predictor_matrix(
    predictors: Sequence[Predictor],
    extra: Mapping[str, pd.DataFrame],
    outcome: pd.DataFrame,
    order: Sequence[Any],
    pre: Sequence[Any],
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each predictor's average over its periods (all pre-periods when none are given), one
    column a predictor, as ADH (2010) build theirs. A predictor named as the outcome column is
    a lagged outcome. Its periods must be pre-treatment periods, and no cell may be missing."""
    cols: list[np.ndarray] = []
    names: list[str] = []
    for p in predictors:
        name, periods = (p, list(pre)) if isinstance(p, str) else (p[0], list(p[1]))
        if not periods:
            raise SyntheticDataError(f"predictor {name!r} has no periods")
        late = [q for q in periods if q not in pre]
        if late:
            raise SyntheticDataError(
                f"predictor {name!r} periods {late} are not pre-treatment periods of the data"
            )
        table = extra[name] if name in extra else outcome
        block = table.loc[list(order), periods]
        if block.isna().to_numpy().any():
            where = _cells(block.isna(), 4)
            raise SyntheticDataError(
                f"predictor {name!r} is missing at {', '.join(where)}; nothing is filled"
            )
        cols.append(block.to_numpy(dtype=float).mean(axis=1))
        label = name if isinstance(p, str) else f"{name}[{periods[0]}..{periods[-1]}]"
        names.append(label if len(periods) > 1 else f"{name}[{periods[0]}]")
    x = np.column_stack(cols) if cols else np.empty((len(order), 0))
    return x, tuple(names)


def _cells(mask: pd.DataFrame, most: int) -> list[str]:
    """The first ``most`` (unit, period) cells where ``mask`` is true, as "unit period"."""
    rows, cols = np.nonzero(mask.to_numpy())
    return [
        f"{mask.index[r]} {mask.columns[c]}" for r, c in zip(rows[:most], cols[:most], strict=True)
    ]
