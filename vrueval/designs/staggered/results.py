"""The frozen result of a staggered-adoption fit, and the effects table behind it.

The result keeps the group-time influence functions, so every aggregation and the multiplier
bootstrap can be recomputed from it (:meth:`StaggeredResult.rebootstrap` returns a new result;
nothing is changed in place).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vrueval.designs.staggered.aggregate import (
    AGGREGATIONS,
    Aggregate,
    Aggregation,
    aggregate,
    analytic_se,
)
from vrueval.designs.staggered.estimate import GroupTime
from vrueval.inference.draws import MONTE_CARLO
from vrueval.inference.intervals import check_level, wald_table
from vrueval.inference.multiplier_bootstrap import (
    MultiplierWeights,
    bootstrap_family,
    deviations,
)
from vrueval.options import renamed
from vrueval.results import Result, frozen, plotter


@dataclass(frozen=True)
class Family:
    """Terms that share a simultaneous band, with their estimates and influence functions."""

    name: str
    terms: list[str]
    estimate: np.ndarray
    inf: np.ndarray
    keys: list[Any]


def families(
    gt: GroupTime, aggs: Mapping[str, Aggregate], label: Sequence[str], overall: str
) -> list[Family]:
    """All reported terms, grouped into the families whose bands are computed together.

    ``label``: each period as the terms name it (:attr:`StaggeredData.labels
    <vrueval.designs.staggered.data.StaggeredData.labels>`, so ``att:g=2019/20`` on financial
    years).
    """
    out = [
        Family(
            "overall",
            ["att", *(f"att:{k}" for k in AGGREGATIONS)],
            np.array([aggs[overall].overall, *(aggs[k].overall for k in AGGREGATIONS)]),
            np.column_stack(
                [aggs[overall].overall_inf, *(aggs[k].overall_inf for k in AGGREGATIONS)]
            ),
            [overall, *AGGREGATIONS],
        )
    ]
    dyn, grp, cal = aggs["dynamic"], aggs["group"], aggs["calendar"]
    out.append(
        Family("dynamic", [f"att:e={int(e)}" for e in dyn.keys], dyn.att, dyn.inf, list(dyn.keys))
    )
    out.append(
        Family("group", [f"att:g={label[g]}" for g in grp.keys], grp.att, grp.inf, list(grp.keys))
    )
    out.append(
        Family(
            "calendar", [f"att:t={label[t]}" for t in cal.keys], cal.att, cal.inf, list(cal.keys)
        )
    )
    out.append(
        Family(
            "group_time",
            [f"att:g={label[g]},t={label[t]}" for g, t in zip(gt.group, gt.time, strict=True)],
            gt.att,
            gt.inf,
            list(zip(gt.group, gt.time, strict=True)),
        )
    )
    return out


def effects_table(
    fams: list[Family],
    *,
    level: float,
    inference: str,
    draws: int = 0,
    weights: MultiplierWeights = "mammen",
    seed: int | None = None,
    df: float | None = None,
    cluster: np.ndarray | None = None,
    variance_factor: float = 1.0,
) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """Effects for every family: pointwise intervals, and simultaneous bands when bootstrapped.

    Returns the table, the simultaneous critical value of each family (bootstrap only) and the
    bootstrap's Monte Carlo warnings. One
    set of multipliers serves every family, so all terms see the same bootstrap world. ``df``:
    the t reference of analytic intervals (the normal when None). ``cluster``: each unit's
    cluster label; the influence functions are then summed within clusters (the clustered
    variance, and one multiplier per cluster in the bootstrap). ``variance_factor``
    multiplies every variance (:attr:`GroupTime.variance_factor`).
    """
    level = check_level(level)
    sizes = np.cumsum([0, *(len(f.terms) for f in fams)])
    n = fams[0].inf.shape[0]
    # column-major: each term's influence function contiguous (large panels: 35,000 units)
    inf = np.empty((n, int(sizes[-1])), order="F")
    for f, lo, hi in zip(fams, sizes[:-1], sizes[1:], strict=True):
        inf[:, lo:hi] = f.inf.reshape(n, -1)
    se = np.full(inf.shape[1], np.nan)
    crit = np.full(inf.shape[1], np.nan)
    crits: dict[str, float] = {}
    warnings: list[str] = []
    scores = cluster_sums(inf, cluster)
    if variance_factor != 1.0:
        scores = scores * np.sqrt(variance_factor)
    share = len(scores) / n  # clusters per unit: 1 without clusters
    if inference == "bootstrap":
        # deviations divide by sqrt(G); bootstrap_family reads sqrt(n) (theta* - theta)
        boot = deviations(scores, draws, weights, np.random.default_rng(seed)) * np.sqrt(share)
        for f, lo, hi in zip(fams, sizes[:-1], sizes[1:], strict=True):
            fam = bootstrap_family(
                boot[:, lo:hi], n, level=level, estimate=f.estimate, terms=f.terms
            )
            warnings += fam.warnings
            se[lo:hi] = fam.std_error
            if f.name != "overall":
                crit[lo:hi] = crits[f.name] = fam.crit
    else:
        analytic = analytic_se(scores) * share  # sqrt(sum_c S_c^2) / n
        se = np.where(analytic > 0, analytic, np.nan)
    estimate = np.concatenate([f.estimate for f in fams])
    table = wald_table([t for f in fams for t in f.terms], estimate, se, level=level, df=df)
    table["family"] = np.repeat([f.name for f in fams], np.diff(sizes))
    table["band_low"] = estimate - crit * se
    table["band_high"] = estimate + crit * se
    return table, crits, warnings


def cluster_sums(inf: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """The unit influence functions summed within clusters (G x K; ``inf`` itself without
    clusters): the clustered variance is ``sum_c (sum_{i in c} psi_i)^2 / n^2``."""
    if cluster is None:
        return inf
    _, index = np.unique(cluster.astype(str), return_inverse=True)
    sums = np.zeros((int(index.max()) + 1, inf.shape[1]))
    np.add.at(sums, index, inf)
    return sums


class StaggeredResult(Result):
    """Result of :class:`vrueval.StaggeredDiD`: ATT(g,t), its aggregations and their bands.

    ``effects()`` rows: ``att`` (the overall summary chosen by ``overall``), ``att:simple``,
    ``att:group``, ``att:dynamic``, ``att:calendar``, ``att:e=<k>`` (event time), ``att:g=<g>``
    (cohort), ``att:t=<t>`` (calendar period) and ``att:g=<g>,t=<t>`` (group-time). Columns
    ``conf_low``/``conf_high`` are pointwise; ``band_low``/``band_high`` are simultaneous over
    the term's ``family`` (bootstrap only). Periods in term names are written as
    :func:`vrueval.data.periods.display` writes them (``att:g=2019/20`` on financial years).
    """

    def __init__(
        self,
        *,
        group_time: GroupTime,
        first: np.ndarray,
        periods: Sequence[object],
        labels: Sequence[str],
        units: Sequence[object],
        critical_values: Mapping[str, float],
        cluster: np.ndarray | None = None,
        **kwargs: Any,
    ) -> None:
        self._gt = group_time
        self._first = first.copy()
        self._cluster = None if cluster is None else cluster.copy()
        self._periods = tuple(periods)
        self._labels = tuple(labels)
        self._units = tuple(units)
        self._crit = frozen(critical_values)
        super().__init__(**kwargs)

    # -- views ---------------------------------------------------------------------------------
    def group_time(self) -> pd.DataFrame:
        """One row per ATT(g,t): cohort, period, base period, event time, units behind it."""
        gt = self._gt
        eff = self._effects.set_index("term")
        terms = self._cell_terms()
        rows = eff.loc[terms].reset_index()
        rows.insert(1, "group", [self._periods[g] for g in gt.group])
        rows.insert(2, "time", [self._periods[t] for t in gt.time])
        rows.insert(3, "base", [self._periods[b] for b in gt.base])
        rows.insert(4, "event_time", gt.time - gt.group)
        rows["n_treated"], rows["n_control"] = gt.n_treated, gt.n_control
        rows["post"] = gt.time >= gt.group
        return rows

    def event_study(self) -> pd.DataFrame:
        """Dynamic (event-time) effects with pointwise intervals and simultaneous bands."""
        eff = self._effects
        out = eff[eff["family"] == "dynamic"].copy()
        out.insert(1, "event_time", [int(t.split("=")[1]) for t in out["term"]])
        return out.reset_index(drop=True)

    def influence(self) -> pd.DataFrame:
        """The n x K influence functions of the ATT(g,t) (rows: units), a copy."""
        cols = self._cell_terms()
        return pd.DataFrame(self._gt.inf.copy(), index=list(self._units), columns=cols)

    def _cell_terms(self) -> list[str]:
        lab = self._labels
        return [
            f"att:g={lab[g]},t={lab[t]}" for g, t in zip(self._gt.group, self._gt.time, strict=True)
        ]

    def aggregate(self, kind: Aggregation) -> Aggregate:
        """Recompute one aggregation (estimates and influence functions) from the ATT(g,t)."""
        return aggregate(self._gt, self._first, kind)

    @property
    def critical_values(self) -> Mapping[str, float]:
        """Simultaneous-band critical value of each family (bootstrap fits only)."""
        return self._crit

    def rebootstrap(
        self,
        *,
        draws: int = 999,
        boot_weights: MultiplierWeights = "mammen",
        seed: int,
        level: float | None = None,
        weights: MultiplierWeights | None = None,
    ) -> StaggeredResult:
        """A new result with multiplier-bootstrap inference from the stored influence functions.

        ``boot_weights`` is the multiplier distribution, as in :meth:`StaggeredDiD.fit`
        (``weights``: its deprecated name).
        """
        boot_weights = renamed("weights", weights, "boot_weights", boot_weights, "mammen")
        level = self.level if level is None else level
        aggs = {k: aggregate(self._gt, self._first, k) for k in AGGREGATIONS}  # type: ignore[arg-type]
        fams = families(self._gt, aggs, self._labels, str(self.settings["overall"]))
        table, crits, resampling = effects_table(
            fams,
            level=level,
            inference="bootstrap",
            draws=draws,
            weights=boot_weights,
            seed=seed,
            cluster=self._cluster,
            variance_factor=self._gt.variance_factor,
        )
        kept = [w for w in self.warnings if MONTE_CARLO not in w]  # the old draws' own
        settings = {
            **self.settings,
            "inference": "bootstrap",
            "draws": draws,
            "boot_weights": boot_weights,
            "cluster": self.settings.get("cluster", "unit"),
        }
        return StaggeredResult(
            group_time=self._gt,
            first=self._first,
            periods=self._periods,
            labels=self._labels,
            units=self._units,
            cluster=self._cluster,
            critical_values=crits,
            design=self.design,
            effects=table,
            settings=settings,
            level=level,
            seed=seed,
            provenance=self.provenance,
            diagnostics=self.diagnostics,
            warnings=(*kept, *resampling),
        )

    def sensitivity(self, restriction: str, **options: Any) -> Any:
        """Rambachan & Roth sensitivity to parallel trends of the event-time effects (fit with
        ``base_period="universal"``), ``restriction`` "relative_magnitude" or "smoothness":
        :func:`vrueval.sensitivity.honest_did` on this result."""
        from vrueval.sensitivity import honest_did

        return honest_did(self, restriction=restriction, **options)  # type: ignore[arg-type]

    def _extra_dict(self) -> dict[str, Any]:
        return {"group_time": self.group_time(), "critical_values": self._crit}

    def plot(self, ax: Any = None) -> Any:
        """Event-study plot: estimates, pointwise intervals and (if bootstrapped) the band,
        drawn by :mod:`vrueval.reporting.did_plot` (through the plotting hook)."""
        return plotter("staggered_event_study")(self, ax=ax)
