"""The inference of :class:`~vrueval.SyntheticControl` for its one treated unit: each method
turns the fit into the effects table (and its diagnostics, warnings and frames).

* :func:`placebo` -- in-space placebos, RMSPE-ratio and absolute-gap ranks (ADH 2010);
* :func:`conformal` -- Chernozhukov, Wüthrich and Zhu (2021)
  (:mod:`~vrueval.designs.synthetic.conformal`);
* :func:`leave_one_out` -- the estimate refitted without each donor the weights use
  (Abadie, Diamond and Hainmueller 2015): a robustness check, not an interval;
* :func:`truncated` -- the data of an in-time placebo (the pre-period with a placebo start),
  fitted and tested like the real one by the design.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from vrueval.designs.synthetic import conformal as cf
from vrueval.designs.synthetic import placebo as plc
from vrueval.designs.synthetic.control import ControlFit, Rule, outcome_weights, synthetic_control
from vrueval.designs.synthetic.data import SyntheticData, SyntheticDataError
from vrueval.inference.draws import attainable_p_warning
from vrueval.inference.intervals import wald_table

#: The treated unit's pre-period fit is called poor when it is worse than this share of the
#: placebo units' fits (ADH 2010 drop placebos fitted far worse than the treated unit; the
#: converse, a treated unit fitted worse than nearly every donor, makes its gap uninformative).
POOR_FIT_SHARE = 0.9


@dataclass
class Inferred:
    """What a method adds to the fit."""

    table: pd.DataFrame
    diagnostics: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    placebos: pd.DataFrame | None = None


def terms_and_point(d: SyntheticData, fit: ControlFit) -> tuple[list[str], np.ndarray]:
    """``att`` and ``att:t=<period>`` with their estimates (the post-period gaps and mean)."""
    post = fit.gap[d.t0 :]
    return ["att", *[f"att:t={p}" for p in d.labels[d.t0 :]]], np.concatenate([[post.mean()], post])


def none(d: SyntheticData, fit: ControlFit, level: float) -> Inferred:
    terms, point = terms_and_point(d, fit)
    table = wald_table(terms, point, np.full(len(point), np.nan), level=level)
    table["p_value"] = np.nan
    return Inferred(table)


def placebo(
    d: SyntheticData, fit: ControlFit, rule: Rule, level: float, drop_poor_fit: float | None
) -> Inferred:
    """In-space placebos: every donor refitted as if treated by the same rule."""
    y, n0, t0 = d.y, d.n0, d.t0
    terms, point = terms_and_point(d, fit)
    pl = plc.in_space(y, n0, t0, d.predictors, rule)
    keep = plc.kept(pl, fit, drop_poor_fit)
    effects = np.column_stack([pl.gaps[:, t0:].mean(axis=1), pl.gaps[:, t0:]])
    # the spread of fewer than two placebo effects is no standard error
    se = effects[keep].std(axis=0, ddof=0) if keep.sum() >= 2 else np.full(effects.shape[1], np.nan)
    table = wald_table(terms, point, se, level=level)
    table["p_value"] = np.concatenate(
        [[plc.ratio_p_value(pl, fit, keep)], plc.period_p_values(pl, fit, keep, t0)]
    )
    table["p_value_method"] = ["rmspe_ratio_rank", *["abs_gap_rank"] * d.t1]
    out = Inferred(table)
    out.diagnostics["placebos"] = int(keep.sum())
    out.diagnostics["placebos_dropped_poor_fit"] = int((~keep).sum())
    share = float(np.mean(pl.pre_rmspe < fit.pre_rmspe))
    out.diagnostics["share_of_placebos_fitting_better"] = share
    if share >= POOR_FIT_SHARE:
        out.warnings.append(
            f"poor pre-period fit: the treated unit's pre-RMSPE ({fit.pre_rmspe:.4g}) is "
            f"larger than {100 * share:.0f}% of the placebo units'; its post-period gap "
            "may be the misfit continuing, not an effect"
        )
    floor = attainable_p_warning(1, int(keep.sum()) + 1, level, f"{int(keep.sum())} placebo units")
    if floor:
        # the rank test cannot reject at this level, so no interval excludes anything
        out.warnings.append(floor)
        table["conf_low"], table["conf_high"] = -np.inf, np.inf
    frame = pd.DataFrame(
        {
            "unit": [str(u) for u in d.donors],
            "pre_rmspe": pl.pre_rmspe,
            "post_rmspe": pl.post_rmspe,
            "rmspe_ratio": pl.ratio,
            "att": effects[:, 0],
            "kept": keep,
        }
    )
    # each placebo's gap path, one column a period (for the placebo plot)
    gap_columns = pd.DataFrame(pl.gaps, columns=[f"gap:{p}" for p in d.labels])
    out.placebos = pd.concat([frame, gap_columns], axis=1)
    return out


def conformal(
    d: SyntheticData,
    fit: ControlFit,
    rule: Rule,
    level: float,
    permutations: str,
    draws: int,
    seed: int | None,
) -> Inferred:
    """Conformal p-values (null: no effect) and confidence sets, by test inversion."""
    if d.predictor_names:
        raise SyntheticDataError(
            "conformal inference refits the weights to the outcomes with the tested periods "
            "added; it is defined for weights fitted to the pre-period outcomes: leave out "
            "predictors="
        )
    terms, point = terms_and_point(d, fit)
    rng = np.random.default_rng(seed) if permutations == "iid" else None
    res = cf.conformal(
        d.y, d.n0, d.t0, fit.gap, outcome_weights(rule, fit.ridge), level, permutations, draws, rng
    )
    table = pd.DataFrame(
        {
            "term": terms,
            "estimate": point,
            "std_error": np.nan,
            "conf_low": res.low,
            "conf_high": res.high,
            "p_value": res.p_value,
        }
    )
    table["p_value_method"] = f"conformal_{permutations}"
    table["interval"] = ["constant_effect", *["pointwise"] * d.t1]
    out = Inferred(table)
    out.diagnostics["conformal_permutations"] = int(res.permutations[1])
    out.diagnostics["conformal_permutations_att"] = int(res.permutations[0])
    if permutations == "moving_block":
        floor = attainable_p_warning(
            1,
            int(res.permutations[1]),
            level,
            f"{int(res.permutations[1])} cyclic shifts of the {d.t0} pre-periods and one tested",
        )
        if floor:
            out.warnings.append(floor)
    if np.isinf(res.low).any() or np.isinf(res.high).any():
        out.warnings.append(
            "a conformal confidence set did not close within a grid of "
            f"{2**cf.WIDEN}x the effects' scale on one side or both: reported as unbounded on "
            "that side (a half-line when it closed on the other)"
        )
    if np.isnan(res.low).any():
        out.warnings.append(
            "a conformal confidence set is empty (every effect tried is rejected): the "
            "synthetic control does not fit that period like the pre-periods under any "
            "constant shift; reported as missing"
        )
    return out


def leave_one_out(d: SyntheticData, fit: ControlFit, rule: Rule, level: float) -> Inferred:
    """The estimate refitted without each donor that carries synthetic control weight."""
    base = none(d, fit, level)
    n0, t0 = d.n0, d.t0
    used = fit.sc_w if fit.sc_w is not None else fit.w
    drop = [j for j in np.argsort(-used, kind="stable") if used[j] > 1e-6]
    if n0 - 1 < 2:
        raise SyntheticDataError("leave-one-out needs at least 3 donors")
    rows = []
    donors = np.arange(n0)
    for j in drop:
        refit = synthetic_control(d.y, t0, n0, donors[donors != j], d.predictors, rule)
        rows.append((f"leave_one_out:{d.donors[j]}", float(refit.gap[t0:].mean())))
    extra = pd.DataFrame(
        {
            "term": [r[0] for r in rows],
            "estimate": [r[1] for r in rows],
            "std_error": np.nan,
            "conf_low": np.nan,
            "conf_high": np.nan,
            "p_value": np.nan,
        }
    )
    table = pd.concat([base.table, extra], ignore_index=True)
    out = Inferred(table)
    estimates = np.array([r[1] for r in rows])
    att = float(fit.gap[t0:].mean())
    out.diagnostics["leave_one_out_min"] = float(estimates.min())
    out.diagnostics["leave_one_out_max"] = float(estimates.max())
    flips = [r[0].split(":", 1)[1] for r in rows if np.sign(r[1]) != np.sign(att)]
    if flips:
        out.warnings.append(
            f"the average effect changes sign without {', '.join(flips)}: it rests on "
            "that donor (those donors)"
        )
    return out


def truncated(d: SyntheticData, placebo_start: Any) -> SyntheticData:
    """The pre-period alone, with ``placebo_start`` (None: the middle pre-period) as the first
    treated period: an in-time placebo (ADH 2015), where no effect should show."""
    if d.predictor_names:
        raise SyntheticDataError(
            "an in-time placebo refits on the periods before the placebo start; predictors "
            "averaged over the real pre-period would see its placebo post-period: leave out "
            "predictors="
        )
    pre = d.labels[: d.t0]
    stored = [str(p) for p in d.periods[: d.t0]]  # a financial year as the year it ends in
    if placebo_start is None:
        at = d.t0 // 2
    else:
        text = str(placebo_start)
        if text not in pre and text not in stored:
            raise SyntheticDataError(
                f"placebo_start={placebo_start!r} is not a pre-treatment period "
                f"({pre[0]} .. {pre[-1]})"
            )
        at = pre.index(text) if text in pre else stored.index(text)
    if at < 2 or at > d.t0 - 1:
        raise SyntheticDataError(
            f"an in-time placebo needs at least 2 periods before its start and 1 after, "
            f"within the {d.t0} pre-periods; placebo_start={d.periods[at]!r} leaves "
            f"{at} before"
        )
    return replace(d, y=d.y[:, : d.t0].copy(), t0=at, periods=d.periods[: d.t0])
