"""Rates per population: the one place a count becomes a rate, and the rule that guards it.

A rate needs a positive, finite population in every cell whose value is used. A zero population
would make the rate infinite and a missing one would make it missing; either would then vanish
from (or poison) an estimate without a word, so both are refused, naming the unit and periods.
Cells whose value is itself missing are left to the design's ``missing`` rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.panel import PanelError
from vrueval.data.periods import display

_SHOW = 6


def _name(code: object) -> str:
    try:
        return f"{areas.name(str(code))} ({code})"
    except areas.UnknownAreaError:
        return str(code)


def check_population(frame: pd.DataFrame, value: str = "value") -> None:
    """Refuse a zero, negative or missing population in a row whose ``value`` is used.

    ``frame`` is long (one row a unit and period) with columns ``unit``, ``period``, ``value``
    (or the name given) and ``population``; rows whose value is missing are not checked.

    Raises
    ------
    PanelError
        Naming each unit (name and code) and its periods; or when no row has a population.
    """
    if frame["population"].isna().all():
        raise PanelError("rates need populations; this panel has none (column 'population')")
    used = frame[value].notna()
    problems = []
    for kind, bad in (
        ("zero or negative", frame["population"] <= 0),
        ("missing", frame["population"].isna()),
    ):
        rows = frame.loc[bad & used]
        for unit, g in rows.groupby("unit", sort=False):
            periods = [display(p) for p in sorted(g["period"])]
            shown = ", ".join(periods[:_SHOW]) + (" ..." if len(periods) > _SHOW else "")
            problems.append(
                f"{kind} population for {_name(unit)} in {len(periods)} period(s): {shown}"
            )
    if problems:
        raise PanelError(
            "rates need a positive population wherever the outcome has a value (column "
            "'population'):\n  " + "\n  ".join(problems)
        )


def per_population(values: pd.DataFrame, population: pd.DataFrame, per: float) -> pd.DataFrame:
    """``values / population * per`` for period x unit tables, refusing bad populations.

    Parameters
    ----------
    values, population : DataFrame
        Period x unit tables of the same shape (as :meth:`Panel.wide
        <vrueval.data.panel.Panel.wide>` returns them).
    per : float
        Rate base, e.g. 100_000 for a rate per 100,000 residents.

    Raises
    ------
    PanelError
        As :func:`check_population`.
    """
    if not np.isfinite(per) or per <= 0:
        raise ValueError(f"per must be a positive number, got {per!r}")
    pop = population.reindex(index=values.index, columns=values.columns)
    long = pd.DataFrame(
        {
            "unit": np.tile(np.asarray(values.columns, dtype=object), len(values.index)),
            "period": np.repeat(np.asarray(values.index, dtype=object), len(values.columns)),
            "value": values.to_numpy(dtype=float).ravel(),
            "population": pop.to_numpy(dtype=float).ravel(),
        }
    )
    check_population(long)
    return values / pop * per


__all__ = ["check_population", "per_population"]
