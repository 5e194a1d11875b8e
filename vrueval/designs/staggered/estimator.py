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

import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.staggered.aggregate import AGGREGATIONS, Aggregation
from vrueval.designs.staggered.data import StaggeredData, drop_early
from vrueval.designs.staggered.estimate import (
    BasePeriod,
    ControlGroup,
    Method,
    check_anticipation,
    group_time_att,
)
from vrueval.designs.staggered.options import TABLE, Inference
from vrueval.designs.staggered.pipeline import check_fit, finish, load
from vrueval.designs.staggered.results import StaggeredResult
from vrueval.inference.multiplier_bootstrap import MultiplierWeights
from vrueval.options import OptionsTable, choice


class StaggeredDiD:
    """Callaway & Sant'Anna (2021) DiD for staggered adoption.

    Estimand: ATT(g,t), the average effect in period t on the units first treated in period g,
    and its averages by event time, cohort, calendar period and overall.

    Assumptions: parallel trends of untreated outcomes between each cohort and its comparison
    units (conditional on covariates when given: the doubly robust estimator needs either the
    propensity logit or the outcome regression to be right); no anticipation beyond
    ``anticipation`` periods; treatment, once started, stays on; overlap (comparison
    propensity scores below 0.995 are trimmed).

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
    method : {"dr", "ipw", "reg"}
        Doubly robust (Sant'Anna & Zhao 2020), normalised inverse probability weighting
        (Abadie 2005, Hajek weights; the logit propensity score) or outcome regression
        (Heckman, Ichimura & Todd 1997). Without covariates all three are the difference of
        mean changes. With "dr" and "ipw", comparison units with a propensity score of 0.995 or
        more are trimmed, and the result warns which cohort-period cells lost units to poor
        overlap; with none left the fit is refused.
    base_period : {"varying", "universal"}
        Pre-treatment cells as short differences (t vs t-1, R ``did``'s default) or long ones
        against g-1 (whose own cell is the reference, 0).
    overall : {"group", "simple", "dynamic", "calendar"}
        Which aggregation the ``att`` term reports (all four are reported as ``att:<kind>``).
        ``group`` averages cohort effects by cohort size, R ``did``'s recommended summary.
    anticipation : int
        Periods before first treatment in which units may already react: every comparison
        is made against period ``g - anticipation - 1``, not-yet-treated comparison units
        must be first treated more than ``anticipation`` periods later, and units treated
        within ``anticipation`` periods of the start are dropped (R ``did``'s
        ``anticipation``). The anticipation cells (``g - anticipation <= t < g``) appear in
        the event study (``att:e=-1`` ...) but not in the pre-test or the post-treatment
        averages.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Journal of Econometrics 225(2), 200-230.
    Sant'Anna, P. H. C. and Zhao, J. (2020). Journal of Econometrics 219(1), 101-122.
    """

    #: The options table (:mod:`vrueval.designs.staggered.options`).
    OPTIONS: ClassVar[OptionsTable] = TABLE

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
        anticipation: int = 0,
    ) -> None:
        choice(control_group, get_args(ControlGroup), "control_group")
        choice(method, get_args(Method), "method")
        choice(base_period, get_args(BasePeriod), "base_period")
        choice(overall, AGGREGATIONS, "overall")
        if isinstance(covariates, str):
            covariates = (covariates,)
        staggered, self._provenance = load(
            data,
            outcome=outcome,
            first_treated=first_treated,
            unit=unit,
            time=time,
            covariates=covariates,
        )
        k = check_anticipation(anticipation, len(staggered.periods))
        self._data = drop_early(staggered, k)
        self._settings: dict[str, Any] = {
            "outcome": outcome,
            "control_group": control_group,
            "method": method,
            "base_period": base_period,
            "covariates": list(covariates),
            "overall": overall,
            "anticipation": k,
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
            Analytic standard errors from the influence functions, or the multiplier bootstrap
            (clustered by unit) which also gives simultaneous bands for each family of terms.
        draws : int
            Bootstrap draws ("bootstrap" only: set for "analytic", an error).
        boot_weights : {"mammen", "rademacher"}
            Multiplier distribution ("bootstrap" only): the name :meth:`vrueval.DiD.fit` uses
            for its wild bootstrap's weights.
        seed : int
            Required for the bootstrap; recorded on the result.
        weights : {"mammen", "rademacher"}, optional
            Deprecated name of ``boot_weights`` (``weights`` means population weights in
            :class:`vrueval.DiD`); it warns and goes in the next release.
        level : float
            Confidence level of intervals and bands.

        Raises
        ------
        TooFewClusters
            With a single treated unit, or a single comparison unit behind some
            post-treatment cell (never-treated with ``control_group="never_treated"``; never-
            or not-yet-treated otherwise, and in the last periods only the never-treated are
            not yet treated): :func:`vrueval.inference.few_clusters.check`, rule "influence"
            (:func:`vrueval.designs.staggered.pipeline.cluster_counts`). Fewer than ten units
            in either group, or a cohort of one, add a warning.
        """
        level, boot_weights = check_fit(
            StaggeredDiD.OPTIONS,
            inference=inference,
            draws=draws,
            boot_weights=boot_weights,
            weights=weights,
            seed=seed,
            level=level,
        )
        s = self._settings
        gt = group_time_att(
            self._data,
            control_group=s["control_group"],
            method=s["method"],
            base_period=s["base_period"],
            anticipation=s["anticipation"],
        )
        return finish(
            self._data,
            gt,
            design="Staggered DiD (Callaway & Sant'Anna)",
            comparison="never-treated" if s["control_group"] == "never_treated" else "comparison",
            settings=s,
            provenance=self._provenance,
            inference=inference,
            draws=draws,
            boot_weights=boot_weights,
            seed=seed,
            level=level,
        )


CallawaySantAnna = StaggeredDiD

__all__ = ["CallawaySantAnna", "StaggeredDiD"]
