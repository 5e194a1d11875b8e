"""Synthetic difference-in-differences for staggered adoption: one SDiD a cohort against the
never-treated units, aggregated to the overall effect on the treated (Arkhangelsky et al. 2021,
appendix; Clarke, Pailañir, Athey and Imbens 2023, Stata ``sdid``).

>>> import pandas as pd, vrueval as ve
>>> mpdta = pd.read_csv("data/mpdta/mpdta.csv.gz")
>>> mpdta = mpdta[mpdta["first.treat"] != 2004]  # one pre-period: no noise level
>>> design = ve.StaggeredSyntheticDiD(mpdta, outcome="lemp", unit="countyreal", time="year",
...                                   first_treated="first.treat")
>>> effects = design.fit(inference="none").effects()
>>> print(effects.loc[:2, ["term", "estimate"]].round(4).to_string(index=False))
           term  estimate
            att   -0.0322
att:cohort=2006   -0.0236
att:cohort=2007   -0.0375
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.synthetic import estimators as est
from vrueval.designs.synthetic import sdid_cohorts as sc
from vrueval.designs.synthetic.cohorts import CohortData, late_warning, membership, read
from vrueval.designs.synthetic.design import SDiDDesign
from vrueval.designs.synthetic.options import STAGGERED_SYNTHETIC_DID
from vrueval.designs.synthetic.options import SDiDInference as Inference
from vrueval.designs.synthetic.sdid import FEW_TREATED, NAMES, _interpolating_time_weights
from vrueval.designs.synthetic.staggered_results import StaggeredSyntheticResult
from vrueval.inference.draws import bootstrap_se_p_warnings
from vrueval.inference.intervals import wald_table
from vrueval.options import OptionsTable, choice


class StaggeredSyntheticDiD(SDiDDesign):
    """Synthetic difference-in-differences with staggered adoption.

    Estimand: the average effect on the treated over their treated unit x post-periods,
    ``att``: each adoption cohort's SDiD effect ``att:cohort=<first treated period>`` (the
    cohort's units against the never-treated units over the periods before its adoption and
    all periods from it on), weighted by the cohort's number of treated unit x post-periods;
    also each treated unit's effect against its cohort's synthetic control, ``att:unit=<u>``
    (point estimates only). With one cohort this is :class:`~vrueval.SyntheticDiD` exactly.

    Units first treated after the last period are untreated throughout the data and serve as
    controls (a warning names them). Each cohort's weights and regularisation are the paper's
    for its own panel (``zeta = (N1 T1)^(1/4) sigma``, ``sigma`` from the never-treated units'
    first differences before that cohort's adoption).

    Assumptions: treatment stays on once started; no anticipation; for every cohort, a latent
    factor model in which the weighted never-treated units track its untreated path; for the
    placebo variance, errors homoskedastic across units.

    Parameters
    ----------
    data : Panel or DataFrame
    outcome : str
    first_treated : mapping or str, optional
        Panel: a mapping unit -> first treated period label (units not named: never treated);
        None takes the VRU registry cohorts (2019 -> FY2019/20, 2022 -> FY2022/23).
        DataFrame: the column of each unit's first treated period (missing, 0, inf: never).
    treated : str, optional
        DataFrame only, instead of ``first_treated``: a 0/1 column, 1 from a unit's start on.
    unit, time : str
        DataFrame only: the unit and time columns.
    estimator : {"sdid", "sc", "did"}
        SDiD, or its synthetic-control or DiD special case, cohort by cohort.

    References
    ----------
    Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. and Wager, S. (2021).
    Synthetic difference-in-differences. American Economic Review 111(12), 4088-4118
    (appendix: staggered adoption).
    Clarke, D., Pailañir, D., Athey, S. and Imbens, G. (2023). On synthetic
    difference-in-differences and related estimation methods in Stata. IZA DP 16437.
    """

    OPTIONS: ClassVar[OptionsTable] = STAGGERED_SYNTHETIC_DID

    def __init__(
        self,
        data: Panel | pd.DataFrame,
        *,
        outcome: str,
        first_treated: Mapping[str, object] | str | None = None,
        treated: str | None = None,
        unit: str | None = None,
        time: str | None = None,
        estimator: est.Estimator = "sdid",
    ) -> None:
        choice(estimator, est.ESTIMATORS, "estimator")
        # the noise level is a standard deviation of first differences: two pre-periods at least
        self._data, self._provenance = read(
            data,
            outcome=outcome,
            first_treated=first_treated,
            treated=treated,
            unit=unit,
            time=time,
            min_pre=2,
        )
        self._settings = {"outcome": outcome, "estimator": estimator, **membership(self._data)}

    @property
    def data(self) -> CohortData:
        """The validated outcome matrix (never-treated first, then the cohorts)."""
        return self._data

    def fit(
        self,
        *,
        inference: Inference = "placebo",
        draws: int = 200,
        seed: int | None = None,
        level: float = 0.95,
    ) -> StaggeredSyntheticResult:
        """Estimate every cohort's weights and effect, their aggregate, and the variance.

        Parameters
        ----------
        inference : {"placebo", "bootstrap", "jackknife", "none"}
            The staggered versions of Arkhangelsky et al. (2021) Algorithms 4, 2 and 3 as Stata
            ``sdid`` runs them (see :mod:`vrueval.designs.synthetic.sdid_cohorts`): placebo
            (needs more never-treated than treated units), bootstrap over units (draws without
            a treated or a never-treated unit are redrawn and counted in the diagnostics),
            fixed-weights jackknife (deterministic; needs two units in every cohort). A
            cohort's standard error uses the replicates in which it appears. Intervals are
            normal: ``estimate +- z * se``.
        draws : int
            Placebo or bootstrap replications.
        seed : int
            Required for the placebo and the bootstrap; recorded on the result.
        level : float
            Confidence level of the intervals.

        Raises
        ------
        ValueError
            A variance that cannot be computed here (see
            :func:`vrueval.designs.synthetic.sdid_cohorts.refusal`), a missing seed, too few
            draws.
        """
        level, random = self._check_sdid_fit(inference, draws, seed, level)
        d = self._data
        fitted = sc.fit(d, self._settings["estimator"])
        point = np.concatenate([[fitted.att], fitted.taus])
        terms = sc.cohort_terms(d.cohort_labels)
        warnings = late_warning(d)
        diagnostics: dict[str, Any] = {
            "controls": d.n0,
            "treated_units": d.n1,
            "cohorts": len(d.starts),
        }
        if inference == "none":
            se = np.full(len(point), np.nan)
        else:
            why = sc.refusal(inference, d, fitted)
            if why is not None:
                raise ValueError(why)
            if inference == "jackknife":
                reps = sc.jackknife(d, fitted)
            else:
                rng = np.random.default_rng(seed)
                if inference == "placebo":
                    orders = (rng.permutation(d.n0) for _ in range(draws))
                    reps = sc.placebo(d, fitted, orders)
                else:
                    reps = sc.bootstrap(d, fitted, draws, rng)
                    diagnostics["redrawn"] = reps.redrawn
                    absent = {
                        lab: int(draws - k)
                        for lab, k in zip(d.cohort_labels, reps.present[1:], strict=True)
                        if k < draws
                    }
                    if absent:
                        warnings.append(
                            f"cohort(s) absent from some bootstrap draws {absent} (draws "
                            "without a unit of the cohort): their standard errors use the "
                            "draws they appear in"
                        )
            se = reps.std_errors
            warnings += self._inference_warnings(inference, fitted, reps.kind)
        table = wald_table(terms, point, se, level=level)
        units = self._unit_rows(fitted, level)
        if random:
            warnings += bootstrap_se_p_warnings(table["term"], table["statistic"], draws, level)
        table = pd.concat([table, units], ignore_index=True)
        diagnostics["by_cohort"] = [
            {
                "cohort": lab,
                "treated_units": m,
                "pre_periods": s,
                "post_periods": d.y.shape[1] - s,
                "share": float(share),
                "noise_level": est.noise_level(d.cohort_matrix(c), d.n0, s),
                "zeta_omega": f.options.zeta_omega,
                "zeta_lambda": f.options.zeta_lambda,
                "effective_donors": float(1.0 / np.sum(f.omega**2)),
            }
            for c, (lab, m, s, share, f) in enumerate(
                zip(
                    d.cohort_labels, d.sizes, d.starts, fitted.shares, fitted.estimates, strict=True
                )
            )
        ]
        diagnostics["solver_converged"] = bool(all(np.all(f.converged) for f in fitted.estimates))
        return StaggeredSyntheticResult(
            unit_weights=self._weights(fitted),
            time_weights=self._time_weights(fitted),
            path=self._paths(fitted),
            design="Staggered " + NAMES[self._settings["estimator"]],
            effects=table,
            settings=self._fit_settings(inference, draws, random),
            level=level,
            seed=seed if random else None,
            provenance=self._provenance,
            diagnostics=diagnostics,
            warnings=tuple(warnings),
        )

    def _inference_warnings(self, inference: str, fitted: sc.CohortFit, kind: str) -> list[str]:
        d = self._data
        out: list[str] = []
        for c, (lab, s) in enumerate(zip(d.cohort_labels, d.starts, strict=True)):
            f = fitted.estimates[c]
            found = _interpolating_time_weights(d.cohort_matrix(c), d.n0, s, f.lam)
            if found:
                out.append(f"cohort {lab}: {found}")
        if inference != "placebo" and d.n1 < FEW_TREATED:
            out.append(
                f"{d.n1} treated units: the {inference} variance rests on many treated units "
                "and is unreliable with few (Arkhangelsky et al. 2021, section 5)"
            )
        few = [lab for lab, m in zip(d.cohort_labels, d.sizes, strict=True) if m < FEW_TREATED]
        if inference != "placebo" and few and len(d.starts) > 1:
            out.append(
                f"cohort(s) {few} have fewer than {FEW_TREATED} treated units: their own "
                f"{kind} standard errors rest on few units and are unreliable"
            )
        if inference == "placebo" and d.n0 - d.n1 < d.n1:
            out.append(
                f"the placebo leaves {d.n0 - d.n1} never-treated unit(s) as controls for "
                f"{d.n1} pseudo-treated ones: each replicate's synthetic control is drawn from "
                "very few units"
            )
        return out

    def _unit_rows(self, fitted: sc.CohortFit, level: float) -> pd.DataFrame:
        d = self._data
        names: list[str] = []
        values: list[float] = []
        for c, s in enumerate(d.starts):
            f = fitted.estimates[c]
            effects = est.unit_effects(d.cohort_matrix(c), d.n0, s, f.omega, f.lam)
            names += [f"att:unit={u}" for u in d.cohort_units(c)]
            values += list(effects)
        nan = np.full(len(values), np.nan)
        return wald_table(names, np.asarray(values), nan, level=level)

    def _weights(self, fitted: sc.CohortFit) -> pd.DataFrame:
        d = self._data
        frames = []
        for lab, f in zip(d.cohort_labels, fitted.estimates, strict=True):
            frame = pd.DataFrame(
                {"cohort": lab, "unit": [str(u) for u in d.controls], "weight": f.omega}
            )
            frames.append(frame.sort_values("weight", ascending=False, kind="stable"))
        return pd.concat(frames, ignore_index=True)

    def _time_weights(self, fitted: sc.CohortFit) -> pd.DataFrame:
        d = self._data
        frames = [
            pd.DataFrame({"cohort": lab, "period": list(d.labels[:s]), "weight": f.lam})
            for lab, s, f in zip(d.cohort_labels, d.starts, fitted.estimates, strict=True)
        ]
        return pd.concat(frames, ignore_index=True)

    def _paths(self, fitted: sc.CohortFit) -> pd.DataFrame:
        """Each cohort's treated average and its synthetic control shifted by the
        lambda-weighted pre-period difference, so the post-period gaps average to the
        cohort's effect."""
        d = self._data
        frames = []
        for c, (lab, s) in enumerate(zip(d.cohort_labels, d.starts, strict=True)):
            f = fitted.estimates[c]
            y = d.cohort_matrix(c)
            treated = y[d.n0 :].mean(axis=0)
            synthetic = f.omega @ y[: d.n0]
            synthetic = synthetic + float((treated - synthetic)[:s] @ f.lam)
            frames.append(
                pd.DataFrame(
                    {
                        "cohort": lab,
                        "period": list(d.labels),
                        "treated": treated,
                        "synthetic": synthetic,
                        "gap": treated - synthetic,
                        "post": np.arange(len(d.periods)) >= s,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)
