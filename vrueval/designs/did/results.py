"""The frozen result of a DiD or event-study fit, with its raw-trend and event-study views."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from vrueval.options import choice
from vrueval.results import Result, frozen


class DiDResult(Result):
    """Result of :class:`~vrueval.designs.did.DiD` or :class:`~vrueval.designs.did.EventStudy`.

    Beyond the base contract: :meth:`trends` (treated and comparator means by period),
    :meth:`event_study` (the ``att:e=<k>`` rows with event time), :meth:`comparators` (every unit's
    role and why any was dropped), :attr:`pretrend_test`, :meth:`event_vcov` (the event-time
    coefficients' covariance, for :meth:`sensitivity`) and :meth:`plot`.
    """

    def __init__(
        self,
        *,
        trends: pd.DataFrame | Callable[[], pd.DataFrame],
        comparators: pd.DataFrame,
        pretrend_test: Mapping[str, Any] | None = None,
        event_vcov: pd.DataFrame | None = None,
        **kwargs: Any,
    ) -> None:
        self._event_vcov = None if event_vcov is None else event_vcov.copy()
        # a callable builds the raw-trend table on first access (most fits never read it)
        self._trends_frame = [trends.copy()] if isinstance(trends, pd.DataFrame) else []
        self._trends_source = None if isinstance(trends, pd.DataFrame) else trends
        self._comparators = comparators.copy()
        self._pretrend = frozen(pretrend_test) if pretrend_test else None
        super().__init__(**kwargs)

    def trends(self) -> pd.DataFrame:
        """Mean outcome by period for the treated and the comparator units (as modelled)."""
        return self._trends.copy()

    @property
    def _trends(self) -> pd.DataFrame:
        if not self._trends_frame:
            assert self._trends_source is not None
            self._trends_frame.append(self._trends_source())
        return self._trends_frame[0]

    def comparators(self) -> pd.DataFrame:
        """Each unit's role (treated, comparator, dropped) and the reason for any drop."""
        return self._comparators.copy()

    def event_study(self) -> pd.DataFrame:
        """The event-time rows (``att:e=<k>``) with an integer ``event_time`` column."""
        eff = self._effects
        rows = eff[eff["term"].str.startswith("att:e=")].copy()
        rows.insert(1, "event_time", rows["term"].str.slice(6).astype(int))
        return rows.reset_index(drop=True)

    @property
    def pretrend_test(self) -> Mapping[str, Any] | None:
        """Joint Wald test that every lead is zero: statistic (F), df1, df2, p_value, terms."""
        return self._pretrend

    def event_vcov(self) -> pd.DataFrame | None:
        """Covariance of the ``att:e=<k>`` coefficients (rows and columns named by term), as
        the fit estimated it (CR1 for wild-bootstrap fits); None for a DiD without event time."""
        return None if self._event_vcov is None else self._event_vcov.copy()

    def sensitivity(self, restriction: str, **options: Any) -> Any:
        """Rambachan & Roth sensitivity to parallel trends, ``restriction`` "relative_magnitude"
        or "smoothness": :func:`vrueval.sensitivity.honest_did` on this result (options as
        there)."""
        from vrueval.sensitivity import honest_did

        return honest_did(self, restriction=restriction, **options)  # type: ignore[arg-type]

    def _extra_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "trends": self._trends,
            "comparators": self._comparators,
            "pretrend_test": self._pretrend,
        }
        if self._event_vcov is not None:
            extra["event_vcov"] = {
                "terms": list(self._event_vcov.columns),
                "matrix": self._event_vcov.to_numpy(),
            }
        return extra

    def plot(self, ax: Any = None, kind: str = "auto") -> Any:
        """The event-study plot when there are event-time terms, else raw trends.

        ``kind`` is "auto", "event_study" or "trends".
        """
        choice(kind, ("auto", "event_study", "trends"), "kind")
        es = self.event_study()
        if kind == "trends" or (kind == "auto" and es.empty):
            return self.plot_trends(ax)
        if es.empty:
            raise ValueError("this result has no event-time terms; use kind='trends'")
        return _plot_event_study(es, self.settings.get("reference", -1), self._level, ax)

    def plot_trends(self, ax: Any = None) -> Any:
        """Treated and comparator mean outcomes by period, with the treatment start marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        t = self._trends
        for group, g in t.groupby("group", sort=False):
            ax.plot(g["period"].astype(str), g["mean"], marker="o", ms=3, label=str(group))
        start = self.settings.get("start")
        if isinstance(start, str) and start in set(t["period"].astype(str)):
            ax.axvline(start, color="grey", ls="--", lw=1)
        ax.set_ylabel(str(self.settings.get("outcome", "outcome")))
        ax.tick_params(axis="x", labelrotation=90)
        labels = pd.unique(t["period"].astype(str))
        every = max(1, len(labels) // 20)  # at most ~20 labels stay readable
        ax.set_xticks(range(0, len(labels), every), labels[::every])
        ax.legend(frameon=False)
        ax.set_title("Treated and comparator units: mean outcome")
        return ax


def _plot_event_study(es: pd.DataFrame, reference: int, level: float, ax: Any) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    ratio = "scale" in es and bool((es["scale"] == "ratio").all())
    base = 1.0 if ratio else 0.0
    e = np.append(es["event_time"].to_numpy(), reference)
    est = np.append(es["estimate"].to_numpy(), base)
    lo = np.append(es["conf_low"].to_numpy(), base)
    hi = np.append(es["conf_high"].to_numpy(), base)
    order = np.argsort(e)
    e, est, lo, hi = e[order], est[order], lo[order], hi[order]
    ax.axhline(base, color="grey", lw=1)
    ax.axvline(-0.5, color="grey", ls="--", lw=1)
    ax.errorbar(e, est, yerr=[est - lo, hi - est], fmt="o", capsize=3)
    ax.set_xlabel("event time (periods since treatment start)")
    ax.set_ylabel("effect (ratio)" if ratio else "effect")
    ax.set_title(f"Event study, {int(round(level * 100))}% intervals (reference e={reference})")
    return ax
