"""The figures of the staggered synthetic designs (StaggeredSyntheticDiD,
StaggeredSyntheticControl), drawn through the results plotting hook: each cohort's (or treated
unit's) gap by period, and the estimates with their intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from vrueval.results import register_plot

if TYPE_CHECKING:
    from vrueval.designs.synthetic.staggered_results import StaggeredSyntheticResult

KINDS = ("gap", "effects")


def plot_staggered_synthetic(
    result: StaggeredSyntheticResult, ax: Any = None, kind: str = "gap"
) -> Any:
    """Draw ``kind`` of ``result`` on ``ax`` (a new figure when None) and return the axes.

    ``"gap"``: one line a cohort (or treated unit), treated minus synthetic by period, the
    post-periods marked; ``"effects"``: every term's estimate with its interval.
    """
    import matplotlib.pyplot as plt

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if kind == "effects":
        eff = result.effects()
        y = np.arange(len(eff))
        ax.errorbar(
            eff["estimate"],
            y,
            xerr=[eff["estimate"] - eff["conf_low"], eff["conf_high"] - eff["estimate"]],
            fmt="o",
            color="C0",
        )
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(y, eff["term"].tolist())
        ax.invert_yaxis()
        ax.set_xlabel(f"effect ({int(round(result.level * 100))}% intervals)")
        ax.set_title(result.design)
        return ax
    p = result.path()
    group = "cohort" if "cohort" in p.columns else "unit"
    labels = sorted(p["period"].astype(str).unique())
    x = {lab: i for i, lab in enumerate(labels)}
    for name, rows in p.groupby(group, sort=False):
        xs = [x[str(v)] for v in rows["period"]]
        line = ax.plot(xs, rows["gap"], lw=1, label=str(name))
        post = rows["post"].to_numpy(dtype=bool)
        ax.plot(np.asarray(xs)[post], rows["gap"][post], "o", ms=3, color=line[0].get_color())
    ax.axhline(0, color="grey", lw=1)
    step = max(1, len(labels) // 20)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=90)
    ax.set_ylabel("treated - synthetic")
    ax.set_title(result.design)
    if p[group].nunique() <= 12:
        ax.legend(frameon=False, fontsize="small")
    return ax


register_plot("synthetic_staggered", plot_staggered_synthetic)
