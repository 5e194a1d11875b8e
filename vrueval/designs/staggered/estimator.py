"""Staggered adoption: Callaway & Sant'Anna (2021) group-time effects and their aggregations.

The 2019 VRU cohort (18 forces, funded from FY2019/20) and the 2022 cohort (Cleveland,
Humberside) adopt at different times, so a two-way fixed-effects DiD would compare late with
early adopters and weight effects negatively. This design estimates each cohort's effect in each
period against clean comparisons only (never treated, or not yet treated), then averages them.

>>> import vrueval as ve
>>> did = ve.StaggeredDiD(panel, outcome="css_robbery")  # doctest: +SKIP
>>> res = did.fit(inference="bootstrap", seed=1)  # doctest: +SKIP
>>> res.event_study()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, get_args

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.fit_options import check_applies
from vrueval.designs.staggered.aggregate import AGGREGATIONS, Aggregation, aggregate, pretest
from vrueval.designs.staggered.data import StaggeredData, from_long, from_panel
from vrueval.designs.staggered.estimate import (
    BasePeriod,
    ControlGroup,
    GroupTime,
    Method,
    group_time_att,
)
from vrueval.designs.staggered.options import TABLE as OPTIONS
from vrueval.designs.staggered.options import Inference
from vrueval.designs.staggered.results import StaggeredResult, effects_table, families
from vrueval.inference import few_clusters
from vrueval.inference.draws import check_draws
from vrueval.inference.few_clusters import ClusterCounts
from vrueval.inference.intervals import check_level
from vrueval.inference.multiplier_bootstrap import MULTIPLIER_WEIGHTS, MultiplierWeights
from vrueval.inference.seeds import check_seed
from vrueval.options import OptionsTable, choice, renamed


def cluster_counts(gt: GroupTime, first: np.ndarray, control_group: ControlGroup) -> ClusterCounts:
    """Units behind the post-treatment group-time effects the aggregates average.

    ``G1``: the units of the cohorts with a post-treatment cell. ``G0``: the fewest comparison
    units behind any of those cells: the never-treated units with
    ``control_group="never_treated"``; with "not_yet_treated", the never-treated units plus
    those not yet treated at that cell, which in the last periods are the never-treated alone.
    """
    post = (gt.time >= gt.group) & ~gt.reference
    if not post.any():
        post = ~gt.reference
    treated = int(np.isin(first, np.unique(gt.group[post])).sum())
    fewest = int(gt.n_control[post].min()) if post.any() else 0
    name = "never-treated" if control_group == "never_treated" else "comparison"
    return ClusterCounts(len(first), treated, fewest, name)


class StaggeredDiD:
    """Callaway & Sant'Anna (2021) DiD for staggered adoption.

    Estimand: ATT(g,t), the average effect in period t on the units first treated in period g,
    and its averages by event time, cohort, calendar period and overall.

    Assumptions: parallel trends of untreated outcomes between each cohort and its comparison
    units (conditional on covariates when given: the doubly robust estimator needs either the
    propensity logit or the outcome regression to be right); no anticipation; treatment, once
    started, stays on; overlap (comparison propensity scores below 0.995 are trimmed).

    Parameters
    ----------
    data : Panel or DataFrame
        A vrueval :class:`~vrueval.data.Panel`, or a long frame with one row per unit and period
        (academic data such as ``mpdta``).
    outcome : str
        An outcome of the panel, or the outcome column of the frame.
    first_treated : mapping or str, optional
        Panel: mapping unit -> first treated period label; units not named are never treated;
        None takes the VRU cohorts from the registry (2019 -> FY2019/20, 2022 -> FY2022/23).
        Frame: the column holding each unit's first treated period (0, NaN or inf: never).
    unit, time : str
        Frame only: the unit and time columns.
    covariates : sequence of str
        Covariates for the doubly robust / regression estimator, taken in the earlier period of
        each comparison. Panel: ``"population"`` or other outcomes. Frame: columns.
    control_group : {"never_treated", "not_yet_treated"}
    method : {"dr", "reg"}
        Doubly robust (Sant'Anna & Zhao 2020) or outcome regression. Without covariates both
        are the difference of mean changes.
    base_period : {"varying", "universal"}
        Pre-treatment cells as short differences (t vs t-1, R ``did``'s default) or long ones
        against g-1 (whose own cell is the reference, 0).
    overall : {"group", "simple", "dynamic", "calendar"}
        Which aggregation the ``att`` term reports (all four are reported as ``att:<kind>``).
        ``group`` averages cohort effects by cohort size, R ``did``'s recommended summary.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Journal of Econometrics 225(2), 200-230.
    Sant'Anna, P. H. C. and Zhao, J. (2020). Journal of Econometrics 219(1), 101-122.
    """

    #: The options table (:mod:`vrueval.designs.staggered.options`).
    OPTIONS: ClassVar[OptionsTable] = OPTIONS

    def __init__(
        self,
        data: Panel | pd.DataFrame,
        *,
        outcome: str,
        first_treated: Mapping[str, object] | str | None = None,
        unit: str | None = None,
        time: str | None = None,
        covariates: Sequence[str] = (),
        control_group: ControlGroup = "never_treated",
        method: Method = "dr",
        base_period: BasePeriod = "varying",
        overall: Aggregation = "group",
    ) -> None:
        choice(control_group, get_args(ControlGroup), "control_group")
        choice(method, get_args(Method), "method")
        choice(base_period, get_args(BasePeriod), "base_period")
        choice(overall, AGGREGATIONS, "overall")
        if isinstance(covariates, str):
            covariates = (covariates,)
        if isinstance(data, Panel):
            if unit is not None or time is not None:
                raise ValueError("unit and time are for a DataFrame; a Panel knows its own")
            if isinstance(first_treated, str):
                raise ValueError(
                    "for a Panel, first_treated is a mapping unit -> first treated period "
                    "(or None for the VRU registry cohorts)"
                )
            self._data = from_panel(data, outcome, first_treated, covariates)
            self._provenance: dict[str, Any] = {
                "sources": [s.to_dict() for s in data.sources],
                "frequency": data.frequency,
            }
        elif isinstance(data, pd.DataFrame):
            if unit is None or time is None or not isinstance(first_treated, str):
                raise ValueError(
                    "for a DataFrame give unit=, time= and first_treated= (column names)"
                )
            self._data = from_long(
                data,
                unit=unit,
                time=time,
                outcome=outcome,
                first_treated=first_treated,
                covariates=covariates,
            )
            self._provenance = {"sources": [], "frequency": "frame"}
        else:
            raise TypeError(
                f"data must be a vrueval Panel or a DataFrame, not {type(data).__name__}"
            )
        self._settings: dict[str, Any] = {
            "outcome": outcome,
            "control_group": control_group,
            "method": method,
            "base_period": base_period,
            "covariates": list(covariates),
            "overall": overall,
        }

    @property
    def data(self) -> StaggeredData:
        """The validated balanced arrays the estimator uses."""
        return self._data

    @property
    def settings(self) -> Mapping[str, Any]:
        return dict(self._settings)

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
        """Estimate ATT(g,t) and the aggregations.

        Parameters
        ----------
        inference : {"analytic", "bootstrap"}
            Analytic standard errors from the influence functions, or ``"bootstrap"``: the
            *multiplier* bootstrap of the influence functions (clustered by unit; R ``did``'s),
            which also gives simultaneous bands for each family of terms. It re-weights units
            and refits nothing, unlike the residual block bootstrap ``"bootstrap"`` names in
            :meth:`vrueval.ITS.fit`.
        draws : int
            Bootstrap draws ("bootstrap" only: set for "analytic", an error).
        boot_weights : {"mammen", "rademacher"}
            Multiplier distribution ("bootstrap" only), recorded in ``settings``; the name
            :meth:`vrueval.DiD.fit` uses for its wild bootstrap's weights.
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
            post-treatment cell (never-treated with ``control_group="never_treated"``; never-
            or not-yet-treated otherwise, and in the last periods only the never-treated are
            not yet treated): :func:`vrueval.inference.few_clusters.check`, rule "influence"
            (:func:`cluster_counts`). Fewer than ten units in either group, or a cohort of
            one, add a warning.
        """
        boot_weights = renamed(
            "weights", weights, "boot_weights", boot_weights, OPTIONS.default("boot_weights")
        )
        choice(inference, OPTIONS.methods(), "inference")
        check_applies(OPTIONS.fit, inference, {"draws": draws, "boot_weights": boot_weights})
        level = check_level(level)
        check_seed(seed, needed=inference == "bootstrap")
        if inference == "bootstrap":
            choice(boot_weights, MULTIPLIER_WEIGHTS, "boot_weights")
            check_draws(draws, level, "draws")
        s = self._settings
        d = self._data
        gt = group_time_att(
            d, control_group=s["control_group"], method=s["method"], base_period=s["base_period"]
        )
        # the influence-function standard errors (analytic or multiplier bootstrap) are clustered
        # by unit: the same minimum-cluster rule as the other comparator designs
        cluster_warnings = few_clusters.check(
            "influence", cluster_counts(gt, d.first, s["control_group"]), level=level
        )
        aggs = {k: aggregate(gt, d.first, k) for k in AGGREGATIONS}  # type: ignore[arg-type]
        fams = families(gt, aggs, d.periods, s["overall"])
        table, crits, resampling = effects_table(
            fams, level=level, inference=inference, draws=draws, weights=boot_weights, seed=seed
        )
        warnings = [*d.messages, *gt.notes, *cluster_warnings, *resampling]
        cohorts, sizes = np.unique(d.first[np.isfinite(d.first)], return_counts=True)
        single = [
            str(d.periods[int(g)]) for g, size in zip(cohorts, sizes, strict=True) if size == 1
        ]
        if single:
            warnings.append(
                f"cohort(s) first treated in {', '.join(single)} have one unit each: their "
                "group-time effects' standard errors rest on the comparison units alone and are "
                "too small (see vrueval.inference.few_clusters)"
            )
        if d.beyond_window:
            warnings.append(
                "units first treated after the data end are not yet treated throughout, so they "
                "act as comparison units; their effects cannot be estimated, and any "
                "anticipation of their funding would bias the comparison"
            )
        diagnostics: dict[str, Any] = {
            "units": d.n,
            "periods": len(d.periods),
            "cohorts": ", ".join(str(d.periods[g]) for g in np.unique(gt.group)),
            "treated_units": int(np.isfinite(d.first).sum()),
            "never_treated_units": int((~np.isfinite(d.first)).sum()) - len(d.beyond_window),
            "treated_after_window_units": len(d.beyond_window),
        }
        test = pretest(gt)
        if test is not None:
            diagnostics["pretest_wald"] = test[0]
            diagnostics["pretest_df"] = test[1]
            diagnostics["pretest_p_value"] = test[2]
            diagnostics["pretest_p_value_chi2"] = test[3]
        settings = {**s, "inference": inference}
        if inference == "bootstrap":
            settings.update({"draws": int(draws), "boot_weights": boot_weights, "cluster": "unit"})
        return StaggeredResult(
            group_time=gt,
            first=d.first,
            periods=d.periods,
            units=d.units,
            critical_values=crits,
            design="Staggered DiD (Callaway & Sant'Anna)",
            effects=table,
            settings=settings,
            level=level,
            seed=seed if inference == "bootstrap" else None,
            provenance=self._provenance,
            diagnostics=diagnostics,
            warnings=tuple(warnings),
        )


CallawaySantAnna = StaggeredDiD

__all__ = ["CallawaySantAnna", "StaggeredDiD"]
