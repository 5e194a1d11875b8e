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
from typing import Literal

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


__all__ = ["WEAK_P", "evidence", "headline_sentence"]
