"""Each VRU area's own knife-offence estimate, as the per-area page and the index present it.

Presentation only: the estimates are the recorded one-area DiD specs
(``analyses/did_knife_area_<area>.toml``), read through :func:`vrueval.reporting.run`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from vrueval import areas
from vrueval.data.loaders.common import slug
from vrueval.reporting.report import run
from vrueval.reporting.wording import evidence

#: The standard normal quantile behind a 95% interval, for the interval-implied standard error.
Z975 = 1.959963984540054


def vru_area_names() -> list[str]:
    """The 20 VRU force areas' display names, alphabetically."""
    return sorted(areas.name(code) for code in areas.vru_areas())


def vru_area_code(area: str) -> str:
    """The ONS code of a VRU area given its name (any spelling the registry accepts).

    Raises
    ------
    ValueError
        For a name that is not one of the 20 VRU areas, listing them.
    """
    known = ", ".join(vru_area_names())
    try:
        code = areas.resolve(area)
    except (areas.UnknownAreaError, KeyError, TypeError, ValueError):
        code = None
    if code not in areas.vru_areas():
        raise ValueError(f"area {area!r} is not a VRU area; the 20 VRU areas are: {known}")
    return str(code)


def area_spec(area: str) -> str:
    """The name of the one-area knife DiD spec for ``area``: ``did_knife_area_merseyside``."""
    return f"did_knife_area_{slug(areas.name(vru_area_code(area)))}"


def page_name(area: str) -> str:
    """The per-area page's file stem (``area-merseyside``), as ``render-each`` names it."""
    name = areas.name(vru_area_code(area))
    return "area-" + "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def interval_std_error(conf_low: float, conf_high: float, level: float = 0.95) -> float:
    """The standard error a normal interval of this width implies: (high - low) / (2 z).

    The one-area randomization intervals are found by test inversion, not as estimate ± z·SE;
    this is the scale on which they are pooled (the recorded CR1 standard error with one
    treated cluster is not a usable variance).
    """
    if level != 0.95:
        from scipy import stats

        z = float(stats.norm.ppf(0.5 + level / 2))
    else:
        z = Z975
    width = conf_high - conf_low
    if not (math.isfinite(width) and width > 0):
        raise ValueError(f"interval ({conf_low}, {conf_high}) has no positive finite width")
    return width / (2 * z)


def area_estimates() -> pd.DataFrame:
    """One row per VRU area: code, name, cohort, estimate, interval, p-value, implied SE,
    evidence, the spec and the page, sorted by name."""
    rows = []
    for name in vru_area_names():
        code = vru_area_code(name)
        spec = area_spec(name)
        analysis = run(spec)
        e = analysis.effect("att")
        rows.append(
            {
                "code": code,
                "area": name,
                "cohort": areas.get(code).vru_cohort,
                "estimate": float(e["estimate"]),
                "conf_low": float(e["conf_low"]),
                "conf_high": float(e["conf_high"]),
                "p_value": float(e["p_value"]),
                "std_error": interval_std_error(float(e["conf_low"]), float(e["conf_high"])),
                "evidence": evidence(
                    float(e["p_value"]), float(e["conf_low"]), float(e["conf_high"])
                ),
                "comparators": frozenset(analysis.result.settings["comparators"]),
                "spec": spec,
                "page": page_name(name),
            }
        )
    return pd.DataFrame(rows)


def comparator_correlation(comparators: Sequence[frozenset[str]]) -> float:
    """The correlation between two one-area DiD estimates' errors that comes from sharing
    comparators, at its largest over pairs (so the pooled interval errs wide, not narrow).

    Area i's estimate is its own change minus the mean change of its :math:`N_i` comparators;
    with alike noise of variance :math:`\\sigma^2` per unit, its variance is
    :math:`\\sigma^2 (1 + 1/N_i)` and two areas' covariance :math:`\\sigma^2 |C_i \\cap C_j| /
    (N_i N_j)`, so the correlation is :math:`|C_i \\cap C_j| / (\\sqrt{N_i N_j}
    (\\sqrt{N_i N_j} + 1))` when :math:`N_i \\approx N_j`: :math:`1/(N_0 + 1)` for areas that
    share all :math:`N_0` comparators.
    """
    sets = [frozenset(c) for c in comparators]
    if any(not c for c in sets):
        raise ValueError("every area needs at least one comparator")
    largest = 0.0
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            size = (len(a) * len(b)) ** 0.5
            largest = max(largest, len(a & b) / (size * (size + 1)))
    return largest


__all__ = [
    "area_estimates",
    "comparator_correlation",
    "area_spec",
    "interval_std_error",
    "page_name",
    "vru_area_code",
    "vru_area_names",
]
