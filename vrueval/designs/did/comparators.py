"""Choosing the comparison units of a DiD design, with every exclusion stated.

The default comparators are the force areas never funded for a VRU. A "most similar" set keeps the
never-funded units nearest the treated group in pre-period level, pre-period trend and population;
a "synthetic" set keeps those that carry weight in the synthetic control of the treated units' mean
(simplex weights fitted to the pre-period outcomes, as ``ve.SyntheticControl`` fits them).
Named spill-over neighbours are removed; City of London (tiny resident population, often blank)
and any unit with a missing outcome period inside the analysis window are dropped, each with a
message that the result carries as a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal, get_args

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.designs.synthetic.weights import simplex_least_squares

ComparatorRule = Literal["never_funded", "most_similar", "synthetic"]
COMPARATOR_RULES: tuple[str, ...] = get_args(ComparatorRule)
CITY_OF_LONDON = "E23000034"


@dataclass(frozen=True)
class ComparatorSet:
    """Treated and comparison units after every exclusion, and why each other unit left."""

    treated: tuple[str, ...]
    comparators: tuple[str, ...]
    rule: str
    dropped: tuple[tuple[str, str], ...] = ()
    similarity: pd.DataFrame | None = field(default=None, compare=False)
    #: what the rule's choice rests on (e.g. a poor synthetic fit), carried as warnings
    notes: tuple[str, ...] = ()

    @property
    def messages(self) -> tuple[str, ...]:
        dropped = (f"dropped {areas.label(u)} ({u}): {why}" for u, why in self.dropped)
        return (*self.notes, *dropped)

    def table(self) -> pd.DataFrame:
        """One row a unit: code, name, role (treated, comparator or dropped) and reason."""
        rows = [(u, "treated", "") for u in self.treated]
        rows += [(u, "comparator", "") for u in self.comparators]
        rows += [(u, "dropped", why) for u, why in self.dropped]
        return pd.DataFrame(
            {
                "unit": [r[0] for r in rows],
                "name": [_display_name(r[0]) for r in rows],
                "role": [r[1] for r in rows],
                "reason": [r[2] for r in rows],
            }
        )


@cache
def _registered_names() -> dict[str, str]:
    """Code -> name of every registered area (what :func:`vrueval.areas.label` shows)."""
    everything = (*areas.forces(), *areas.regions(), *areas.lads(), *areas.csps())
    return {a.code: a.name for a in everything}


def _display_name(code: str) -> str:
    """A resolved unit's display name: a registered area's name, else its identifier as given
    (a custom unit keeps the user's label; one lookup a unit, 35,000 units in a table)."""
    return _registered_names().get(code, code)


def resolve_units(names: Sequence[str], geography: str) -> tuple[str, ...]:
    """Codes of units of ``geography`` given in any accepted spelling (order kept, duplicates
    removed)."""
    if isinstance(names, str):
        raise TypeError("give a list of area names or codes, not one string")
    return tuple(dict.fromkeys(areas.resolve(n, geography) for n in names))  # type: ignore[arg-type]


def choose(
    wide: pd.DataFrame,
    population: pd.DataFrame,
    treated: Sequence[str],
    comparators: ComparatorRule | Sequence[str],
    *,
    exclude: Sequence[str] = (),
    pre_periods: pd.Index,
    n_similar: int = 12,
    geography: str = "force",
    allow_no_comparators: bool = False,
) -> ComparatorSet:
    """Apply the comparator rule to a period x unit outcome table.

    Parameters
    ----------
    wide : DataFrame
        Outcome, periods (rows, the analysis window) by units (columns); NaN is missing.
    population : DataFrame
        Population of the same shape (may be all NaN).
    treated : codes of the treated units.
    comparators : "never_funded", "most_similar", "synthetic", or explicit names/codes.
    exclude : spill-over neighbours (or any unit) to keep out of the comparison group.
    allow_no_comparators : a continuous-intensity design may identify off intensity alone.
    pre_periods : the rows of ``wide`` before treatment (for "most similar").

    Raises
    ------
    ValueError
        When no treated unit or no comparator is left, or a unit is both treated and excluded.
    """
    treated = tuple(treated)
    excluded = set(exclude)
    clash = excluded & set(treated)
    if clash:
        raise ValueError(f"units {sorted(clash)} are both treated and excluded")
    dropped: list[tuple[str, str]] = []
    available = set(wide.columns)
    if isinstance(comparators, str):
        if comparators not in COMPARATOR_RULES:
            raise ValueError(f"comparators must be one of {COMPARATOR_RULES} or a list of areas")
        if geography == "force":
            pool = [u for u in areas.comparators() if u in available]
        else:
            treated_set = set(treated)
            pool = [u for u in wide.columns if u not in treated_set]
        rule = (
            "never-funded force areas (forces funded later, e.g. the 2022 cohort, excluded)"
            if geography == "force"
            else "untreated units"
        )
    else:
        pool = list(resolve_units(comparators, geography))
        missing = [u for u in pool if u not in available]
        if missing:
            raise ValueError(f"comparator(s) {missing} are not in the panel")
        rule = "user-specified comparators"
    both = set(pool) & set(treated)
    if both:
        raise ValueError(f"units {sorted(both)} are given as both treated and comparators")
    absent = [u for u in treated if u not in available]
    if absent:
        raise ValueError(f"treated unit(s) {absent} are not in the panel")

    if excluded:
        why = "excluded as a possible spill-over neighbour"
        dropped += [(u, why) for u in pool if u in excluded]
        pool = [u for u in pool if u not in excluded]
    # missingness read once for all columns (a lookup a unit, not a scan a unit)
    na = np.isnan(wide.to_numpy(dtype=float))
    all_na = dict(zip(wide.columns, na.all(axis=0).tolist(), strict=True))
    any_na = dict(zip(wide.columns, na.any(axis=0).tolist(), strict=True))
    keep_treated: list[str] = []
    treated_set = set(treated)
    for u in [*treated, *pool]:
        if u == CITY_OF_LONDON:
            dropped.append((u, "City of London: tiny resident population, rates not comparable"))
        elif all_na[u]:
            dropped.append((u, "outcome missing in every period"))
        elif any_na[u]:
            gaps = [str(p) for p in wide.index[na[:, wide.columns.get_loc(u)]]]
            dropped.append((u, f"outcome missing in {len(gaps)} period(s): {', '.join(gaps[:6])}"))
        elif u in treated_set:
            keep_treated.append(u)
    gone = {d[0] for d in dropped}
    kept_pool = [u for u in pool if u not in gone]
    similarity = None
    notes: tuple[str, ...] = ()
    if comparators == "most_similar":
        kept_pool, similarity = _most_similar(
            wide, population, keep_treated, kept_pool, pre_periods, n_similar
        )
        already = set(kept_pool) | gone
        for u in [u for u in pool if u not in already]:  # pool order: deterministic messages
            dropped.append((u, "not among the most similar comparators"))
        rule = (
            f"the {len(kept_pool)} never-funded units nearest the treated units' mean in "
            "standardised pre-period level, pre-period linear trend"
            + (" and log population" if "log_population" in similarity else "")
            + f" (Euclidean distance; pre-period {pre_periods[0]}..{pre_periods[-1]})"
        )
    elif comparators == "synthetic":
        kept_pool, similarity = _synthetic(wide, keep_treated, kept_pool, pre_periods)
        notes = _synthetic_fit_notes(wide, keep_treated, list(similarity.index), pre_periods)
        already = set(kept_pool) | {d[0] for d in dropped}
        for u in [u for u in pool if u not in already]:
            dropped.append((u, "no weight in the synthetic control of the treated units"))
        rule = (
            f"the {len(kept_pool)} units with weight in the synthetic control of the treated "
            f"units' mean (simplex weights on the pre-period {pre_periods[0]}..{pre_periods[-1]}"
            " outcomes), unweighted in the DiD"
        )
    if not keep_treated:
        raise ValueError("no treated unit is left after dropping units with missing outcomes")
    if not kept_pool and not allow_no_comparators:
        raise ValueError(
            "the treated set has no comparators left: every candidate was excluded or has "
            "missing outcome periods"
        )
    return ComparatorSet(
        tuple(keep_treated), tuple(kept_pool), rule, tuple(dropped), similarity, notes
    )


def _most_similar(
    wide: pd.DataFrame,
    population: pd.DataFrame,
    treated: list[str],
    pool: list[str],
    pre_periods: pd.Index,
    n: int,
) -> tuple[list[str], pd.DataFrame]:
    """The ``n`` pool units nearest the treated centroid in standardised pre-period features."""
    if n < 1:
        raise ValueError(f"n_similar must be at least 1, got {n}")
    if len(pre_periods) < 2:
        raise ValueError("a most-similar comparator set needs at least two pre-periods")
    units = [*treated, *pool]
    pre = wide.loc[pre_periods, units]
    t = np.arange(len(pre_periods), dtype=float)
    t -= t.mean()
    feats = pd.DataFrame(
        {
            "level": pre.mean(),
            "trend": (pre.mul(t, axis=0)).sum() / (t @ t),
        }
    )
    pop = population.loc[pre_periods, units].mean()
    if pop.notna().all() and (pop > 0).all():
        feats["log_population"] = np.log(pop)
    sd = feats.std(ddof=0).replace(0, 1.0)
    z = (feats - feats.mean()) / sd
    centre = z.loc[treated].mean()
    dist = np.sqrt(((z.loc[pool] - centre) ** 2).sum(axis=1)).sort_values()
    chosen = list(dist.index[: min(n, len(dist))])
    table = feats.loc[pool].assign(distance=dist).sort_values("distance")
    table["chosen"] = table.index.isin(chosen)
    return chosen, table


def _synthetic_fit_notes(
    wide: pd.DataFrame, treated: list[str], pool: list[str], pre_periods: pd.Index
) -> tuple[str, ...]:
    """A warning when the synthetic control the set was chosen from cannot fit the treated
    units' mean: where that mean lies above (below) every pool unit in a pre-period no simplex
    weights reach it, and the units "with weight" are then the extremes, not a match."""
    if not pool:
        return ()
    pre = wide.loc[pre_periods]
    target = pre[treated].mean(axis=1).to_numpy(float)
    values = pre[pool].to_numpy(float)
    above = int((target > values.max(axis=1)).sum())
    below = int((target < values.min(axis=1)).sum())
    if not above and not below:
        return ()
    side = f"above every candidate in {above}" if above else f"below every candidate in {below}"
    return (
        f"comparators='synthetic' chose from a poor pre-period fit: the treated units' mean "
        f"lies {side} of {len(pre_periods)} pre-periods, outside what any weights on the "
        "candidates can reach, so the units given weight are the nearest extremes rather than "
        "a match (and, chosen on the pre-period outcomes, they make the pre-trend look better "
        "than it is)",
    )


def _synthetic(
    wide: pd.DataFrame, treated: list[str], pool: list[str], pre_periods: pd.Index
) -> tuple[list[str], pd.DataFrame]:
    """The pool units with positive weight in the synthetic control of the treated mean."""
    if len(pre_periods) < 2:
        raise ValueError("a synthetic comparator set needs at least two pre-periods")
    if not pool:
        return [], pd.DataFrame({"weight": [], "chosen": []})
    pre = wide.loc[pre_periods]
    w = simplex_least_squares(pre[pool].to_numpy(float), pre[treated].mean(axis=1).to_numpy(float))
    chosen = [u for u, x in zip(pool, w, strict=True) if x > 1e-6]
    table = pd.DataFrame({"weight": w, "chosen": w > 1e-6}, index=pool)
    return chosen, table.sort_values("weight", ascending=False, kind="stable")
