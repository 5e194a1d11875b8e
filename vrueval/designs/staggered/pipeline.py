"""What every staggered estimator shares: its input door and the road from cells to a result.

Each estimator (Callaway & Sant'Anna, Sun & Abraham, Borusyak, Jaravel & Spiess) reads its
data through :func:`load`, turns them into cohort x period cells with influence functions
(:class:`~vrueval.designs.staggered.estimate.GroupTime`), and hands the cells to :func:`finish`,
which aggregates them (one aggregation module for all), applies the few-clusters rule, computes
the inference and freezes the result. So ``att:e=<k>``, ``att:g=<g>``, ``att:simple`` ... mean
the same weighted average of cells whichever estimator made them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vrueval.data import design_input
from vrueval.data.panel import Panel
from vrueval.designs.fit_options import check_applies
from vrueval.designs.staggered.aggregate import AGGREGATIONS, aggregate, pretest
from vrueval.designs.staggered.data import StaggeredData, drop_early, from_panel
from vrueval.designs.staggered.estimate import GroupTime, check_anticipation
from vrueval.designs.staggered.options import SCALES, Inference
from vrueval.designs.staggered.results import StaggeredResult, effects_table, families
from vrueval.inference import few_clusters
from vrueval.inference.draws import check_draws
from vrueval.inference.few_clusters import ClusterCounts
from vrueval.inference.intervals import check_level
from vrueval.inference.multiplier_bootstrap import MULTIPLIER_WEIGHTS, MultiplierWeights
from vrueval.inference.seeds import check_seed
from vrueval.options import OptionsTable, choice, renamed


def load(
    data: Panel | pd.DataFrame,
    *,
    outcome: str,
    first_treated: Mapping[str, object] | str | None,
    unit: str | None,
    time: str | None,
    covariates: Sequence[str],
    population: str | None = None,
    cluster: str | None = None,
    geography: str | None = None,
    scale: str = "value",
    per: float = 100_000.0,
    anticipation: int = 0,
) -> tuple[StaggeredData, dict[str, Any], int]:
    """The validated staggered arrays of a Panel or a long DataFrame, their provenance, and
    the anticipation as a count of periods: the input every estimator's constructor takes.

    ``covariates``: names, or one name. ``scale="rate"``: the outcome per ``per`` population
    (the panel's, or the frame's ``population=`` column). ``cluster=``: a frame column of
    cluster labels, constant within units, for the standard errors (None: the units). The
    units first treated within ``anticipation`` periods of the start are dropped
    (:func:`~vrueval.designs.staggered.data.drop_early`).
    """
    if isinstance(covariates, str):
        covariates = (covariates,)
    choice(scale, SCALES, "scale")
    if isinstance(per, bool) or not isinstance(per, (int, float)) or not per > 0:
        raise ValueError(f"per must be a positive number, got {per!r}")
    rate = float(per) if scale == "rate" else None
    if isinstance(data, Panel):
        if unit is not None or time is not None:
            raise ValueError("unit and time are for a DataFrame; a Panel knows its own")
        if population is not None or cluster is not None or geography is not None:
            roles = (("population", population), ("cluster", cluster), ("geography", geography))
            named = ", ".join(f"{k}=" for k, v in roles if v)
            raise ValueError(
                f"{named}: options of a DataFrame; a Panel carries its own population and "
                "geography (give the design the DataFrame to cluster by a column)"
            )
        if isinstance(first_treated, str):
            raise ValueError(
                "for a Panel, first_treated is a mapping unit -> first treated period "
                "(or None for the VRU registry cohorts)"
            )
        provenance: dict[str, Any] = {
            "sources": [s.to_dict() for s in data.sources],
            "frequency": data.frequency,
        }
        staggered = from_panel(data, outcome, first_treated, covariates, per=rate)
    elif isinstance(data, pd.DataFrame):
        if unit is None or time is None or not isinstance(first_treated, str):
            raise ValueError("for a DataFrame give unit=, time= and first_treated= (column names)")
        if population is not None and rate is None:
            raise ValueError(
                f"population={population!r} is read only with scale='rate' (the outcome per "
                "`per` population); leave it out, or give scale='rate'"
            )
        if rate is not None and population is None:
            raise ValueError("scale='rate' needs population= (the population column)")
        panel, starts, given = design_input.staggered(
            data,
            unit=unit,
            time=time,
            outcome=outcome,
            first_treated=first_treated,
            covariates=covariates,
            population=population,
            cluster=cluster,
            geography=geography,
        )
        staggered = from_panel(
            panel,
            outcome,
            starts,
            covariates,
            per=rate,
            population=population,
            cluster=None if cluster in (None, unit) else cluster,
            order=list(given),
        )
        # the units named as the frame names them (mpdta's counties as numbers)
        staggered = replace(
            staggered,
            units=tuple(given[str(u)] for u in staggered.units),
            first_labels={given[str(u)]: g for u, g in staggered.first_labels.items()},
            beyond_window=tuple(given[str(u)] for u in staggered.beyond_window),
        )
        provenance = {"sources": [], "frequency": "frame"}
    else:
        raise TypeError(f"data must be a vrueval Panel or a DataFrame, not {type(data).__name__}")
    k = check_anticipation(anticipation, len(staggered.periods))
    return drop_early(staggered, k), provenance, k


def input_settings(
    outcome: str,
    *,
    scale: str,
    per: float,
    cluster: str | None,
    unit: str | None,
) -> dict[str, Any]:
    """The settings every staggered result records about its input: the outcome, and the
    rate and cluster column when not the defaults."""
    out: dict[str, Any] = {"outcome": outcome}
    if scale == "rate":
        out.update({"scale": "rate", "per": float(per)})
    if cluster is not None and cluster != unit:
        out["cluster"] = cluster
    return out


def refuse_fixed_covariates(estimator: str, data: StaggeredData) -> None:
    """Refuse covariates constant within every unit for a two-way fixed-effects estimator:
    its unit effects absorb them, so they cannot adjust anything there."""
    if not data.covariates:
        return
    fixed = [
        c for j, c in enumerate(data.covariates) if np.all(data.x[:, :, j] == data.x[:, :1, j])
    ]
    if fixed:
        raise ValueError(
            f"{estimator}: covariate(s) {fixed} are time-invariant (constant within every "
            "unit), so the unit effects absorb them; it takes time-varying covariates "
            "(ve.StaggeredDiD(covariates=...) conditions parallel trends on fixed ones)"
        )


def check_fit(
    table: OptionsTable,
    *,
    inference: object,
    draws: int,
    boot_weights: MultiplierWeights,
    weights: MultiplierWeights | None,
    seed: int | None,
    level: float,
) -> tuple[float, MultiplierWeights]:
    """Validate the shared fit options against the design's table (bootstrap options only
    with the bootstrap; ``weights``, the deprecated name of ``boot_weights``, mapped with a
    warning); the level and the multiplier distribution."""
    boot_weights = renamed(
        "weights", weights, "boot_weights", boot_weights, table.default("boot_weights")
    )
    choice(inference, table.methods(), "inference")
    check_applies(table.fit, str(inference), {"draws": draws, "boot_weights": boot_weights})
    level = check_level(level)
    check_seed(seed, needed=inference == "bootstrap")
    if inference == "bootstrap":
        choice(boot_weights, MULTIPLIER_WEIGHTS, "boot_weights")
        check_draws(draws, level, "draws")
    return level, boot_weights


def cluster_counts(
    gt: GroupTime, first: np.ndarray, comparison: str, cluster: np.ndarray | None = None
) -> ClusterCounts:
    """Clusters behind the post-treatment cells the aggregates average (units when
    ``cluster`` is None).

    ``G1``: the clusters holding units of the cohorts with a post-treatment cell. ``G0``: the
    fewest comparison units behind any of those cells (``n_control``: never treated, not yet
    treated, or the units untreated in that period, as the estimator counts them); with
    clusters, the clusters holding never-treated units, or all clusters when there are none
    (the not-yet-treated and last-cohort comparisons), capped by that fewest count.
    """
    post = (gt.time >= gt.group) & ~gt.reference
    if not post.any():
        post = ~gt.reference
    treated_units = np.isin(first, np.unique(gt.group[post]))
    fewest = int(gt.n_control[post].min()) if post.any() else 0
    if cluster is None:
        return ClusterCounts(len(first), int(treated_units.sum()), fewest, comparison)
    labels = cluster.astype(str)
    never = ~np.isfinite(first)
    pool = labels[never] if never.any() else labels[~treated_units]
    untreated = min(len(np.unique(pool)), fewest)
    return ClusterCounts(
        len(np.unique(labels)), len(np.unique(labels[treated_units])), untreated, comparison
    )


def finish(
    data: StaggeredData,
    gt: GroupTime,
    *,
    design: str,
    comparison: str,
    settings: Mapping[str, Any],
    provenance: Mapping[str, Any],
    inference: str,
    draws: int,
    boot_weights: MultiplierWeights,
    seed: int | None,
    level: float,
    df: float | None = None,
) -> StaggeredResult:
    """Aggregate the cells, check the clusters, compute inference and freeze the result.

    ``df``: degrees of freedom of the t reference of analytic intervals (``G - 1`` for the
    CR1 regression errors); the normal when None.
    """
    # the influence-function standard errors (analytic or multiplier bootstrap) are clustered
    # by unit, or by the cluster column: the same minimum-cluster rule as the other
    # comparator designs
    cluster_warnings = few_clusters.check(
        "influence", cluster_counts(gt, data.first, comparison, data.cluster), level=level
    )
    aggs = {k: aggregate(gt, data.first, k) for k in AGGREGATIONS}  # type: ignore[arg-type]
    fams = families(gt, aggs, data.labels, str(settings["overall"]))
    table, crits, resampling = effects_table(
        fams,
        level=level,
        inference=inference,
        draws=draws,
        weights=boot_weights,
        seed=seed,
        df=df if inference == "analytic" else None,
        cluster=data.cluster,
        variance_factor=gt.variance_factor,
    )
    warnings = [*data.messages, *gt.notes, *cluster_warnings, *resampling]
    cohorts, sizes = np.unique(data.first[np.isfinite(data.first)], return_counts=True)
    single = [data.labels[int(g)] for g, size in zip(cohorts, sizes, strict=True) if size == 1]
    if single:
        warnings.append(
            f"cohort(s) first treated in {', '.join(single)} have one unit each: their "
            "group-time effects' standard errors rest on the comparison units alone and are "
            "too small (see vrueval.inference.few_clusters)"
        )
    if data.beyond_window:
        warnings.append(
            "units first treated after the data end are not yet treated throughout, so they "
            "act as comparison units; their effects cannot be estimated, and any "
            "anticipation of their funding would bias the comparison"
        )
    diagnostics: dict[str, Any] = {
        "units": data.n,
        **({} if data.cluster is None else {"clusters": len(np.unique(data.cluster.astype(str)))}),
        "periods": len(data.periods),
        "cohorts": ", ".join(data.labels[g] for g in np.unique(gt.group)),
        "treated_units": int(np.isfinite(data.first).sum()),
        "never_treated_units": int((~np.isfinite(data.first)).sum()) - len(data.beyond_window),
        "treated_after_window_units": len(data.beyond_window),
    }
    if gt.covariate_slopes:
        diagnostics["covariate_slopes"] = dict(
            zip(data.covariates, gt.covariate_slopes, strict=True)
        )
    test = pretest(gt)
    if test is not None:
        diagnostics["pretest_wald"] = test[0]
        diagnostics["pretest_df"] = test[1]
        diagnostics["pretest_p_value"] = test[2]
        diagnostics["pretest_p_value_chi2"] = test[3]
    full = {**settings, "inference": inference}
    if inference == "bootstrap":
        cluster = settings.get("cluster", "unit")
        full.update({"draws": int(draws), "boot_weights": boot_weights, "cluster": cluster})
    return StaggeredResult(
        group_time=gt,
        first=data.first,
        periods=data.periods,
        labels=data.labels,
        units=data.units,
        cluster=data.cluster,
        critical_values=crits,
        design=design,
        effects=table,
        settings=full,
        level=level,
        seed=seed if inference == "bootstrap" else None,
        provenance=provenance,
        diagnostics=diagnostics,
        warnings=tuple(warnings),
    )


class StaggeredDesign:
    """What the staggered estimators share once their constructor has validated the data:
    read-only ``data`` and ``settings``, and one ``fit()`` taking each estimator's cohort x
    period cells (:meth:`_cells`) through :func:`finish`."""

    OPTIONS: ClassVar[OptionsTable]
    #: The design's name on its results.
    _design: ClassVar[str]
    _data: StaggeredData
    _settings: dict[str, Any]
    _provenance: dict[str, Any]

    @property
    def data(self) -> StaggeredData:
        """The validated balanced arrays the estimator uses."""
        return self._data

    @property
    def settings(self) -> Mapping[str, Any]:
        return dict(self._settings)

    def _cells(self) -> tuple[GroupTime, float | None]:
        """The cohort x period cells with their influence functions, and the degrees of
        freedom of the analytic intervals' t reference (None: the normal)."""
        raise NotImplementedError

    def _comparison(self) -> str:
        """What the comparison units are called in the few-clusters messages."""
        raise NotImplementedError

    def fit(
        self,
        *,
        inference: Inference = "analytic",
        draws: int = 999,
        boot_weights: MultiplierWeights = "mammen",
        seed: int | None = None,
        level: float = 0.95,
        weights: MultiplierWeights | None = None,
    ) -> StaggeredResult:
        """Estimate the cohort x period effects and their aggregations.

        Parameters
        ----------
        inference : {"analytic", "bootstrap"}
            The estimator's own standard errors (Callaway & Sant'Anna: influence functions
            with normal intervals; Sun & Abraham: CR1 by unit with t(G - 1); imputation: the
            conservative variance with normal intervals), or the multiplier bootstrap of the
            same unit scores (clustered by unit), which also gives simultaneous bands for each
            family of terms.
        draws : int
            Bootstrap draws ("bootstrap" only: set for "analytic", an error).
        boot_weights : {"mammen", "rademacher"}
            Multiplier distribution ("bootstrap" only): the name :meth:`vrueval.DiD.fit` uses
            for its wild bootstrap's weights.
        seed : int
            Required for the bootstrap; recorded on the result.
        level : float
            Confidence level of intervals and bands.
        weights : {"mammen", "rademacher"}, optional
            Deprecated name of ``boot_weights`` (``weights`` means population weights in
            :class:`vrueval.DiD`); it warns and goes in the next release.

        Raises
        ------
        TooFewClusters
            With a single treated unit, or a single comparison unit behind some
            post-treatment cell: :func:`vrueval.inference.few_clusters.check`, rule
            "influence" (:func:`cluster_counts`). Fewer than ten units in either group, or a
            cohort of one, add a warning.
        """
        level, boot_weights = check_fit(
            self.OPTIONS,
            inference=inference,
            draws=draws,
            boot_weights=boot_weights,
            weights=weights,
            seed=seed,
            level=level,
        )
        cells, df = self._cells()
        return finish(
            self._data,
            cells,
            design=self._design,
            comparison=self._comparison(),
            settings=self._settings,
            provenance=self._provenance,
            inference=inference,
            draws=draws,
            boot_weights=boot_weights,
            seed=seed,
            level=level,
            df=df,
        )
