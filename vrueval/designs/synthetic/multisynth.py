"""Partially pooled synthetic control for staggered adoption (Ben-Michael, Feller and Rothstein
2022; the estimator of R ``augsynth::multisynth``).

>>> import pandas as pd, vrueval as ve
>>> mpdta = pd.read_csv("data/mpdta/mpdta.csv.gz")
>>> mpdta = mpdta[mpdta["countyreal"] % 11 == 0]  # 39 counties
>>> design = ve.StaggeredSyntheticControl(mpdta, outcome="lemp", unit="countyreal",
...                                       time="year", first_treated="first.treat")
>>> res = design.fit(inference="none")
>>> print(res.effects().loc[:4, ["term", "estimate"]].round(4).to_string(index=False))
   term  estimate
    att   -0.1186
att:e=0   -0.1039
att:e=1   -0.1151
att:e=2   -0.2887
att:e=3   -0.2001
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.synthetic import pooling
from vrueval.designs.synthetic.cohorts import CohortData, late_warning, membership, read
from vrueval.designs.synthetic.design import SyntheticDesign
from vrueval.designs.synthetic.options import STAGGERED_SYNTHETIC_CONTROL
from vrueval.designs.synthetic.options import MultisynthDonors as Donors
from vrueval.designs.synthetic.options import MultisynthInference as Inference
from vrueval.designs.synthetic.sdid import FEW_TREATED
from vrueval.designs.synthetic.staggered_results import StaggeredSyntheticResult
from vrueval.inference.intervals import wald_table
from vrueval.inference.seeds import check_seed
from vrueval.options import OptionsTable, choice

#: A unit's pre-period fit is called poor when the root mean square of its imbalance exceeds
#: this share of its mean absolute lagged outcome (outside the donors' hull, by that much).
POOR_FIT = 0.1

#: On every jackknife fit: what the simulation in tests/test_multisynth_coverage.py measured.
JACKKNIFE_WARNING = (
    "the jackknife interval is too narrow: in simulation (12 treated units in three cohorts, a "
    "good pre-period fit) the 95% interval of att covered the truth in 87% of panels and the 5% "
    "test rejected a true null 13% of the time; read the interval and p-value as optimistic"
)


class StaggeredSyntheticControl(SyntheticDesign):
    """Partially pooled synthetic control for staggered adoption ("multisynth").

    Every treated unit ``j`` gets its own synthetic control: non-negative weights summing to
    one over its donors, fitted on its own pre-periods (lags) before its first treated period
    ``T_j``. The weights of all units are fitted together, trading the pooled imbalance (of
    the units' average) against the unit-level imbalance:
    ``nu ||mean_j delta_j||^2 + (1 - nu) mean_j ||delta_j||^2 + ridge ||Gamma||_F^2``, with
    ``delta_j`` unit ``j``'s pre-period imbalance by lag
    (:mod:`vrueval.designs.synthetic.pooling`). ``nu = 0`` is a separate synthetic control
    for each unit (:class:`~vrueval.SyntheticControl` unit by unit); ``nu = 1`` balances only
    the average, which is what the average effect needs but leaves each unit's effect to
    chance. The default ``nu`` is the paper's heuristic: the separate fits' pooled imbalance
    over their unit-level imbalance.

    Estimands: unit ``j``'s effect at event time ``e = t - T_j`` is its outcome minus its
    synthetic control's; ``att:e=<k>`` averages them over the units observed at event time
    ``k``; ``att`` averages every treated unit x post-period (each unit's periods through
    ``leads``), ``att:cohort=<g>`` over a cohort's units, ``att:unit=<u>`` over one unit's
    post-periods (point estimates only).

    Assumptions: treatment stays on once started; no anticipation and no spillover onto the
    donors; each unit's untreated outcome follows its weighted donors' (a factor model the
    pre-period fit supports but cannot prove: a poor fit is warned about). Units with a pre-
    period shorter than ``lags`` use what they have; their missing lags count as balanced in
    the pooled imbalance (the pooled term is the sum of the units' imbalances over ``J``).

    Inference: the jackknife over treated units (:meth:`fit`) under-covers. In a simulation
    with 12 treated units in three cohorts, 14 donors and a factor model inside the donors'
    hull (tests/test_multisynth_coverage.py), the 95% interval of ``att`` covered 87.4% of
    500 panels and the 5% test rejected a true null 13.4% of the time (its standard error
    averaged 0.84 of the estimate's spread; the donors' noise, shared by every unit's
    synthetic control, is outside it, but noise-free donors still gave only 90%).

    Parameters
    ----------
    data : Panel or DataFrame
    outcome : str
    first_treated, treated, unit, time
        As :class:`~vrueval.StaggeredSyntheticDiD`.
    nu : float, optional
        Weight of the pooled imbalance, in ``[0, 1]``; None: the paper's heuristic.
    ridge : float, optional
        ``lambda >= 0`` on the squared weights (outcome-squared scale); makes the weights
        unique when more donors than lags could fit equally well. None: ``1e-6`` of the
        lagged outcomes' mean square, negligible against the fit but enough for uniqueness
        (:func:`vrueval.designs.synthetic.pooling.default_ridge`); 0 with ``nu=0`` is
        :class:`~vrueval.SyntheticControl` for every unit exactly. Held fixed in the jackknife.
    fixedeff : bool
        Intercept-shift synthetic control: every series of unit ``j``'s problem (the unit and
        its donors) is de-meaned by its mean over ``j``'s lags, so the synthetic control is
        matched on the pre-period path and shifted to the unit's level. Needs two lags.
    lags : int, optional
        Pre-periods each unit is fitted on (None: all before its first treated period).
    leads : int, optional
        Post-periods reported for each unit (None: through the last period).
    donors : {"never_treated", "not_yet_treated"}
        ``"never_treated"`` (the default): the units never treated in the data. With
        ``"not_yet_treated"``, unit ``j`` may also draw on units first treated after its last
        reported post-period (untreated at every period its weights and effects use).

    References
    ----------
    Ben-Michael, E., Feller, A. and Rothstein, J. (2022). Synthetic controls with staggered
    adoption. Journal of the Royal Statistical Society B 84(2), 351-381.
    """

    OPTIONS: ClassVar[OptionsTable] = STAGGERED_SYNTHETIC_CONTROL

    def __init__(
        self,
        data: Panel | pd.DataFrame,
        *,
        outcome: str,
        first_treated: Mapping[str, object] | str | None = None,
        treated: str | None = None,
        unit: str | None = None,
        time: str | None = None,
        nu: float | None = None,
        ridge: float | None = None,
        fixedeff: bool = False,
        lags: int | None = None,
        leads: int | None = None,
        donors: Donors = "never_treated",
    ) -> None:
        choice(donors, STAGGERED_SYNTHETIC_CONTROL.constructor["donors"].allowed or (), "donors")
        if nu is not None and not (
            isinstance(nu, int | float) and not isinstance(nu, bool) and 0 <= nu <= 1
        ):
            raise ValueError(f"nu must be a number in [0, 1] (or None: the heuristic), got {nu!r}")
        if ridge is not None and not (
            isinstance(ridge, int | float) and np.isfinite(ridge) and ridge >= 0
        ):
            raise ValueError(f"ridge must be a finite number >= 0 (or None), got {ridge!r}")
        if not isinstance(fixedeff, bool):
            raise ValueError(f"fixedeff must be True or False, got {fixedeff!r}")
        for name, value, least in (("lags", lags, 2 if fixedeff else 1), ("leads", leads, 1)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < least
            ):
                raise ValueError(f"{name} must be an integer >= {least} (or None), got {value!r}")
        self._data, self._provenance = read(
            data,
            outcome=outcome,
            first_treated=first_treated,
            treated=treated,
            unit=unit,
            time=time,
            min_pre=2 if fixedeff else 1,
        )
        d = self._data
        n_periods = len(d.periods)
        starts = np.repeat(np.asarray(d.starts), d.sizes)
        self._starts = starts
        self._lags = np.minimum(starts, lags if lags is not None else n_periods)
        self._leads = np.minimum(n_periods - starts, leads if leads is not None else n_periods)
        self._donor_rows = [self._donors_of(j, donors) for j in range(d.n1)]
        self._settings = {
            "outcome": outcome,
            "nu": "heuristic" if nu is None else float(nu),
            "ridge": "default" if ridge is None else float(ridge),
            "fixedeff": fixedeff,
            "lags": lags,
            "leads": leads,
            "donors": donors,
            **membership(d),
        }
        self._nu = None if nu is None else float(nu)
        self._fixedeff = fixedeff
        self._ridge = (
            pooling.default_ridge(self._problem(np.arange(d.n1))) if ridge is None else float(ridge)
        )

    def _donors_of(self, j: int, rule: str) -> np.ndarray:
        d = self._data
        never = np.arange(d.n0)
        if rule == "never_treated":
            return never
        last = self._starts[j] + self._leads[j] - 1
        later = np.flatnonzero(self._starts > last) + d.n0
        return np.concatenate([never, later])

    @property
    def data(self) -> CohortData:
        """The validated outcome matrix (never-treated first, then the cohorts)."""
        return self._data

    def fit(
        self,
        *,
        inference: Inference = "jackknife",
        seed: int | None = None,
        level: float = 0.95,
    ) -> StaggeredSyntheticResult:
        """Fit the pooled weights, the effects and their jackknife variance.

        Parameters
        ----------
        inference : {"jackknife", "none"}
            "jackknife": leave each treated unit out in turn, refit the pooled weights of the
            others (``nu``, ``ridge`` and the donor sets held at their full-sample values) and
            recompute every average effect;
            ``se^2 = (J-1)/J sum (theta_(-j) - mean)^2`` and the interval is
            ``estimate +- z * se``. The estimand's uncertainty is over which units were
            treated (the treated units as draws from a population of units, their effects
            independent); it needs many treated units, and a term that some replicate cannot
            estimate (a cohort or event time with one unit) gets no standard error. Unit
            effects carry none.
        seed : int, optional
            Nothing is random here; accepted for the common signature and not recorded.
        level : float
            Confidence level of the intervals.
        """
        level = self._check_fit(inference, level)
        check_seed(seed, needed=False)
        d = self._data
        everyone = np.arange(d.n1)
        fitted = self._fit_units(everyone, self._nu)
        gaps = self._gaps(everyone, fitted.weights)
        terms, point = self._averages(everyone, gaps)
        warnings = late_warning(d)
        se = np.full(len(point), np.nan)
        if inference == "jackknife":
            if d.n1 < 2:
                raise ValueError("the jackknife over treated units needs at least 2 treated units")
            se, undefined = self._jackknife(terms, fitted.nu)
            if undefined:
                warnings.append(
                    f"no jackknife standard error for {undefined[:6]}: leaving out a unit "
                    "leaves the term without units (one treated unit in that cohort or at that "
                    "event time)"
                )
            if d.n1 < FEW_TREATED:
                warnings.append(
                    f"{d.n1} treated units: the jackknife over treated units rests on many and "
                    "is unreliable with few"
                )
            warnings.append(JACKKNIFE_WARNING)
            few = [
                lab
                for lab, m in zip(d.cohort_labels, d.sizes, strict=True)
                if 1 < m < FEW_TREATED and len(d.starts) > 1
            ]
            if few:
                warnings.append(
                    f"cohort(s) {few} have fewer than {FEW_TREATED} treated units: their own "
                    "jackknife standard errors rest on few units and are unreliable"
                )
        warnings += self._fit_warnings(fitted)
        table = wald_table(terms, point, se, level=level)
        unit_terms = [f"att:unit={d.units[d.n0 + j]}" for j in everyone]
        unit_values = np.array([g.mean() for g in gaps])
        table = pd.concat(
            [table, wald_table(unit_terms, unit_values, np.full(d.n1, np.nan), level=level)],
            ignore_index=True,
        )
        diagnostics: dict[str, Any] = {
            "nu": fitted.nu,
            "ridge": self._ridge,
            "pooled_imbalance": fitted.pooled,
            "unit_imbalance": fitted.separate,
            "controls": d.n0,
            "treated_units": d.n1,
            "cohorts": len(d.starts),
            "by_unit": [
                {
                    "unit": str(d.units[d.n0 + j]),
                    "first_treated": d.labels[self._starts[j]],
                    "lags": int(self._lags[j]),
                    "leads": int(self._leads[j]),
                    "pre_rmse": float(np.sqrt(np.mean(fitted.imbalance[j] ** 2))),
                    "effective_donors": float(1.0 / np.sum(fitted.weights[j] ** 2)),
                }
                for j in everyone
            ],
        }
        return StaggeredSyntheticResult(
            unit_weights=self._weights(fitted),
            time_weights=pd.DataFrame(columns=["cohort", "period", "weight"]),
            path=self._paths(fitted),
            design="Partially pooled synthetic control",
            effects=table,
            settings={**self._settings, "inference": inference},
            level=level,
            seed=None,
            provenance=self._provenance,
            diagnostics=diagnostics,
            warnings=tuple(warnings),
        )

    # numbers -----------------------------------------------------------------------------

    def _problem(self, units: np.ndarray) -> pooling.Problem:
        d = self._data
        return pooling.problem(
            d.y,
            [d.n0 + j for j in units],
            [int(self._starts[j]) for j in units],
            [self._donor_rows[j] for j in units],
            [int(self._lags[j]) for j in units],
            self._fixedeff,
        )

    def _fit_units(self, units: np.ndarray, nu: float | None) -> pooling.PooledFit:
        return pooling.fit(self._problem(units), nu, self._ridge)

    def _synthetic(self, j: int, w: np.ndarray) -> np.ndarray:
        """Unit ``j``'s synthetic control in every period (shifted to its level with
        ``fixedeff``)."""
        d = self._data
        y0 = d.y[self._donor_rows[j]]
        synth = w @ y0
        if self._fixedeff:
            cols = np.arange(self._starts[j] - self._lags[j], self._starts[j])
            synth = synth + d.y[d.n0 + j, cols].mean() - w @ y0[:, cols].mean(axis=1)
        return synth

    def _gaps(self, units: np.ndarray, weights: tuple[np.ndarray, ...]) -> list[np.ndarray]:
        """Each unit's effect at event times 0, ..., leads - 1."""
        d = self._data
        out = []
        for j, w in zip(units, weights, strict=True):
            s, k = int(self._starts[j]), int(self._leads[j])
            out.append((d.y[d.n0 + j] - self._synthetic(j, w))[s : s + k])
        return out

    def _averages(self, units: np.ndarray, gaps: list[np.ndarray]) -> tuple[list[str], np.ndarray]:
        """``att``, ``att:e=<k>`` and ``att:cohort=<g>`` over ``units``; a term no unit of
        ``units`` reaches is NaN (its terms are those of the full sample)."""
        d = self._data
        cohort_of = np.repeat(np.arange(len(d.starts)), d.sizes)
        horizon = int(self._leads.max())
        terms = ["att", *(f"att:e={k}" for k in range(horizon))]
        terms += [f"att:cohort={lab}" for lab in d.cohort_labels]
        values = [float(np.concatenate(gaps).mean())]
        for k in range(horizon):
            at = [g[k] for g in gaps if len(g) > k]
            values.append(float(np.mean(at)) if at else np.nan)
        for c in range(len(d.starts)):
            mine = [g for j, g in zip(units, gaps, strict=True) if cohort_of[j] == c]
            values.append(float(np.concatenate(mine).mean()) if mine else np.nan)
        return terms, np.asarray(values)

    def _jackknife(self, terms: list[str], nu: float) -> tuple[np.ndarray, list[str]]:
        d = self._data
        reps = []
        for left in range(d.n1):
            units = np.delete(np.arange(d.n1), left)
            f = self._fit_units(units, nu)
            reps.append(self._averages(units, self._gaps(units, f.weights))[1])
        r = np.asarray(reps)
        n = len(r)
        se = np.sqrt((n - 1) / n * ((r - r.mean(axis=0)) ** 2).sum(axis=0))
        undefined = [t for t, ok in zip(terms, np.isfinite(r).all(axis=0), strict=True) if not ok]
        se[~np.isfinite(r).all(axis=0)] = np.nan
        return se, undefined

    def _fit_warnings(self, fitted: pooling.PooledFit) -> list[str]:
        d = self._data
        poor = []
        for j, delta in enumerate(fitted.imbalance):
            s, lag = int(self._starts[j]), int(self._lags[j])
            size = np.abs(d.y[d.n0 + j, s - lag : s]).mean()
            if np.sqrt(np.mean(delta**2)) > POOR_FIT * size:
                poor.append(str(d.units[d.n0 + j]))
        if not poor:
            return []
        return [
            f"poor pre-period fit for {len(poor)} treated unit(s) {poor[:8]} (imbalance above "
            f"{POOR_FIT:.0%} of their level): their synthetic controls lie outside the "
            "donors' range; consider fixedeff=True, and read their effects with care"
        ]

    # tables ------------------------------------------------------------------------------

    def _weights(self, fitted: pooling.PooledFit) -> pd.DataFrame:
        d = self._data
        frames = []
        for j, w in enumerate(fitted.weights):
            frame = pd.DataFrame(
                {
                    "unit": str(d.units[d.n0 + j]),
                    "donor": [str(d.units[i]) for i in self._donor_rows[j]],
                    "weight": w,
                }
            )
            frames.append(frame.sort_values("weight", ascending=False, kind="stable"))
        return pd.concat(frames, ignore_index=True)

    def _paths(self, fitted: pooling.PooledFit) -> pd.DataFrame:
        """Each treated unit's outcome, synthetic control and gap by period, with its event
        time (the effects at event times 0 to leads - 1 are the post rows)."""
        d = self._data
        frames = []
        columns = np.arange(len(d.periods))
        for j, w in enumerate(fitted.weights):
            s = int(self._starts[j])
            treated = d.y[d.n0 + j]
            synthetic = self._synthetic(j, w)
            frames.append(
                pd.DataFrame(
                    {
                        "unit": str(d.units[d.n0 + j]),
                        "period": list(d.labels),
                        "event_time": columns - s,
                        "treated": treated,
                        "synthetic": synthetic,
                        "gap": treated - synthetic,
                        "post": (columns >= s) & (columns < s + self._leads[j]),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)
