"""Time-varying covariates of an ``ITS``: read, aligned to each series, never filled.

A covariate enters the segmented regression as a column with its own coefficient (reported by
:meth:`~vrueval.designs.its.results.ITSResult.coefficients` as ``covariate:<name>``) and is kept
at its observed value in the counterfactual: the effects are net of what the covariate explains.
It must therefore be observed at every period of the analysis window, those left out of the
fit included (the counterfactual path needs them); a missing value is refused, naming the unit
and the periods, and never filled.

Assumption (beyond ITS's): the covariate is not itself affected by the intervention; a
covariate on the causal path absorbs part of the effect.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import Panel

FloatArray = np.ndarray

#: What the covariate table's columns may be named besides the covariates.
KEYS = ("unit", "period")


class Covariates:
    """The covariates of one ITS: column names and the values of any unit at any periods.

    Parameters
    ----------
    frame : DataFrame
        Either indexed by period (one value a period, shared by every series of the design),
        or in long form with a ``period`` column and optionally a ``unit`` column (values per
        unit; units by any official spelling). Every other column is a numeric covariate.
    panel : Panel
        Reads the period labels (in the panel's frequency) and the unit names.
    """

    def __init__(self, frame: Any, panel: Panel) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"covariates must be a DataFrame (indexed by period, or with 'period' and "
                f"optionally 'unit' columns), got {type(frame).__name__}"
            )
        data = frame.reset_index() if "period" not in frame.columns else frame.copy()
        if "period" not in data.columns:  # an unnamed period index
            data = data.rename(columns={data.columns[0]: "period"})
        names = [str(c) for c in data.columns if c not in KEYS]
        if not names:
            raise ValueError("covariates has no covariate column (only 'unit' / 'period')")
        for c in names:
            if ":" in c:
                raise ValueError(f"covariate name {c!r} must not contain ':'")
            if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
                raise ValueError(f"covariate {c!r} must be numeric, got dtype {data[c].dtype}")
        data["period"] = [panel.period(p).ordinal for p in data["period"]]
        self.per_unit = "unit" in data.columns
        if self.per_unit:
            data["unit"] = [areas.resolve(str(u), panel.geography) for u in data["unit"]]
        keys = ["unit", "period"] if self.per_unit else ["period"]
        dup = data.duplicated(keys)
        if dup.any():
            raise ValueError(
                f"covariates has several rows for {data.loc[dup, keys].iloc[0].tolist()}"
            )
        self.names = tuple(names)
        self._data = data.set_index(keys)[names].astype(float)

    @property
    def columns(self) -> tuple[str, ...]:
        """Design-matrix names of the covariates."""
        return tuple(f"covariate:{n}" for n in self.names)

    def values(self, unit: str, periods: pd.PeriodIndex) -> FloatArray:
        """The covariates of ``unit`` at ``periods`` (len(periods) x p); any missing refused."""
        ordinals = np.asarray(periods.asi8)
        index: pd.Index
        if self.per_unit:
            index = pd.MultiIndex.from_arrays([np.repeat(unit, len(ordinals)), ordinals])
        else:
            index = pd.Index(ordinals)
        out = self._data.reindex(index).to_numpy(dtype=float)
        bad = ~np.isfinite(out)
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            which = sorted({self.names[j] for j in np.flatnonzero(bad.any(axis=0))})
            shown = ", ".join(str(periods[i]) for i in rows[:12])
            more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
            whose = f" of {areas.label(unit)}" if self.per_unit else ""
            raise ValueError(
                f"covariate(s) {which}{whose} missing at {len(rows)} period(s) of the analysis "
                f"window: {shown}{more}. A covariate is never filled in; give its value at every "
                "period (those left out of the fit too: the counterfactual path needs them) or "
                "shorten the window with start= / end="
            )
        return out
