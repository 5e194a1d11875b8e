"""The frozen result of a DiD or event-study fit, with its raw-trend and event-study views."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from vrueval.options import choice
from vrueval.results import Result, frozen, plotter


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
        comparators: pd.DataFrame | Callable[[], pd.DataFrame],
        pretrend_test: Mapping[str, Any] | None = None,
        event_vcov: pd.DataFrame | None = None,
        **kwargs: Any,
    ) -> None:
        self._event_vcov = None if event_vcov is None else event_vcov.copy()
        self._trends_table = _Table(trends)
        self._comparators_table = _Table(comparators)
        self._pretrend = frozen(pretrend_test) if pretrend_test else None
        super().__init__(**kwargs)

    def trends(self) -> pd.DataFrame:
        """Mean outcome by period for the treated and the comparator units (as modelled)."""
        return self._trends.copy()

    @property
    def _trends(self) -> pd.DataFrame:
        return self._trends_table.get()

    @property
    def _comparators(self) -> pd.DataFrame:
        return self._comparators_table.get()

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

        ``kind`` is "auto", "event_study" or "trends". The figures are drawn by
        :mod:`vrueval.reporting.did_plot` (through the plotting hook).
        """
        choice(kind, ("auto", "event_study", "trends"), "kind")
        es = self.event_study()
        if kind == "trends" or (kind == "auto" and es.empty):
            return self.plot_trends(ax)
        if es.empty:
            raise ValueError("this result has no event-time terms; use kind='trends'")
        return plotter("did_event_study")(self, ax=ax)

    def plot_trends(self, ax: Any = None) -> Any:
        """Treated and comparator mean outcomes by period, with the treatment start marked."""
        return plotter("did_trends")(self, ax=ax)


class _Table:
    """A table given, or built by a callable on first read (most fits never read their raw
    trends or comparator table; building them was a sixth of a small DiD fit)."""

    __slots__ = ("_build", "_frame")

    def __init__(self, table: pd.DataFrame | Callable[[], pd.DataFrame]) -> None:
        self._frame: pd.DataFrame | None = None
        self._build: Callable[[], pd.DataFrame] | None = None
        if isinstance(table, pd.DataFrame):
            self._frame = table.copy()
        else:
            self._build = table

    def get(self) -> pd.DataFrame:
        if self._frame is None:
            assert self._build is not None
            self._frame, self._build = self._build(), None
        return self._frame
