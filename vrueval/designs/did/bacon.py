"""Goodman-Bacon decomposition: why TWFE misleads when treatment starts at different times.

With staggered adoption, the TWFE coefficient equals a weighted average of every 2x2 DiD between
timing groups: treated vs never treated, earlier vs later treated (before the later group
starts), and later vs *earlier* treated (after the earlier group started). The last kind uses
already-treated units as controls, so effects that change over time bias it. The weights are
positive and sum to one; they come from group sizes and the variance of treatment in each pair.

Assumes a balanced panel, an absorbing binary treatment and no weights or covariates.

References
----------
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
*Journal of Econometrics* 225(2), 254-277 (Theorem 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np
import pandas as pd

from vrueval.data.panel import Panel
from vrueval.data.periods import display
from vrueval.designs.did.comparators import resolve_units

KINDS = (
    "treated vs never treated",
    "earlier vs later treated",
    "later vs earlier treated",
)


def bacon_decomposition(
    panel: Panel,
    outcome: str,
    start: Mapping[str, object],
    *,
    units: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Decompose the TWFE DiD coefficient into 2x2 comparisons and their weights.

    Parameters
    ----------
    panel, outcome : the data.
    start : mapping area -> first treated period; units absent from it are never treated.
    units : the units to use (all of the panel's by default). They must have no missing values.

    Returns
    -------
    DataFrame with columns kind, treated (start of the group whose change is the effect),
    control (start of the comparison group, "never" for the never treated), estimate, weight.
    ``(weight * estimate).sum()`` equals the TWFE coefficient.
    """
    wide = panel.wide(outcome)
    codes = list(wide.columns) if units is None else list(resolve_units(units, panel.geography))
    wide = wide[codes]
    if wide.isna().to_numpy().any():
        bad = list(wide.columns[wide.isna().any().to_numpy()])
        raise ValueError(f"the decomposition needs a balanced panel; missing values for {bad}")
    starts = {resolve_units([u], panel.geography)[0]: panel.period(s) for u, s in start.items()}
    periods = cast(pd.PeriodIndex, wide.index)  # whole numbers on an integer index
    t_index = {u: int(np.sum(periods < s)) for u, s in starts.items()}
    n_t = len(periods)
    timing = np.array([t_index.get(u, n_t) for u in codes])  # n_t = never within the panel
    y = wide.to_numpy(dtype=float)  # periods x units
    n = len(codes)
    groups = sorted(set(timing[timing < n_t].tolist()))
    share = {g: np.mean(timing == g) for g in groups}
    dbar = {g: (n_t - g) / n_t for g in groups}
    never = timing == n_t
    rows = []

    def mean(cols: np.ndarray, lo: int, hi: int) -> float:
        return float(y[lo:hi, cols].mean())

    def did(tr: np.ndarray, ct: np.ndarray, lo: int, mid: int, hi: int) -> float:
        return (mean(tr, mid, hi) - mean(tr, lo, mid)) - (mean(ct, mid, hi) - mean(ct, lo, mid))

    if never.any():
        n_u = never.mean()
        for k in groups:
            if 0 < k:
                nk = share[k] / (share[k] + n_u)
                w = (share[k] + n_u) ** 2 * nk * (1 - nk) * dbar[k] * (1 - dbar[k])
                est = did(timing == k, never, 0, k, n_t)
                rows.append((KINDS[0], k, "never", est, w))
    for i, k in enumerate(groups):
        for l_ in groups[i + 1 :]:
            nk, nl = share[k], share[l_]
            nkl = nk / (nk + nl)
            dk, dl = dbar[k], dbar[l_]
            if k > 0:
                w_early = ((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl)
                w_early *= (dk - dl) / (1 - dl) * (1 - dk) / (1 - dl)
                est = did(timing == k, timing == l_, 0, k, l_)
                rows.append((KINDS[1], k, l_, est, w_early))
            w_late = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * (dk - dl) / dk
            est = did(timing == l_, timing == k, k, l_, n_t)
            rows.append((KINDS[2], l_, k, est, w_late))
    if n < 2 or not rows:
        raise ValueError("nothing to decompose: need treated units and a comparison")
    out = pd.DataFrame(rows, columns=["kind", "treated", "control", "estimate", "weight"])
    out["weight"] = out["weight"] / out["weight"].sum()
    label = {g: display(periods[g], panel.frequency) for g in groups}
    out["treated"] = out["treated"].map(label)
    out["control"] = out["control"].map(lambda c: label.get(c, "never"))
    return out
