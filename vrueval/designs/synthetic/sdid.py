"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021),
with synthetic control and DiD as the special cases the paper tabulates.

>>> import pandas as pd, vrueval as ve
>>> prop99 = pd.read_csv("data/california_prop99/california_prop99.csv", sep=";")
>>> sdid = ve.SyntheticDiD(prop99, unit="State", time="Year", outcome="PacksPerCapita",
...                        treated="treated")
>>> print(round(sdid.fit(inference="none").effects().loc[0, "estimate"], 2))
-15.6
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.synthetic import estimators as est
from vrueval.designs.synthetic import variance as var
from vrueval.designs.synthetic.data import SyntheticData
from vrueval.designs.synthetic.design import SDiDDesign
from vrueval.designs.synthetic.inputs import read
from vrueval.designs.synthetic.options import SYNTHETIC_DID
from vrueval.designs.synthetic.options import SDiDInference as Inference
from vrueval.designs.synthetic.results import SyntheticResult
from vrueval.inference.draws import bootstrap_se_p_warnings
from vrueval.inference.intervals import wald_table
from vrueval.options import OptionsTable, choice

#: Fewer treated units than this and the bootstrap and jackknife are warned about: the paper's
#: Algorithms 2-3 rest on many treated units (its simulations show them too narrow with few).
FEW_TREATED = 10
NAMES = {"sdid": "Synthetic DiD", "sc": "Synthetic control (SDiD form)", "did": "DiD (SDiD form)"}


class SyntheticDiD(SDiDDesign):
    """Synthetic difference-in-differences for one or many treated units adopting together.

    Estimand: the average effect on the treated units over the post-treatment periods (ATT),
    ``att``; also by post-period, ``att:t=<period>``, and by treated unit, ``att:unit=<u>``
    (each unit against the same synthetic control; a standard error under the placebo
    variance only, the spread of pseudo-treated units' own effects, see
    :attr:`~vrueval.designs.synthetic.variance.Replicates.unit_std_error`).

    The estimate is a weighted double difference: unit weights ``omega`` make the controls'
    pre-period path parallel to the treated units' (an intercept allows a level difference; a
    ridge penalty ``zeta = (N1 T1)^(1/4) sigma``, ``sigma`` the standard deviation of the
    controls' pre-period first differences, spreads the weight); time weights ``lambda`` make
    the pre-periods predict the post-period for the controls (with intercept and ridge
    ``1e-6 sigma``). ``estimator="sc"`` gives synthetic control (no unit intercept, ``zeta =
    1e-6 sigma``, no time weights) and ``"did"`` plain DiD (uniform weights), as R ``synthdid``'s
    ``sc_estimate`` and ``did_estimate``. Weights are found by the paper's Frank-Wolfe solver
    (R ``synthdid``'s iterations and stopping rule, so its numbers are R's).

    Assumptions: treatment starts together for all treated units and stays on; no anticipation;
    a latent factor model in which the weighted controls track the treated units' untreated
    path (the weights can only approximate it; SDiD is doubly robust to level shifts and
    parallel trends); for the placebo variance, errors homoskedastic across units.

    Parameters
    ----------
    data : Panel or DataFrame
    outcome : str
        Outcome of the panel, or outcome column of the frame.
    treated : list of units, or str
        The treated units (with ``start``), or (frame) the name of a 0/1 column that is 1 from
        each treated unit's start on.
    start : period
        First treated period (Panel: a label in the panel's frequency).
    first_treated : str, optional
        Frame only: column with each unit's first treated period (missing, 0, inf: never).
    unit, time : str
        Frame only: the unit and time columns.
    estimator : {"sdid", "sc", "did"}

    References
    ----------
    Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. and Wager, S. (2021).
    Synthetic difference-in-differences. American Economic Review 111(12), 4088-4118.
    """

    OPTIONS: ClassVar[OptionsTable] = SYNTHETIC_DID

    def __init__(
        self,
        data: Panel | pd.DataFrame,
        *,
        outcome: str,
        treated: Sequence[Any] | str | None = None,
        start: Any = None,
        first_treated: str | None = None,
        unit: str | None = None,
        time: str | None = None,
        estimator: est.Estimator = "sdid",
    ) -> None:
        choice(estimator, est.ESTIMATORS, "estimator")
        # the noise level is a standard deviation of first differences: two pre-periods at least
        self._data, self._provenance = read(
            data,
            outcome=outcome,
            treated=treated,
            start=start,
            first_treated=first_treated,
            unit=unit,
            time=time,
            min_pre=2,
        )
        self._settings: dict[str, Any] = {
            "outcome": outcome,
            "estimator": estimator,
            "treated": [str(u) for u in self._data.treated],
            "start": str(self._data.start),
        }

    @property
    def data(self) -> SyntheticData:
        """The validated outcome matrix (controls first, then treated units)."""
        return self._data

    def fit(
        self,
        *,
        inference: Inference = "placebo",
        draws: int = 200,
        seed: int | None = None,
        level: float = 0.95,
    ) -> SyntheticResult:
        """Estimate the weights and the effects, with the chosen variance.

        Parameters
        ----------
        inference : {"placebo", "bootstrap", "jackknife", "none"}
            Arkhangelsky et al. (2021) Algorithm 4 (placebo: the only one defined with a single
            treated unit; needs more controls than treated units), 2 (bootstrap over units) or
            3 (jackknife with fixed weights; deterministic), or point estimates only.
            Intervals are normal: ``estimate +- z * se``.
        draws : int
            Placebo or bootstrap replications (R ``synthdid`` uses 200); at least
            :func:`vrueval.inference.draws.minimum_draws` for ``level``.
        seed : int
            Required for the placebo and the bootstrap; recorded on the result.
        level : float
            Confidence level of the intervals.

        Raises
        ------
        ValueError
            A variance that cannot be computed here (see
            :func:`vrueval.designs.synthetic.variance.refusal`), a missing seed, too few draws.
        """
        level, random = self._check_sdid_fit(inference, draws, seed, level)
        d = self._data
        y, n0, t0 = d.y, d.n0, d.t0
        fitted = est.fit(y, n0, t0, self._settings["estimator"])
        path = est.effect_path(y, n0, t0, fitted.omega, fitted.lam)
        point = np.concatenate([[fitted.tau], path])
        warnings: list[str] = []
        unit_se = float("nan")
        if inference == "none":
            se = np.full(len(point), np.nan)
        else:
            why = var.refusal(inference, n0, d.n1, fitted.omega)
            if why is not None:
                raise ValueError(why)
            if inference == "jackknife":
                reps = var.jackknife(y, n0, t0, fitted)
            else:
                rng = np.random.default_rng(seed)
                if inference == "placebo":
                    orders = (rng.permutation(n0) for _ in range(draws))
                    reps = var.placebo(y, n0, t0, fitted, orders)
                else:
                    reps = var.bootstrap(y, n0, t0, fitted, draws, rng)
            se = reps.std_errors
            unit_se = reps.unit_std_error
            interpolation = _interpolating_time_weights(y, n0, t0, fitted.lam)
            if interpolation:
                warnings.append(interpolation)
            if inference != "placebo" and d.n1 < FEW_TREATED:
                warnings.append(
                    f"{d.n1} treated units: the {inference} variance rests on many treated units "
                    "and is unreliable with few (Arkhangelsky et al. 2021, section 5); the "
                    "placebo variance is the paper's choice here"
                )
        terms = ["att", *[f"att:t={p}" for p in d.labels[t0:]]]
        table = wald_table(terms, point, se, level=level)
        if d.n1 > 1:
            units = est.unit_effects(y, n0, t0, fitted.omega, fitted.lam)
            unit_rows = wald_table(
                [f"att:unit={u}" for u in d.treated], units, np.full(d.n1, unit_se), level=level
            )
            table = pd.concat([table, unit_rows], ignore_index=True)
            if inference in ("jackknife", "bootstrap"):
                warnings.append(var.unit_rows_note(inference))
        if random:
            warnings += bootstrap_se_p_warnings(
                table["term"][: len(point)], table["statistic"][: len(point)], draws, level
            )
        opts = fitted.options
        diagnostics: dict[str, Any] = {
            "donors": n0,
            "treated_units": d.n1,
            "pre_periods": t0,
            "post_periods": d.t1,
            "noise_level": est.noise_level(y, n0, t0),
            "zeta_omega": opts.zeta_omega,
            "zeta_lambda": opts.zeta_lambda,
            "effective_donors": float(1.0 / np.sum(fitted.omega**2)),
            "solver_converged": bool(np.all(fitted.converged)),
        }
        return SyntheticResult(
            unit_weights=_weights_frame(d.donors, fitted.omega, "unit"),
            time_weights=_weights_frame(d.labels[:t0], fitted.lam, "period"),
            path=_path(d, fitted),
            design=NAMES[self._settings["estimator"]],
            effects=table,
            settings=self._fit_settings(inference, draws, random),
            level=level,
            seed=seed if random else None,
            provenance=self._provenance,
            diagnostics=diagnostics,
            warnings=tuple(warnings),
        )


def _weights_frame(labels: Sequence[Any], w: np.ndarray, name: str) -> pd.DataFrame:
    frame = pd.DataFrame({name: [str(v) for v in labels], "weight": w})
    return frame.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)


def _path(d: SyntheticData, fitted: est.Estimate) -> pd.DataFrame:
    """Treated average and the synthetic control shifted by the lambda-weighted pre-period
    difference (the SDiD intercept), so the post-period gaps are the ``att:t`` effects."""
    treated = d.y[d.n0 :].mean(axis=0)
    synthetic = fitted.omega @ d.y[: d.n0]
    shift = float((treated - synthetic)[: d.t0] @ fitted.lam)
    synthetic = synthetic + shift
    return pd.DataFrame(
        {
            "period": list(d.labels),
            "treated": treated,
            "synthetic": synthetic,
            "gap": treated - synthetic,
            "post": np.arange(len(d.periods)) >= d.t0,
        }
    )


def _interpolating_time_weights(y: np.ndarray, n0: int, t0: int, lam: np.ndarray) -> str | None:
    """A warning when the time weights reproduce every donor's post-period mean (up to the
    intercept): with at least as many pre-periods as donors the nearly unpenalised lambda can
    interpolate the donors, so each placebo or bootstrap replicate's estimate is close to zero
    by construction and their spread understates the uncertainty."""
    controls = y[:n0]
    gap = controls[:, t0:].mean(axis=1) - controls[:, :t0] @ lam
    spread = float(np.std(gap - gap.mean()))
    sigma = est.noise_level(y, n0, t0)
    if n0 > t0 or not np.isfinite(sigma) or spread > 0.01 * sigma:
        return None
    return (
        f"the time weights fit every donor's post-period mean exactly ({n0} donors, {t0} "
        "pre-periods): the replications' estimates are then near zero by construction and the "
        "standard error can be far too small; use fewer, longer periods or more donors, or "
        "read the interval as a lower bound on the uncertainty"
    )
