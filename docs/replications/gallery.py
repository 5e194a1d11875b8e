"""Side-by-side tables of the replications gallery: the published numbers (published.toml) next
to ours, with the tolerance and whether they agree.

The gallery's pages fit each study through the public API and show these tables;
tests/test_classic_published.py fits the same designs and asserts every row agrees, so what a
page shows is what the tests check.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: ADH (2010)'s predictors: their Table 1 averages (1980-88 unless stated) and three lagged sales.
ADH_PREDICTORS = [
    ("lnincome", list(range(1980, 1989))),
    ("retprice", list(range(1980, 1989))),
    ("age15to24", list(range(1980, 1989))),
    ("beer", list(range(1984, 1989))),
    ("cigsale", [1988]),
    ("cigsale", [1980]),
    ("cigsale", [1975]),
]


def published() -> dict[str, Any]:
    """Every study's published numbers, citation, data file and tolerances."""
    with open(HERE / "published.toml", "rb") as handle:
        return tomllib.load(handle)


def data_path(study: str) -> Path:
    """The study's data file in the repository's data/ folder."""
    return ROOT / published()[study]["data"]


def _row(quantity: str, pub: float, ours: float, tol: float, rel: bool = False) -> dict:
    bound = tol * abs(pub) if rel else tol
    return {
        "quantity": quantity,
        "published": pub,
        "ours": ours,
        "tolerance": f"±{tol:.0%}" if rel else f"±{tol:g}",
        "agrees": bool(abs(ours - pub) <= bound),
    }


def adh2010_table(weights: pd.Series) -> pd.DataFrame:
    """ADH (2010) Table 2 weights against ours (``weights`` indexed by state)."""
    study = published()["adh2010"]
    rows = [
        _row(f"weight: {state}", pub, float(weights.get(state, 0.0)), study["tolerance"])
        for state, pub in study["weights"].items()
    ]
    others = weights.drop(index=list(study["weights"]), errors="ignore")
    largest = float(others.max()) if len(others) else 0.0
    rows.append(
        {
            "quantity": "largest other weight"
            + (f" ({others.idxmax()})" if largest > 0 else " (every other state: 0)"),
            "published": study["other_below"],
            "ours": largest,
            "tolerance": "below",
            "agrees": largest < study["other_below"],
        }
    )
    return pd.DataFrame(rows)


def sdid2021_table(effects: dict[str, pd.Series]) -> pd.DataFrame:
    """Arkhangelsky et al. (2021) Table 1 against ours (``effects``: estimator -> att row)."""
    study = published()["sdid2021"]
    rows = []
    for name, pub in study["estimates"].items():
        att = effects[name]
        label = {"sdid": "SDiD", "sc": "SC", "did": "DiD"}[name]
        rows.append(
            _row(f"{label} estimate", pub["estimate"], float(att["estimate"]),
                 study["estimate_tolerance"])
        )  # fmt: skip
        rows.append(
            _row(f"{label} placebo s.e.", pub["std_error"], float(att["std_error"]),
                 study["se_rel_tolerance"], rel=True)
        )  # fmt: skip
    return pd.DataFrame(rows)


def cs2021_numbers() -> dict[str, Any]:
    """The R did README's printed tables (the JSON transcript published.toml points to)."""
    return json.loads((ROOT / published()["cs2021"]["numbers"]).read_text(encoding="utf-8"))


def cs2021_table(result: Any) -> pd.DataFrame:
    """Callaway and Sant'Anna on mpdta: every printed ATT(g,t) and aggregate against ours."""
    study, pub = published()["cs2021"], cs2021_numbers()
    tol = study["estimate_tolerance"]
    effects = result.effects().set_index("term")["estimate"]
    gt = result.group_time().set_index(["group", "time"])["estimate"]
    rows = [
        _row(f"ATT(g={int(g)}, t={int(t)})", att, float(gt.loc[(int(g), int(t))]), tol)
        for g, t, att, *_ in pub["group_time"]["rows"]
    ]
    rows += [
        _row(f"event time {int(e)}", att, float(effects[f"att:e={int(e)}"]), tol)
        for e, att, *_ in pub["dynamic"]["rows"]
    ]
    rows.append(
        _row("overall (event-time average)", pub["dynamic"]["overall"]["att"],
             float(effects["att:dynamic"]), tol)
    )  # fmt: skip
    rows += [
        _row(f"group {int(g)}", att, float(effects[f"att:g={int(g)}"]), tol)
        for g, att, *_ in pub["group"]["rows"]
    ]
    rows.append(
        _row("overall (group average)", pub["group"]["overall"]["att"],
             float(effects["att:group"]), study["group_overall_tolerance"])
    )  # fmt: skip
    return pd.DataFrame(rows)


def _l2(weights: pd.DataFrame, frame: pd.DataFrame) -> tuple[float, float]:
    """Pre-period L2 imbalance of the weights, and of uniform weights (augsynth's summary)."""
    never = frame[frame["treated"].groupby(frame["state"]).transform("max") == 0]
    treated = frame[frame["treated"].groupby(frame["state"]).transform("max") == 1]
    start = treated.loc[treated["treated"] == 1, "year_qtr"].min()
    wide = frame[frame["year_qtr"] < start].pivot(
        index="state", columns="year_qtr", values="lngdpcapita"
    )
    unit = str(treated["state"].iloc[0])
    w = weights.set_index("unit")["weight"]
    donors = wide.loc[sorted(set(never["state"]))]
    gap = wide.loc[unit] - w.reindex(donors.index, fill_value=0.0) @ donors
    uniform = wide.loc[unit] - donors.mean()
    return float(np.linalg.norm(gap)), float(np.linalg.norm(uniform))


def augsynth2021_table(synth: Any, ridge: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """The augsynth vignette's synth and ridge-ASCM summaries against ours."""
    study = published()["augsynth2021"]
    rows = []
    for label, res, pub in (("SCM", synth, study["synth"]), ("ridge ASCM", ridge, study["ridge"])):
        att = float(res.effects().set_index("term").loc["att", "estimate"])
        rows.append(_row(f"{label}: average ATT", pub["att"], att, pub["att_tolerance"]))
        l2, uniform = _l2(res.weights(), frame)
        three, one = pub["three_decimal_tolerance"], pub["one_decimal_tolerance"]
        rows.append(_row(f"{label}: L2 imbalance", pub["l2_imbalance"], l2, three))
        rows.append(
            _row(f"{label}: % improvement on uniform weights", pub["improvement_pct"],
                 100 * (1 - l2 / uniform), one)
        )  # fmt: skip
        if "estimated_bias" in pub:
            bias = float(res.diagnostics["estimated_bias"])
            rows.append(
                _row(f"{label}: average estimated bias", pub["estimated_bias"], bias, three)
            )
        if "donors_used" in pub:
            used = res.weights().query("weight > 1e-6")["weight"]
            rows.append(_row(f"{label}: donors used", pub["donors_used"], len(used), 0))
            rows.append(
                _row(f"{label}: smallest weight used", pub["weight_min"], used.min(), three)
            )
            rows.append(_row(f"{label}: largest weight", pub["weight_max"], used.max(), three))
    return pd.DataFrame(rows)


def show(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """The table as a page shows it: numbers rounded, agreement as a tick or a cross."""
    out = table.copy()
    out["published"] = out["published"].astype(float).round(digits)
    out["ours"] = out["ours"].astype(float).round(digits)
    out["agrees"] = out["agrees"].map({True: "✓", False: "✗"})
    return out.set_index("quantity")
