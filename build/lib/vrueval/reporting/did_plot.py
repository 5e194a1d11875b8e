"""The DiD figures: raw trends of treated and comparator units, the event study, and the
staggered (Callaway–Sant'Anna) event study, labelled in words with units (``labels``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vrueval.reporting import labels
from vrueval.results import register_plot


def plot_trends(result: Any, ax: Any = None) -> Any:
    """Treated and comparator mean outcomes by period, with the treatment start marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    t = result._trends
    for group, g in t.groupby("group", sort=False):
        ax.plot(g["period"].astype(str), g["mean"], marker="o", ms=3, label=str(group))
    start = result.settings.get("start")
    if isinstance(start, str) and start in set(t["period"].astype(str)):
        ax.axvline(start, color="grey", ls="--", lw=1)
    ax.set_ylabel(
        f"Mean: {labels.result_outcome(result)[:1].lower()}{labels.result_outcome(result)[1:]}",
        wrap=True,
    )
    ax.set_xlabel(labels.period_word(result.settings.get("frequency"), start).capitalize())
    ax.tick_params(axis="x", labelrotation=90)
    names = pd.unique(t["period"].astype(str))
    every = max(1, len(names) // 20)  # at most ~20 labels stay readable
    ax.set_xticks(range(0, len(names), every), names[::every])
    ax.legend(frameon=False)
    return ax


def plot_event_study(result: Any, ax: Any = None) -> Any:
    """Effects by event time with their intervals; the reference period drawn at no effect."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    es = result.event_study()
    reference = int(result.settings.get("reference", -1))
    ratio = "scale" in es and bool((es["scale"] == "ratio").all())
    base = 1.0 if ratio else 0.0
    e = np.append(es["event_time"].to_numpy(), reference)
    est = np.append(es["estimate"].to_numpy(), base)
    lo = np.append(es["conf_low"].to_numpy(), base)
    hi = np.append(es["conf_high"].to_numpy(), base)
    order = np.argsort(e)
    e, est, lo, hi = e[order], est[order], lo[order], hi[order]
    ax.axhline(base, color="grey", lw=1)
    ax.axvline(-0.5, color="grey", ls="--", lw=1)
    pct = int(round(result.level * 100))
    ax.errorbar(
        e, est, yerr=[est - lo, hi - est], fmt="o", capsize=3, label=f"estimate, {pct}% interval"
    )
    ax.set_xlabel(labels.event_time_axis(result) + f"; reference {reference}")
    ax.set_ylabel(labels.effect_axis(result, ratio), wrap=True)
    labels.integer_ticks(ax)
    return ax


def plot_staggered(result: Any, ax: Any = None) -> Any:
    """Event-study plot: estimates, pointwise intervals and (if bootstrapped) the band."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    es = result.event_study()
    e = es["event_time"].to_numpy()
    pre = e < 0
    for mask, colour, name in ((pre, "tab:red", "before"), (~pre, "tab:blue", "after")):
        ax.errorbar(
            e[mask],
            es["estimate"][mask],
            yerr=[
                (es["estimate"] - es["conf_low"])[mask],
                (es["conf_high"] - es["estimate"])[mask],
            ],
            fmt="o",
            color=colour,
            capsize=3,
            label=f"{name} the start",
        )
    if es["band_low"].notna().any():
        ax.fill_between(
            e,
            es["band_low"],
            es["band_high"],
            color="grey",
            alpha=0.2,
            step="mid",
            label="simultaneous band",
        )
    ax.axhline(0, color="black", lw=0.8)
    word = labels.period_word(result.settings.get("frequency"), None)
    ax.set_xlabel(f"{word.capitalize()}s since first treated (event time)")
    ax.set_ylabel(labels.effect_axis(result), wrap=True)
    labels.integer_ticks(ax)
    ax.legend(frameon=False)
    return ax


register_plot("did_trends", plot_trends)
register_plot("did_event_study", plot_event_study)
register_plot("staggered_event_study", plot_staggered)
