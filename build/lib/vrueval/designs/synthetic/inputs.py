"""The constructor arguments both synthetic designs share: a Panel or a DataFrame, the outcome,
the treated units and their start, read into :class:`SyntheticData` in one place."""

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
        provenance: dict[str, Any] = {
            "sources": [s.to_dict() for s in data.sources],
            "frequency": data.frequency,
        }
        return d, provenance
    if isinstance(data, pd.DataFrame):
        if unit is None or time is None:
            raise SyntheticDataError("for a DataFrame give unit= and time= (column names)")
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
        return d, {"sources": [], "frequency": "frame"}
    raise TypeError(f"data must be a vrueval Panel or a DataFrame, not {type(data).__name__}")
