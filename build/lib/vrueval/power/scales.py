"""Effects on the scales evaluators think in: % change, offences prevented a year, rate per 100k.

Effects are planted as relative (multiplicative) changes; a -10% effect on a force recording 1,200
knife offences a year prevents 120 of them, and with a population of 2.9 million lowers the annual
rate by 4.1 per 100,000. The baseline is the treated areas' most recent year of real data (the
last ``periods_per_year`` periods), stated on every result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "financial_year": 1, "year": 1}


@dataclass(frozen=True)
class Baseline:
    """Treated areas' outcome per year and population over the baseline year."""

    per_year: float  # NaN when the outcome is not a count
    population: float  # NaN when unknown
    first_period: str
    last_period: str
    n_units: int
    note: str = ""

    def frame(self, effects: np.ndarray) -> pd.DataFrame:
        """Columns effect, pct_change, prevented_per_year, rate_change_per_100k."""
        d = np.asarray(effects, dtype=float)
        return pd.DataFrame(
            {
                "effect": d,
                "pct_change": 100 * d,
                "prevented_per_year": -d * self.per_year,
                "rate_change_per_100k": d * self.per_year / self.population * 100_000,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome_per_year": self.per_year,
            "population": self.population,
            "first_period": self.first_period,
            "last_period": self.last_period,
            "n_units": self.n_units,
            "note": self.note,
        }


def baseline(
    values: pd.DataFrame,
    population: pd.DataFrame,
    frequency: str,
    measure: str,
    units: list[str],
    scale_to: int | None = None,
) -> Baseline:
    """Baseline from wide frames (periods x units) over the last year of data.

    ``scale_to`` rescales an average to that many units (placebo-in-space designs whose treated
    set is not fixed, or a planned number of treated areas unlike the real set's): the baseline
    is then ``scale_to`` times the average unit's.
    """
    k = PERIODS_PER_YEAR.get(frequency, 1)
    last = values[units].iloc[-k:]
    pop = population[units].iloc[-k:]
    per_year = float(last.sum().sum()) * (k / len(last)) if measure == "count" else float("nan")
    pop_now = float(pop.iloc[-1].sum()) if pop.notna().all().all() else float("nan")
    note = ""
    if scale_to is not None:
        per_year = per_year / len(units) * scale_to
        pop_now = pop_now / len(units) * scale_to
        note = f"average of the {len(units)} units, times {scale_to}"
    return Baseline(
        per_year=per_year,
        population=pop_now,
        first_period=str(last.index[0]),
        last_period=str(last.index[-1]),
        n_units=scale_to or len(units),
        note=note,
    )
