"""Human labels for terms, columns, outcomes and axes: the one mapping tables and figures use.

A reader of a report should never meet ``level_change``, ``att`` or ``css_robbery``: every
name a result carries is turned into words here, with units where the number has them
("Knife offences per 100,000 residents a quarter", "Robbery crime severity score (points)").
Tables (:func:`vrueval.reporting.effects_table`) and figures (the ITS, DiD, event-study,
staggered and synthetic plots) read the same functions, so a label changes in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Outcomes by the name a panel gives them: (what is counted, unit of a score or None).
OUTCOMES: dict[str, tuple[str, str | None]] = {
    "knife_offences": ("knife or sharp instrument offences", None),
    "knife_enabled": ("knife-enabled offences", None),
    "homicide": ("homicides", None),
    "homicide_and_serious_injury": ("homicides and serious injuries", None),
    "violence_with_injury": ("violence with injury offences", None),
    "possession_of_weapons": ("possession of weapons offences", None),
    "robbery": ("robberies", None),
    "admissions": ("hospital admissions for assault by a sharp object", None),
    "episodes": ("hospital episodes for assault by a sharp object", None),
    "css_robbery": ("robbery crime severity score", "points"),
    "css_violence_against_the_person": (
        "violence against the person crime severity score",
        "points",
    ),
    "css_total_recorded_crime": ("total recorded crime severity score", "points"),
    "css_theft_offences": ("theft crime severity score", "points"),
    "css_sexual_offences": ("sexual offences crime severity score", "points"),
    "css_criminal_damage_and_arson": ("criminal damage and arson crime severity score", "points"),
    "css_other_crimes_against_society": (
        "other crimes against society crime severity score",
        "points",
    ),
}

#: Effects-table columns.
COLUMNS: dict[str, str] = {
    "term": "Term",
    "estimate": "Estimate",
    "std_error": "Std. error",
    "conf_low": "Lower limit",
    "conf_high": "Upper limit",
    "p_value": "p-value",
    "statistic": "Test statistic",
    "df": "Degrees of freedom",
    "scale": "Scale",
    "inference": "Inference",
    "event_time": "Event time",
    "band_low": "Simultaneous band, lower",
    "band_high": "Simultaneous band, upper",
}

_PERIOD_WORDS = {
    "quarter": "quarter",
    "month": "month",
    "year": "year",
    "financial_year": "year",
    "annual": "year",
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def term_label(term: str) -> str:
    """The words for an effects-table term (``level_change`` -> "Change in level")."""
    base, _, qualifier = term.partition(":")
    names = {
        "level_change": "Change in level",
        "slope_change": "Change in slope (per period)",
        "att": "Average effect on the treated",
    }
    if base not in names:
        return term.replace("_", " ")
    if not qualifier:
        return names[base]
    if base != "att":  # an ITS change at a named interruption
        return f"{names[base]} at {qualifier.replace('_', ' ')}"
    key, _, value = qualifier.partition("=")
    if key == "e":
        return "Effect at event time " + value.replace("-", "\u2212")
    if key == "t":
        return f"Effect in {value}"
    if key == "unit":
        return f"Effect in {value}"
    match = re.fullmatch(r"g=([^,]+),t=(.+)", qualifier)
    if match:
        return f"Effect on cohort {match.group(1)} in {match.group(2)}"
    if key in ("g", "cohort"):
        return f"Effect on cohort {value}"
    return f"{names[base]} ({qualifier})"


def column_label(column: str) -> str:
    """The words for an effects-table column (``std_error`` -> "Std. error")."""
    return COLUMNS.get(column, _capital(column.replace("_", " ")))


def period_word(frequency: str | None = None, period: str | None = None) -> str:
    """'quarter', 'month' or 'year', from a frequency name or a period label ('2016Q2')."""
    if frequency and frequency in _PERIOD_WORDS:
        return _PERIOD_WORDS[frequency]
    text = str(period or "")
    if re.search(r"Q\d", text):
        return "quarter"
    if re.fullmatch(r"\d{4}-\d{2}", text) or re.search(r"M\d", text):
        return "month"
    return "year"


def outcome_label(
    outcome: str, *, rate: bool = False, per: float = 100_000.0, period: str | None = None
) -> str:
    """The outcome with its unit: "Knife or sharp instrument offences per 100,000 residents a
    quarter", "Robbery crime severity score (points)"; ``period`` adds "a quarter" to counts."""
    what, unit = OUTCOMES.get(outcome, (outcome.replace("_", " "), None))
    if unit is not None:
        return f"{_capital(what)} ({unit})"
    text = _capital(what)
    if rate:
        text += f" per {per:,.0f} residents"
    if period:
        text += f" a {period}"
    return text


def result_outcome(result: Any) -> str:
    """The outcome label of a fitted result, from its settings (outcome, scale or response,
    frequency or start period)."""
    s: Mapping[str, Any] = result.settings
    outcome = str(s.get("outcome", "outcome"))
    # an ITS GLM with a population offset models counts (rate_per None): its axis is counts
    rate = s.get("scale") == "rate" or (
        s.get("response") == "rate" and s.get("rate_per") is not None
    )
    per = float(s.get("per") or s.get("rate_per") or 100_000.0)
    period = period_word(s.get("frequency"), s.get("start"))
    return outcome_label(outcome, rate=rate, per=per, period=period)


def effect_axis(result: Any, ratio: bool = False) -> str:
    """The y axis of an effect plot: what the effect is a difference in, or a rate ratio."""
    if ratio:
        return f"Rate ratio ({result_outcome(result).lower()})"
    return f"Difference in {result_outcome(result)[:1].lower()}{result_outcome(result)[1:]}"


def event_time_axis(result: Any) -> str:
    """The x axis of an event study: event time in the data's periods."""
    s: Mapping[str, Any] = result.settings
    word = period_word(s.get("frequency"), s.get("start"))
    return f"{_capital(word)}s since the start (event time)"


def integer_ticks(ax: Any) -> None:
    """Event times are whole periods: ticks at integers only."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


__all__ = [
    "COLUMNS",
    "OUTCOMES",
    "column_label",
    "effect_axis",
    "event_time_axis",
    "integer_ticks",
    "outcome_label",
    "period_word",
    "result_outcome",
    "term_label",
]
