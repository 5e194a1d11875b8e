"""The constructor arguments both synthetic designs share: a Panel or a DataFrame, the outcome,
the treated units and their start, read into :class:`SyntheticData` in one place; and what the
staggered designs' reader (:func:`vrueval.designs.synthetic.cohorts.read`) shares with it: the
frame's unit and time columns and the provenance a result records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.synthetic.data import (
    Predictor,
    SyntheticData,
    SyntheticDataError,
    from_long,
    from_panel,
)


def read(
    data: Panel | pd.DataFrame,
    *,
    outcome: str,
    treated: Sequence[Any] | str | None,
    start: Any,
    first_treated: str | None,
    unit: str | None,
    time: str | None,
    predictors: Sequence[Predictor] = (),
    min_pre: int = 1,
) -> tuple[SyntheticData, dict[str, Any]]:
    """The validated matrix and the provenance of ``data``."""
    recorded = provenance(data)
    if isinstance(data, Panel):
        if unit is not None or time is not None or first_treated is not None:
            raise SyntheticDataError(
                "unit=, time= and first_treated= are for a DataFrame; a Panel knows its own"
            )
        if predictors:
            raise SyntheticDataError("predictors= need a DataFrame with the predictor columns")
        if treated is None:
            raise SyntheticDataError("give treated=, the list of treated units")
        d = from_panel(data, outcome=outcome, treated=treated, start=start, min_pre=min_pre)
        return d, recorded
    unit, time = frame_columns(unit, time)
    if treated is None and first_treated is None:
        raise SyntheticDataError(
            "give treated= (a list of units with start=, or a 0/1 column) or first_treated="
        )
    d = from_long(
        data,
        unit=unit,
        time=time,
        outcome=outcome,
        treated=() if treated is None else treated,
        start=start,
        first_treated=first_treated,
        predictors=predictors,
        min_pre=min_pre,
    )
    return d, recorded


def frame_columns(unit: str | None, time: str | None) -> tuple[str, str]:
    """The unit and time columns a DataFrame is read by; both must be given."""
    if unit is None or time is None:
        raise SyntheticDataError("for a DataFrame give unit= and time= (column names)")
    return unit, time


def provenance(data: Panel | pd.DataFrame) -> dict[str, Any]:
    """What a result records of the data it was fitted to: a Panel's sources and frequency (a
    frame carries neither). Anything but a Panel or a DataFrame is refused here, before it is
    read."""
    if isinstance(data, Panel):
        return {"sources": [s.to_dict() for s in data.sources], "frequency": data.frequency}
    if isinstance(data, pd.DataFrame):
        return {"sources": [], "frequency": "frame"}
    raise TypeError(f"data must be a vrueval Panel or a DataFrame, not {type(data).__name__}")
