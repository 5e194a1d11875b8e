"""Headline sentences from the numbers, with one rule for the language of significance.

Every headline states the estimate, its interval and its p-value together, and says how strong
the evidence is by one rule (:func:`evidence`), so no report can call a p = 0.3 result a
reduction or bury a p = 0.003 one:

- **clear**: p < 1 - level *and* the interval excludes no change (0 for a difference, 1 for a
  ratio). Both, because a randomization p-value can sit beside a cluster-robust interval and
  the two can disagree; when they do, the evidence is not called clear.
- **weak**: not clear, but p < 0.10 or the interval excludes no change.
- **none**: otherwise ("no clear evidence of a change").

The direction word ("fewer"/"more", "lower"/"higher") comes from the sign of the estimate; the
sentence never says "reduced" or "caused" (an association the design identifies under its own
assumptions, which the report states).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd

from vrueval.reporting.report import fmt_number, fmt_percent_change, p_text

Evidence = Literal["clear", "weak", "none"]
Scale = Literal["difference", "ratio"]

#: p-values below this (but not clear) are "weak evidence".
WEAK_P = 0.10


def _null(scale: Scale) -> float:
    if scale not in ("difference", "ratio"):
        raise ValueError(f"scale must be one of ('difference', 'ratio'), got {scale!r}")
    return 1.0 if scale == "ratio" else 0.0


def _alpha(level: float) -> float:
    """1 - level without the float residue (1 - 0.95 is 0.050000000000000044)."""
    return round(1.0 - level, 12)


def _finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(float(v)) for v in values)


def evidence(
    p_value: float,
    conf_low: float,
    conf_high: float,
    scale: Scale = "difference",
    level: float = 0.95,
) -> Evidence:
    """How strong the evidence of a change is, by the module's one rule.

    Raises
    ------
    ValueError
        For a missing p-value or interval (a headline needs all three) or an interval whose
        low end is above its high end.
    """
    if not _finite(p_value, conf_low, conf_high):
        raise ValueError(
            f"a headline needs a p-value and a finite interval, got p={p_value!r}, "
            f"interval=({conf_low!r}, {conf_high!r})"
        )
    if conf_low > conf_high:
        raise ValueError(f"interval low {conf_low} is above high {conf_high}")
    null = _null(scale)
    excludes = conf_low > null or conf_high < null
    if p_value < _alpha(level) and excludes:
        return "clear"
    if p_value < WEAK_P or excludes:
        return "weak"
    return "none"


def headline_sentence(
    estimate: float,
    conf_low: float,
    conf_high: float,
    p_value: float,
    *,
    unit: str,
    scale: Scale = "difference",
    subject: str = "VRU areas",
    level: float = 0.95,
    digits: int = 1,
) -> str:
    """One sentence: the estimate with its unit, interval, p-value and strength of evidence.

    Parameters
    ----------
    estimate, conf_low, conf_high, p_value : float
        A row of a result's effects table.
    unit : str
        What a difference counts, in words ("knife offences per 100,000 residents a year"); for
        a ratio, the measure ("homicide rate").
    scale : {"difference", "ratio"}
        A difference in the unit, or a rate ratio (shown as a percentage change).
    subject : str
        Who the estimate is about ("VRU areas", "West Midlands").

    Examples
    --------
    >>> headline_sentence(-12.4, -20.2, -4.5, 0.002, unit="knife offences per 100,000 residents")
    'VRU areas: 12.4 fewer knife offences per 100,000 residents than the comparison implies (95% CI −20.2 to −4.5; p = 0.002), clear evidence of a fall.'
    """  # noqa: E501
    strength = evidence(p_value, conf_low, conf_high, scale, level)
    pct = f"{int(round(level * 100))}% CI"
    null = _null(scale)
    if scale == "ratio":
        size = fmt_percent_change(estimate, digits).lstrip("+\u2212")
        word = "lower" if estimate < null else "higher"
        amount = f"{unit} {size} {word}"
        low, high = fmt_percent_change(conf_low, digits), fmt_percent_change(conf_high, digits)
    else:
        word = "fewer" if estimate < null else "more"
        amount = f"{fmt_number(abs(estimate), digits)} {word} {unit}"
        low, high = fmt_number(conf_low, digits), fmt_number(conf_high, digits)
    direction = "fall" if estimate < null else "rise"
    verdict = {
        "clear": f"clear evidence of a {direction}",
        "weak": f"weak evidence of a {direction}, not significant at the "
        f"{round(_alpha(level) * 100):g}% level"
        if p_value >= _alpha(level)
        else f"weak evidence of a {direction}: the p-value and the interval disagree",
        "none": "no clear evidence of a change",
    }[strength]
    return (
        f"{subject}: {amount} than the comparison implies ({pct} {low} to {high}; "
        f"{p_text(p_value)}), {verdict}."
    )


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in rows.to_dict("records")]


def _largest(rows: pd.DataFrame) -> dict[str, Any]:
    return max(_records(rows), key=lambda r: abs(float(r["estimate"])))


def _signed(x: float, digits: int) -> str:
    return ("+" if x > 0 else "") + fmt_number(x, digits)


def _periods_text(periods: list[str]) -> str:
    if len(periods) == 1:
        return periods[0]
    if len(periods) <= 4:
        return ", ".join(periods[:-1]) + " and " + periods[-1]
    return f"{len(periods)} periods from {periods[0]} to {periods[-1]}"


def clear_rows(
    rows: pd.DataFrame, scale: Scale = "difference", level: float = 0.95
) -> pd.DataFrame:
    """The rows (``estimate, conf_low, conf_high, p_value``) with clear evidence of a change."""
    keep = [
        evidence(float(r["p_value"]), float(r["conf_low"]), float(r["conf_high"]), scale, level)
        == "clear"
        for r in _records(rows)
    ]
    return rows[keep]


def pretrend_diverges(
    leads_p: float, run_up: pd.DataFrame, level: float = 0.95, scale: Scale = "difference"
) -> bool:
    """Whether the groups were moving apart before the start: the leads' joint test rejects,
    or an estimate of the run-up (the periods the leads test leaves out) is clearly non-zero."""
    return bool(leads_p < _alpha(level) or len(clear_rows(run_up, scale, level)))


def pretrend_sentence(
    leads_p: float,
    leads_span: str,
    run_up: pd.DataFrame,
    *,
    unit: str,
    run_up_what: str = "the run-up to the start",
    level: float = 0.95,
    digits: int = 1,
) -> str:
    """What the pre-period says about parallel trends: the joint test of the leads *and* the
    run-up it does not cover, never the first alone.

    Parameters
    ----------
    leads_p : float
        p-value of the joint test that the leads tested are zero.
    leads_span : str
        The periods those leads cover ("2013Q2 to 2016Q1").
    run_up : DataFrame
        The estimates between the tested leads and the real start, one row a period:
        ``period`` (label), ``estimate``, ``conf_low``, ``conf_high``, ``p_value``.
    unit : str
        What the differences count ("offences per 100,000 residents a quarter").

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"period": ["2018Q4", "2019Q1"], "estimate": [0.2, 4.8],
    ...     "conf_low": [-1.3, 2.1], "conf_high": [1.7, 7.5], "p_value": [0.79, 0.001]})
    >>> pretrend_sentence(0.127, "2013Q2 to 2016Q1", rows, unit="offences")
    'The leads tested (2013Q2 to 2016Q1) are jointly indistinguishable from zero (p = 0.127), but that test does not cover the run-up to the start: there the difference reaches +4.8 offences in 2019Q1 (95% CI 2.1 to 7.5; p = 0.001), an interval excluding zero in 1 of 2 periods. The groups were already moving apart.'
    """  # noqa: E501
    pct = f"{int(round(level * 100))}%"
    rejects = leads_p < _alpha(level)
    leads = (
        f"The leads tested ({leads_span}) are jointly "
        f"{'different from' if rejects else 'indistinguishable from'} zero ({p_text(leads_p)})"
    )
    clear = clear_rows(run_up, "difference", level)
    if clear.empty:
        largest = _largest(run_up) if len(run_up) else None
        tail = (
            f"; in {run_up_what} no estimate is clearly different from zero (the largest, "
            f"{_signed(float(largest['estimate']), digits)} {unit} in {largest['period']}: "
            f"{pct} CI {fmt_number(float(largest['conf_low']), digits)} to "
            f"{fmt_number(float(largest['conf_high']), digits)}; "
            f"{p_text(float(largest['p_value']))})"
            if largest is not None
            else ""
        )
        verdict = (
            " The groups were already moving apart."
            if rejects
            else " No divergence shows at the 5% level, which is necessary, not sufficient, for "
            "parallel trends."
        )
        return leads + tail + "." + verdict
    top = _largest(clear)
    periods = [str(p) for p in clear["period"]]
    lo, hi = float(clear["estimate"].min()), float(clear["estimate"].max())
    size = (
        _signed(lo, digits)
        if len(clear) == 1
        else f"{_signed(lo, digits)} to {_signed(hi, digits)}"
    )
    detail = (
        f"({pct} CI {fmt_number(float(top['conf_low']), digits)} to "
        f"{fmt_number(float(top['conf_high']), digits)}; {p_text(float(top['p_value']))})"
        if len(clear) == 1
        else f"(largest {_signed(float(top['estimate']), digits)} in {top['period']}: {pct} CI "
        f"{fmt_number(float(top['conf_low']), digits)} to "
        f"{fmt_number(float(top['conf_high']), digits)}; {p_text(float(top['p_value']))})"
    )
    return (
        f"{leads}, {'and' if rejects else 'but'} that test does not cover {run_up_what}: there "
        f"the difference reaches {size} {unit} in {_periods_text(periods)} {detail}, "
        f"{'an interval' if len(clear) == 1 else 'intervals'} excluding zero in {len(clear)} of "
        f"{len(run_up)} periods."
        + (
            " The groups were already moving apart."
            # one clear period decides only when it survives a Bonferroni correction
            if rejects or len(clear) >= 2 or float(clear["p_value"].min()) < 0.05 / len(run_up)
            else f" One period in {len(run_up)} standing out can happen by chance (about 1 in "
            "20 for each period tested, and this one does not survive a Bonferroni "
            "correction): a warning that the groups may have been moving apart, not proof."
        )
    )


def timing_sentence(
    rows: pd.DataFrame,
    flagged: dict[str, str],
    *,
    unit: str,
    level: float = 0.95,
    digits: int = 1,
) -> str:
    """Where in time an effect sits: the post-start periods with clear evidence, each with its
    estimate, interval and p-value, and any of them in a flagged period (e.g. COVID-19 years).

    ``rows``: ``period`` (label), ``estimate``, ``conf_low``, ``conf_high``, ``p_value``;
    ``flagged``: period label -> why it is flagged ("the first COVID-19 year").
    """
    pct = f"{int(round(level * 100))}%"
    clear = clear_rows(rows, "difference", level)
    if clear.empty:
        return f"No single year after the start shows clear evidence of a change ({pct} level)."
    parts = []
    for r in _records(clear):
        period = str(r["period"])
        note = f", {flagged[period]}" if period in flagged else ""
        parts.append(
            f"{period}{note}: {_signed(float(r['estimate']), digits)} {unit} ({pct} CI "
            f"{fmt_number(float(r['conf_low']), digits)} to "
            f"{fmt_number(float(r['conf_high']), digits)}; {p_text(float(r['p_value']))})"
        )
    in_flagged = [str(p) for p in clear["period"] if str(p) in flagged]
    lead = "in every year after the start: " if len(clear) == len(rows) else "only in "
    text = f"The effect is clear {lead}" + "; ".join(parts) + "."
    if in_flagged and len(in_flagged) == len(clear):
        text += (
            " Every such year is a flagged one: the estimate may reflect how the pandemic "
            "hit VRU and comparator areas differently."
        )
    elif in_flagged:
        text += f" Of these, {_periods_text(in_flagged)} fall in flagged years."
    return text


__all__ = [
    "WEAK_P",
    "clear_rows",
    "evidence",
    "headline_sentence",
    "pretrend_diverges",
    "pretrend_sentence",
    "timing_sentence",
]
