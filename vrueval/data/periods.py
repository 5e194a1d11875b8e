"""Period labels: the one parser every period a user writes goes through.

A label names a span of time: ``"2019-10"`` a month, ``"2019Q4"`` a calendar quarter,
``"2019/20"`` or ``"FY2019/20"`` a financial year (April to March), ``2019`` or ``"2019"`` a
calendar year, ``"2019-10-03"`` (or a timestamp) a day, a :class:`pandas.Period` its own span.
The rule, for every frequency alike: a label is read as the period of the panel's frequency that
contains its whole span, and refused when its span reaches into more than one period. So a month
or a date means the quarter or financial year it falls in, but a bare year in a monthly panel
(twelve months) and ``2019`` against financial years (which year: 2018/19 or 2019/20?) are errors
that say how to write the period instead. Panel validation, :meth:`Panel.period
<vrueval.data.panel.Panel.period>` (selection windows, spec ``[data] start/end``) and every design
argument naming a period (``start``, ``interruptions``, ``first_treated``) use this module.

Plain integer time (``1..T``, or any whole numbers: event studies, simulations, years kept as
numbers) is the ``"index"`` frequency: each whole number is its own period, one step apart, with
no calendar behind it (no seasonality, no financial years); those periods are Python ints, not
:class:`pandas.Period`. Whole numbers from 1000 to 2999 are read as calendar years unless
``frequency="index"`` is given.

Files vrueval writes itself store ``str(period)`` (a financial year as the year it ends in);
:func:`stored_periods` reads those back given the frequency the file records.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

import numpy as np
import pandas as pd

from vrueval.options import choice

#: pandas period frequency behind each panel frequency. Financial years end in March and are
#: labelled by the calendar year they end in (FY2018/19 is ``Period("2019", "Y-MAR")``); rolling
#: 12-month totals are labelled by the month they end in.
PERIOD_FREQ: dict[str, str] = {
    "month": "M",
    "quarter": "Q-DEC",
    "financial_year": "Y-MAR",
    "year": "Y-DEC",
    "rolling_12m": "M",
}

#: The frequency of plain integer time: each whole number a period, no calendar behind it.
INDEX = "index"

#: How to write one period of each frequency (shown in errors).
EXAMPLES: dict[str, str] = {
    "month": "'2019-10'",
    "quarter": "'2019Q4'",
    "financial_year": "'2019/20' or 'FY2019/20'",
    "year": "2019",
    "rolling_12m": "'2019-03' (the month the 12 months end in)",
    INDEX: "a whole number such as 7",
}

_FY = re.compile(r"^(?:FY\s*)?(\d{4})\s*/\s*(\d{2}|\d{4})$", re.IGNORECASE)
_YEAR = re.compile(r"^\d{4}$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T][0-9:.]+)?$")
_FORMS = (
    "a month '2019-10', a quarter '2019Q4', a financial year '2019/20' or 'FY2019/20', "
    "a calendar year 2019, a date '2019-10-03', or a pandas Period"
)


class PeriodLabelError(ValueError):
    """A period label that cannot be read, or that is ambiguous in the panel's frequency.

    ``bad`` marks the offending entries when a whole column was parsed.
    """

    def __init__(self, message: str, bad: pd.Series | None = None) -> None:
        self.bad = bad
        super().__init__(message)


def _check_frequency(frequency: str) -> str:
    """The pandas frequency of ``frequency`` ("" for the integer index)."""
    choice(frequency, (*PERIOD_FREQ, INDEX), "frequency")
    return PERIOD_FREQ.get(frequency, "")


def _index_label(label: object) -> int:
    """A whole number as a period of the integer index (text of digits too)."""
    if isinstance(label, bool | np.bool_):
        raise PeriodLabelError(f"{label!r} is a boolean, not a period; write a whole number")
    if isinstance(label, int | np.integer):
        return int(label)
    if isinstance(label, float | np.floating) and np.isfinite(label) and float(label).is_integer():
        return int(label)
    if isinstance(label, str) and re.fullmatch(r"\s*[+-]?\d+\s*", label):
        return int(label)
    what = "a calendar period" if isinstance(label, pd.Period | pd.Timestamp | dt.date) else ""
    raise PeriodLabelError(
        f"{label!r} ({type(label).__name__}) is not a whole number{' but ' + what if what else ''}"
        "; an integer-indexed panel's periods are whole numbers (give frequency= for calendar "
        "periods)"
    )


def _span(label: object) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """First and last instant of the time ``label`` names, and what it names (for errors)."""
    if isinstance(label, bool | np.bool_):
        raise PeriodLabelError(f"{label!r} is a boolean, not a period; write {_FORMS}")
    if isinstance(label, pd.Period):
        return label.start_time, label.end_time, f"the {label.freqstr} period {label}"
    if isinstance(label, pd.Timestamp | dt.date | np.datetime64):
        ts = pd.Timestamp(label)
        return ts, ts, f"the date {ts.date()}"
    if isinstance(label, int | np.integer):
        year = pd.Period(year=int(label), freq="Y-DEC")
        return year.start_time, year.end_time, f"the calendar year {int(label)}"
    if not isinstance(label, str):
        raise PeriodLabelError(
            f"{label!r} ({type(label).__name__}) is not a period label; write {_FORMS}"
        )
    text = label.strip()
    if m := _FY.match(text):
        start = int(m.group(1))
        end = int(m.group(2)) if len(m.group(2)) == 4 else int(m.group(1)[:2] + m.group(2))
        if end != start + 1:
            raise PeriodLabelError(
                f"{label!r} is not a financial year: the two years must be consecutive "
                f"(e.g. '{start}/{str(start + 1)[2:]}')"
            )
        fy = pd.Period(year=end, freq="Y-MAR")
        return fy.start_time, fy.end_time, f"the financial year {start}/{str(end)[2:]}"
    if _YEAR.match(text):
        year = pd.Period(year=int(text), freq="Y-DEC")
        return year.start_time, year.end_time, f"the calendar year {text}"
    if m := _QUARTER.match(text):
        q = pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q-DEC")
        return q.start_time, q.end_time, f"the quarter {q}"
    if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        month = pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M")
        return month.start_time, month.end_time, f"the month {month}"
    if _DATE.match(text):
        try:
            ts = pd.Timestamp(text)
        except ValueError:
            pass
        else:
            return ts, ts, f"the date {ts.date()}"
    raise PeriodLabelError(f"cannot read {label!r} as a period; write {_FORMS}")


def _is_missing(label: object) -> bool:
    return label is None or label is pd.NaT or (isinstance(label, float) and np.isnan(label))


def parse_period(label: object, frequency: str) -> pd.Period:
    """The period of ``frequency`` that contains the whole span ``label`` names.

    Raises
    ------
    PeriodLabelError
        When ``label`` is missing, cannot be read, or spans more than one period of
        ``frequency`` (a year in a monthly panel; ``2019`` against financial years), saying how
        to write one period of that frequency.
    """
    freq = _check_frequency(frequency)
    if _is_missing(label):
        raise PeriodLabelError(f"missing period; write {EXAMPLES[frequency]}")
    if frequency == INDEX:
        return cast(pd.Period, _index_label(label))  # an int: the index has no pandas Period
    (exact,) = _exact_ordinals(np.array([label], dtype=object), frequency)
    if exact is not None:  # written as one period of the frequency: no timestamps to build
        return pd.Period(ordinal=exact, freq=freq)
    start, end, what = _span(label)
    first, last = start.to_period(freq), end.to_period(freq)
    if first != last:
        n = (last - first).n + 1
        raise PeriodLabelError(
            f"{label!r} is ambiguous in a {frequency} panel: it names {what}, which spans "
            f"{n} {frequency} periods ({display(first, frequency)} to {display(last, frequency)});"
            f" write one {frequency} period, e.g. {EXAMPLES[frequency]}"
        )
    return first


def parse_periods(
    values: pd.Series, frequency: str, labels: tuple[np.ndarray, np.ndarray] | None = None
) -> pd.Series:
    """:func:`parse_period` applied to a column (each distinct label once); ``labels`` is
    :func:`factorized` of ``values``, when the caller has it.

    Raises
    ------
    PeriodLabelError
        Listing each distinct label that cannot be read (with why); ``bad`` marks their rows.
    """
    freq = _check_frequency(frequency)
    if frequency == INDEX:
        return _parse_index(values)
    if isinstance(values.dtype, pd.PeriodDtype) and values.dtype.freq.freqstr == freq:
        if values.isna().any():
            raise PeriodLabelError("missing period(s)", values.isna())
        return values.rename("period")
    codes, labels_ = labels if labels is not None else factorized(values)
    return _parse_distinct(values, codes, labels_, frequency)


def _parse_distinct(
    values: pd.Series, codes: np.ndarray, labels: np.ndarray, frequency: str
) -> pd.Series:
    """:func:`parse_periods` of ``values`` factorised (``codes`` into the distinct ``labels``)."""
    freq = PERIOD_FREQ[frequency]
    exact = _exact_ordinals(labels, frequency)
    # labels written exactly as one period need no Period object (one each cost a fit's tenth)
    ordinal_of = np.zeros(len(labels), dtype=np.int64)
    parsed: set[object] = set()
    problems: dict[str, str] = {}
    for i, (label, ordinal) in enumerate(zip(labels, exact, strict=True)):
        if ordinal is None:
            try:
                ordinal = parse_period(label, frequency).ordinal
            except PeriodLabelError as err:
                problems[repr(label)] = str(err)
                continue
        ordinal_of[i] = ordinal
        parsed.add(label)
    if problems:
        bad = ~values.map(lambda v: v in parsed and not _is_missing(v)).astype(bool)
        shown = "\n  ".join(list(problems.values())[:5])
        more = f"\n  ... and {len(problems) - 5} more labels" if len(problems) > 5 else ""
        raise PeriodLabelError(
            f"{int(bad.sum())} period label(s) cannot be read as {frequency} periods:\n  "
            f"{shown}{more}",
            bad,
        )
    # each distinct label was parsed once: lay the ordinals out by the factorised codes
    out = pd.PeriodIndex.from_ordinals(ordinal_of[codes], freq=freq)  # type: ignore[attr-defined]
    return pd.Series(out, index=values.index, name="period")


def _parse_index(values: pd.Series) -> pd.Series:
    """:func:`parse_periods` for the integer index: int64 periods (each distinct label read
    once), every unreadable or missing label listed."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return pd.Series(values.to_numpy(dtype=np.int64), index=values.index, name="period")
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    labels = np.asarray(distinct, dtype=object)
    read: list[int] = []
    problems: list[str] = []
    bad_codes: list[int] = []
    for i, label in enumerate(labels):
        try:
            if _is_missing(label) or label is pd.NA:
                raise PeriodLabelError(f"missing period; write {EXAMPLES[INDEX]}")
            read.append(_index_label(label))
        except PeriodLabelError as err:
            problems.append(str(err))
            bad_codes.append(i)
            read.append(0)
    if problems:
        bad = pd.Series(np.isin(codes, bad_codes), index=values.index)
        shown = "\n  ".join(problems[:5])
        more = f"\n  ... and {len(problems) - 5} more labels" if len(problems) > 5 else ""
        raise PeriodLabelError(
            f"{int(bad.sum())} period label(s) cannot be read as {INDEX} periods:\n  {shown}{more}",
            bad,
        )
    out = np.asarray(read, dtype=np.int64)[codes]
    return pd.Series(out, index=values.index, name="period")


def _exact_ordinals(labels: np.ndarray, frequency: str) -> list[int | None]:
    """The period ordinal of each label written exactly as one period of ``frequency``
    ("2019-10" in a monthly panel, "2019Q4" quarterly, "2019/20" for financial years, 2019 or
    "2019" for years), None for any other label (left to :func:`parse_period`).

    The ordinal is counted from 1970 as pandas counts it, so the result equals
    ``parse_period(label, frequency).ordinal`` without building a timestamp per label.
    """
    out: list[int | None] = []
    for label in labels:
        ordinal = None
        if isinstance(label, str):
            text = label.strip()
            if frequency in ("month", "rolling_12m"):
                m = _MONTH.match(text)
                if m and 1 <= int(m.group(2)) <= 12:
                    ordinal = (int(m.group(1)) - 1970) * 12 + int(m.group(2)) - 1
            elif frequency == "quarter":
                m = _QUARTER.match(text)
                if m:
                    ordinal = (int(m.group(1)) - 1970) * 4 + int(m.group(2)) - 1
            elif frequency == "financial_year":
                m = _FY.match(text)
                if m:
                    first, end = int(m.group(1)), m.group(2)
                    last = int(end) if len(end) == 4 else int(m.group(1)[:2] + end)
                    ordinal = last - 1970 if last == first + 1 else None
            elif frequency == "year" and _YEAR.match(text):
                ordinal = int(text) - 1970
        elif frequency == "year" and isinstance(label, int | np.integer):
            if not isinstance(label, bool | np.bool_) and 1000 <= int(label) <= 9999:
                ordinal = int(label) - 1970
        out.append(ordinal)
    return out


#: The panel frequency of each pandas period frequency a Period column can carry.
_FREQUENCY_OF = {
    "M": "month",
    "Q-DEC": "quarter",
    "Y-MAR": "financial_year",
    "Y-DEC": "year",
}


def infer_frequency(
    values: pd.Series,
    column: str = "time",
    labels: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    """The panel frequency a time column's labels are written in, when they say it.

    Periods carry theirs (monthly, calendar-quarterly, March-ending or calendar years); text
    labels all of one form say theirs ("2019-10" months, "2019Q4" quarters, "2019/20"
    financial years, "2019" years), as do whole numbers between 1000 and 2999 (years); other
    whole numbers (an integer column) are the integer index (``"index"``). Dates
    and anything else do not: the caller must say (a date could stand for its day, month or
    quarter).

    ``labels``: :func:`factorized` of ``values``, when the caller has it.

    Raises
    ------
    PeriodLabelError
        Asking for ``frequency=`` when the labels do not say it.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype) and dtype.freq.freqstr in _FREQUENCY_OF:
        return _FREQUENCY_OF[dtype.freq.freqstr]
    if labels is not None:
        distinct = labels[1][~pd.isna(labels[1])]
    else:
        distinct = np.asarray(pd.unique(values.dropna()), dtype=object)
    if len(distinct) and pd.api.types.is_integer_dtype(dtype):
        if all(1000 <= int(v) <= 2999 for v in distinct):
            return "year"
        return INDEX  # whole numbers that are not years: positions on an integer index
    found = _frequency_of_text(distinct)
    if found is not None:
        return found
    shown = ", ".join(repr(v) for v in distinct[:3])
    raise PeriodLabelError(
        f"cannot tell the frequency of column {column!r} (values such as {shown}); pass "
        f"frequency= one of {(*PERIOD_FREQ, INDEX)}"
    )


def _frequency_of_text(distinct: np.ndarray) -> str | None:
    """The frequency text labels (distinct, none missing) are all written in, if one."""
    if not len(distinct) or not all(isinstance(v, str) for v in distinct):
        return None
    text = [v.strip() for v in distinct]
    for pattern, frequency in (
        (_MONTH, "month"),
        (_QUARTER, "quarter"),
        (_FY, "financial_year"),
        (_YEAR, "year"),
    ):
        if all(pattern.match(t) for t in text):
            return frequency
    return None


def factorized(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each entry's position among the distinct labels, and those labels (missing included):
    what :func:`infer_frequency` and :func:`parse_periods` read, worked out once for both."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    return codes, np.asarray(distinct, dtype=object)


def display(period: object, frequency: str | None = None) -> str:
    """A period as a reader writes it: financial years as ``2019/20``, others as pandas does.

    The one spelling of a period in term names (``att:g=2019/20``), tables, figures and
    messages; months, quarters, calendar years and whole numbers (the ``"index"`` frequency)
    read as ``str(period)``. Without ``frequency`` a period of pandas frequency ``Y-MAR`` is
    taken as a financial year (a design given a frame with no panel behind it).
    """
    fy = isinstance(period, pd.Period) and period.freqstr == "Y-MAR"
    if isinstance(period, pd.Period) and (
        frequency == "financial_year" or (frequency is None and fy)
    ):
        return f"{period.year - 1}/{str(period.year)[2:]}"
    return str(period)


def stored_periods(values: pd.Series, frequency: str) -> pd.Series:
    """Read back the ``str(period)`` labels vrueval stores, given the stored frequency.

    Only for files vrueval wrote (bundled datasets, ``vrueval data load`` output), whose metadata
    records the frequency; a label that does not round-trip exactly is refused.
    """
    freq = _check_frequency(frequency)
    if frequency == INDEX:
        return _parse_index(values.astype(str)).rename(None)
    labels = values.astype(str)
    table = {s: pd.Period(s, freq=freq) for s in pd.unique(labels)}
    wrong = sorted(s for s, p in table.items() if str(p) != s)
    if wrong:
        raise PeriodLabelError(
            f"stored period label(s) {wrong[:5]} are not {frequency} periods as vrueval writes "
            "them: the file was not written by vrueval or is damaged"
        )
    return pd.Series(pd.PeriodIndex(labels.map(table), freq=freq), index=values.index)


__all__ = [
    "EXAMPLES",
    "INDEX",
    "PERIOD_FREQ",
    "PeriodLabelError",
    "display",
    "infer_frequency",
    "parse_period",
    "parse_periods",
    "stored_periods",
]
