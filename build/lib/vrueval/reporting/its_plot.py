"""The standard ITS figure: observed points, fitted line, counterfactual band, interruptions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vrueval.reporting import labels
from vrueval.results import register_plot

if TYPE_CHECKING:
    from vrueval.designs.its.results import ITSResult


def plot_its(result: ITSResult, ax: Any = None) -> Any:
    """Draw ``result`` on ``ax`` (a new figure when None) and return the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    cf = result.counterfactual()
    x = cf["period"].dt.to_timestamp().to_numpy()
    fitted = cf["in_fit"].to_numpy(dtype=bool)
    ax.plot(x[fitted], cf["observed"][fitted], "o", ms=3, color="0.25", label="observed")
    if (~fitted).any():
        ax.plot(
            x[~fitted],
            cf["observed"][~fitted],
            "o",
            ms=3,
            mfc="none",
            color="0.5",
            label="not fitted (excluded / washout)",
        )
    ax.plot(x, cf["fitted"], "-", color="C0", lw=1.6, label="fitted")
    effect = np.abs(cf["effect"].to_numpy()) > 0
    ax.plot(
        x[effect], cf["counterfactual"][effect], "--", color="C1", lw=1.4, label="counterfactual"
    )
    ax.fill_between(
        x[effect],
        cf["counterfactual_low"][effect],
        cf["counterfactual_high"][effect],
        color="C1",
        alpha=0.2,
        lw=0,
        label=f"{int(round(result.level * 100))}% band",
    )
    for intr in result._interruptions:
        ax.axvline(
            intr.period.to_timestamp(), color="C3" if not intr.nuisance else "0.5", ls=":", lw=1.2
        )
        ax.annotate(
            intr.label,
            (intr.period.to_timestamp(), 1.0),
            xycoords=("data", "axes fraction"),
            ha="left",
            va="top",
            fontsize=8,
            rotation=90,
        )
    lock = result.settings.get("lockdown")
    if lock and result.settings.get("lockdown_handling") != "interruption":
        import pandas as pd

        a = pd.Period(lock[0]).to_timestamp()
        b = (pd.Period(lock[1]) + 1).to_timestamp()
        ax.axvspan(a, b, color="0.85", alpha=0.6, lw=0, label="lockdown")
    # no title: the caption names the place and the model; the axis says what is counted
    ax.set_ylabel(labels.result_outcome(result), wrap=True)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return ax


register_plot("its", plot_its)
