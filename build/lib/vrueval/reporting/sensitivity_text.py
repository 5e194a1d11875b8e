"""What a sensitivity analysis means, in one or two sentences built from its numbers.

The wording claims no more than the numbers: an interval that excludes zero under exact
parallel trends is "distinguishable from zero", and the breakdown value says how large a
violation of parallel trends, relative to those seen before the start, that survives; an
interval that already contains zero says the data cannot tell, and how wide the robust set
becomes.
"""

from __future__ import annotations

from typing import Any

from vrueval.reporting.report import fmt_number


def _interval(low: float, high: float, digits: int) -> str:
    return f"{fmt_number(low, digits)} to {fmt_number(high, digits)}"


def sensitivity_table(result: Any, digits: int = 2) -> Any:
    """One row per bound and the original interval first, ready for :func:`rp.show`."""
    import pandas as pd

    pct = int(round(result.level * 100))
    name = "M̄" if result.bound_name == "Mbar" else "M"
    o = result.original
    rows = [
        {
            name: "original (exact parallel trends)",
            f"{pct}% interval": _interval(o["conf_low"], o["conf_high"], digits),
            "excludes zero": "yes" if o["conf_low"] > 0 or o["conf_high"] < 0 else "no",
        }
    ]
    for r in result.effects().itertuples():
        rows.append(
            {
                name: f"{r.bound:g}",
                f"{pct}% interval": _interval(r.conf_low, r.conf_high, digits),
                "excludes zero": "yes" if r.conf_low > 0 or r.conf_high < 0 else "no",
            }
        )
    return pd.DataFrame(rows)


def sensitivity_sentence(
    result: Any, *, what: str, units: str = "", placebo: bool = False, digits: int = 2
) -> str:
    """A sentence on what the robust sets and the breakdown value say about ``what`` (e.g.
    "the average effect on robbery CSS"), for relative magnitudes (``Mbar``) or smoothness
    (``M``). ``placebo``: the estimate is the "effect" of a start that never happened, so a
    breakdown value measures how small a violation of parallel trends explains it."""
    o = result.original
    pct = int(round(result.level * 100))
    unit = f" {units}" if units else ""
    est = f"{fmt_number(o['estimate'], digits)}{unit}"
    ci = f"{pct}% CI {_interval(o['conf_low'], o['conf_high'], digits)}"
    rm = result.bound_name == "Mbar"
    b = result.breakdown
    table = result.effects()
    widest = table.iloc[-1]
    top = f"{'M̄' if rm else 'M'} = {widest['bound']:g}"
    widest_text = _interval(widest["conf_low"], widest["conf_high"], digits)
    scale = (
        "times the largest change between consecutive periods before the start"
        if rm
        else f"{units or 'units'} per period of change in the slope of the violation"
    )
    if b is None or b.get("value") is None:
        if placebo:
            return (
                f"Under exact parallel trends {what} is {est} ({ci}), indistinguishable from "
                f"zero; allowing post-period violations of parallel trends up to {top} "
                f"({scale}) widens the interval to {widest_text}, so this placebo check cannot "
                "tell parallel trends from violations of that size."
            )
        return (
            f"Under exact parallel trends {what} is {est} ({ci}), already indistinguishable "
            f"from zero; allowing violations of parallel trends up to {top} ({scale}) widens "
            f"the interval to {widest_text}: the data cannot rule out effects of either sign "
            "of that size."
        )
    value = float(b["value"])
    bound = f"{'M̄' if rm else 'M'} = {value:.2g}"
    if placebo:
        size = (
            "smaller than the changes already seen before the fake start"
            if rm and value < 1
            else "as large as those seen before the fake start or larger"
            if rm
            else "of that size"
        )
        return (
            f"Under exact parallel trends {what} is {est} ({ci}), distinguishable from zero "
            f"although nothing started; it stops being so once post-period violations of "
            f"parallel trends of {bound} ({scale}) are allowed, violations {size}. The placebo "
            "'effect' could be produced by violations of that size alone."
        )
    if rm:
        verdict = (
            "smaller than the changes already seen before the start, so the evidence for an "
            "effect does not survive violations of parallel trends as large as the pre-period's"
            if value < 1
            else "so the conclusion survives violations as large as the largest seen before "
            "the start"
        )
    else:
        verdict = "beyond which a change in the trend's slope could explain the estimate"
    return (
        f"Under exact parallel trends {what} is {est} ({ci}). It stays distinguishable from "
        f"zero only while post-period violations of parallel trends are at most {bound} "
        f"({scale}; the breakdown value), {verdict}; at {top} the {pct}% robust interval is "
        f"{widest_text}."
    )
