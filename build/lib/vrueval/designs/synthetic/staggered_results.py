"""The frozen result of a staggered synthetic design: effects by cohort (or unit), each cohort's
weights, and each cohort's treated and synthetic paths."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vrueval.results import Result, plotter


class StaggeredSyntheticResult(Result):
    """Result of :class:`~vrueval.StaggeredSyntheticDiD` or
    :class:`~vrueval.StaggeredSyntheticControl`.

    Beyond the base contract: :meth:`weights` (each cohort's, or each treated unit's, donor
    weights), :meth:`time_weights` (each cohort's pre-period weights; synthetic DiD),
    :meth:`path` (by cohort or unit and period: treated and synthetic outcome and their gap)
    and :meth:`plot`.
    """

    def __init__(
        self,
        *,
        unit_weights: pd.DataFrame,
        time_weights: pd.DataFrame,
        path: pd.DataFrame,
        **kwargs: Any,
    ) -> None:
        self._unit_weights = unit_weights.copy()
        self._time_weights = time_weights.copy()
        self._path = path.copy()
        super().__init__(**kwargs)

    def weights(self) -> pd.DataFrame:
        """Donor weights: one row a (cohort or treated unit, donor), largest first in each."""
        return self._unit_weights.copy()

    def time_weights(self) -> pd.DataFrame:
        """Each cohort's pre-period weights (synthetic DiD; empty otherwise)."""
        return self._time_weights.copy()

    def path(self) -> pd.DataFrame:
        """By cohort (or treated unit) and period: the treated outcome, the synthetic
        control's, their gap, and whether the period is post-treatment."""
        return self._path.copy()

    def _extra_dict(self) -> dict[str, Any]:
        return {
            "weights": self._unit_weights,
            "time_weights": self._time_weights,
            "path": self._path,
        }

    def plot(self, ax: Any = None, kind: str = "gap") -> Any:
        """``kind="gap"``: each cohort's (or unit's) gap between treated and synthetic by
        period; ``"effects"``: the estimates with their intervals. Drawn by the figure
        registered for ``"synthetic_staggered"``
        (:mod:`vrueval.reporting.staggered_synthetic_plot`)."""
        return plotter("synthetic_staggered")(self, ax=ax, kind=kind)
