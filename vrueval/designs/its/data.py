"""Validation of ``ITS`` inputs: the series, the interruptions, the lockdown handling."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data import rates
from vrueval.data.design_input import ONE_SERIES
from vrueval.data.panel import Panel, PanelError
from vrueval.data.rates import check_population
from vrueval.designs.its.design import Interruption, Series
from vrueval.options import choice

SEASON_PERIOD = {"month": 12, "quarter": 4}


def check_panel(panel: Any) -> Panel:
    if not isinstance(panel, Panel):
        raise TypeError(
            "ITS needs a vrueval Panel (build one with Panel.from_frame), got "
            f"{type(panel).__name__}"
        )
    if panel.overlapping:
        raise PanelError(
            "this panel holds overlapping rolling 12-month totals: consecutive values share nine "
            "of their twelve months, so they are not independent observations and a time-series "
            "regression on them is invalid. Subsample to non-overlapping years first, e.g. "
            "panel.non_overlapping(end_month=3) for years ending in March."
        )
    return panel


def pick(value: str | None, options: Sequence[str], what: str) -> str:
    if value is not None:
        return value
    if len(options) == 1:
        return options[0]
    raise ValueError(f"the panel has several {what}s {list(options)}; pass {what}=...")


def outcome_of(panel: Panel) -> str:
    """The panel's only outcome (its cached index answers without scanning the frame), or
    :func:`pick`'s error listing them."""
    found = _index(panel).outcomes
    if len(found) == 1:
        return next(iter(found))
    return pick(None, panel.outcomes, "outcome")


def extract(panel: Panel, unit: str, outcome: str, start: Any, end: Any) -> pd.DataFrame:
    """One unit's rows in the analysis window (a copy: the caller's data is never changed)."""
    if outcome not in panel.outcomes:
        raise ValueError(f"unknown outcome {outcome!r}; the panel has {list(panel.outcomes)}")
    code = areas.resolve(unit, panel.geography)
    if code not in panel.units:
        raise ValueError(f"unit {unit!r} ({code}) is not in the panel; it has {list(panel.units)}")
    frame = panel.series(code, outcome)
    if start is not None:
        frame = frame.loc[frame.index >= panel.period(start)]
    if end is not None:
        frame = frame.loc[frame.index <= panel.period(end)]
    if frame.empty:
        raise ValueError(f"no data for {unit!r} between {start!r} and {end!r}")
    return frame


@dataclass(frozen=True)
class _Index:
    """A panel's columns as arrays, with each (unit, outcome) series' rows in period order."""

    groups: dict[tuple[str, str], np.ndarray]
    ordinals: np.ndarray
    value: np.ndarray
    population: np.ndarray
    freq: Any
    units: frozenset[str]
    outcomes: frozenset[str]


_INDEXES: dict[int, _Index] = {}
_PERIODS: dict[tuple[str, Any], pd.Period] = {}


def _index(panel: Panel) -> _Index:
    # Built once per panel: a Panel's frame never changes after validation, and the entry is
    # dropped when the frame is garbage-collected.
    data = panel._data
    key = id(data)
    found = _INDEXES.get(key)
    if found is None:
        per: Any = data["period"].array
        ordinals = np.asarray(per.asi8)
        raw: Any = data.groupby(["unit", "outcome"], sort=False).indices
        groups = {
            (str(key[0]), str(key[1])): np.asarray(pos)[np.argsort(ordinals[pos], kind="stable")]
            for key, pos in raw.items()
        }
        found = _Index(
            groups=groups,
            ordinals=ordinals,
            value=data["value"].to_numpy(dtype=float),
            population=data["population"].to_numpy(dtype=float),
            freq=per.freq,
            units=frozenset(u for u, _ in groups),
            outcomes=frozenset(o for _, o in groups),
        )
        _INDEXES[key] = found
        weakref.finalize(data, _INDEXES.pop, key, None)
    return found


def period(panel: Panel, label: Any) -> pd.Period:
    """``panel.period(label)``, remembered for string and Period labels."""
    if not isinstance(label, str | pd.Period):
        return panel.period(label)
    key = (panel.frequency, label)
    found = _PERIODS.get(key)
    if found is None:
        found = _PERIODS[key] = panel.period(label)
    return found


def series(
    panel: Panel,
    code: str,
    outcome: str,
    start: Any,
    end: Any,
    *,
    missing: str,
    response: str,
    needs_pop: bool,
    align: pd.PeriodIndex | None = None,
) -> Series:
    """:func:`extract` then :func:`to_series` (reindexed to ``align`` for a control) from the
    panel's cached arrays; any problem is re-raised by that slower path's messages."""
    idx = _index(panel)
    pos = idx.groups.get((code, outcome))
    if pos is None:
        return _slow(panel, code, outcome, start, end, missing, response, needs_pop, align)
    ords = idx.ordinals[pos]
    keep = np.ones(len(pos), dtype=bool)
    if start is not None:
        keep &= ords >= period(panel, start).ordinal
    if end is not None:
        keep &= ords <= period(panel, end).ordinal
    pos, ords = pos[keep], ords[keep]
    value, pop = idx.value[pos], idx.population[pos]
    if align is not None:
        target = np.asarray(align.asi8)
        at = np.clip(np.searchsorted(ords, target), 0, max(len(ords) - 1, 0))
        found = (ords[at] == target) if len(ords) else np.zeros(len(target), dtype=bool)
        value = np.where(found, value[at] if len(ords) else np.nan, np.nan)
        pop = np.where(found, pop[at] if len(ords) else np.nan, np.nan)
        ords = target
    bad_pop = needs_pop and not np.all(np.isfinite(pop) & (pop > 0))
    if len(ords) == 0 or bad_pop or (missing == "error" and np.isnan(value).any()):
        return _slow(panel, code, outcome, start, end, missing, response, needs_pop, align)
    periods = align if align is not None else _period_index(ords, idx.freq)
    return Series(unit=code, periods=periods, value=value, population=pop)


def _period_index(ordinals: np.ndarray, freq: Any) -> pd.PeriodIndex:
    """A PeriodIndex of these ordinals, shared by every series on the same window (it is
    immutable), so that fitting many areas does not rebuild it."""
    key = (ordinals.tobytes(), freq)
    found = _WINDOWS.get(key)
    if found is None:
        if len(_WINDOWS) >= 64:
            _WINDOWS.pop(next(iter(_WINDOWS)))
        found = _WINDOWS[key] = pd.PeriodIndex.from_ordinals(ordinals, freq=freq)  # type: ignore[attr-defined]
    return found


_WINDOWS: dict[tuple[bytes, Any], pd.PeriodIndex] = {}


def label(periods: pd.PeriodIndex, at: int) -> str:
    """``str(periods[at])``, remembered: formatting a Period is slow next to a fit."""
    key = (int(periods.asi8[at]), periods.freqstr)
    found = _LABELS.get(key)
    if found is None:
        found = _LABELS[key] = str(periods[at])
    return found


_LABELS: dict[tuple[int, str], str] = {}


def _slow(
    panel: Panel,
    code: str,
    outcome: str,
    start: Any,
    end: Any,
    missing: str,
    response: str,
    needs_pop: bool,
    align: pd.PeriodIndex | None,
) -> Series:
    frame = extract(panel, code, outcome, start, end)
    if align is not None:
        frame = frame.reindex(align)
    return to_series(code, frame, missing, response, needs_pop)


def to_series(
    code: str, frame: pd.DataFrame, missing: str, response: str, needs_pop: bool
) -> Series:
    """Check missing values and population, returning the arrays a design needs."""
    bad = frame["value"].isna()
    if bad.any() and missing == "error":
        rows = frame.loc[bad, ["value", "suppressed", "unavailable"]]
        raise ValueError(
            f"{int(bad.sum())} missing value(s) in {_series_name(code)} (never treated as "
            f"zero); pass missing='drop' to leave those periods out of the fit:\n{rows.to_string()}"
        )
    pop = frame["population"].to_numpy(dtype=float)
    if needs_pop and np.isnan(pop).all():
        raise ValueError(
            "response='rate' needs populations (the Poisson and negative binomial models "
            f"read rates unless told otherwise), and {_series_name(code)} has none: give the "
            "population (a DataFrame's population= column), or response='count' to model the "
            "counts without a population offset"
        )
    if needs_pop:
        # the package's one rule (vrueval.data.rates), naming the unit and its periods; every
        # period counts as used, as the counterfactual path needs the population of periods left
        # out of the fit too
        cells = pd.DataFrame(
            {"unit": code, "period": frame.index, "value": np.ones(len(pop)), "population": pop}
        )
        check_population(cells)
    return Series(
        unit=code,
        periods=pd.PeriodIndex(frame.index),
        value=frame["value"].to_numpy(dtype=float),
        population=pop,
    )


def _series_name(code: str) -> str:
    """How messages name a unit's series (a frame of one series has no unit name)."""
    return "the series" if code == ONE_SERIES else f"{areas.label(code)}'s series"


def per_population(y: np.ndarray, population: np.ndarray, per: float) -> np.ndarray:
    """``y`` per ``per`` residents, by :func:`vrueval.data.rates.per_population` (the one place
    a count becomes a rate); the populations were checked when the series was built."""
    one = rates.per_population(pd.DataFrame({"y": y}), pd.DataFrame({"y": population}), per)
    return one["y"].to_numpy(dtype=float)


CHANGES = ("both", "level", "slope")


def interruptions(
    spec: Any,
    panel: Panel,
    periods: pd.PeriodIndex,
    lag: int | Mapping[str, int],
    change: str | Mapping[str, str] = "both",
) -> list[Interruption]:
    """Parse ``{"label": date}``, one date, or a list of dates into sorted interruptions.

    ``lag`` and ``change`` are one value for every interruption or a mapping label -> value
    (labels not given take 0 and ``"both"``; a label that is no interruption's is refused).
    """
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, str | pd.Period | pd.Timestamp):
        items = [("intervention", spec)]
    elif isinstance(spec, Sequence) and spec:
        items = [(f"i{j + 1}", d) for j, d in enumerate(spec)]
    else:
        raise ValueError(
            "interruptions must be a date, a list of dates, or a mapping label -> date, e.g. "
            f"{{'vru': '2019-10'}}; got {spec!r}"
        )
    asi8 = periods.asi8
    first, last = int(asi8[0]), int(asi8[-1])
    out = []
    for label, date in items:
        label = str(label)
        if not label or ":" in label:
            raise ValueError(f"interruption label {label!r} must be non-empty, without ':'")
        if label == "lockdown":
            raise ValueError(
                "interruption label 'lockdown' is reserved for the COVID-19 lockdown terms "
                "(lockdown_handling=); give this interruption another label, e.g. 'covid'"
            )
        when = period(panel, date)
        if not first < when.ordinal <= last:  # as Periods of the panel's frequency
            raise ValueError(
                f"interruption {label!r} at {when} is outside the data ({periods[0]} to "
                f"{periods[-1]}): it needs at least one period before it and must not be later "
                "than the last period"
            )
        k = lag.get(label, 0) if isinstance(lag, Mapping) else lag
        if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 0:
            raise ValueError(f"lag must be a non-negative integer, got {k!r} for {label!r}")
        c = change.get(label, "both") if isinstance(change, Mapping) else change
        choice(c, CHANGES, f"change of interruption {label!r}")
        out.append(Interruption(label, when, int(k), change=str(c)))
    labels = {str(lab) for lab, _ in items}
    for name, option in (("lag", lag), ("change", change)):
        if isinstance(option, Mapping) and set(map(str, option)) - labels:
            unknown = sorted(set(map(str, option)) - labels)
            raise ValueError(
                f"{name} names unknown interruption(s) {unknown}; the interruptions are "
                f"{sorted(labels)}"
            )
    out.sort(key=lambda i: i.period)
    if len({i.period for i in out}) < len(out):
        raise ValueError("two interruptions share a period")
    return out


def lockdown_window(
    lockdown: Any, handling: str, panel: Panel, periods: pd.PeriodIndex
) -> tuple[pd.Period, pd.Period] | None:
    """The lockdown as (first, last) period; a single date is an interruption start only."""
    if lockdown is None:
        return None
    if isinstance(lockdown, str | pd.Period | pd.Timestamp):
        if handling != "interruption":
            raise ValueError(
                f"lockdown_handling={handling!r} needs a window (first, last), e.g. "
                "('2020-03', '2020-06'); a single date works only with 'interruption'"
            )
        a = b = period(panel, lockdown)
    elif isinstance(lockdown, Sequence) and len(lockdown) == 2:
        a, b = period(panel, lockdown[0]), period(panel, lockdown[1])
    else:
        raise ValueError(f"lockdown must be a date or a (first, last) pair, got {lockdown!r}")
    if b < a:
        raise ValueError(f"lockdown window ends ({b}) before it starts ({a})")
    if not periods[0] < a <= periods[-1]:
        raise ValueError(f"lockdown start {a} is outside the data ({periods[0]}..{periods[-1]})")
    return a, b
