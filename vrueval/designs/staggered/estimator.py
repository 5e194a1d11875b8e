"""Staggered adoption: Callaway & Sant'Anna (2021) group-time effects and their aggregations.

The 2019 VRU cohort (18 forces, funded from FY2019/20) and the 2022 cohort (Cleveland,
Humberside) adopt at different times, so a two-way fixed-effects DiD would compare late with
early adopters and weight effects negatively. This design estimates each cohort's effect in each
period against clean comparisons only (never treated, or not yet treated), then averages them.

>>> import vrueval as ve
>>> css = ve.datasets.crime_severity(vintage="2022")
>>> did = ve.StaggeredDiD(css, outcome="css_robbery")
>>> res = did.fit(inference="bootstrap", seed=1)
>>> res.effects().set_index("term").loc["att", ["estimate", "conf_low", "conf_high"]].round(3)
estimate    -0.159
conf_low    -0.274
conf_high   -0.044
Name: att, dtype: float64
>>> event_time = res.event_study()  # att:e=<k>, with pointwise and simultaneous bands
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, get_args

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.staggered.aggregate import AGGREGATIONS, Aggregation
from vrueval.designs.staggered.estimate import (
    BasePeriod,
    ControlGroup,
    GroupTime,
    Method,
    group_time_att,
)
from vrueval.designs.staggered.options import TABLE, Scale
from vrueval.designs.staggered.pipeline import StaggeredDesign, input_settings, load
from vrueval.options import OptionsTable, choice


class StaggeredDiD(StaggeredDesign):
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
    geography : str, optional
        Frame only: what the units are, one of :data:`vrueval.areas.GEOGRAPHIES` (names
        resolved to codes, LSOA/MSOA codes checked for form); default ``"custom"``, any
        identifiers taken as given.
    covariates : sequence of str
        Covariates for the doubly robust / regression estimator, taken in the earlier period of
        each comparison. Panel: ``"population"`` or other outcomes. Frame: columns.
    population : str, optional
        Frame only: the population column, read with ``scale="rate"`` (a Panel carries its
        own).
    cluster : str, optional
        Frame only: a column of cluster labels, constant within units (units nested in
        clusters, e.g. local authorities in force areas). The influence functions are summed
        within clusters for the standard errors (with the G/(G-1) factor of CR1, as diff-diff's
        ``cluster=``), the multiplier bootstrap draws one
        weight per cluster, and the few-clusters rule counts clusters. None (or the unit
        column): the units.
    scale : {"value", "rate"}
        The outcome as given, or per ``per`` population (as :class:`vrueval.DiD`); a missing
        population drops the unit (said in the warnings), a population of zero or less is
        refused.
    per : float
        The rate's denominator (per 100,000 by default).
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
    _design: ClassVar[str] = "Staggered DiD (Callaway & Sant'Anna)"

    def __init__(
        self,
        data: Panel | pd.DataFrame,
        *,
        outcome: str,
        first_treated: Mapping[str, object] | str | None = None,
        unit: str | None = None,
        time: str | None = None,
        covariates: Sequence[str] = (),
        population: str | None = None,
        cluster: str | None = None,
        geography: str | None = None,
        scale: Scale = "value",
        per: float = 100_000.0,
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
        self._data, self._provenance, k = load(
            data,
            outcome=outcome,
            first_treated=first_treated,
            unit=unit,
            time=time,
            covariates=covariates,
            population=population,
            cluster=cluster,
            geography=geography,
            scale=scale,
            per=per,
            anticipation=anticipation,
        )
        self._settings: dict[str, Any] = {
            **input_settings(outcome, scale=scale, per=per, cluster=cluster, unit=unit),
            "control_group": control_group,
            "method": method,
            "base_period": base_period,
            "covariates": list(self._data.covariates),
            "overall": overall,
            "anticipation": k,
        }

    def _cells(self) -> tuple[GroupTime, float | None]:
        s = self._settings
        cells = group_time_att(
            self._data,
            control_group=s["control_group"],
            method=s["method"],
            base_period=s["base_period"],
            anticipation=s["anticipation"],
        )
        cluster = self._data.cluster
        if cluster is not None:
            # the clustered influence-function variance with the G/(G-1) factor of CR1 (as
            # diff-diff's cluster=); by unit, none (as R did)
            g = len(np.unique(cluster.astype(str)))
            if g < 2:
                raise ValueError("cluster= needs at least two clusters")
            cells = replace(cells, variance_factor=g / (g - 1))
        return cells, None

    def _comparison(self) -> str:
        never = self._settings["control_group"] == "never_treated"
        return "never-treated" if never else "comparison"


CallawaySantAnna = StaggeredDiD
"""Another name for :class:`~vrueval.StaggeredDiD` (Callaway & Sant'Anna, 2021), the same class."""

__all__ = ["CallawaySantAnna", "StaggeredDiD"]
