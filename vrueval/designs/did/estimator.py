"""Difference-in-differences against comparator areas: 2x2, TWFE, Poisson PML, event study.

Estimand: the average effect of treatment on the treated units (``att``), under parallel trends
(the treated units' outcomes would have moved as the comparators' did) and no anticipation; with
an ``intensity``, the effect of one unit of treatment intensity under a linear dose-response.

>>> import vrueval as ve
>>> css = ve.datasets.crime_severity()
>>> did = ve.DiD(css, "css_robbery", start="2019/20")
>>> res = did.fit(inference="wild", seed=1)

References
----------
Angrist, J. D. and Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 5.
Santos Silva, J. M. C. and Tenreyro, S. (2006). The log of gravity. *Review of Economics and
Statistics* 88(4), 641-658 (Poisson pseudo-maximum likelihood).
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing. *Journal
of Econometrics* 225(2), 254-277.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, ClassVar, Required, TypedDict, Unpack, cast

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data import design_input
from vrueval.data.panel import Frequency, Geography, Measure, Panel
from vrueval.data.periods import display
from vrueval.data.rates import check_population
from vrueval.designs.did import comparators as comp
from vrueval.designs.did import inference as inf
from vrueval.designs.did.data import (
    CLUSTER_DIMENSIONS,
    MISSINGS,
    DiDData,
    Missing,
    check_panel,
    collapse_two_periods,
    keep_rows,
    prepare,
)
from vrueval.designs.did.doubly_robust import (
    OVERLAP_WARNING,
    clustered_std_error,
    doubly_robust,
)
from vrueval.designs.did.model import (
    OLSFit,
    TwoWayFE,
    ols_absorbed,
    poisson_absorbed,
    poisson_separated_rows,
)
from vrueval.designs.did.options import (  # the vocabulary, also read from here
    DID,
    ESTIMATORS,
    SCALES,
    WEIGHTINGS,
    Estimator,
    Scale,
    Weighting,
)
from vrueval.designs.did.regressors import (
    ANTICIPATION_TERM,
    TRENDS_WARNING,
    Clustering,
    anticipation_column,
    clustering,
    covariate_matrix,
    covariate_terms,
)
from vrueval.designs.did.regressors import unit_trends as trend_columns
from vrueval.designs.did.results import DiDResult
from vrueval.designs.fit_options import check_applies
from vrueval.inference import cluster, few_clusters
from vrueval.inference.draws import check_draws
from vrueval.inference.intervals import check_level, wald_table
from vrueval.inference.randomization import STATISTICS, Statistic
from vrueval.inference.seeds import check_seed
from vrueval.inference.small_sample import (
    DEFAULT_SMALL_SAMPLE,
    SmallSample,
    check_small_sample,
)
from vrueval.inference.wild_bootstrap import BOOT_WEIGHTS, BootWeights
from vrueval.options import OptionsTable, choice

STAGGER_WARNING = (
    "treatment starts at different times: the TWFE estimate is a weighted average of 2x2 "
    "comparisons, some using already-treated units as controls (weights can be negative). See "
    "vrueval.designs.bacon_decomposition, or use the Callaway-Sant'Anna design."
)


class ComparatorOptions(TypedDict, total=False):
    """The constructor options :class:`DiD` and :class:`EventStudy` share (see :class:`DiD`)."""

    start: Required[object | Mapping[str, object]]
    treated: Sequence[str] | None
    comparators: comp.ComparatorRule | Sequence[str]
    exclude: Sequence[str]
    n_similar: int
    scale: Scale
    weights: Weighting
    window: tuple[object, object]
    per: float
    missing: Missing
    covariates: str | Sequence[str]
    cluster: str | Sequence[str]
    anticipation: int
    unit_trends: bool


class DataOptions(ComparatorOptions, total=False):
    """:class:`ComparatorOptions` and the columns of a DataFrame given instead of a Panel
    (:mod:`vrueval.data.design_input`; ``covariates`` and ``cluster`` name columns there)."""

    unit: str
    time: str
    first_treated: str
    population: str
    geography: Geography | str
    frequency: Frequency
    measure: Measure


class _ComparatorDesign:
    """Validation and data preparation shared by :class:`DiD` and :class:`EventStudy`.

    Subclasses take their own options and pass the shared ones (:class:`ComparatorOptions`,
    whose defaults are here) on unchanged. The constructor validates them and prepares the
    data; the options are read-only properties afterwards.
    """

    _intensity: dict[str, float] | None = None  # DiD sets it before preparing the data
    #: the cluster= columns a DataFrame named (recorded in settings instead of the dimensions)
    _cluster_given: str | tuple[str, ...] | None = None

    def __init__(
        self,
        panel: Panel,
        outcome: str,
        *,
        start: object | Mapping[str, object] = None,
        treated: Sequence[str] | None = None,
        comparators: comp.ComparatorRule | Sequence[str] = "never_funded",
        exclude: Sequence[str] = (),
        n_similar: int = 12,
        scale: Scale = "value",
        weights: Weighting = "none",
        window: tuple[object, object] = (None, None),
        per: float = 100_000.0,
        missing: Missing = "drop_units",
        covariates: str | Sequence[str] = (),
        cluster: str | Sequence[str] = "unit",
        anticipation: int = 0,
        unit_trends: bool = False,
    ) -> None:
        if start is None:  # required (ComparatorOptions); checked here to name the subclass
            raise TypeError(
                f"{type(self).__name__}() missing 1 required keyword-only argument: 'start'"
            )
        check_panel(panel, outcome)
        choice(scale, SCALES, "scale")
        choice(weights, WEIGHTINGS, "weights")
        choice(missing, MISSINGS, "missing")
        if isinstance(comparators, str):
            choice(comparators, comp.COMPARATOR_RULES, "comparators")
        if treated is None:
            if panel.geography != "force":
                raise ValueError(
                    f"treated= is required for a {panel.geography!r} panel (the default, the "
                    "2019 VRU forces, applies to force-level panels only)"
                )
            treated = areas.vru_2019()
        self._panel = panel
        self._outcome = outcome
        self._treated = comp.resolve_units(treated, panel.geography)
        if isinstance(start, Mapping):
            self._start: pd.Period | dict[str, pd.Period] = {
                comp.resolve_units([u], panel.geography)[0]: panel.period(s)
                for u, s in start.items()
            }
            self._treated = tuple(self._start)
        else:
            self._start = panel.period(start)
        self._comparators = (
            comparators
            if isinstance(comparators, str)
            else comp.resolve_units(comparators, panel.geography)
        )
        self._exclude = comp.resolve_units(exclude, panel.geography)
        if int(n_similar) != DID.default("n_similar") and comparators != "most_similar":
            raise ValueError(
                f"n_similar={n_similar!r} applies to comparators='most_similar' only "
                f"(got comparators={comparators!r}), where it would be ignored"
            )
        self._n_similar = int(n_similar)
        self._scale = scale
        self._weights = weights
        self._window = tuple(window)
        self._per = float(per)
        self._missing = missing
        if len(self._window) != 2:
            raise ValueError("window must be (start, end); either may be None")
        self._covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
        if len(set(self._covariates)) != len(self._covariates):
            raise ValueError(f"covariates named twice: {list(self._covariates)}")
        self._cluster = _cluster_dims(cluster, panel)
        if isinstance(anticipation, bool) or not isinstance(anticipation, int) or anticipation < 0:
            raise ValueError(f"anticipation must be a non-negative integer, got {anticipation!r}")
        self._anticipation = anticipation
        if not isinstance(unit_trends, bool):
            raise ValueError(f"unit_trends must be True or False, got {unit_trends!r}")
        self._unit_trends = unit_trends
        # the data are prepared (and any problem with them raised) here, once: fit() only fits
        self._data = prepare(
            self._panel,
            self._outcome,
            treated=self._treated,
            start=self._start,
            comparators=self._comparators,
            exclude=self._exclude,
            n_similar=self._n_similar,
            scale=self._data_scale(),
            per=self._per,
            window=self._window,
            intensity=self._intensity,
            weights=self._weights,
            missing=self._missing,
            covariates=self._covariates,
            cluster=self._cluster,
            anticipation=self._anticipation,
        )
        if anticipation and not (self._data.frame["anticipating"]).any():
            raise ValueError(
                f"anticipation={anticipation}: no treated unit has a period before its start "
                "in the window to count as anticipation"
            )
        frame = self._data.frame
        if anticipation and not (frame["treated"] & (frame["event"] < -anticipation)).any():
            raise ValueError(
                f"anticipation={anticipation} leaves the treated units no baseline period "
                "before it in the window"
            )

    # The options, read-only: a design is validated once, in the constructor, so none can be
    # changed afterwards (set them by building a new design).
    @property
    def panel(self) -> Panel:
        return self._panel

    @property
    def outcome(self) -> str:
        return self._outcome

    @property
    def treated(self) -> tuple[str, ...]:
        return tuple(self._treated)

    @property
    def start(self) -> pd.Period | Mapping[str, pd.Period]:
        return self._start if not isinstance(self._start, dict) else dict(self._start)

    @property
    def comparators(self) -> str | tuple[str, ...]:
        return self._comparators if isinstance(self._comparators, str) else tuple(self._comparators)

    @property
    def exclude(self) -> tuple[str, ...]:
        return tuple(self._exclude)

    @property
    def n_similar(self) -> int:
        return self._n_similar

    @property
    def scale(self) -> str:
        return self._scale

    @property
    def weights(self) -> str:
        return self._weights

    @property
    def window(self) -> tuple[object, object]:
        return self._window  # type: ignore[return-value]

    @property
    def per(self) -> float:
        return self._per

    @property
    def missing(self) -> str:
        return self._missing

    @property
    def covariates(self) -> tuple[str, ...]:
        return self._covariates

    @property
    def cluster(self) -> str | tuple[str, ...]:
        return self._cluster[0] if len(self._cluster) == 1 else self._cluster

    @property
    def anticipation(self) -> int:
        return self._anticipation

    @property
    def unit_trends(self) -> bool:
        return self._unit_trends

    @property
    def intensity(self) -> dict[str, float] | None:
        return None if self._intensity is None else dict(self._intensity)

    def _n_clusters(self, data: DiDData) -> int:
        return min(clustering(data, self._cluster).sizes())

    def _fit_ols(
        self, data: DiDData, x: np.ndarray, terms: list[str]
    ) -> tuple[TwoWayFE, OLSFit, list[str], Clustering]:
        """TWFE OLS of the outcome on ``x`` (named ``terms``) and the covariates, with the unit
        trends partialled out with the effects; the absorber, fit, every term and the
        clustering."""
        f = data.frame
        covariates = covariate_matrix(data)
        if covariates.shape[1]:  # (stacking copies x even when there is nothing to add)
            x = np.column_stack([x, covariates])
        terms = [*terms, *covariate_terms(data)]
        extra = trend_columns(data) if self._unit_trends else None
        fe = TwoWayFE(data.unit_code, data.period_code, f["weight"].to_numpy(dtype=float), extra)
        fit = ols_absorbed(fe, f["y"].to_numpy(dtype=float), x, names=terms)
        return fe, fit, terms, clustering(data, self._cluster)

    def _option_warnings(self) -> list[str]:
        return [TRENDS_WARNING] if self._unit_trends else []

    def _prepare(self) -> DiDData:
        """The data the constructor prepared (never changed by a fit)."""
        return self._data

    def _data_scale(self) -> str:
        return self._scale

    def _settings(self, data: DiDData, **more: Any) -> dict[str, Any]:
        start = (
            self.start
            if not isinstance(self.start, dict)
            else {k: str(v) for k, v in self.start.items()}
        )
        return {
            "outcome": self.outcome,
            "start": str(start) if not isinstance(start, dict) else start,
            "treated": list(data.chosen.treated),
            "comparators": list(data.chosen.comparators),
            "comparator_rule": data.chosen.rule,
            "exclude": list(self.exclude),
            "scale": self.scale,
            "weights": self.weights,
            "window": [None if w is None else str(w) for w in self.window],
            "missing": self.missing,
            "cluster": self._cluster_given
            or (self.cluster if isinstance(self.cluster, str) else list(self.cluster)),
            # recorded where set (a fit without them records what it always did)
            **({"covariates": list(self.covariates)} if self.covariates else {}),
            **({"anticipation": self.anticipation} if self.anticipation else {}),
            **({"unit_trends": True} if self.unit_trends else {}),
            **more,
        }

    @staticmethod
    def _trends(data: DiDData) -> pd.DataFrame:
        # weighted means by (group, period code): the groupby sums of before (same order, same
        # compensated sums, so the same numbers) on integer keys, not on Period objects
        f, n_p = data.frame, len(data.periods)
        key = np.where(f["treated"].to_numpy(dtype=bool), 0, n_p) + data.period_code
        sums = (
            f[["y", "weight"]]
            .assign(y=f["y"] * f["weight"])
            .groupby(key, sort=True)[["y", "weight"]]
            .sum()
        )
        cells = sums.index.to_numpy()
        mean = (sums["y"] / sums["weight"]).to_numpy()
        group = np.array(["treated", "comparators"])[cells // n_p]
        return pd.DataFrame(
            {
                "group": pd.Categorical(group, ["treated", "comparators"]),
                "period": data.periods[cells % n_p],
                "mean": mean,
            }
        )

    def _diagnostics(self, data: DiDData, n_obs: int) -> dict[str, Any]:
        more: dict[str, Any] = {}
        if self.missing == "unbalanced":
            more["n_missing_cells"] = len(data.units) * len(data.periods) - n_obs
        return {
            "n_obs": n_obs,
            "n_units": len(data.units),
            "n_treated": len(data.chosen.treated),
            "n_comparators": len(data.chosen.comparators),
            "n_clusters": (
                len(data.units) if self._cluster == ("unit",) else self._n_clusters(data)
            ),
            "n_periods": len(data.periods),
            "first_period": str(data.periods[0]),
            "last_period": str(data.periods[-1]),
            **more,
        }


def _given_cluster(data: object, cluster: object) -> str | tuple[str, ...] | None:
    """The cluster column(s) a DataFrame's ``cluster=`` named, to record under their names."""
    if not isinstance(data, pd.DataFrame) or cluster is None:
        return None
    return cluster if isinstance(cluster, str) else tuple(cast(Sequence[str], cluster))


def cluster_counts(data: DiDData, codes: np.ndarray | None = None) -> few_clusters.ClusterCounts:
    """Clusters (units, or ``codes``) of a comparator fit, treated and untreated as the fitted
    treatment column ``intensity * post`` has them
    (:meth:`few_clusters.ClusterCounts.from_treatment`)."""
    f = data.frame
    return few_clusters.ClusterCounts.from_treatment(
        data.unit_code if codes is None else codes,
        f["intensity"].to_numpy(dtype=float) * f["post"].to_numpy(),
        units=None if codes is None else data.unit_code,
    )


def check_clusters(
    inference: few_clusters.ClusterInference,
    data: DiDData,
    how: Clustering,
    *,
    level: float,
    assignments: int | None = None,
) -> list[str]:
    """:func:`few_clusters.check` for each cluster dimension (two-way: both must support the
    inference), the warnings named by dimension when there are two, and the inferences that
    cannot cluster two ways refused."""
    if how.two_way and inference != "cr1":
        raise ValueError(
            f"two-way clustering supports inference='cr1' only (got {inference!r}); cluster one "
            "way for 'cr2', 'wild' or 'randomization'"
        )
    out: list[str] = []
    for dim, codes in zip(how.dims, how.codes, strict=True):
        counts = cluster_counts(data, codes)
        found = few_clusters.check(
            inference,
            counts,
            level=level,
            **({"assignments": assignments} if assignments is not None else {}),
        )
        out += [f"clusters by {dim}: {w}" if how.two_way else w for w in found]
    return out


def _cluster_dims(cluster: object, panel: Panel) -> tuple[str, ...]:
    """``cluster=`` as one or two dimensions, each "unit", "period" or "cluster" (the panel's
    own cluster column, which a DataFrame's ``cluster=`` column becomes)."""
    dims = (cluster,) if isinstance(cluster, str) else tuple(cast(Sequence[str], cluster))
    if not dims or len(dims) > 2 or len(set(dims)) != len(dims):
        raise ValueError(f"cluster must name one or two distinct dimensions, got {cluster!r}")
    for d in dims:
        choice(d, CLUSTER_DIMENSIONS, "cluster")
    if "cluster" in dims and "cluster" not in panel.data.columns:
        raise ValueError(
            "cluster='cluster' reads the panel's cluster column, and this panel has none "
            "(build it with Panel.from_frame(..., cluster=<column>), or give the DataFrame "
            "with cluster=<column>)"
        )
    return dims


def _check_fit_options(
    options: OptionsTable, inference: str, level: float, given: dict[str, Any]
) -> tuple[float, SmallSample]:
    """The checked level and CR1 rule; every option checked only for the methods reading it
    (``options``: the design's table, :mod:`vrueval.designs.did.options`)."""
    choice(inference, options.methods(), "inference")
    check_applies(options.fit, inference, given)
    level = check_level(level)
    if inference == "wild":
        choice(given["boot_weights"], BOOT_WEIGHTS, "boot_weights")
        check_draws(given["draws"], level, "draws")
    if inference == "randomization":
        choice(given["ri_statistic"], STATISTICS, "ri_statistic")
        check_draws(given["permutations"], level, "permutations")
    if inference == "cr2":
        return level, DEFAULT_SMALL_SAMPLE  # unused: CR2 has no such factor
    return level, check_small_sample(given["small_sample"])


def _check_doubly_robust(options: Mapping[str, Any], intensity: object) -> None:
    """What the doubly robust 2x2 needs: covariates, a binary treatment, no trends or weights,
    one-way clusters and a balanced panel."""
    if not options.get("covariates"):
        raise ValueError("estimator='dr' needs covariates= (without them it is the 2x2)")
    if intensity is not None:
        raise ValueError("estimator='dr' needs a binary treatment, not an intensity")
    if options.get("unit_trends", False):
        raise ValueError("unit_trends needs more than two periods; use estimator='twfe'")
    if options.get("weights", "none") != "none":
        raise ValueError("estimator='dr' takes no weights yet")
    cluster_option = options.get("cluster", "unit")
    if not isinstance(cluster_option, str) and len(tuple(cluster_option)) > 1:
        raise ValueError("estimator='dr' clusters one way only")
    if cluster_option == "period" or (
        not isinstance(cluster_option, str) and "period" in cluster_option
    ):
        raise ValueError("estimator='dr' has one row a unit: it cannot cluster by period")
    if options.get("missing", "drop_units") != "drop_units":
        raise ValueError("estimator='dr' needs a balanced panel (missing='drop_units')")


def _doubly_robust_table(
    collapsed: DiDData, how: Clustering, level: float
) -> tuple[pd.DataFrame, list[str]]:
    """The doubly robust ATT with its clustered influence-function standard error: a normal
    reference with one unit a cluster (DRDID's), t(G - 1) when the clusters group units, where
    G may be small (the CR1 fits' reference, which the normal would overstate)."""
    fit = doubly_robust(collapsed)
    before = ~collapsed.frame["after"].to_numpy()
    se, g = clustered_std_error(fit, how.one_way[before])
    df = None if how.dims[0] == "unit" else g - 1
    table = wald_table(["att"], [fit.att], [se], level=level, df=df).assign(inference="influence")
    return table, ([OVERLAP_WARNING + fit.overlap] if fit.overlap else [])


def _psd_warning(cov: cluster.ClusterCovariance) -> list[str]:
    if not cov.psd_fixed:
        return []
    return [
        "two-way clustering: the covariance V_a + V_b - V_ab was not positive semi-definite; "
        "its negative eigenvalues were set to zero (Cameron, Gelbach and Miller 2011), so the "
        "standard errors are those of the repaired matrix"
    ]


class DiD(_ComparatorDesign):
    """Difference-in-differences of treated force areas against comparators.

    Parameters
    ----------
    panel : Panel or DataFrame
        Long panel of the outcome (counts, rates or scores) by unit and period; or a DataFrame
        with its columns named by role: ``unit=``, ``time=``, ``population=``, ``treated=`` (a
        0/1 column) or ``first_treated=``, and ``geography=`` (``"custom"`` by default), as
        :mod:`vrueval.data.design_input` reads them (the same validator; identical numbers).
        There ``covariates=``, ``cluster=`` and ``weights=`` name columns (below).
    outcome : str
        Outcome name in the panel (the outcome column of a DataFrame).
    start : period label, or mapping unit -> label
        First treated period ("2019/20" for financial years). A mapping gives each treated unit
        its own start (staggered adoption; TWFE then warns, see :func:`bacon_decomposition`).
    treated : list of areas, optional
        Treated units (any spelling); the 18 VRU forces of 2019 by default on a force-level
        panel, required on any other.
    comparators : {"never_funded", "most_similar", "synthetic"} or list of areas
        "never_funded" (default): every force never funded for a VRU. "most_similar": the
        ``n_similar`` never-funded forces nearest the treated group in pre-period level, trend and
        population (the rule is recorded on the result). "synthetic": those with weight in the
        synthetic control of the treated units' mean pre-period outcomes (unweighted here).
    exclude : list of areas
        Spill-over neighbours to keep out of the comparison group.
    estimator : {"twfe", "2x2", "poisson"}
        Two-way fixed effects OLS (default); the canonical 2x2 on pre/post means; or Poisson
        pseudo-maximum likelihood with unit and period effects (a rate ratio).
    scale : {"value", "rate"}
        Model the value as published, or per ``per`` population (for "poisson", "rate" means a
        log-population offset on the counts).
    weights : {"none", "population", "panel"} or a DataFrame column
        Analytic weights for the OLS estimators: population, or the weights the panel carries
        ("panel"; a DataFrame's ``weights=<column>`` becomes these), observation or unit
        weights alike. A zero or negative weight where the outcome is observed is refused; a
        missing one makes the cell missing (``missing``).
    covariates : list of str
        Time-varying covariates, entered linearly beside the treatment in TWFE and the 2x2
        (pre/post means): a covariate the panel carries (a DataFrame's columns), "population"
        or another outcome of the panel. Each is reported as its own term
        ``covariate:<name>``; ``att`` keeps its name. A covariate the unit or period effects
        absorb is refused by name; a missing value makes its cell missing (``missing``), never
        zero. Estimand: the ATT under parallel trends conditional on the covariates' linear
        effect (a "bad control" if the treatment moves the covariate).
    cluster : str or (str, str)
        What the standard errors cluster by: "unit" (default), "period", or the panel's own
        "cluster" column (a DataFrame: ``cluster=<column>``, e.g. local authorities by force);
        two of them cluster two ways (Cameron, Gelbach and Miller 2011; CR1 only, with
        ``min(G) - 1`` df and negative eigenvalues set to zero, warned; the default
        small-sample rule is fixest's, one factor with ``min(G)``). The few-clusters rule
        applies to each dimension.
    anticipation : int
        Periods before each start in which treatment may already act: they leave the baseline
        and get their own coefficient (term ``anticipation``; the 2x2 drops them); the ATT is
        the effect from the start.
    unit_trends : bool
        Unit-specific linear trends (partialled out with the effects). They absorb part of any
        effect that grows after the start; the result carries a warning saying so.
    intensity : mapping area -> float, optional
        Continuous treatment: ``D_it = intensity_i * post_t`` (e.g. the share of a region's
        population covered by a VRU). Units without an entry have intensity 0.
    window : (start, end)
        Periods to analyse (inclusive); the whole panel by default.
    missing : {"drop_units", "unbalanced"}
        A unit whose outcome is missing in some periods of the window (e.g. a suppressed small
        count): "drop_units" (default) drops the unit, keeping the panel balanced;
        "unbalanced" keeps it and leaves out only the missing cells (never filled in), fitting
        the two-way fixed effects exactly on the unbalanced panel. Units missing in every
        period are dropped either way. The canonical 2x2 needs a balanced panel.

    Notes
    -----
    City of London, and units dropped for missing outcomes, are listed in ``result.warnings``
    and ``result.comparators()``; with ``missing="unbalanced"`` every kept unit's left-out cells
    are listed in ``result.warnings``. Leaving out suppressed cells (small counts) is not
    missing at random: the unit's fitted level rests on its other periods. Standard errors are
    clustered by unit unless ``cluster`` says otherwise;
    :func:`vrueval.inference.few_clusters.check` refuses an inference the clusters cannot
    support (one treated or one untreated cluster with "cr1", "cr2" or "wild", treated meaning
    a non-zero treatment in some fitted cell, for an intensity too; fewer than three clusters
    for any) and puts a warning on the result where few treated clusters
    make it approximate. The CR1 small-sample rule is ``fit(small_sample=...)``; with a cluster
    other than the unit, the fixed effects it nests are those left out of ``K`` by "fixest".

    References (the options): Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2011). Robust
    inference with multiway clustering. *JBES* 29(2), 238-249. Wolfers, J. (2006). *AER* 96(5),
    1802-1820, and Borusyak, Jaravel and Spiess (2024), on what unit trends absorb.
    """

    #: The options table (:mod:`vrueval.designs.did.options`).
    OPTIONS: ClassVar[OptionsTable] = DID

    def __init__(
        self,
        panel: Panel | pd.DataFrame,
        outcome: str,
        *,
        estimator: Estimator = "twfe",
        intensity: Mapping[str, float] | None = None,
        **given: Unpack[DataOptions],
    ) -> None:
        self._cluster_given = _given_cluster(panel, given.get("cluster"))
        panel, read = design_input.comparator("DiD", panel, outcome, given)
        options = cast(ComparatorOptions, read)
        choice(estimator, ESTIMATORS, "estimator")
        if estimator == "poisson" and options.get("weights", "none") != "none":
            raise ValueError("weights apply to the OLS estimators; Poisson uses an offset")
        if estimator == "poisson" and options.get("scale") == "rate" and panel.measure != "count":
            raise ValueError("Poisson with scale='rate' needs counts with populations")
        for name, unused in (
            ("covariates", options.get("covariates", ()) != ()),
            ("unit_trends", options.get("unit_trends", False)),
            ("anticipation", options.get("anticipation", 0) != 0),
        ):
            if estimator == "poisson" and unused:
                raise ValueError(f"{name}= applies to the OLS estimators ('twfe', '2x2')")
        if estimator == "2x2" and options.get("unit_trends", False):
            raise ValueError("unit_trends needs more than two periods; use estimator='twfe'")
        if estimator == "dr":
            _check_doubly_robust(options, intensity)
        self._estimator = estimator
        if intensity is not None:
            if isinstance(options.get("start"), Mapping):
                raise ValueError("a continuous intensity needs one common start")
            codes = comp.resolve_units(list(intensity), panel.geography)
            self._intensity = {c: float(v) for c, v in zip(codes, intensity.values(), strict=True)}
            treated = [c for c, v in self._intensity.items() if v != 0]
            options["treated"] = treated
            comparators = options.get("comparators", "never_funded")
            if comparators == "never_funded" and panel.geography != "force":
                options["comparators"] = [u for u in panel.units if u not in treated]
        super().__init__(panel, outcome, **options)

    @property
    def estimator(self) -> str:
        return self._estimator

    def fit(
        self,
        inference: inf.Inference = "cr1",
        *,
        level: float = 0.95,
        seed: int | None = None,
        draws: int = 9999,
        boot_weights: BootWeights = "webb",
        permutations: int = 5000,
        ri_statistic: Statistic = "t",
        small_sample: SmallSample = DEFAULT_SMALL_SAMPLE,
    ) -> DiDResult:
        """Estimate the ATT and its uncertainty.

        Parameters
        ----------
        inference : {"cr1", "cr2", "wild", "randomization"}
            CR1 by unit with t(G-1); CR2 (Bell-McCaffrey) with Satterthwaite df; the wild
            cluster restricted bootstrap (p-value and interval by test inversion); randomization
            inference permuting the treated set across units (studentised by default, see
            ``ri_statistic``). Poisson supports "cr1".
        level : float
            Confidence level.
        seed : int, optional
            Seed of the bootstrap or permutations: required for "wild" and "randomization"
            (recorded on the result).
        draws, boot_weights : bootstrap draws and weights ("webb" or "rademacher"); "wild" only.
        permutations : re-assignments for randomization inference (exact when fewer exist);
            "randomization" only.
        ri_statistic : {"t", "coefficient"}
            What randomization inference compares across re-assignments: the CR1 t with the
            standard error recomputed under each (studentised, default; it holds its size far
            better when the treated units are noisier than the comparators, though not with
            only a few treated units: see :mod:`vrueval.inference.few_clusters`) or the
            estimate itself.
        small_sample : {"fixest", "stata", "plm", "none"}
            The CR1 small-sample rule (:mod:`vrueval.inference.small_sample`): which parameters
            ``K`` count in ``G/(G-1) (n-1)/(n-K)``. "fixest" (the default) counts the period
            effects but not the unit effects nested in the clusters; "stata" counts every
            parameter (Stata ``regress`` with dummies, R ``lm`` + ``sandwich::vcovCL``); "plm"
            only the coefficients (``plm::vcovHC(type = "sss")``); "none" is CR0. It applies to
            the CR1 standard error that "cr1", "wild" and "randomization" report (not to the
            bootstrap or permutation p-values), and is recorded in ``settings``.

        Each option is checked only for the method that reads it (an unused default is never
        checked); one set away from its default for a method that does not read it is an
        error naming the methods it applies to (:mod:`vrueval.designs.fit_options`).

        Raises
        ------
        TooFewClusters
            Where the clusters cannot support the inference (one treated or one untreated
            cluster for "cr1", "cr2" and "wild", counted from the fitted treatment column, so an
            intensity given to one unit is one treated cluster; fewer than three clusters for
            any): :func:`vrueval.inference.few_clusters.check`, whose warnings the result
            carries.
        ValueError
            An option that does not apply to ``inference`` (e.g. ``draws`` with "cr1").
        """
        level, rule = _check_fit_options(
            DID,
            inference,
            level,
            {
                "draws": draws,
                "boot_weights": boot_weights,
                "permutations": permutations,
                "ri_statistic": ri_statistic,
                "small_sample": small_sample,
            },
        )
        if self._estimator in ("poisson", "dr") and inference != "cr1":
            name = "Poisson" if self._estimator == "poisson" else "The doubly robust"
            raise ValueError(f"{name} DiD supports inference='cr1' only")
        check_seed(seed, needed=inference in ("wild", "randomization"))
        if inference == "randomization" and self._anticipation:
            raise ValueError(
                "randomization inference with anticipation= is not available (the "
                "anticipation column moves with each re-assignment); use 'cr1', 'cr2' or 'wild'"
            )
        warnings: list[str] = []
        data = self._data
        warnings += data.messages
        if self._estimator == "poisson":
            data, dropped = self._poisson_rows(data)
            warnings += dropped
        how = clustering(data, self._cluster)
        warnings += check_clusters(
            "influence" if self._estimator == "dr" else inference,
            data,
            how,
            level=level,
            assignments=few_clusters.distinct_assignments(data.assignment),
        )
        if data.staggered and self._estimator == "dr":
            raise ValueError("the doubly robust 2x2 needs one common start")
        if data.staggered:
            if inference == "randomization":
                raise ValueError("randomization inference here needs one common start")
            warnings.append(STAGGER_WARNING)
        warnings += self._option_warnings()
        trends = partial(self._trends, data)  # built when read
        if self._estimator in ("2x2", "dr"):
            data = collapse_two_periods(data)
            how = clustering(data, self._cluster)
        f = data.frame
        d = f["intensity"].to_numpy(dtype=float) * f["post"].to_numpy()
        diag = self._diagnostics(data, len(f))
        if self._estimator == "poisson":
            table, poisson_cov = self._poisson(data, d, level, rule, how)
            warnings += _psd_warning(poisson_cov)
        elif self._estimator == "dr":
            table, overlap = _doubly_robust_table(data, how, level)
            warnings += overlap
            diag["n_clusters"] = int(len(np.unique(how.one_way)))
        else:
            x, main = d[:, None], ["att"]
            if self._anticipation and self._estimator == "twfe":
                x = np.column_stack([d, anticipation_column(data)])
                main = ["att", ANTICIPATION_TERM]
            fe, fit, terms, how = self._fit_ols(data, x, main)
            if inference in ("cr1", "cr2"):
                cov = inf.covariance(fit, fe, how, inference, rule)
                table = inf.vcov_table(
                    terms, fit.coef, cov, level, constant={"inference": inference}
                )
                warnings += _psd_warning(cov)
            elif inference == "wild":
                table, more, resampling = inf.wild_table(
                    terms,
                    fit,
                    fe,
                    how,
                    level=level,
                    seed=seed,
                    draws=draws,
                    weights=boot_weights,
                    small_sample=rule,
                )
                diag.update(more)
                warnings += resampling
            else:
                table, more, resampling = inf.randomization_table(
                    "att",
                    fit,
                    fe,
                    how,
                    data.unit_code,
                    f["after"].to_numpy(),
                    data.assignment,
                    level=level,
                    seed=seed,
                    permutations=permutations,
                    statistic=ri_statistic,
                    small_sample=rule,
                )
                if len(terms) > 1:  # the covariates: CR1 rows (only the ATT is permuted)
                    cov = inf.covariance(fit, fe, how, "cr1", rule)
                    rest = inf.vcov_table(terms, fit.coef, cov, level).iloc[1:]
                    table = pd.concat(
                        [table.assign(inference=inference), rest.assign(inference="cr1")],
                        ignore_index=True,
                    )
                diag.update(more)
                warnings += resampling
        if "inference" not in table:
            table["inference"] = inference
        random = inference in ("wild", "randomization")
        names = {
            "twfe": "TWFE",
            "2x2": "2x2",
            "poisson": "Poisson PML",
            "dr": "doubly robust 2x2",
        }
        settings = self._settings(
            data,
            estimator=self._estimator,
            inference=inference,
            intensity=self.intensity,
            **({"small_sample": rule} if inference != "cr2" and self._estimator != "dr" else {}),
            **({"draws": draws, "boot_weights": boot_weights} if inference == "wild" else {}),
            **(
                {"permutations": permutations, "ri_statistic": ri_statistic}
                if inference == "randomization"
                else {}
            ),
        )
        return DiDResult(
            design=f"DiD ({names[self._estimator]})",
            effects=table,
            settings=settings,
            level=level,
            seed=seed if random else None,
            provenance={"sources": [s.to_dict() for s in self.panel.sources]},
            diagnostics=diag,
            warnings=tuple(warnings),
            trends=trends,
            comparators=data.chosen.table,  # built when read
        )

    def _data_scale(self) -> str:
        # Poisson models the counts; a rate enters as a log-population offset
        return "value" if self._estimator == "poisson" else self._scale

    def _period_labels(self, periods: pd.PeriodIndex) -> list[str]:
        return [display(p, self.panel.frequency) for p in periods]

    def _poisson_rows(self, data: DiDData) -> tuple[DiDData, list[str]]:
        """The data without the rows separated by the fixed effects alone, and a warning naming
        them (:func:`vrueval.designs.did.model.poisson_separated_rows`)."""
        f = data.frame
        y = f["y"].to_numpy(dtype=float)
        if np.any(y < 0):
            raise ValueError("Poisson PML needs non-negative outcomes")
        labels = self._period_labels(data.periods)
        drop = poisson_separated_rows(
            data.unit_code,
            data.period_code,
            y,
            (f["intensity"] * f["post"]).to_numpy(dtype=float),
            unit_labels=list(data.units),
            period_labels=labels,
        )
        if not drop.any():
            return data, []
        why = "zero count in every period (separated in the Poisson DiD)"
        kept = keep_rows(data, ~drop, why)
        gone = f[drop]
        units = [u for u in data.units if u not in kept.units]
        periods = [p for p in data.periods if p not in kept.periods]
        cells = gone[~gone["unit"].isin(units) & ~gone["period"].isin(periods)]
        parts = [f"{areas.label(u)} ({u}) in every period" for u in units]
        parts += [f"{display(p, self.panel.frequency)} for every unit" for p in periods]
        parts += [
            f"{u} {display(p, self.panel.frequency)}"
            for u, p in zip(cells["unit"], cells["period"], strict=True)
        ]
        shown = "; ".join(parts[:8]) + ("; ..." if len(parts) > 8 else "")
        return kept, [
            f"Poisson DiD: dropped {int(drop.sum())} of {len(f)} rows whose zero count only the "
            f"unit and period effects can fit (separation not involving the ATT; their fitted "
            f"rate goes to zero without informing the ATT, and fixest and ppmlhdfe drop them "
            f"too): {shown}. The ATT and its standard error come from the other rows"
        ]

    def _poisson(
        self, data: DiDData, d: np.ndarray, level: float, rule: SmallSample, how: Clustering
    ) -> tuple[pd.DataFrame, cluster.ClusterCovariance]:
        f = data.frame
        y = f["y"].to_numpy(dtype=float)
        offset = None
        if self.scale == "rate":
            check_population(f, value="y")
            offset = np.log(f["population"].to_numpy(dtype=float))
        fit = poisson_absorbed(
            data.unit_code,
            data.period_code,
            y,
            d,
            offset,
            unit_labels=list(data.units),
            period_labels=self._period_labels(data.periods),
        )
        cov = cluster.cr1_multiway(
            fit.x_tilde * fit.score_resid[:, None],
            fit.hessian_inv,
            how.codes,
            n_obs=len(y),
            count=how.count(TwoWayFE(data.unit_code, data.period_code), 1),
            small_sample=rule,
        )
        return inf.vcov_table(["att"], fit.coef, cov, level, log_link=True), cov
