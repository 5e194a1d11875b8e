"""The frozen result of an ``ITS`` fit: effects, counterfactual path, impact, placebo ranks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vrueval.designs.its.design import Interruption
from vrueval.results import Checks, Result, plotter


class ITSResult(Result):
    """Result of :meth:`vrueval.ITS.fit`.

    The effects' numbers are fixed when the result is built; the effects DataFrame, the
    counterfactual and impact tables, the diagnostics and the warnings are assembled from them
    on first access and kept, so they read the same whenever asked for.

    Views (all copies): :meth:`effects` (level and slope changes; rate ratios for log-link
    models), :meth:`counterfactual` (per period), :meth:`impact` (mean, cumulative and relative
    effect over the window), :meth:`placebo` (when requested), :meth:`coefficients`,
    :meth:`vcov`, and :meth:`plot`.
    """

    def __init__(
        self,
        *,
        effects: pd.DataFrame | Callable[[], pd.DataFrame],
        paths: Callable[[], tuple[pd.DataFrame, pd.DataFrame]],
        placebo: pd.DataFrame | None,
        fourier_aic: pd.DataFrame | None,
        names: Sequence[str],
        beta: np.ndarray,
        cov: np.ndarray,
        interruptions: tuple[Interruption, ...],
        settings: Mapping[str, Any],
        level: float,
        seed: int | None,
        provenance: Mapping[str, Any],
        diagnostics: Mapping[str, Any] | None = None,
        warnings: tuple[str, ...] = (),
        checks: Checks | None = None,
        coefficients: Callable[[], pd.DataFrame] | None = None,
    ) -> None:
        # Built on first access and kept: the result is read-only, the cache only fills once.
        self._build_paths = paths
        self._cache: dict[str, pd.DataFrame] = {}
        self._placebo = placebo
        self._fourier_aic = fourier_aic
        self._names = list(names)
        self._beta = np.array(beta, dtype=float)
        self._cov = np.array(cov, dtype=float)
        self._interruptions = interruptions
        self._build_coefficients = coefficients
        super().__init__(
            design="ITS",
            effects=effects,
            settings=settings,
            level=level,
            seed=seed,
            provenance=provenance,
            diagnostics=diagnostics,
            warnings=warnings,
            checks=checks,
        )

    def _paths(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if "counterfactual" not in self._cache:
            frame, impact = self._build_paths()
            self._cache["counterfactual"], self._cache["impact"] = frame, impact
        return self._cache["counterfactual"], self._cache["impact"]

    @property
    def _counterfactual(self) -> pd.DataFrame:
        return self._paths()[0]

    @property
    def _impact(self) -> pd.DataFrame:
        return self._paths()[1]

    @property
    def _coefficients(self) -> pd.DataFrame:
        if self._build_coefficients is not None:
            if "coefficients" not in self._cache:
                self._cache["coefficients"] = self._build_coefficients()
            return self._cache["coefficients"]
        se = np.sqrt(np.diag(self._cov))
        return pd.DataFrame({"term": self._names, "estimate": self._beta, "std_error": se})

    def counterfactual(self) -> pd.DataFrame:
        """Per period of the evaluated series: observed, whether fitted (and why not), fitted
        mean, counterfactual mean (intervention terms removed) and the effect (fitted minus
        counterfactual, absolute and %), each with pointwise bounds at the result's level."""
        return self._counterfactual.copy()

    def impact(self) -> pd.DataFrame:
        """Mean effect per period, cumulative effect in events (negative: events prevented)
        and relative change (%) over the window after the first intervention."""
        return self._impact.copy()

    def placebo(self) -> pd.DataFrame:
        """Placebo-in-time table: each fake interruption's level change and t statistic, and
        the rank of every row (1 = largest |t|); the real interruption has ``real == True``."""
        if self._placebo is None:
            raise ValueError("no placebo study in this result; fit with placebo=True")
        return self._placebo.copy()

    def fourier_aic(self) -> pd.DataFrame | None:
        """AIC for each Fourier K tried, when K was chosen by AIC."""
        return None if self._fourier_aic is None else self._fourier_aic.copy()

    def coefficients(self) -> pd.DataFrame:
        """All coefficients of the mean model on the linear-predictor scale (covariates as
        ``covariate:<name>``) with standard errors, intervals, p-values, t statistics and df by
        the result's inference (with fixed-b HAC, each coefficient's own variance factor and
        df, as in :meth:`effects`)."""
        return self._coefficients.copy()

    def vcov(self) -> pd.DataFrame:
        """The coefficient covariance behind every interval (with fixed-b HAC, before each
        contrast's own variance factor, see ``settings["reference_distribution"]``)."""
        return pd.DataFrame(self._cov, index=self._names, columns=self._names)

    def summary(self) -> str:
        text = super().summary()
        imp = self._impact
        cols = ["term", "estimate", "conf_low", "conf_high", "p_value"]
        span = f"{imp['first_period'].iloc[0]}..{imp['last_period'].iloc[0]}"
        table = imp[cols].to_string(index=False, float_format="{:.4g}".format)
        return f"{text}\n\nImpact over {span} ({int(imp['periods'].iloc[0])} periods):\n{table}"

    def _extra_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "counterfactual": self._counterfactual,
            "impact": self._impact,
            "coefficients": self._coefficients,
        }
        if self._placebo is not None:
            out["placebo"] = self._placebo
        if self._fourier_aic is not None:
            out["fourier_aic"] = self._fourier_aic
        return out

    def plot(self, ax: Any = None) -> Any:
        """Observed points, fitted line, counterfactual with its band, interruptions marked."""
        if self._settings.get("units"):
            raise NotImplementedError(
                "no plot of a pooled ITS yet; plot counterfactual() one unit at a time"
            )
        return plotter("its")(self, ax=ax)


class ITSForecastResult(Result):
    """Result of :meth:`vrueval.ITS.forecast`: the pre-period model projected over the
    post-period (:mod:`vrueval.designs.its.forecast`).

    Views (all copies): :meth:`effects` (mean effect per period, cumulative effect in events
    and relative change in %, observed minus forecast, with prediction intervals),
    :meth:`counterfactual` (per post-period row: forecast with confidence and prediction
    intervals, and the gap), :meth:`coefficients` (the pre-period fit) and :meth:`fourier_aic`.
    """

    def __init__(
        self,
        *,
        effects: pd.DataFrame,
        counterfactual: pd.DataFrame,
        coefficients: pd.DataFrame,
        fourier_aic: pd.DataFrame | None,
        settings: Mapping[str, Any],
        level: float,
        provenance: Mapping[str, Any],
    ) -> None:
        self._counterfactual = counterfactual.copy()
        self._coefficients = coefficients.copy()
        self._fourier_aic = fourier_aic
        super().__init__(
            design="ITS forecast",
            effects=effects,
            settings=settings,
            level=level,
            provenance=provenance,
        )

    def counterfactual(self) -> pd.DataFrame:
        """Per post-period row: observed, forecast (``counterfactual``) with its confidence
        interval (parameter uncertainty) and prediction interval (and the outcome's own,
        possibly serially correlated, variation), and the gap ``effect`` with its interval."""
        return self._counterfactual.copy()

    def coefficients(self) -> pd.DataFrame:
        """The pre-period model's coefficients on the linear-predictor scale."""
        return self._coefficients.copy()

    def fourier_aic(self) -> pd.DataFrame | None:
        """AIC of each Fourier K tried on the pre-period, when K was chosen by AIC."""
        return None if self._fourier_aic is None else self._fourier_aic.copy()

    def _extra_dict(self) -> dict[str, Any]:
        return {"counterfactual": self._counterfactual, "coefficients": self._coefficients}
