"""The frozen result of a synthetic design: effects, the weights, and the treated and synthetic
paths."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vrueval.results import Result, plotter


class SyntheticResult(Result):
    """Result of :class:`~vrueval.SyntheticDiD` or :class:`~vrueval.SyntheticControl`.

    Beyond the base contract: :meth:`weights` (each donor's weight), :meth:`time_weights`
    (each pre-period's weight; synthetic DiD), :meth:`path` (treated and synthetic outcome and
    their gap by period), :meth:`placebos` (the placebo units' fit and gaps, when inference ran
    them) and :meth:`plot`.
    """

    def __init__(
        self,
        *,
        unit_weights: pd.DataFrame,
        time_weights: pd.DataFrame,
        path: pd.DataFrame,
        placebos: pd.DataFrame | None = None,
        **kwargs: Any,
    ) -> None:
        self._unit_weights = unit_weights.copy()
        self._time_weights = time_weights.copy()
        self._path = path.copy()
        self._placebos = placebos.copy() if placebos is not None else pd.DataFrame()
        super().__init__(**kwargs)

    def weights(self) -> pd.DataFrame:
        """Donor units and their weights (non-negative, summing to one), largest first."""
        return self._unit_weights.copy()

    def time_weights(self) -> pd.DataFrame:
        """Pre-periods and their weights (synthetic DiD; empty otherwise)."""
        return self._time_weights.copy()

    def path(self) -> pd.DataFrame:
        """By period: the treated (average) outcome, the synthetic control's, their gap, and
        whether the period is post-treatment."""
        return self._path.copy()

    def placebos(self) -> pd.DataFrame:
        """In-space placebos (synthetic control): each unit's pre/post RMSPE and their ratio."""
        return self._placebos.copy()

    def _extra_dict(self) -> dict[str, Any]:
        return {
            "weights": self._unit_weights,
            "time_weights": self._time_weights,
            "path": self._path,
            "placebos": self._placebos,
        }

    def plot(self, ax: Any = None, kind: str = "path") -> Any:
        """``kind="path"``: treated and synthetic outcomes; ``"gap"``: their difference with
        the per-period interval shaded where the inference gives one; ``"weights"``: the donor
        weights; ``"placebos"``: every placebo unit's gap in grey with the treated unit's on
        top (synthetic control with placebo inference). Drawn by the figure registered for
        ``"synthetic"`` (:mod:`vrueval.reporting.synthetic_plot`)."""
        return plotter("synthetic")(self, ax=ax, kind=kind)
