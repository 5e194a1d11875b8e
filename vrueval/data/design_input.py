"""A design's data, Panel or DataFrame: the frame becomes a Panel, then both take one path.

Every design takes a :class:`~vrueval.data.panel.Panel` or a DataFrame whose columns are named by
role, as R ``did`` and fixest users write: ``unit=``, ``time=``, ``outcome=``, ``treated=`` /
``first_treated=``, ``population=``, ``weights=``, ``cluster=``, ``covariates=``. A frame is
validated by :meth:`Panel.from_frame` (the one validator) and the design then runs exactly as on
that Panel, so the two give identical numbers. The assignment columns (``treated``,
``first_treated``) describe units, not cells, and become the design's own arguments (the treated
units and their starts) here.

Columns no role names are left out, as R ``did`` and fixest leave them (a frame carries more
than one design reads, as ``mpdta`` its ``treat``); :meth:`Panel.from_frame` called directly
refuses them, since a Panel keeps every column it is given. The staggered estimators' frames
(:func:`staggered`) pass the same validator; there, whole-number time stays whole numbers (the
``"index"`` frequency of :mod:`vrueval.data.periods`).

A frame's units are ``geography="custom"`` unless said otherwise: taken as given, with no VRU
cohort behind them, so a design that defaults to the VRU forces needs ``treated=``.

What a design cannot use yet is refused, never ignored: :data:`SUPPORTED` lists, per design, the
column roles its estimators read beyond unit, time, outcome and population.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

import numpy as np
import pandas as pd

from vrueval.data.panel import Frequency, Geography, Measure, Panel, PanelError, _resolve_units
from vrueval.data.periods import INDEX, PeriodLabelError, parse_periods
from vrueval.options import Option

#: Column roles each design's estimators read, beyond unit, time, outcome, population (a
#: ``cluster=`` naming the unit column is the default everywhere and always accepted).
SUPPORTED: dict[str, frozenset[str]] = {
    "ITS": frozenset(),
    "DiD": frozenset({"covariates", "weights", "cluster"}),
    "EventStudy": frozenset({"covariates", "weights", "cluster"}),
}

#: DiD ``weights=`` values that are rules, not column names ("panel": the weights a Panel
#: carries, what a DataFrame's weights column becomes).
WEIGHT_RULES = ("none", "population", "panel")
#: A single-series frame without a unit column: its one unit's name.
ONE_SERIES = "series"


class FrameRoles(TypedDict, total=False):
    """The frame-only options every design takes (see :mod:`vrueval.data.design_input`);
    ITS takes ``covariates=`` as its own option (a table, or the frame's column names)."""

    time: str
    first_treated: str
    population: str
    cluster: str
    geography: Geography | str
    frequency: Frequency
    measure: Measure


class FrameColumns(FrameRoles, total=False):
    """:class:`FrameRoles` and the covariate columns."""

    covariates: str | Sequence[str]


#: The row of the covariate columns, for the designs that take them as frame roles.
COVARIATE_COLUMNS = Option("covariates", "column | columns", None, frame=True, doc="as cluster")
#: The rows of :class:`FrameRoles` in the designs' options tables (:mod:`vrueval.options`).
FRAME_OPTIONS: tuple[Option, ...] = (
    Option("time", "column", None, frame=True, doc="the period column"),
    Option("first_treated", "column", None, frame=True, doc="each unit's first treated period"),
    Option("population", "column", None, frame=True),
    Option("cluster", "column", None, frame=True, doc="refused until the design reads it"),
    Option("geography", "str", "custom", frame=True, doc="units taken as given by default"),
    Option("frequency", "str", None, frame=True, doc="None: read from the period labels"),
    Option("measure", "str", None, frame=True, doc='None: "count" for whole numbers, else "rate"'),
)


def _refuse(design: str, role: str, detail: str = "") -> None:
    if role not in SUPPORTED[design]:
        raise ValueError(f"{role}= is not yet supported by {design}{detail}")


def check_roles(
    design: str,
    *,
    unit_column: str | None,
    weights: str | None,
    cluster: str | None,
    covariates: Sequence[str],
) -> None:
    """Refuse the column roles ``design`` cannot use yet (cluster= the unit is the default)."""
    if covariates:
        _refuse(design, "covariates")
    if weights is not None:
        hint = " (weights='population' weights by population)" if design != "ITS" else ""
        _refuse(design, "weights", hint)
    if cluster is not None and cluster != unit_column:
        _refuse(design, "cluster", " (its standard errors are clustered by unit)")


def _no_frame_options(design: str, frame: Mapping[str, Any]) -> None:
    given = sorted(k for k, v in frame.items() if v is not None and k not in ("covariates",))
    if given:
        raise ValueError(
            f"{', '.join(g + '=' for g in given)} describe a DataFrame's columns; a Panel knows "
            f"its own (give {design} the DataFrame, or build the Panel with Panel.from_frame)"
        )


def _measure(frame: pd.DataFrame, outcomes: Sequence[str], measure: str | None) -> Measure:
    """The given measure, else "count" when every outcome value is a non-negative whole
    number and "rate" otherwise (only Poisson-with-offset designs and validation read it)."""
    if measure is not None:
        return cast(Measure, measure)
    for c in outcomes:
        column = frame[c]
        if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
            v = column.to_numpy(dtype="float64", na_value=np.nan)
        else:
            v = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        v = v[~np.isnan(v)]
        if (v < 0).any() or (np.floor(v) != v).any():
            return "rate"
    return "count"


def to_panel(
    frame: pd.DataFrame,
    *,
    unit: str | None,
    time: str | None,
    outcome: str | None,
    population: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    covariates: str | Sequence[str] = (),
    geography: str | None = None,
    frequency: str | None = None,
    measure: str | None = None,
) -> Panel:
    """``Panel.from_frame`` of the columns a design's roles name: the frame's other columns
    (an assignment column the design reads itself, anything else it carries) are left out."""
    if time is None or outcome is None:
        raise ValueError("for a DataFrame give time= and outcome= (column names)")
    if outcome not in frame.columns:
        raise PanelError(
            f"outcome column {outcome!r} not in the frame; it has {list(frame.columns)}"
        )
    named = [unit, time, outcome, population, weights, cluster, *_names(covariates)]
    kept = [c for c in dict.fromkeys(named) if c is not None]
    # a role naming a column the frame lacks: the whole frame, for Panel.from_frame to name the
    # column among all the frame's own
    whole = set(kept) == set(frame.columns) or not set(kept) <= set(frame.columns)
    data = frame if whole else frame[kept]
    if unit is None:
        data = data.assign(**{ONE_SERIES: ONE_SERIES})
        unit = ONE_SERIES
    return Panel.from_frame(
        data,
        unit=unit,
        time=time,
        outcome=outcome,
        population=population,
        weights=weights,
        cluster=cluster,
        covariates=covariates,
        geography=cast(Geography, geography or "custom"),
        frequency=cast(Frequency | None, frequency),
        measure=_measure(frame, [outcome], measure),
    )


def its(
    data: Panel | pd.DataFrame,
    *,
    unit: str | None,
    outcome: str | None,
    treated: object,
    weights: str | None,
    frame: Mapping[str, Any],
    pooled: bool = False,
) -> tuple[Panel, str | None, str | None]:
    """ITS input: the Panel, the evaluated unit and the outcome.

    With a DataFrame, ``unit=`` names the unit column (none for a single series) and
    ``treated=`` the evaluated unit, or ``pooled`` (ITS's ``units=``) names the units pooled;
    with a Panel, ``unit=`` is the evaluated unit.
    """
    covariates: tuple[str, ...] = ()
    if frame.get("first_treated") is not None:
        raise ValueError("first_treated= is for DiD designs; ITS takes interruptions=")
    if isinstance(data, Panel):
        _no_frame_options("ITS", {**frame, "first_treated": None})
        if treated is not None:
            raise ValueError(
                "treated= names the evaluated unit of a DataFrame; for a Panel use unit="
            )
        check_roles("ITS", unit_column=None, weights=weights, cluster=None, covariates=covariates)
        _calendar_only("ITS", data)
        return data, unit, outcome
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"ITS needs a vrueval Panel or a DataFrame, got {type(data).__name__}")
    check_roles(
        "ITS",
        unit_column=unit,
        weights=weights,
        cluster=frame.get("cluster"),
        covariates=covariates,
    )
    panel = to_panel(
        data,
        unit=unit,
        time=frame.get("time"),
        outcome=outcome,
        population=frame.get("population"),
        geography=frame.get("geography"),
        frequency=frame.get("frequency"),
        measure=frame.get("measure"),
    )
    _calendar_only("ITS", panel)
    if treated is None and not pooled and len(panel.units) > 1:
        raise ValueError(
            f"the frame has {len(panel.units)} units; pass treated= (the evaluated unit) "
            "and controls= if any, or units=[...] to pool several series"
        )
    return panel, None if treated is None else cast(str, treated), outcome


def _calendar_only(design: str, panel: Panel) -> None:
    """Refuse plain integer time where the design reads calendar periods (after validation, so
    a bad frame is refused first with the same error as in every design)."""
    if panel.frequency == INDEX:
        raise ValueError(
            f"{design} needs calendar periods (months, quarters, years: its seasonality, "
            "lockdown and interruption dates read them); this panel's time is plain whole "
            "numbers (frequency='index'). Give the time column as periods or dates with "
            "frequency=, or whole-number years (1000-2999) to read them as calendar years"
        )


def its_covariates(
    data: pd.DataFrame, columns: str | Sequence[str], *, unit: str | None, time: str | None
) -> pd.DataFrame:
    """ITS covariates named as columns of the input frame: the long table (``period``, with
    ``unit`` when the frame has a unit column, and the covariates) that ITS reads."""
    names = list(_names(columns))
    keys = {"period": time or "period"}
    if unit is not None:
        keys["unit"] = unit
    missing = [c for c in [*keys.values(), *names] if c not in data.columns]
    if missing:
        raise ValueError(f"covariates: column(s) {missing} not in the frame")
    table = data[[*keys.values(), *names]]
    return table.set_axis([*keys, *names], axis=1)


def comparator(
    design: str,
    data: Panel | pd.DataFrame,
    outcome: str,
    options: Mapping[str, Any],
) -> tuple[Panel, dict[str, Any]]:
    """DiD / event-study input: the Panel and the design options with the frame's roles read.

    ``treated=`` is a list of units, or (DataFrame) a 0/1 column: with ``start=`` it marks the
    treated units (constant within a unit); without, it is the treatment indicator, off and
    then on for good, and each unit's first period on is its start. ``first_treated=`` is a
    column of each unit's first treated period (missing, 0 or inf: never treated). The
    options returned hold no frame keys.
    """
    keys = (*FrameColumns.__annotations__, "unit")
    frame = {k: v for k, v in options.items() if k in keys}
    opts = {k: v for k, v in options.items() if k not in keys}
    covariates = _names(frame.pop("covariates", ()))
    weights = opts.get("weights", "none")
    weight_column = None if weights in WEIGHT_RULES else weights
    supported = SUPPORTED[design]
    if isinstance(data, Panel):
        cluster = frame.pop("cluster", None) if "cluster" in supported else None
        _no_frame_options(design, frame)
        check_roles(
            design, unit_column=None, weights=weight_column, cluster=None, covariates=covariates
        )
        return data, {**opts, **_roles_read(supported, covariates, cluster)}
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{design} needs a vrueval Panel or a DataFrame, got {type(data).__name__}")
    unit = frame.get("unit")
    if unit is None:
        raise ValueError(
            f"for a DataFrame give unit=, time= and outcome (column names) to {design}"
        )
    check_roles(
        design,
        unit_column=unit,
        weights=weight_column,
        cluster=frame.get("cluster"),
        covariates=covariates,
    )
    treated = opts.get("treated")
    first = frame.get("first_treated")
    column = treated if isinstance(treated, str) and treated in data.columns else None
    if first is not None and treated is not None:
        raise ValueError("give first_treated= or treated=, not both")
    dims, cluster_column = _cluster_dims(frame.get("cluster"), unit, frame.get("time"))
    if "cluster" in supported:
        opts.update(_roles_read(supported, covariates, dims))
    if weight_column is not None:
        opts["weights"] = "panel"
    panel = to_panel(
        data,
        unit=unit,
        time=frame.get("time"),
        outcome=outcome,
        population=frame.get("population"),
        weights=weight_column,
        cluster=cluster_column,
        covariates=covariates,
        geography=frame.get("geography"),
        frequency=frame.get("frequency"),
        measure=frame.get("measure"),
    )
    if first is not None or column is not None:
        rows = _rows(data, panel, unit, cast(str, frame.get("time")), cast(str, first or column))
        if column is not None and opts.get("start") is not None:
            opts["treated"] = _treated_units(rows, column)
        else:
            if first is not None and opts.get("start") is not None:
                raise ValueError("give first_treated= or start=, not both")
            starts = (
                _first_treated(rows, panel, first)
                if first is not None
                else _switch_on(rows, panel, cast(str, column))
            )
            # one common start is a plain start with its treated units (no staggering)
            common = set(starts.values())
            opts["treated"] = list(starts)
            opts["start"] = next(iter(common)) if len(common) == 1 else starts
    return panel, opts


def _roles_read(
    supported: frozenset[str], covariates: Sequence[str], cluster: object
) -> dict[str, Any]:
    """The covariate and cluster options a design reading them takes (only those given)."""
    out: dict[str, Any] = {}
    if covariates and "covariates" in supported:
        out["covariates"] = tuple(covariates)
    if cluster is not None and "cluster" in supported:
        out["cluster"] = cluster
    return out


def _cluster_dims(
    cluster: str | Sequence[str] | None, unit: str, time: str | None
) -> tuple[tuple[str, ...] | None, str | None]:
    """A frame's ``cluster=`` (a column, or two for two-way clustering) as cluster dimensions
    ("unit", "period", "cluster") and the one other column the panel carries as its cluster."""
    if cluster is None:
        return None, None
    names = _names(cluster)
    others = list(dict.fromkeys(c for c in names if c not in (unit, time)))
    if len(others) > 1:
        raise ValueError(
            f"cluster= may name the unit column, the time column and one other column; got "
            f"{list(names)} (combine two label columns into one first)"
        )
    dims = tuple("unit" if c == unit else "period" if c == time else "cluster" for c in names)
    return dims, (others[0] if others else None)


def _names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _rows(frame: pd.DataFrame, panel: Panel, unit: str, time: str, column: str) -> pd.DataFrame:
    """unit code, period and the assignment column, one row a frame row, read as the panel
    reads its unit and time columns."""
    try:
        periods = parse_periods(frame[time], panel.frequency)
    except PeriodLabelError as err:  # from_frame has read them: cannot happen
        raise PanelError(str(err)) from None
    return pd.DataFrame(
        {
            "unit": _unit_codes(frame[unit], panel.geography, frame),
            "period": periods.to_numpy(),
            "value": frame[column].to_numpy(),
        },
        index=frame.index,
    )


def _unit_codes(units: pd.Series, geography: str, frame: pd.DataFrame) -> np.ndarray:
    distinct, index, _ = _resolve_units(units, geography, frame)
    return distinct[index]


def _indicator(rows: pd.DataFrame, column: str) -> pd.Series:
    v = rows["value"]
    ok = v.isin([0, 1, True, False]) & v.notna()
    if not ok.all():
        raise PanelError(
            f"column {column!r}: treatment must be 0/1 (or True/False); {int((~ok).sum())} "
            "row(s) are not",
            rows.loc[~ok],
        )
    return v.astype(bool)


def _treated_units(rows: pd.DataFrame, column: str) -> list[str]:
    on = _indicator(rows, column)
    varies = on.groupby(rows["unit"]).nunique()
    bad = list(varies.index[varies > 1])
    if bad:
        raise PanelError(
            f"column {column!r} varies within unit(s) {bad[:8]}: with start= it marks the "
            "treated units and must be constant within a unit (leave start= out to read it as "
            "the treatment indicator switching on at each unit's start)"
        )
    return [str(u) for u in pd.unique(rows.loc[on.to_numpy(), "unit"])]


def _switch_on(rows: pd.DataFrame, panel: Panel, column: str) -> dict[str, pd.Period]:
    """Each unit's first period with treatment on; refused where it switches off again."""
    on = _indicator(rows, column)
    d = rows.assign(on=on).sort_values(["unit", "period"])
    switched_off = d["on"].astype(int).groupby(d["unit"], sort=False).diff() < 0
    off_again = [str(u) for u in pd.unique(d.loc[switched_off, "unit"])]
    if off_again:
        raise PanelError(
            f"column {column!r} switches off again in unit(s) {off_again[:8]}: a treatment "
            "indicator stays on from its start (give start= to read the column as the treated "
            "units instead)"
        )
    starts = d.loc[d["on"]].groupby("unit", sort=False)["period"].min()
    if starts.empty:
        raise PanelError(f"column {column!r} is never on: no unit is treated")
    first = panel.periods[0]
    always = [str(u) for u, p in starts.items() if p <= first]
    if always:
        raise PanelError(
            f"unit(s) {always[:8]} are treated from the first period ({first}): no "
            "pre-treatment period to compare with"
        )
    return {str(u): p for u, p in starts.items()}


def _first_treated(
    rows: pd.DataFrame, panel: Panel, column: str, names: np.ndarray | None = None
) -> dict[str, pd.Period]:
    """unit -> first treated period from a first-treated column (missing, 0, inf: never).
    ``names``: the unit of each integer code in ``rows["unit"]`` (None: the labels are there)."""
    raw = rows["value"]
    numeric = pd.to_numeric(raw, errors="coerce")
    never = (raw.isna() | (numeric == 0) | np.isinf(numeric.fillna(0))).to_numpy()
    # constant within a unit, never-treated markers alike: on integer codes, one pass
    value_code = np.where(never, -1, pd.factorize(raw)[0])
    unit_code, units = pd.factorize(rows["unit"])
    if names is not None:
        units = pd.Index(np.asarray(names, dtype=object)[units.to_numpy()])
    first_row = np.empty(len(units), dtype=np.int64)
    first_row[unit_code[::-1]] = np.arange(len(unit_code))[::-1]
    varies = value_code != value_code[first_row][unit_code]
    if varies.any():
        bad = sorted(units[np.unique(unit_code[varies])])[:8]
        raise PanelError(f"column {column!r} must be constant within a unit; it varies for {bad}")
    labels = raw.to_numpy()[first_row]
    treated = ~never[first_row]
    # each distinct label read once (a few cohorts, however many units)
    parsed: dict[object, pd.Period] = {}
    for v in pd.unique(labels[treated]):
        try:
            parsed[v] = panel.period(v)
        except PanelError as err:
            with_v = sorted(units[labels == v].astype(str))[:8]
            raise PanelError(f"column {column!r}, unit(s) {with_v}: {err}") from None
    out = {str(u): parsed[v] for u, v, t in zip(units, labels, treated, strict=True) if t}
    if not out:
        raise PanelError(f"column {column!r} marks no unit as treated")
    return out


def staggered(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    first_treated: str,
    covariates: Sequence[str],
    population: str | None,
    cluster: str | None,
    geography: str | None = None,
) -> tuple[Panel, dict[str, pd.Period], dict[str, object]]:
    """Staggered-adoption input from a long frame: the Panel (validated by
    :meth:`Panel.from_frame`, as every design's frame), each treated unit's first period, and
    each unit's value in the frame by the panel's name for it, in the order of the frame's
    values (numbers sorted as numbers).

    Time stored as whole numbers stays whole numbers (the ``"index"`` frequency, years
    included: R ``did`` users count cohorts as 2004, 2006); other labels are read as the other
    designs read them. Columns no role names are left out (academic frames carry more, as
    ``mpdta`` its ``treat``), not refused. ``first_treated`` holds each unit's first treated
    period in the units of ``time`` (missing, 0 or inf: never treated).
    """
    for role, column in (("unit", unit), ("time", time), ("first_treated", first_treated)):
        if column not in data.columns:
            raise PanelError(
                f"{role} column {column!r} not in the frame; it has {list(data.columns)}"
            )
    integer = pd.api.types.is_integer_dtype(data[time].dtype)
    panel = to_panel(
        data,
        unit=unit,
        time=time,
        outcome=outcome,
        population=population,
        cluster=None if cluster == unit else cluster,
        covariates=covariates,
        geography=geography,
        frequency="index" if integer else None,
    )
    # each unit's first-treated label, read per unit (the periods are the panel's already)
    unit_code, raw_units = pd.factorize(data[unit])
    keys = _unit_codes(pd.Series(raw_units), panel.geography, data)
    rows = pd.DataFrame({"unit": unit_code, "value": data[first_treated].to_numpy()})
    starts = _first_treated(rows, panel, first_treated, keys) if len(rows) else {}
    # the units in the order of the frame's own values (numbers as numbers: 2 before 10), as
    # the estimators have always taken them (sums and bootstrap draws run in unit order)
    ordered = pd.Series(pd.factorize(data[unit], sort=True)[1])
    order = _unit_codes(ordered, panel.geography, ordered.to_frame())
    return panel, starts, dict(zip(order, ordered.tolist(), strict=True))
