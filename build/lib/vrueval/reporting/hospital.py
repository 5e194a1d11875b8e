"""Text and tables of the hospital-admissions report (Home Office success measure 1).

Presentation only: every number comes from a fitted result or a results document, and the
sentences follow :mod:`vrueval.reporting.wording`'s one rule for the language of significance.

- :func:`trend_split` splits an ITS relative effect into the part against the pre-period level
  held flat and the part the projected pre-period trend adds, so a report can say how much of a
  "fall" is a rise that did not continue.
- :func:`control_comparison` says exactly which part of a change a control series shares.
- :func:`cumulative_sentence` and :func:`findings` are the headline sentences; ``findings``
  reads only ``results.json`` documents, for the site index.
- :data:`HOME_OFFICE` holds the Home Office's published figures for the measure, and
  :func:`suppression_table` / :func:`fill_range` describe and bound the censored age-band cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vrueval.data.coverage import vru_population_share
from vrueval.data.panel import Panel
from vrueval.reporting.report import fmt_percent_change, p_text
from vrueval.reporting.wording import Evidence, evidence, headline_sentence
from vrueval.results import Result

#: The analysis and impact row behind the measure's headline, as the site index reads them.
HEADLINE = ("its_hes_west_midlands", "cumulative_effect")
#: The comparative (West Midlands against the South West) analysis the headline is read with.
COMPARISON = ("its_hes_wm_vs_south_west", "level_change")

#: The under-25 age-band series analysed (band, region, analysis name): the published bands
#: nearest "under 25" (10-19, 20-29) in the regions where at most a tenth of months are
#: suppressed. Each has sibling analyses ``<name><suffix>`` for :data:`FILLS` when any month is.
AGE_SERIES: tuple[tuple[str, str, str], ...] = (
    ("10-19", "London", "its_hes_age_10_19_london"),
    ("20-29", "London", "its_hes_age_20_29_london"),
    ("20-29", "North West", "its_hes_age_20_29_north_west"),
    ("20-29", "Yorkshire and The Humber", "its_hes_age_20_29_yorkshire"),
    ("20-29", "West Midlands", "its_hes_age_20_29_west_midlands"),
)
#: A series is analysed when at most this share of its months is suppressed.
MAX_SUPPRESSED_SHARE = 0.10
#: The ways of handling the censored (1-7) months: analysis-name suffix -> description.
FILLS: dict[str, str] = {
    "": "left out (main analysis)",
    "_fill1": "all set to 1",
    "_fill7": "all set to 7",
    "_fall": "7 before the VRU, 1 after",
    "_rise": "1 before the VRU, 7 after",
}

#: The West Midlands region's code (the region of West Midlands Police and three non-VRU forces).
WEST_MIDLANDS = "E12000005"

#: The Home Office's published impact findings for VRUs on hospital admissions, as published
#: (evaluation year, finding, and what each measured), for the side-by-side table.
HOME_OFFICE: tuple[dict[str, str], ...] = (
    {
        "evaluation": "Year ending March 2022",
        "finding": "No statistically significant effect on hospital admissions for violent injury",
        "measure": "Admissions for violence (all violent injury), VRU areas against non-VRU areas",
    },
    {
        "evaluation": "Year ending March 2023",
        "finding": "About 3,220 fewer hospital admissions for violent injury in VRU areas",
        "measure": "Admissions for violent injury, summed over VRU areas, against comparison areas",
    },
    {
        "evaluation": "Year ending March 2024",
        "finding": "1.6 fewer sharp-object admissions per 100,000 (p = 0.06)",
        "measure": "Sharp-object admissions per 100,000, VRU areas against a synthetic comparison",
    },
)


def _impact_row(result: Result, term: str) -> pd.Series:
    impact = getattr(result, "impact", None)
    if impact is None:
        raise TypeError(f"{type(result).__name__} has no impact() table (an ITS result has)")
    table = impact().set_index("term")
    if term not in table.index:
        raise KeyError(f"no impact row {term!r}; rows: {list(table.index)}")
    return table.loc[term]


def relative_row(result: Result) -> dict[str, Any]:
    """An ITS result's relative change over the fitted post periods (impact ``relative_pct``)
    as a rate-ratio row (estimate, conf_low, conf_high, p_value), for :func:`ratio_phrase`."""
    row = _impact_row(result, "relative_pct")
    return {
        "estimate": 1 + float(row["estimate"]) / 100,
        "conf_low": 1 + float(row["conf_low"]) / 100,
        "conf_high": 1 + float(row["conf_high"]) / 100,
        "p_value": float(row["p_value"]),
        "scale": "ratio",
    }


def trend_split(result: Result) -> dict[str, float]:
    """How much of an ITS relative effect is the projected pre-period trend.

    The relative effect is ``F / C - 1`` with ``F`` the fitted and ``C`` the counterfactual
    admissions summed over the fitted post-interruption periods. ``C`` continues the pre-period
    trend; ``B`` holds it at its last pre-period value (same seasonality and population), so on a
    log link ``B_t = C_t exp(-b (t - t_0))`` with ``b`` the ``time`` coefficient and ``t_0`` the
    last pre-period. Then ``F / C = (F / B) (B / C)``: ``against_flat_pct`` is ``F / B - 1``,
    the change against the last pre-period level, and ``trend_pct`` is ``C / B - 1``, the rise
    (or fall) the projected trend adds to the counterfactual.

    A point decomposition (no interval); log-link ITS results without a level-only or
    slope-only restriction on the trend itself.

    Returns
    -------
    dict
        ``relative_pct``, ``against_flat_pct``, ``trend_pct``, ``trend_annual_pct`` (the pre-
        period trend a year, in %), ``months`` (fitted post periods) and ``mean_distance``
        (their mean distance in periods from the last pre-period).
    """
    if result.settings.get("model") not in ("poisson", "negbin"):
        raise ValueError("trend_split needs a log-link ITS (model 'poisson' or 'negbin')")
    coef = result.coefficients().set_index("term")  # type: ignore[attr-defined]
    b = float(coef.loc["time", "estimate"])
    cf = result.counterfactual()  # type: ignore[attr-defined]
    start = pd.Period(_first_interruption(result), freq="M")
    post = cf.loc[(cf["period"] >= start) & cf["in_fit"]]
    if post.empty:
        raise ValueError("no fitted period after the interruption")
    pre_last = start - 1
    steps = np.asarray([(p - pre_last).n for p in post["period"]], dtype=float)
    fitted = float(post["fitted"].sum())
    counterfactual = float(post["counterfactual"].sum())
    flat = float((post["counterfactual"].to_numpy() * np.exp(-b * steps)).sum())
    return {
        "relative_pct": 100 * (fitted / counterfactual - 1),
        "against_flat_pct": 100 * (fitted / flat - 1),
        "trend_pct": 100 * (counterfactual / flat - 1),
        "trend_annual_pct": 100 * math.expm1(12 * b),
        "months": float(len(post)),
        "mean_distance": float(steps.mean()),
    }


def _first_interruption(result: Result) -> str:
    interruptions = result.settings["interruptions"]
    values = interruptions.values() if isinstance(interruptions, Mapping) else interruptions
    return str(min(str(v) for v in values))


def _verdict(strength: Evidence, direction: str) -> str:
    return {
        "clear": f"clear evidence of a {direction}",
        "weak": f"weak evidence of a {direction}",
        "none": "no clear evidence of a change",
    }[strength]


def ratio_phrase(row: Mapping[str, Any], digits: int = 1, level: float = 0.95) -> str:
    """'−17.9% (95% CI −46.6% to +26.2%; p = 0.321), no clear evidence of a change': a rate
    ratio's estimate, interval and p-value together, with the one rule's verdict."""
    est, low, high, p = (float(row[k]) for k in ("estimate", "conf_low", "conf_high", "p_value"))
    strength = evidence(p, low, high, "ratio", level)
    pct = f"{int(round(level * 100))}% CI"
    return (
        f"{fmt_percent_change(est, digits)} ({pct} {fmt_percent_change(low, digits)} to "
        f"{fmt_percent_change(high, digits)}; {p_text(p)}), "
        f"{_verdict(strength, 'fall' if est < 1 else 'rise')}"
    )


def control_comparison(
    own_level: Mapping[str, Any],
    own_slope: Mapping[str, Any],
    relative_level: Mapping[str, Any],
    relative_slope: Mapping[str, Any],
    unit: str = "the West Midlands",
    control: str = "the South West",
) -> str:
    """Which part of a unit's change a control series shares, said exactly.

    The comparative ITS's ``level_change`` and ``slope_change`` are the unit's changes relative
    to the control's, as ratios, so on the log scale the control's own change is the unit's
    minus the relative one, and its share of the unit's change is
    :math:`s = \\log(o / r) / \\log o`. A part is *largely shared* when the control moved the
    same way by between half and twice as much (:math:`0.5 \\le s \\le 2`), *partly shared*
    when it moved the same way by less than half, and *not shared* when it moved the other way
    or not at all; a control that moved the same way by more than twice as much reverses the
    change. The control's implied change is stated, and each relative change is given with its
    interval and p-value (:func:`ratio_phrase`).
    """

    def possessive(name: str) -> str:
        return name + ("'" if name.endswith("s") else "'s")

    def part(own: Mapping[str, Any], rel: Mapping[str, Any], what: str, digits: int) -> str:
        o, r = float(own["estimate"]), float(rel["estimate"])
        relative = ratio_phrase(rel, digits)
        own_text = f"{possessive(unit)} own is {fmt_percent_change(o, digits)}"
        implied = f"{possessive(control)} implied {fmt_percent_change(o / r, digits)}"
        if math.log(o) == 0.0:
            return (
                f"{possessive(unit)} own {what} did not change; relative to {control} it is "
                f"{relative}"
            )
        share = math.log(o / r) / math.log(o)
        if 0.5 <= share <= 2.0:
            verdict = f"the {what} change is largely shared with {control}"
        elif 0.0 < share < 0.5:
            verdict = f"the {what} change is only partly shared with {control}"
        elif share > 2.0:
            verdict = (
                f"{control} moved the same way by more than twice as much, so relative to it "
                f"the {what} change is reversed"
            )
        else:
            verdict = (
                f"the {what} change is not shared: {possessive(control)} {what} moved the "
                "other way or not at all"
            )
        return f"{verdict} ({own_text}, {implied}); relative to {control} it is {relative}"

    level = part(own_level, relative_level, "level", 1)
    slope = part(own_slope, relative_slope, "monthly trend", 2)
    return f"Against {control} as a control series, {level}; {slope}."


def cumulative_sentence(
    row: Mapping[str, Any], subject: str, unit: str = "admissions", level: float = 0.95
) -> str:
    """The headline sentence of an ITS cumulative effect (events over the fitted post
    periods), by :func:`vrueval.reporting.wording.headline_sentence`, rounded to whole events;
    "the comparison" here is the continued pre-period trend."""
    return headline_sentence(
        float(row["estimate"]),
        float(row["conf_low"]),
        float(row["conf_high"]),
        float(row["p_value"]),
        unit=unit,
        subject=subject,
        level=level,
        digits=0,
    ).replace("than the comparison implies", "than the continued pre-2019 trend implies")


def wm_subject() -> str:
    """'West Midlands region (49% of residents in the VRU area)': the dilution named, the share
    computed from the bundled mid-2019 population (:func:`vru_population_share`)."""
    share = float(vru_population_share(2019)["share"].to_dict()[WEST_MIDLANDS])
    return f"West Midlands region ({share:.0%} of residents in the VRU area)"


def findings(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The hospital-admissions measure's headline for the site index, from ``results.json``
    documents keyed by analysis name (needs :data:`HEADLINE`'s and :data:`COMPARISON`'s); the
    subject names the dilution (:func:`wm_subject`).

    Returns ``{"measure", "analysis", "estimate", "conf_low", "conf_high", "p_value",
    "evidence", "sentence", "comparison_sentence", "home_office"}``.
    """
    name, term = HEADLINE
    document = documents[name]
    row = next(r for r in document["result"]["impact"] if r["term"] == term)
    level = float(document["analysis"]["level"])
    cname, cterm = COMPARISON
    crow = next(r for r in documents[cname]["effects"] if r["term"] == cterm)
    sentence = cumulative_sentence(row, wm_subject(), level=level)
    comparison = (
        "Relative to the South West (a region with little VRU coverage) the level change is "
        + ratio_phrase(crow, 1, level)
        + "."
    )
    return {
        "measure": "Hospital admissions for assault by a sharp object (Home Office measure 1)",
        "analysis": name,
        "estimate": float(row["estimate"]),
        "conf_low": float(row["conf_low"]),
        "conf_high": float(row["conf_high"]),
        "p_value": float(row["p_value"]),
        "evidence": evidence(
            float(row["p_value"]), float(row["conf_low"]), float(row["conf_high"]), level=level
        ),
        "sentence": sentence,
        "comparison_sentence": comparison,
        "home_office": HOME_OFFICE[-1]["finding"],
    }


def suppression_table(
    panel: Panel, bands: Sequence[str], measure: str = "admissions"
) -> pd.DataFrame:
    """Per region and age band: months with a count, months suppressed (1-7 withheld) and
    months not listed at source, and the mean of the published counts. Suppressed months are
    counted as suppressed, never as zero."""
    rows = []
    for band in bands:
        outcome = f"{measure}_age_{band}"
        d = panel.select(outcome=outcome).data
        for unit, g in d.groupby("unit", sort=False):
            rows.append(
                {
                    "unit": unit,
                    "band": band,
                    "months": int(len(g)),
                    "published": int(g["value"].notna().sum()),
                    "suppressed": int(g["suppressed"].sum()),
                    "not_listed": int((g["value"].isna() & ~g["suppressed"]).sum()),
                    "mean_published": float(g["value"].mean()),
                }
            )
    return pd.DataFrame(rows)


def fill_range(rows: Sequence[Mapping[str, Any]], level: float = 0.95) -> dict[str, Any]:
    """Across the ways of handling censored months (rows of one term from each), the range of
    estimates and p-values and whether the verdict is the same under all of them."""
    if not rows:
        raise ValueError("fill_range needs at least one row")
    verdicts = {
        evidence(float(r["p_value"]), float(r["conf_low"]), float(r["conf_high"]), "ratio", level)
        for r in rows
    }
    return {
        "estimate_min": min(float(r["estimate"]) for r in rows),
        "estimate_max": max(float(r["estimate"]) for r in rows),
        "p_min": min(float(r["p_value"]) for r in rows),
        "p_max": max(float(r["p_value"]) for r in rows),
        "verdicts": sorted(verdicts),
        "robust": len(verdicts) == 1,
    }


__all__ = [
    "AGE_SERIES",
    "FILLS",
    "MAX_SUPPRESSED_SHARE",
    "WEST_MIDLANDS",
    "relative_row",
    "COMPARISON",
    "HEADLINE",
    "HOME_OFFICE",
    "control_comparison",
    "cumulative_sentence",
    "fill_range",
    "findings",
    "ratio_phrase",
    "suppression_table",
    "trend_split",
    "wm_subject",
]
