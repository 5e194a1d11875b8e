"""The canonical long panel and the one validator every boundary applies.

A panel is one row per (unit, period, outcome): ``unit`` is an ONS area code, ``period`` a pandas
Period of the panel's frequency, ``value`` a float that is NaN when the source did not publish a
number (never zero), ``population`` where known, and the flags ``suppressed`` (withheld by the
source: disclosure control, small counts), ``unavailable`` (marked by the source as not available,
not applicable or unreliable), ``provisional`` and ``derived``. Loaders and bundled datasets
build panels through :meth:`Panel.from_frame`; designs accept a :class:`Panel` and so never
see unvalidated data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.areas import GEOGRAPHIES, Geography
from vrueval.data.columns import CARRIED, COLUMNS, FLAGS, KEY, ColumnError, Roles, canonical
from vrueval.data.periods import (
    INDEX,
    PERIOD_FREQ,
    PeriodLabelError,
    factorized,
    infer_frequency,
    parse_period,
    parse_periods,
)
from vrueval.data.suppression import check_fill_value
from vrueval.options import choice

Frequency = Literal["month", "quarter", "financial_year", "year", "rolling_12m", "index"]
Measure = Literal["count", "rate", "score"]

FREQUENCIES: tuple[str, ...] = get_args(Frequency)
MEASURES: tuple[str, ...] = get_args(Measure)
_SHOW = 10
# dtype of the cached layouts' unit and period codes: int32 halves what a panel keeps for
# them (a unit or period count beyond 2**31 would not fit in memory anyway)
LAYOUT_CODE = np.int32


class PanelError(ValueError):
    """Invalid panel input. ``rows`` holds the offending rows when there are any."""

    def __init__(self, message: str, rows: pd.DataFrame | None = None) -> None:
        self.rows = rows
        if rows is not None and len(rows):
            shown = rows.head(_SHOW).to_string()
            more = f"\n... and {len(rows) - _SHOW} more rows" if len(rows) > _SHOW else ""
            message = f"{message}\n{shown}{more}"
        super().__init__(message)


@dataclass(frozen=True)
class Source:
    """Where a panel's numbers came from: travels into results and reports."""

    publisher: str
    title: str
    edition: str
    file: str
    sha256: str
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "publisher": self.publisher,
            "title": self.title,
            "edition": self.edition,
            "file": self.file,
            "sha256": self.sha256,
            "note": self.note,
        }


def _step(frequency: str, periods: pd.Series) -> int:
    """Spacing between consecutive periods, in units of the period frequency."""
    if frequency != "rolling_12m":
        return 1
    codes = np.unique(np.asarray([p.ordinal for p in periods.dropna()]))
    if len(codes) < 2:
        return 1
    return int(np.gcd.reduce(np.diff(codes)))


class Panel:
    """A validated long panel with its frequency, measure, geography and sources.

    Build one with :meth:`from_frame`; the constructor is internal. The data are read through
    :attr:`data` (a copy: the panel never changes after validation).
    """

    __slots__ = (
        "_data",
        "_layouts",
        "_outcomes",
        "_units",
        "covariates",
        "frequency",
        "geography",
        "measure",
        "notes",
        "sources",
        "step",
    )

    def __init__(
        self,
        data: pd.DataFrame,
        frequency: Frequency,
        measure: Measure,
        geography: Geography,
        sources: tuple[Source, ...],
        notes: tuple[str, ...],
        step: int,
        covariates: tuple[str, ...] = (),
    ) -> None:
        self._data = data
        # read on every design's validation: computed once (the panel never changes)
        self._outcomes: tuple[str, ...] | None = None
        self._units: tuple[str, ...] | None = None
        self._layouts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index, pd.Index]] = {}
        self.frequency = frequency
        self.measure = measure
        self.geography = geography
        self.sources = sources
        self.notes = notes
        self.step = step
        self.covariates = covariates

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        frequency: Frequency | None = None,
        measure: Measure = "count",
        geography: Geography | Literal["pfa"] = "force",
        sources: Sequence[Source] = (),
        notes: Sequence[str] = (),
        unit: str | None = None,
        time: str | None = None,
        outcome: str | Sequence[str] | None = None,
        population: str | None = None,
        weights: str | None = None,
        cluster: str | None = None,
        covariates: str | Sequence[str] = (),
    ) -> Panel:
        """Validate a frame and return a :class:`Panel`. The caller's frame is not changed.

        Two layouts (:mod:`vrueval.data.columns`). Canonical long: columns ``unit``,
        ``period``, ``outcome``, ``value``, optionally ``population``, ``suppressed``,
        ``unavailable``, ``provisional``, ``derived``. Or a frame whose columns are named by
        role: ``unit=``, ``time=``, ``outcome=`` (a column, or several: one outcome each). In
        both, ``population=``, ``weights=``, ``cluster=`` and ``covariates=`` name further
        columns; any column no role names is refused (a Panel keeps every column it is given;
        the designs, given a DataFrame, take only the columns their roles name).

        Parameters
        ----------
        frequency : {"month", "quarter", "financial_year", "year", "rolling_12m", "index"}, optional
            Read from the periods when they say it (:func:`~vrueval.data.periods.
            infer_frequency`); required otherwise (dates, rolling 12-month totals).
            ``"index"``: plain integer time (1..T), each whole number a period, no calendar
            (read so from an integer column whose values are not all years 1000-2999).
        geography : one of :data:`vrueval.areas.GEOGRAPHIES` (``"pfa"`` is ``"force"``)
            What the units are: registered UK areas (any official spelling, resolved to the
            code; unknown names refused with the nearest match), LSOA/MSOA codes (checked for
            form), or ``"custom"``: any identifiers, kept as given (an integer as its digits).
        weights, cluster, covariates : column names, optional
            Carried on the panel (as ``weights``, ``cluster`` and the covariates' names) for
            the designs that use them. Weights and covariates are numbers (NaN: missing);
            cluster labels may be anything but missing.

        Raises
        ------
        PanelError
            Naming the problem and showing the offending rows: unknown units (with the nearest
            name), malformed LSOA/MSOA codes, unparseable or irregular periods, gaps in a
            series, duplicate keys, non-numeric or non-finite values, booleans, negative or
            fractional counts (``measure="count"``), ambiguous periods (see
            :mod:`vrueval.data.periods`), suppressed or unavailable cells that carry a number,
            cells flagged both, negative weights, missing cluster labels, columns no role names.
        """
        choice(measure, MEASURES, "measure")
        geo = cast(Geography, areas.canonical(geography))
        roles = Roles.of(
            unit=unit,
            time=time,
            outcome=outcome,
            population=population,
            weights=weights,
            cluster=cluster,
            covariates=covariates,
        )
        try:
            long, carried = canonical(frame, roles)
        except ColumnError as err:
            raise PanelError(str(err)) from None
        if frequency is not None:
            choice(frequency, FREQUENCIES, "frequency")
        data, series, keys = _validate(
            long, frequency, measure, geo, carried, roles.names, time or "period"
        )
        frequency = keys.frequency
        step = _step(frequency, data["period"]) if frequency == "rolling_12m" else 1
        _check_regular(data, step, series)
        panel = cls(
            data, frequency, measure, geo, tuple(sources), tuple(notes), step, tuple(carried)
        )
        keys.remember(panel)
        return panel

    # -- read access --------------------------------------------------------------------------
    @property
    def data(self) -> pd.DataFrame:
        """The panel as a long DataFrame (a copy)."""
        return self._data.copy()

    @property
    def outcomes(self) -> tuple[str, ...]:
        if self._outcomes is None:
            self._outcomes = tuple(pd.unique(self._data["outcome"]))
        return self._outcomes

    @property
    def units(self) -> tuple[str, ...]:
        if self._units is None:
            self._units = tuple(pd.unique(self._data["unit"]))
        return self._units

    @property
    def periods(self) -> pd.PeriodIndex:
        """The panel's periods, sorted (whole numbers in an ``Index`` for the integer index)."""
        distinct = sorted(pd.unique(self._data["period"]))
        if self.frequency == INDEX:
            return cast(pd.PeriodIndex, pd.Index(distinct, dtype=np.int64))
        return pd.PeriodIndex(distinct)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        p = self.periods
        span = f"{p[0]}..{p[-1]}" if len(p) else "empty"
        return (
            f"<Panel {self.measure} by {self.geography}, {self.frequency}: {len(self.units)} units"
            f" x {len(p)} periods ({span}), outcomes={list(self.outcomes)}>"
        )

    def missing(self) -> pd.DataFrame:
        """Rows whose value is missing, with why: ``suppressed`` (withheld), ``unavailable``
        (marked not available) or neither (not published)."""
        d = self._data
        return d.loc[d["value"].isna(), [*KEY, *FLAGS]].reset_index(drop=True)

    def coverage(self) -> pd.DataFrame:
        """One row an outcome: units, periods, first and last period, missing cells."""
        rows = []
        for outcome, g in self._data.groupby("outcome", sort=False):
            rows.append(
                {
                    "outcome": outcome,
                    "units": g["unit"].nunique(),
                    "periods": g["period"].nunique(),
                    "first": str(g["period"].min()),
                    "last": str(g["period"].max()),
                    "missing": int(g["value"].isna().sum()),
                    "suppressed": int(g["suppressed"].sum()),
                    "unavailable": int(g["unavailable"].sum()),
                }
            )
        return pd.DataFrame(rows)

    def select(
        self,
        outcome: str | Iterable[str] | None = None,
        units: Iterable[str] | None = None,
        start: object = None,
        end: object = None,
    ) -> Panel:
        """A sub-panel: some outcomes, units (any spelling) and/or a period window (inclusive)."""
        d = self._data
        if units is None and start is None and end is None and outcome is not None:
            wanted = [outcome] if isinstance(outcome, str) else list(outcome)
            if set(wanted) == set(self.outcomes):
                return self  # every row kept: the panel itself (it never changes)
        mask = pd.Series(True, index=d.index)
        if outcome is not None:
            wanted = [outcome] if isinstance(outcome, str) else list(outcome)
            unknown = sorted(set(wanted) - set(self.outcomes))
            if unknown:
                raise PanelError(f"unknown outcome(s) {unknown}; this panel has {self.outcomes}")
            mask &= d["outcome"].isin(wanted)
        if units is not None:
            codes = [areas.resolve(u, self.geography) for u in units]
            absent = sorted(set(codes) - set(self.units))
            if absent:
                raise PanelError(f"unit(s) {absent} are not in this panel")
            mask &= d["unit"].isin(codes)
        if start is not None:
            mask &= d["period"] >= self.period(start)
        if end is not None:
            mask &= d["period"] <= self.period(end)
        return Panel(
            d.loc[mask].reset_index(drop=True),
            self.frequency,
            self.measure,
            self.geography,
            self.sources,
            self.notes,
            self.step,
            self.covariates,
        )

    def non_overlapping(self, end_month: int) -> Panel:
        """Keep one rolling 12-month total a year, those ending in ``end_month`` (1-12).

        Consecutive rolling totals share nine of their twelve months; only totals a year apart
        are separate observations, which is what designs need.
        """
        if self.frequency != "rolling_12m":
            raise PanelError(
                f"non_overlapping() applies to rolling_12m panels, not {self.frequency}"
            )
        if end_month not in range(1, 13):
            raise ValueError(f"end_month must be 1..12, got {end_month!r}")
        d = self._data
        keep = d["period"].map(lambda p: p.month == end_month).astype(bool)
        if not keep.any():
            raise PanelError(f"no rolling year in this panel ends in month {end_month}")
        return Panel(
            d.loc[keep].reset_index(drop=True),
            self.frequency,
            self.measure,
            self.geography,
            self.sources,
            self.notes,
            12,
            self.covariates,
        )

    def at(self, periods: Iterable[object]) -> Panel:
        """Keep only the listed periods, e.g. the two ends of a long difference.

        The panel's step becomes the largest spacing that puts every kept period on one grid, so
        designs know how far apart its observations are.
        """
        wanted = sorted({self.period(p) for p in periods})
        absent = [str(p) for p in wanted if p not in set(self._data["period"])]
        if absent:
            raise PanelError(f"period(s) {absent} are not in this panel")
        d = self._data
        kept = d.loc[d["period"].isin(wanted)].reset_index(drop=True)
        ordinals = np.asarray([getattr(p, "ordinal", p) for p in wanted], dtype=np.int64)
        step = int(np.gcd.reduce(np.diff(ordinals))) if len(ordinals) > 1 else self.step
        return Panel(
            kept,
            self.frequency,
            self.measure,
            self.geography,
            self.sources,
            self.notes,
            step,
            self.covariates,
        )

    def fill_suppressed(
        self,
        value: float,
        outcome: str | None = None,
        start: object = None,
        end: object = None,
        withheld: tuple[float, float] | None = None,
    ) -> Panel:
        """A copy with every suppressed cell (of ``outcome``, or all; in ``start``..``end``, or
        every period) set to ``value``.

        For sensitivity analyses only: suppressed counts are known to lie in a range (HES: 1-7),
        so refitting with each end shows how much leaving them out matters, and filling one end
        before a date and the other after it tilts the before-after contrast towards a fall or a
        rise. Only cells flagged ``suppressed`` are filled: unavailable cells and absent rows
        stay missing. Filled cells are flagged ``derived`` (no longer ``suppressed``) and the
        panel's notes say what was done.

        Parameters
        ----------
        withheld : (low, high), optional
            The source's withheld range (:data:`vrueval.data.suppression.WITHHELD`); ``value``
            must lie in it.

        Raises
        ------
        ValueError
            When ``value`` is zero (a withheld value is never zero), not a finite number, not a
            whole non-negative count for a count panel, or outside ``withheld``
            (:func:`vrueval.data.suppression.check_fill_value`).
        """
        value = check_fill_value(value, self.measure, withheld)
        d = self._data.copy()
        cells = d["suppressed"] & (True if outcome is None else d["outcome"] == outcome)
        if outcome is not None and outcome not in self.outcomes:
            raise PanelError(f"unknown outcome {outcome!r}; the panel has {list(self.outcomes)}")
        if start is not None:
            cells &= d["period"] >= self.period(start)
        if end is not None:
            cells &= d["period"] <= self.period(end)
        if d.loc[cells, "value"].notna().any():  # the validator keeps this from happening
            raise PanelError("a suppressed cell carries a value; suppressed cells must be NaN")
        d.loc[cells, "value"] = float(value)
        d.loc[cells, "suppressed"] = False
        d.loc[cells, "derived"] = True
        span = "" if start is None and end is None else f" in {start or '...'}..{end or '...'}"
        note = (
            f"{int(cells.sum())} suppressed cell(s){span} set to {value:g} for a sensitivity "
            "analysis."
        )
        return Panel(
            d,
            self.frequency,
            self.measure,
            self.geography,
            self.sources,
            (*self.notes, note),
            self.step,
            self.covariates,
        )

    @property
    def overlapping(self) -> bool:
        """True for rolling 12-month totals spaced less than a year apart."""
        return self.frequency == "rolling_12m" and self.step < 12

    def period(self, label: object) -> pd.Period:
        """Read one period label in this panel's frequency (see :mod:`vrueval.data.periods`).

        Raises
        ------
        PanelError
            When the label cannot be read or spans several periods of this panel (a bare year
            in a monthly panel; ``2019`` against financial years).
        """
        try:
            return parse_period(label, self.frequency)
        except PeriodLabelError as err:
            raise PanelError(str(err)) from None

    def wide(self, outcome: str, column: str = "value") -> pd.DataFrame:
        """One outcome as a period x unit table (missing stays NaN)."""
        d = self._data
        values = d[column]
        if not pd.api.types.is_float_dtype(values.dtype):
            return self.select(outcome=outcome)._data.pivot(
                index="period", columns="unit", values=column
            )
        if outcome not in self.outcomes:
            self.select(outcome=outcome)  # the unknown-outcome error
        rows, unit_code, period_code, periods, units = self._layout(outcome)
        table = np.full((len(periods), len(units)), np.nan)
        table[period_code, unit_code] = values.to_numpy()[rows]
        return pd.DataFrame(table, index=periods.copy(), columns=units.copy())

    def _layout(
        self, outcome: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index, pd.Index]:
        """Where ``outcome``'s rows go in its period x unit table: the rows, their unit and
        period codes, and the sorted periods and units. What pivot gives (periods and units
        sorted), laid out from integer codes (pivot's MultiIndex and unstack were a fifth of a
        DiD fit); worked out once an outcome, as a design reads several columns of one."""
        found = self._layouts.get(outcome)
        if found is None:
            d = self._data
            rows = (d["outcome"] == outcome).to_numpy()
            unit_code, units = pd.factorize(d["unit"][rows], sort=True)
            period_code, periods = pd.factorize(d["period"][rows], sort=True)
            found = (
                rows,
                unit_code.astype(LAYOUT_CODE),
                period_code.astype(LAYOUT_CODE),
                pd.Index(periods, name="period")
                if self.frequency == INDEX
                else pd.PeriodIndex(periods, name="period"),
                pd.Index(units, name="unit"),
            )
            self._layouts[outcome] = found
        return found

    def series(self, unit: str, outcome: str) -> pd.DataFrame:
        """One unit's series: value, population and flags indexed by period."""
        code = areas.resolve(unit, self.geography)
        d = self.select(outcome=outcome, units=[code])._data
        return d.set_index("period")[["value", "population", *FLAGS]]


@dataclass(frozen=True)
class _SortedKeys:
    """A validated frame's keys as integers, row for row with the sorted frame: each row's
    outcome and unit rank and period ordinal, and the labels of the ranks."""

    outcome_rank: np.ndarray
    unit_rank: np.ndarray
    ordinals: np.ndarray
    outcomes: np.ndarray  # label of each outcome rank
    units: np.ndarray  # code of each unit rank
    frequency: Frequency  # given, or read from the labels

    def remember(self, panel: Panel) -> None:
        """Fill the panel's caches of its outcomes, units and period x unit layouts from the
        integer keys (what they would be worked out from the text columns on first use: a
        tenth of a small DiD fit read from a DataFrame)."""
        panel._outcomes = tuple(self.outcomes[np.unique(self.outcome_rank)].tolist())
        ranks, first = np.unique(self.unit_rank, return_index=True)
        panel._units = tuple(self.units[ranks[np.argsort(first, kind="stable")]].tolist())
        for rank in np.unique(self.outcome_rank):
            rows = self.outcome_rank == rank
            present, unit_code = np.unique(self.unit_rank[rows], return_inverse=True)
            distinct, period_code = np.unique(self.ordinals[rows], return_inverse=True)
            panel._layouts[str(self.outcomes[rank])] = (
                rows,
                unit_code.astype(LAYOUT_CODE),
                period_code.astype(LAYOUT_CODE),
                pd.Index(distinct, name="period")
                if panel.frequency == INDEX
                else pd.PeriodIndex.from_ordinals(  # type: ignore[attr-defined]
                    distinct, freq=PERIOD_FREQ[panel.frequency]
                ).rename("period"),
                pd.Index(pd.array(self.units[present], dtype="str"), name="unit"),
            )


def _validate(
    frame: pd.DataFrame,
    frequency: str | None,
    measure: str,
    geography: str,
    covariates: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    time: str = "period",
) -> tuple[pd.DataFrame, np.ndarray, _SortedKeys]:
    """The one validator: every panel, from a loader, a file or a user's frame, passes here.

    ``frame`` is in canonical column names (:func:`vrueval.data.columns.canonical`); rows are
    shown as the caller gave them; ``frequency`` None reads it from the labels of the time
    column (named ``time`` by the caller). Returns the canonical frame, sorted by (outcome,
    unit, period), each row's series number (for :func:`_check_regular`) and the sorted keys.
    """
    if frame.empty:
        raise PanelError("the panel has no rows")
    time_column = frame["period"]
    text = not (
        isinstance(time_column.dtype, pd.PeriodDtype)
        or pd.api.types.is_numeric_dtype(time_column.dtype)
    )
    labels = factorized(time_column) if text else None  # read once for frequency and periods
    if frequency is None:
        try:
            frequency = infer_frequency(time_column, time, labels)
        except PeriodLabelError as err:
            raise PanelError(str(err)) from None
    carried = [c for c in CARRIED if c in frame.columns]
    # errors name the user's columns (a frame named by role), else the canonical ones
    name = dict(names or {})
    units, unit_index, unit_rank = _resolve_units(
        frame["unit"], geography, frame, name.get("unit", "unit")
    )
    column = frame["outcome"]
    categorical = column.array if isinstance(column.dtype, pd.CategoricalDtype) else None
    if isinstance(categorical, pd.Categorical) and not (categorical.codes < 0).any():
        # outcomes named by column: the categories are their names, no text to factorise
        codes, distinct = categorical.codes, categorical.categories
    else:
        codes, distinct = pd.factorize(column, use_na_sentinel=False)
    outcomes, outcome_index, outcome_rank = _ranked([str(o) for o in distinct])
    outcome_index, outcome_rank = outcome_index[codes], outcome_rank[codes]

    try:
        periods = parse_periods(time_column, frequency, labels)
    except PeriodLabelError as err:
        bad = err.bad if err.bad is not None else pd.Series(False, index=frame.index)
        raise PanelError(
            f"column {name.get('period', 'period')!r}: {err}", frame.loc[bad.to_numpy()]
        ) from None
    ordinals = _ordinals(periods)

    columns: dict[str, np.ndarray] = {}
    value = _numeric(frame["value"], name.get("value", "value"), frame)
    columns["value"] = value.to_numpy()
    if "population" in frame.columns:
        population = name.get("population", "population")
        columns["population"] = _numeric(frame["population"], population, frame).to_numpy()
    else:
        columns["population"] = np.full(len(frame), np.nan)
    for flag in FLAGS:
        if flag in frame.columns:
            columns[flag] = _flag(frame[flag], flag, frame).to_numpy()
        else:
            columns[flag] = np.zeros(len(frame), dtype=bool)
    columns.update(_carried(frame, carried, covariates, name))

    _check_measure(value, measure, frame, name.get("value", "value"))
    negpop = columns["population"] < 0
    if negpop.any():
        shown = _examples(pd.Series(columns["population"][negpop]))
        raise PanelError(
            f"column {name.get('population', 'population')!r}: negative population(s) {shown}",
            frame.loc[negpop],
        )
    published = ~np.isnan(columns["value"])
    for flag in ("suppressed", "unavailable"):
        conflict = columns[flag] & published
        if conflict.any():
            raise PanelError(
                f"rows flagged {flag} carry a value; a {flag} cell must be NaN",
                frame.loc[conflict],
            )
    both = columns["suppressed"] & columns["unavailable"]
    if both.any():
        raise PanelError(
            "rows flagged both suppressed (withheld) and unavailable (not there to publish)",
            frame.loc[both],
        )

    order = _sort_order(ordinals, unit_rank, outcome_rank)
    series = (outcome_rank * (int(unit_rank.max()) + 1) + unit_rank)[order]
    ordered = ordinals[order]
    same = (series[1:] == series[:-1]) & (ordered[1:] == ordered[:-1])
    if same.any():
        dup = np.r_[same, False] | np.r_[False, same]
        rows = frame.take(order[dup])
        raise PanelError(
            f"{int(dup.sum())} rows share a (unit, period, outcome) key: one row a unit, period "
            f"and outcome (rows {_examples(rows.index.to_series())} of the frame)",
            rows,
        )
    laid_out: dict[str, Any] = {
        "unit": _text(units, unit_index[order]),
        "period": periods.array.take(order),
        "outcome": _text(outcomes, outcome_index[order]),
        **{c: v[order] for c, v in columns.items()},
    }
    # built in its final column order from fresh arrays: no copy, no reordering copy after
    order_of = [*COLUMNS, *carried, *covariates]
    unit_labels = np.empty(int(unit_rank.max()) + 1, dtype=object)
    unit_labels[unit_rank] = units[unit_index]
    outcome_labels = np.empty(int(outcome_rank.max()) + 1, dtype=object)
    outcome_labels[outcome_rank] = outcomes[outcome_index]
    keys = _SortedKeys(
        outcome_rank[order],
        unit_rank[order],
        ordered,
        outcome_labels,
        unit_labels,
        cast(Frequency, frequency),
    )
    return pd.DataFrame({c: laid_out[c] for c in order_of}, copy=False), series, keys


def _sort_order(
    ordinals: np.ndarray, unit_rank: np.ndarray, outcome_rank: np.ndarray
) -> np.ndarray:
    """``np.lexsort((ordinals, unit_rank, outcome_rank))``: one stable argsort of a combined
    integer key when it fits in 63 bits (a third of the time on millions of rows)."""
    if not len(ordinals):
        return np.arange(0)
    low = int(ordinals.min())
    n_t = int(ordinals.max()) - low + 1
    n_u = int(unit_rank.max()) + 1
    n_o = int(outcome_rank.max()) + 1
    if n_t * n_u * n_o >= 2**62:
        return np.lexsort((ordinals, unit_rank, outcome_rank))
    key = (outcome_rank * n_u + unit_rank) * n_t + (ordinals - low)
    return np.argsort(key, kind="stable")


def _ranked(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct ``labels``, each label's position among them, and its rank (the distinct
    labels sorted as text), so rows sort by label through integers."""
    if len(set(labels)) == len(labels):  # distinct already (outcome names, most units)
        codes, distinct = np.arange(len(labels)), np.asarray(labels, dtype=object)
    else:
        codes, distinct = pd.factorize(np.asarray(labels, dtype=object))
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(np.asarray(distinct, dtype=object), kind="stable")] = np.arange(len(distinct))
    return np.asarray(distinct, dtype=object), codes, rank[codes]


def _text(distinct: np.ndarray, index: np.ndarray) -> pd.Series:
    """A text column from its distinct values and each row's position among them (the strings
    are built once each, not once a row)."""
    return pd.Series(pd.array(distinct, dtype="str").take(index))


def _resolve_units(
    units: pd.Series, geography: str, frame: pd.DataFrame, column: str = "unit"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct unit resolved once in its geography (every problem listed with its rows):
    the distinct codes, each row's position among them, and its rank (codes sorted)."""
    codes, distinct = pd.factorize(units, use_na_sentinel=False)
    keys = _custom_keys(distinct) if geography == "custom" else None
    if keys is not None:
        distinct_codes, index_of, rank_of = _ranked(keys)
        return distinct_codes, index_of[codes], rank_of[codes]
    if geography == "custom":
        raw: list[object] = list(distinct)
    else:  # names and codes are text; "E01000001 " and "e01000001" are the same code
        raw = [u if _missing(u) else str(u) for u in distinct]
    resolved: list[str] = []
    problems: list[str] = []
    bad: list[int] = []
    for i, value in enumerate(raw):
        try:
            if _missing(value):
                raise areas.InvalidUnitError("a missing unit")
            resolved.append(areas.resolve(value, cast(areas.Kind, geography)))
        except (areas.UnknownAreaError, areas.InvalidUnitError) as err:
            problems.append(str(err))
            bad.append(i)
            resolved.append("")
    if problems:
        rows = np.isin(codes, bad)
        what = "unknown unit(s)" if geography not in ("lsoa", "msoa", "custom") else "unit(s)"
        hint = ""
        if geography != "custom" and len(bad) == len(raw):  # none is one: another geography?
            hint = (
                f"\nNone of the {len(raw)} unit(s) is a {geography} area: for your own "
                "identifiers (hospitals, schools, US states) give geography='custom'."
            )
        raise PanelError(
            f"column {column!r} ({geography} geography): {what}:\n  "
            + "\n  ".join(problems[:20])
            + hint,
            frame.loc[rows],
        )
    # two spellings of one area share its code and its rank
    distinct_codes, index_of, rank_of = _ranked(resolved)
    return distinct_codes, index_of[codes], rank_of[codes]


def _custom_keys(distinct: pd.Index) -> list[str] | None:
    """What :func:`vrueval.areas.unit_key` makes of each distinct custom unit, without a call a
    unit, for the two common cases (whole numbers as their digits; non-blank text as given);
    None otherwise (then each goes through ``areas.resolve``, with its errors)."""
    dtype = distinct.dtype
    if (
        pd.api.types.is_integer_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not distinct.hasnans
    ):
        return [str(v) for v in distinct.to_numpy(dtype=np.int64).tolist()]
    values = distinct.tolist()
    if all(type(v) is str and v.strip() for v in values):
        return values
    return None


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _carried(
    frame: pd.DataFrame,
    carried: Sequence[str],
    covariates: Sequence[str],
    names: Mapping[str, str] | None = None,
) -> dict[str, np.ndarray]:
    """The weights, cluster and covariate columns a panel carries, validated."""

    def label(column: str) -> str:
        return (names or {}).get(column, column)

    out: dict[str, np.ndarray] = {}
    if "weights" in carried:
        weights = _numeric(frame["weights"], label("weights"), frame)
        negative = (weights < 0).to_numpy()
        if negative.any():
            raise PanelError(
                f"column {label('weights')!r}: negative weight(s) {_examples(weights[negative])}",
                frame.loc[negative],
            )
        out["weights"] = weights.to_numpy()
    if "cluster" in carried:
        absent = frame["cluster"].map(_missing).astype(bool).to_numpy()
        if absent.any():
            raise PanelError(
                f"column {label('cluster')!r}: {int(absent.sum())} missing cluster label(s); "
                "every row "
                "belongs to a cluster",
                frame.loc[absent],
            )
        labels, distinct = pd.factorize(frame["cluster"])
        out["cluster"] = np.asarray([areas.unit_key(c) for c in distinct], dtype=object)[labels]
    for c in covariates:
        out[c] = _numeric(frame[c], c, frame).to_numpy()
    return out


def _examples(values: pd.Series) -> str:
    """A few distinct offending values, for error messages."""
    distinct = pd.unique(values.to_numpy(dtype=object))
    return "such as " + ", ".join(repr(v) for v in distinct[:5])


def _numeric(values: pd.Series, column: str, frame: pd.DataFrame) -> pd.Series:
    """``values`` as float64; booleans, text and infinities are refused, NaN stays missing."""
    if pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        # numbers already: only infinities can be wrong (the checks below, without the scans)
        array = values.to_numpy(dtype="float64", na_value=np.nan)
        if not np.isinf(array).any():
            return pd.Series(array, index=values.index, name=values.name)
    if pd.api.types.is_bool_dtype(values.dtype):
        boolean = values.notna()
    elif pd.api.types.is_numeric_dtype(values.dtype):  # no element can be a boolean
        boolean = pd.Series(False, index=values.index)
    else:
        boolean = values.map(lambda v: isinstance(v, bool | np.bool_)).astype(bool)
    if boolean.any():
        raise PanelError(
            f"column {column!r}: {int(boolean.sum())} boolean entr(ies) "
            f"{_examples(values[boolean])}; {column} must be a number (True is not 1)",
            frame.loc[boolean.to_numpy()],
        )
    out = pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.notna() & out.isna()
    if text.any():
        raise PanelError(
            f"column {column!r}: non-numeric {column} entries {_examples(values[text])}:"
            " withheld cells ('[c]', '*') must be NaN with suppressed=True, and cells marked not"
            " available ('..', '[x]', ':') NaN with unavailable=True, as the loaders in"
            " vrueval.data read official files",
            frame.loc[text.to_numpy()],
        )
    infinite = out.isin([np.inf, -np.inf])
    if infinite.any():
        raise PanelError(
            f"column {column!r}: {int(infinite.sum())} non-finite entr(ies) "
            f"{_examples(out[infinite])}; a number the source did not publish is NaN",
            frame.loc[infinite.to_numpy()],
        )
    return out


def _check_measure(
    values: pd.Series, measure: str, frame: pd.DataFrame, column: str = "value"
) -> None:
    """Counts are non-negative whole numbers; rates and scores are any finite number.

    The panel's ``measure`` says which: ``"count"`` (offences, admissions, persons) or
    ``"rate"`` / ``"score"`` (per-population rates, severity scores), so a fractional value is
    an error only where it cannot be right.
    """
    if measure != "count":
        return
    array = values.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        if not ((array < 0).any() or (np.floor(array) != array)[~np.isnan(array)].any()):
            return
    negative = values < 0
    if negative.any():
        raise PanelError(
            f"column {column!r}: {int(negative.sum())} negative count(s) "
            f"{_examples(values[negative])}",
            frame.loc[negative.to_numpy()],
        )
    fractional = values.notna() & (np.floor(values) != values)
    if fractional.any():
        raise PanelError(
            f"column {column!r}: {int(fractional.sum())} fractional count(s) "
            f"{_examples(values[fractional])}; a count is a whole number (for rates or scores "
            "build the panel with measure='rate' or measure='score')",
            frame.loc[fractional.to_numpy()],
        )


def _flag(values: pd.Series, column: str, frame: pd.DataFrame) -> pd.Series:
    truth = {True: True, False: False, "true": True, "false": False, "1": True, "0": False}
    mapped = values.map(lambda v: truth.get(v.lower() if isinstance(v, str) else v))
    bad = mapped.isna()
    if bad.any():
        raise PanelError(f"{column} must be true/false", frame.loc[bad.to_numpy()])
    return mapped.astype(bool)


def _ordinals(periods: pd.Series) -> np.ndarray:
    """Each period's position on its frequency's integer scale (the int itself for the
    integer index)."""
    if isinstance(periods.dtype, pd.PeriodDtype):
        return np.asarray(periods.array.asi8)
    return periods.to_numpy(dtype=np.int64)


def _check_regular(d: pd.DataFrame, step: int, series: np.ndarray) -> None:
    """Every (unit, outcome) series must run without gaps between its first and last period.

    ``d`` is sorted by (outcome, unit, period) and ``series`` numbers each row's series, so
    each series is one run of rows: it is regular when its periods are ``step`` apart from
    first to last. Only irregular series are looked at row by row, for the message.
    """
    ordinals = _ordinals(d["period"])
    starts = np.flatnonzero(np.r_[True, series[1:] != series[:-1]])
    ends = np.r_[starts[1:], len(d)] - 1
    steps = np.diff(ordinals)
    steps[ends[:-1]] = step  # across series boundaries
    irregular = np.flatnonzero(np.add.reduceat(np.r_[steps != step, False], starts))
    if not len(irregular):
        return
    bad = np.concatenate([np.arange(starts[i], ends[i] + 1) for i in irregular])
    _describe_gaps(d.iloc[bad], step)


def _describe_gaps(d: pd.DataFrame, step: int) -> None:
    gaps = []
    for (outcome, unit), g in d.groupby(["outcome", "unit"], sort=False):
        ordinals = _ordinals(g["period"])
        offset = ordinals % step
        if len(set(offset)) > 1:
            gaps.append({"outcome": outcome, "unit": unit, "problem": "periods off the grid"})
            continue
        expected = np.arange(ordinals.min(), ordinals.max() + 1, step)
        absent = np.setdiff1d(expected, ordinals)
        if len(absent):
            if isinstance(g["period"].dtype, pd.PeriodDtype):
                freq = g["period"].iloc[0].freqstr
                labels = [str(pd.Period(ordinal=int(o), freq=freq)) for o in absent[:6]]
            else:  # the integer index: the periods are their own ordinals
                labels = [str(int(o)) for o in absent[:6]]
            gaps.append(
                {
                    "outcome": outcome,
                    "unit": unit,
                    "problem": f"{len(absent)} missing period(s): {', '.join(labels)}"
                    + (" ..." if len(absent) > 6 else ""),
                }
            )
    if gaps:
        raise PanelError(
            "irregular series: every period between a series' first and last must be present; "
            "add a row with value NaN for a period the source did not publish (it stays missing)",
            pd.DataFrame(gaps),
        )


__all__ = [
    "FREQUENCIES",
    "GEOGRAPHIES",
    "PERIOD_FREQ",
    "Frequency",
    "Geography",
    "Measure",
    "Panel",
    "PanelError",
    "Source",
]
