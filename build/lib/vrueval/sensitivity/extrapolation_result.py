"""The frozen result of the pre-trend extrapolation: effects net of the projected trend, the
trend itself, and the coefficients it came from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from vrueval.results import Result, frozen, plotter


class TrendExtrapolationResult(Result):
    """Event-study effects with a linear pre-trend projected into the post period and removed
    (:func:`~vrueval.sensitivity.trend_extrapolation`).

    Views beyond the result contract: :meth:`by_time` (each event time's coefficient, the
    fitted trend there and whether the lead was used to fit it), :attr:`original` (each term's
    estimate before the trend was removed), :meth:`vcov` (the covariance of the terms, by the
    delta method) and :attr:`slope` (the trend per period, with its standard error).
    """

    _change_hint = "run trend_extrapolation again"

    def __init__(
        self,
        *,
        effects: pd.DataFrame,
        by_time: pd.DataFrame,
        original: Mapping[str, float],
        covariance: pd.DataFrame,
        settings: Mapping[str, Any],
        level: float,
        diagnostics: Mapping[str, Any],
        warnings: tuple[str, ...] = (),
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        self._by_time = by_time.copy()
        self._original = frozen(dict(original))
        self._cov = covariance.copy()
        super().__init__(
            design="Pre-trend extrapolation (linear in event time)",
            effects=effects,
            settings=settings,
            level=level,
            seed=None,
            provenance=provenance,
            diagnostics=diagnostics,
            warnings=warnings,
        )

    def by_time(self) -> pd.DataFrame:
        """event_time, coefficient (the event study's), trend (the fitted line at that event
        time) and used_for_trend, one row per coefficient."""
        return self._by_time.copy()

    @property
    def original(self) -> Mapping[str, float]:
        """Each term's estimate before the trend was removed (the event study's)."""
        return self._original

    @property
    def slope(self) -> Mapping[str, float]:
        """The fitted trend per period of event time: ``estimate`` and ``std_error``."""
        d = self.diagnostics
        return {"estimate": float(d["slope"]), "std_error": float(d["slope_std_error"])}

    def vcov(self) -> pd.DataFrame:
        """Covariance of the terms (delta method, exact for this linear estimator)."""
        return self._cov.copy()

    def _extra_dict(self) -> dict[str, Any]:
        return {
            "by_time": self._by_time,
            "original": dict(self._original),
            "vcov": {"terms": list(self._cov.columns), "matrix": self._cov.to_numpy().tolist()},
        }

    def plot(self, ax: Any = None) -> Any:
        """The event-study coefficients, the trend fitted to the leads and projected, and the
        effects net of it with their intervals."""
        return plotter("trend_extrapolation")(self, ax=ax)
