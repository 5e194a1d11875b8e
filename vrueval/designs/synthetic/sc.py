"""Synthetic control for one treated unit (Abadie, Diamond and Hainmueller 2010; Abadie 2021).

>>> import pandas as pd, vrueval as ve
>>> prop99 = pd.read_csv("data/california_prop99/california_prop99.csv", sep=";")
>>> sc = ve.SyntheticControl(prop99, unit="State", time="Year", outcome="PacksPerCapita",
...                          treated=["California"], start=1989)
>>> res = sc.fit(inference="none")
>>> res.weights().loc[0, "unit"]
'Utah'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.designs.fit_options import check_applies
from vrueval.designs.synthetic import sc_inference as sci
from vrueval.designs.synthetic.control import ControlFit, Rule, synthetic_control
from vrueval.designs.synthetic.data import Predictor, SyntheticData, SyntheticDataError
from vrueval.designs.synthetic.design import SyntheticDesign
from vrueval.designs.synthetic.inputs import read
from vrueval.designs.synthetic.options import SYNTHETIC_CONTROL
from vrueval.designs.synthetic.options import SCInference as Inference
from vrueval.designs.synthetic.options import SCMethod as Method
from vrueval.designs.synthetic.options import SCPermutations as Permutations
from vrueval.designs.synthetic.results import SyntheticResult
from vrueval.inference.draws import check_draws
from vrueval.inference.seeds import check_seed
from vrueval.options import OptionsTable, choice


class SyntheticControl(SyntheticDesign):
    """Synthetic control: the treated unit against a weighted average of donor units.

    Estimand: the effect on the treated unit in each post-period, ``att:t=<period>`` (its
    outcome minus the synthetic control's), and their average, ``att``.

    Weights are non-negative and sum to one (no extrapolation beyond the donors' convex hull),
    fitted to the pre-period outcomes, or to ``predictors`` (columns averaged over chosen
    pre-periods) with predictor weights V supplied (``v=``) or chosen by the nested
    optimisation (minimising the pre-period outcome MSPE).

    Assumptions: no anticipation and no spillover to the donors; the treated unit's untreated
    outcome follows the weighted donors' (a factor model the pre-period fit can only support,
    never prove: a poor pre-period fit is warned about); one treated unit.

    Parameters
    ----------
    data : Panel or DataFrame
    outcome : str
    treated : list with one unit, or str
        The treated unit (with ``start``), or (frame) the 0/1 treatment column.
    start : period
        First treated period.
    first_treated, unit, time : str
        Frame only, as in :class:`~vrueval.SyntheticDiD`.
    predictors : sequence
        Frame only. Each a column name (averaged over all pre-periods) or ``(column, periods)``
        (averaged over those pre-periods); the outcome column with one period is a lagged
        outcome, as ADH's ``cigsale(1988)``. Empty: match every pre-period outcome.
    v : sequence of float, optional
        Fixed predictor weights (one a predictor); None runs the nested optimisation.
    method : {"synth", "augmented"}
        "augmented": the ridge-augmented synthetic control of Ben-Michael, Feller and
        Rothstein (2021). The synthetic control weights (fitted to the pre-period outcomes) are
        moved by a ridge regression of the donors' outcomes on their pre-period outcomes,
        which removes the bias the remaining pre-period imbalance would cause; the weights
        still sum to one but may be negative (extrapolation, which the penalty limits). Its
        estimand and assumptions are those above, with a linear outcome model standing in for
        the part of the fit the simplex cannot reach. Pre-period outcomes only (no
        ``predictors``).
    penalty : float
        Method "synth": Abadie and L'Hour (2021)'s penalty ``lambda >= 0`` on
        ``sum_j w_j |X1 - X_j|^2`` beside the fit ``|X1 - X0 w|^2`` (on the matched rows, in
        the V metric): 0 is ADH's synthetic control, large values move the weight onto the
        nearest donor (matching). It makes the weights unique and sparse, and keeps them on
        donors close to the treated unit rather than on far ones that average out.
    ridge : float, optional
        Method "augmented": the ridge penalty; None chooses it by the paper's
        cross-validation (each pre-period but the last held out in turn; the largest penalty
        whose mean held-out error is within one standard error of the smallest).

    References
    ----------
    Abadie, A., Diamond, A. and Hainmueller, J. (2010). Synthetic control methods for
    comparative case studies. JASA 105(490), 493-505.
    Abadie, A. (2021). Using synthetic controls. Journal of Economic Literature 59(2), 391-425.
    Abadie, A. and L'Hour, J. (2021). A penalized synthetic control estimator for
    disaggregated data. JASA 116(536), 1817-1834.
    Ben-Michael, E., Feller, A. and Rothstein, J. (2021). The augmented synthetic control
    method. JASA 116(536), 1789-1803.
    """

    OPTIONS: ClassVar[OptionsTable] = SYNTHETIC_CONTROL

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
        predictors: Sequence[Predictor] = (),
        v: Sequence[float] | None = None,
        method: Method = "synth",
        penalty: float = 0.0,
        ridge: float | None = None,
    ) -> None:
        choice(method, SYNTHETIC_CONTROL.constructor["method"].allowed or (), "method")
        check_applies(
            SYNTHETIC_CONTROL.constructor,
            method,
            {"penalty": penalty, "ridge": ridge},
            kind="method",
        )
        if not (isinstance(penalty, int | float) and np.isfinite(penalty) and penalty >= 0):
            raise ValueError(f"penalty must be a finite number >= 0, got {penalty!r}")
        if ridge is not None and not (
            isinstance(ridge, int | float) and np.isfinite(ridge) and ridge > 0
        ):
            raise ValueError(
                f"ridge must be a positive number (or None: cross-validated), got {ridge!r}"
            )
        if isinstance(predictors, str):
            predictors = (predictors,)
        self._data, self._provenance = read(
            data,
            outcome=outcome,
            treated=treated,
            start=start,
            first_treated=first_treated,
            unit=unit,
            time=time,
            predictors=predictors,
        )
        d = self._data
        if d.n1 != 1:
            raise SyntheticDataError(
                f"synthetic control fits one treated unit, got {d.n1} ({list(d.treated)}): fit "
                "each on its own, or use SyntheticDiD for their average"
            )
        if v is not None:
            vv = np.asarray(v, dtype=float)
            k = len(d.predictor_names)
            if k == 0:
                raise SyntheticDataError("v= weights predictors; give predictors= too")
            if vv.shape != (k,) or not np.isfinite(vv).all() or (vv < 0).any() or vv.sum() <= 0:
                raise SyntheticDataError(
                    f"v must be {k} non-negative numbers, not all zero (one a predictor: "
                    f"{list(d.predictor_names)}); got {list(v)}"
                )
            self._v: np.ndarray | None = vv / vv.sum()
        else:
            self._v = None
        if method == "augmented" and d.predictor_names:
            raise SyntheticDataError(
                "method='augmented' balances the pre-period outcomes (its ridge model is on "
                "them); leave out predictors="
            )
        self._rule = Rule(self._v, float(penalty), method, None if ridge is None else float(ridge))
        self._settings = {
            "outcome": outcome,
            "treated": str(d.treated[0]),
            "start": str(d.start),
            "predictors": list(d.predictor_names),
            "v": "supplied" if v is not None else ("nested" if d.predictor_names else "equal"),
            "method": method,
        }
        if method == "synth":
            self._settings["penalty"] = float(penalty)
        else:
            self._settings["ridge"] = "cross-validated" if ridge is None else float(ridge)

    @property
    def data(self) -> SyntheticData:
        return self._data

    def fit(
        self,
        *,
        inference: Inference = "placebo",
        drop_poor_fit: float | None = None,
        permutations: Permutations = "moving_block",
        draws: int = 999,
        seed: int | None = None,
        placebo_start: Any = None,
        level: float = 0.95,
    ) -> SyntheticResult:
        """Fit the weights and the gaps, and infer by ``inference``.

        Parameters
        ----------
        inference : {"placebo", "conformal", "in_time", "leave_one_out", "none"}
            "placebo" refits every donor as if treated (from the other donors, by the same
            rule, V re-chosen when nested). ``p_value`` of ``att`` is the rank of the treated
            unit's post/pre RMSPE ratio among the placebos' (ADH 2010); of ``att:t`` the rank
            of its absolute gap in that period. ``std_error`` is the standard deviation of the
            placebo effects (the placebo variance of Arkhangelsky et al. 2021, every donor
            once) and the interval is ``estimate +- z * se``: a different question from the
            rank test, so the two can disagree.

            "conformal" (Chernozhukov, Wüthrich and Zhu 2021): each null (an effect in one
            post-period, or a constant effect over all of them for ``att``) is tested by
            refitting the weights with those periods added and permuting the residuals over
            time; ``p_value`` tests no effect, the interval is the set of effects not
            rejected (pointwise for ``att:t``; for a constant effect for ``att``), and
            ``std_error`` is missing. Valid when the residuals are stationary and weakly
            dependent and the weights fit the untreated outcomes (a factor model); outcome
            matching only (no predictors).

            "in_time" refits on the pre-period alone with ``placebo_start`` as a fake start
            and reports that fake effect with in-space placebo inference (ADH 2015), under the
            terms ``placebo_att`` and ``placebo_att:t=<period>`` so it is never read as the
            effect: an effect found there is a warning about the design, not a finding.

            "leave_one_out" adds ``leave_one_out:<donor>``, the average effect refitted without
            each donor the weights use (ADH 2015), to the point estimates (no intervals):
            whether one donor carries the result.
        drop_poor_fit : float, optional
            "placebo"/"in_time": leave out of the p-values the placebos whose pre-RMSPE
            exceeds this multiple of the treated unit's (ADH used 20, 5 and 2).
        permutations : {"moving_block", "iid"}
            "conformal": every cyclic shift of time (the paper's default, deterministic) or
            ``draws`` random permutations (needs ``seed``; for independent residuals).
        draws : int
            Random permutations of ``permutations="iid"``.
        seed : int, optional
            Required for ``permutations="iid"``; recorded. Other methods draw nothing.
        placebo_start : period, optional
            "in_time": the fake first treated period (None: the middle pre-period).
        level : float
        """
        level = self._check_fit(
            inference,
            level,
            {
                "drop_poor_fit": drop_poor_fit,
                "permutations": permutations,
                "draws": draws,
                "placebo_start": placebo_start,
            },
        )
        if drop_poor_fit is not None and not (
            isinstance(drop_poor_fit, int | float) and drop_poor_fit >= 1
        ):
            raise ValueError(f"drop_poor_fit must be a number >= 1, got {drop_poor_fit!r}")
        choice(permutations, self.OPTIONS.fit["permutations"].allowed or (), "permutations")
        random = inference == "conformal" and permutations == "iid"
        if inference == "conformal" and not random and draws != self.OPTIONS.default("draws"):
            raise ValueError(
                "draws= applies to permutations='iid' only (the moving-block scheme uses "
                "every cyclic shift); leave it out"
            )
        if random:
            check_draws(draws, level)
        check_seed(seed, random)
        d = self._data
        settings = {**self._settings, "inference": inference}
        design = (
            "Augmented synthetic control"
            if self._rule.method == "augmented"
            else "Penalised synthetic control"
            if self._rule.penalty > 0
            else "Synthetic control"
        )
        if inference == "in_time":
            d = sci.truncated(d, placebo_start)
            settings["placebo_start"] = str(d.start)
            design += " (in-time placebo)"
        fit = synthetic_control(d.y, d.t0, d.n0, np.arange(d.n0), d.predictors, self._rule)
        if inference == "none":
            inferred = sci.none(d, fit, level)
        elif inference in ("placebo", "in_time"):
            inferred = sci.placebo(d, fit, self._rule, level, drop_poor_fit)
            if inference == "in_time":
                # a fake effect under the real terms would be read (and recorded) as the effect
                inferred.table["term"] = "placebo_" + inferred.table["term"]
        elif inference == "conformal":
            inferred = sci.conformal(d, fit, self._rule, level, permutations, draws, seed)
            settings["permutations"] = permutations
            if random:
                settings["draws"] = draws
        else:
            inferred = sci.leave_one_out(d, fit, self._rule, level)
        if drop_poor_fit is not None:
            settings["drop_poor_fit"] = float(drop_poor_fit)
        warnings = _hull_warning(d) if self._rule.method == "synth" else _negative_warning(d, fit)
        warnings += inferred.warnings
        diagnostics = _diagnostics(d, fit) | inferred.diagnostics
        return SyntheticResult(
            unit_weights=_weights_frame(d, fit),
            time_weights=pd.DataFrame({"period": [], "weight": []}),
            path=_path(d, fit),
            placebos=inferred.placebos,
            design=design,
            effects=inferred.table,
            settings=settings,
            level=level,
            seed=seed if random else None,
            provenance=self._provenance,
            diagnostics=diagnostics,
            warnings=tuple(warnings),
        )


def _diagnostics(d: SyntheticData, fit: ControlFit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "donors": d.n0,
        "pre_periods": d.t0,
        "post_periods": d.t1,
        "pre_rmspe": fit.pre_rmspe,
        "post_rmspe": fit.post_rmspe,
        "rmspe_ratio": fit.post_rmspe / fit.pre_rmspe if fit.pre_rmspe > 0 else np.inf,
    }
    if d.predictor_names:
        out["v"] = ", ".join(f"{n}={x:.4g}" for n, x in zip(d.predictor_names, fit.v, strict=True))
    if fit.sc_w is not None:
        out.update(_augmented_diagnostics(fit, d.y, d.n0, d.t0))
    return out


def _weights_frame(d: SyntheticData, fit: ControlFit) -> pd.DataFrame:
    weights = pd.DataFrame({"unit": [str(u) for u in d.donors], "weight": fit.w})
    if fit.sc_w is not None:
        weights["sc_weight"] = fit.sc_w
    weights = weights.sort_values("weight", ascending=False, kind="stable")
    return weights.reset_index(drop=True)


def _path(d: SyntheticData, fit: ControlFit) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": list(d.labels),
            "treated": d.y[d.n0],
            "synthetic": fit.w @ d.y[: d.n0],
            "gap": fit.gap,
            "post": np.arange(len(d.periods)) >= d.t0,
        }
    )


def _hull_warning(d: SyntheticData) -> list[str]:
    """The treated unit above (or below) every donor in a pre-period cannot be matched by
    weights on the simplex: say in how many periods."""
    pre = d.y[:, : d.t0]
    above = pre[d.n0] > pre[: d.n0].max(axis=0)
    below = pre[d.n0] < pre[: d.n0].min(axis=0)
    out = []
    for side, flag in (("above", above), ("below", below)):
        if flag.any():
            out.append(
                f"the treated unit's outcome is {side} every donor's in {int(flag.sum())} of "
                f"{d.t0} pre-periods: outside the donors' convex hull no weights can fit it "
                "(consider SyntheticDiD, whose intercept allows a level difference)"
            )
    return out


def _negative_warning(d: SyntheticData, fit: ControlFit) -> list[str]:
    """Augmented weights below zero extrapolate beyond the donors: say how far, on the result."""
    negative = fit.w < -1e-10  # below rounding of the weights that sum to one
    if not negative.any():
        return []
    return [
        f"the augmented weights are negative on {int(negative.sum())} of {d.n0} donors (total "
        f"{float(fit.w[negative].sum()):.3g}): the ridge correction extrapolates beyond the "
        "donors' convex hull, and the estimate leans on the linear outcome model there"
    ]


def _augmented_diagnostics(fit: ControlFit, y: np.ndarray, n0: int, t0: int) -> dict[str, Any]:
    """The ridge penalty, the pre-period imbalance before and after augmentation (L2, and as a
    share of uniform weights' as augsynth reports it) and the estimated bias of plain
    synthetic control (the average post-period change the augmentation makes)."""
    assert fit.sc_w is not None
    pre0, pre1 = y[:n0, :t0], y[n0, :t0]
    uniform = float(np.linalg.norm(pre0.mean(axis=0) - pre1))
    aug_l2 = float(np.linalg.norm(fit.w @ pre0 - pre1))
    sc_l2 = float(np.linalg.norm(fit.sc_w @ pre0 - pre1))
    post = (fit.w - fit.sc_w) @ y[:n0, t0:]
    out: dict[str, Any] = {
        "ridge": fit.ridge,
        "ridge_rule": "cv_1se" if fit.cv is not None else "supplied",
        "l2_imbalance": aug_l2,
        "scaled_l2_imbalance": aug_l2 / uniform if uniform > 0 else float("nan"),
        "sc_l2_imbalance": sc_l2,
        "estimated_bias": float(post.mean()),
        "negative_weight_total": float(fit.w[fit.w < 0].sum()),
    }
    if fit.cv is not None:
        out["ridge_cv"] = {
            "lambda": fit.cv.lambdas.tolist(),
            "error": fit.cv.errors.tolist(),
            "std_error": fit.cv.std_errors.tolist(),
        }
    return out
