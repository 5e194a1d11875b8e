"""Placebo-in-time for ``ITS``: fake interruptions across the pre-period, ranked by |t|."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from vrueval.compute import pmap

if TYPE_CHECKING:
    from vrueval.designs.its import ITS


def placebo_table(
    its: ITS,
    effects: pd.DataFrame,
    k: int,
    inference: str,
    hac_options: dict[str, Any],
    min_segment: int,
) -> pd.DataFrame:
    """Fit a fake interruption at every pre-period date with ``min_segment`` points on both
    sides (pre-period data only, same model and inference) and rank the real interruption's
    level-change t statistic among them (rank 1 = largest |t|; the slope change's for a
    slope-only interruption)."""
    from vrueval.designs.its import ITS

    s = its._settings
    first = next(i for i in its._interruptions if not i.nuisance)
    # the first change the interruption has: its level change unless it is slope-only
    term = "slope_change" if first.change == "slope" else "level_change"
    rows_of = (effects["interruption"] == first.label) & ~effects["nuisance"]
    real = effects.loc[rows_of & effects["term"].str.startswith(term)]
    real_t = float(real["statistic"].iloc[0])
    pre = its._treated.periods[its._treated.periods < first.period]
    candidates = pre[min_segment : len(pre) - min_segment + 1]
    if len(candidates) == 0:
        raise ValueError(
            f"placebo: the pre-period ({len(pre)} periods) is too short for fake interruptions "
            f"with {min_segment} periods on both sides (min_segment)"
        )
    inf = "hac" if inference == "bootstrap" else inference
    no_fourier = s["seasonality"] == "fourier" and k == 0  # AIC chose no harmonics

    def fit_fake(fake: pd.Period) -> tuple[str, float, float, bool]:
        design = ITS(
            its._panel,
            {"placebo": fake},
            change=first.change,
            unit=s["unit"],
            outcome=s["outcome"],
            controls=s["controls"],
            start=s["start"],
            end=str(pre[-1]),
            seasonality="none" if no_fourier else s["seasonality"],
            fourier_k=k if s["seasonality"] == "fourier" and k > 0 else "aic",
            model=s["model"],
            response=s["response"],
            rate_per=s["rate_per"] or 100_000,
            dispersion=s["dispersion"],
            arma=s["arma"] or (1, 0),
            gls_method=s["gls_method"] or "REML",
            missing=s["missing"],
        )
        eff = design.fit(inf, **hac_options).effects()  # type: ignore[arg-type]
        row = eff.loc[eff["term"] == term].iloc[0]
        return (str(fake), row["estimate"], row["statistic"], False)

    # the refits are independent: run where vrueval.compute.using says (one process by default)
    rows = pmap(fit_fake, list(candidates), label=str, desc="placebo dates")
    rows.append((str(first.period), real["estimate"].iloc[0], real_t, True))
    table = pd.DataFrame(rows, columns=["period", "estimate", "statistic", "real"])
    order = (-table["statistic"].abs()).rank(method="max")
    table["rank"] = order.astype(int)
    return table
