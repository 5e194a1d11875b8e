"""The frozen result of a synthetic design: effects, the weights, and the treated and synthetic
paths."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vrueval.results import Result


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
        """``kind="path"``: treated and synthetic outcomes; ``"gap"``: their difference;
        ``"weights"``: the donor weights; ``"placebos"``: every placebo unit's gap in grey
        with the treated unit's on top (synthetic control with placebo inference)."""
        import matplotlib.pyplot as plt

        kinds = ("path", "gap", "weights", "placebos")
        if kind not in kinds:
            raise ValueError(f"kind must be one of {kinds}, got {kind!r}")
        if kind == "placebos" and self._placebos.empty:
            raise ValueError("this result has no placebos: fit with inference='placebo'")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        p = self._path
        x = p["period"].astype(str)
        if kind == "weights":
            w = self._unit_weights[self._unit_weights["weight"] > 0]
            ax.barh(w["unit"].astype(str), w["weight"])
            ax.invert_yaxis()
            ax.set_xlabel("weight")
            ax.set_title("Donor weights")
            return ax
        if kind == "placebos":
            cols = [c for c in self._placebos.columns if c.startswith("gap:")]
            for _, row in self._placebos.iterrows():
                ax.plot(
                    x,
                    row[cols].to_numpy(dtype=float),
                    color="grey",
                    lw=0.6,
                    alpha=0.8 if row["kept"] else 0.3,
                )
            ax.plot(x, p["gap"], color="black", lw=2, label="treated")
            ax.axhline(0, color="grey", lw=1)
            ax.legend(frameon=False)
        elif kind == "path":
            ax.plot(x, p["treated"], label="treated", color="black")
            ax.plot(x, p["synthetic"], label="synthetic", ls="--")
            ax.legend(frameon=False)
        else:
            ax.axhline(0, color="grey", lw=1)
            ax.plot(x, p["gap"], marker="o", ms=3)
        start = x[p["post"].to_numpy()].iloc[0]
        ax.axvline(start, color="grey", ls=":", lw=1)
        ax.set_ylabel(str(self.settings.get("outcome", "outcome")))
        ax.tick_params(axis="x", labelrotation=90)
        ax.set_title(self._design)
        return ax
