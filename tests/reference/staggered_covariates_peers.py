"""Reference values for the staggered estimators' covariates and cluster columns, from peers.

- Sun & Abraham: pyfixest ``feols("y ~ i(rel, cohort, ref=-1-k, ref2=0) + x | unit + time",
  vcov={"CRV1": unit})``, the saturated regression with the covariates (default ``ssc()``): its
  interaction coefficients and CR1 errors, and their cohort-share (interaction-weighted)
  event-time averages with its covariance. (pyfixest 0.60's ``event_study(estimator=
  "saturated", xfml=...)`` is not used: it leaves ``xfml`` out, its aggregate equalling the
  covariate-free fit's.)
- Borusyak, Jaravel & Spiess: diff-diff ``ImputationDiD(covariates=...)`` (covariates in the
  untreated-only first stage; Theorem 3 conservative variance, ``aux_partition=
  "cohort_horizon"``, no leave-one-out): overall ATT, event study and cohorts with standard
  errors; and pyfixest's ``did2s`` with the covariates in its first stage (Gardner's
  two-stage estimator, whose event-time coefficients from 0 on are the imputation
  estimator's; its GMM standard errors are a different estimator and are not compared).

Data: staggered_css_robbery.csv (the bundled crime severity scores by force, robbery with
theft as a time-varying covariate; written by staggered_peers.py) and staggered_sim_tv.csv,
which this script writes when absent: 300 units x 8 years, cohorts 2003/2005/2006 and never
treated, two time-varying covariates whose paths differ by cohort (so leaving them out biases
the comparison) and dynamic, heterogeneous effects.

Run with a venv holding the peers (they are not test dependencies):

    python3.11 -m venv /work/refvenv-stag
    /work/refvenv-stag/bin/pip install pyfixest==0.60.0 diff-diff==3.13.0 csdid==0.4.3
    /work/refvenv-stag/bin/python tests/reference/staggered_covariates_peers.py

Standard errors clustered by a column other than the unit: see :func:`clusters`.

Writes staggered_covariates_peers.json next to this file.
"""

from __future__ import annotations

import json
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _floats(x: object) -> list[float]:
    return np.asarray(x, dtype=float).ravel().tolist()


def simulated(seed: int = 20261204) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, years = 300, np.arange(2001, 2009)
    cohort = rng.choice([0, 2003, 2005, 2006], size=n, p=[0.3, 0.25, 0.25, 0.2])
    unit_fe = rng.normal(size=n)
    drift = 0.3 * (cohort > 0) + rng.normal(scale=0.2, size=n)  # treated units' x rises
    rows = []
    for t in years:
        e = t - cohort
        x1 = drift * (t - 2001) + rng.normal(scale=0.5, size=n)
        x2 = rng.binomial(1, 0.3 + 0.05 * (t - 2001) * (cohort == 2005), size=n).astype(float)
        effect = np.where((cohort > 0) & (e >= 0), 0.5 + 0.1 * e - 0.2 * (cohort == 2006), 0.0)
        y = (
            unit_fe
            + 0.1 * (t - 2001)
            + 0.8 * x1
            - 0.5 * x2
            + effect
            + rng.normal(scale=0.7, size=n)
        )
        rows.append(
            pd.DataFrame(
                {"id": np.arange(1, n + 1), "year": t, "y": y, "g": cohort, "x1": x1, "x2": x2}
            )
        )
    return pd.concat(rows, ignore_index=True)


def datasets() -> dict[str, tuple[pd.DataFrame, dict]]:
    sim_path = HERE / "staggered_sim_tv.csv"
    if not sim_path.exists():
        simulated().to_csv(sim_path, index=False, float_format="%.17g")
    sim = pd.read_csv(sim_path)
    css = pd.read_csv(HERE / "staggered_css_robbery.csv")
    sim_cols = {"unit": "id", "time": "year", "y": "y", "g": "g", "x": ["x1", "x2"]}
    css_cols = {"unit": "unit_id", "time": "year", "y": "robbery", "g": "g", "x": ["theft"]}
    return {"css": (css, css_cols), "sim_tv": (sim, sim_cols)}


def run_sunab(d: pd.DataFrame, c: dict, control: str, k: int, cluster: str | None = None) -> dict:
    import pyfixest as pf

    d = d[(d[c["g"]] == 0) | (d[c["g"]] - k > d[c["time"]].min())].copy()
    if control == "last":
        last = d[c["g"]].max()
        d = d[d[c["time"]] < last - k].copy()
        d.loc[d[c["g"]] == last, c["g"]] = 0
    d["cohort"] = d[c["g"]].astype(int)
    d["rel"] = np.where(d["cohort"] > 0, d[c["time"]] - d["cohort"], -1 - k).astype(int)
    covariates = "".join(f" + {x}" for x in c["x"])
    fit = pf.feols(
        f"{c['y']} ~ i(rel, cohort, ref={-1 - k}, ref2=0){covariates} | {c['unit']} + {c['time']}",
        data=d,
        vcov={"CRV1": cluster or c["unit"]},
    )
    tidy = fit.tidy()
    names = list(tidy.index)
    cells = [i for i, name in enumerate(names) if name.startswith("rel::")]
    parsed = [names[i].replace("rel::", "").replace("cohort::", "").split(":") for i in cells]
    rel = np.array([int(p[0]) for p in parsed])
    coh = np.array([int(p[1]) for p in parsed])
    coef = np.asarray(fit.coef(), dtype=float)[cells]
    vcov = np.asarray(fit._vcov, dtype=float)[np.ix_(cells, cells)]
    size = d[d["cohort"] > 0].groupby("cohort")[c["unit"]].nunique()
    keys, att, se = [], [], []
    for e in np.unique(rel):
        sel = rel == e
        w = np.zeros(len(coef))
        w[sel] = size.loc[coh[sel]].to_numpy(dtype=float)
        w /= w.sum()
        keys.append(int(e))
        att.append(float(w @ coef))
        se.append(float(np.sqrt(w @ vcov @ w)))
    slopes = {x: float(tidy.loc[x, "Estimate"]) for x in c["x"]}
    return {
        "cohort": _floats(coh),
        "rel": _floats(rel),
        "estimate": _floats(coef),
        "se": _floats(tidy["Std. Error"].to_numpy()[cells]),
        "slopes": slopes,
        "dynamic": {"keys": keys, "att": att, "se": se},
        "n_obs": int(fit._N),
    }


def pyfixest_did2s(d: pd.DataFrame, c: dict) -> dict:
    """Gardner's two-stage estimator with the covariates in the untreated first stage: its
    coefficients on the event times from 0 on are the imputation estimator's."""
    import pyfixest as pf

    d = d.copy()
    treated = d[c["g"]] > 0
    d["rel"] = np.where(treated, d[c["time"]] - d[c["g"]], np.inf)
    d["D"] = (treated & (d[c["time"]] >= d[c["g"]])).astype(int)
    fit = pf.did2s(
        d,
        yname=c["y"],
        first_stage=f"~ {'+'.join(c['x'])} | {c['unit']} + {c['time']}",
        second_stage="~ i(rel, ref=-1.0)",
        treatment="D",
        cluster=c["unit"],
    )
    tidy = fit.tidy()
    keys, att = [], []
    for name, row in tidy.iterrows():
        key = float(str(name).split("::")[-1])
        if np.isfinite(key) and key >= 0:
            keys.append(key)
            att.append(float(row["Estimate"]))
    return {"keys": keys, "att": att}


def run_imputation(d: pd.DataFrame, c: dict, k: int) -> dict:
    from diff_diff import ImputationDiD

    r = ImputationDiD(anticipation=k).fit(
        d,
        outcome=c["y"],
        unit=c["unit"],
        time=c["time"],
        first_treat=c["g"],
        covariates=list(c["x"]),
    )
    es = r.aggregate("event_study").to_dataframe()
    es = es[~es["is_reference"].astype(bool)]
    grp = r.aggregate("group").to_dataframe()
    return {
        "overall_att": float(r.overall_att),
        "overall_se": float(r.overall_se),
        "dynamic": {
            "keys": _floats(es["event_time"]),
            "att": _floats(es["att"]),
            "se": _floats(es["se"]),
        },
        "group": {
            "keys": _floats(grp["label"].astype(float)),
            "att": _floats(grp["att"]),
            "se": _floats(grp["se"]),
        },
    }


def clusters() -> dict:
    """Standard errors clustered by state on mpdta (``countyreal // 1000`` is the state FIPS
    code: 29 states, counties nested in them): Sun & Abraham by pyfixest ``feols`` CRV1 by
    state (time-varying covariate: none on mpdta, so the plain saturated regression),
    imputation by diff-diff ``ImputationDiD(cluster=)``, Callaway & Sant'Anna by diff-diff
    ``CallawaySantAnna(cluster=)`` (the influence functions summed within states, with
    G/(G-1)); and the same on the simulated panel with its covariates, clusters of ten
    consecutive ids."""
    from diff_diff import CallawaySantAnna, ImputationDiD

    mp = pd.read_csv(HERE / "mpdta.csv.gz")
    mp["state"] = mp["countyreal"] // 1000
    sim, sim_cols = datasets()["sim_tv"]
    sim = sim.assign(block=(sim["id"] - 1) // 10)
    mp_cols = {"unit": "countyreal", "time": "year", "y": "lemp", "g": "first.treat", "x": []}
    out: dict = {}
    for name, d, c, cl in (("mpdta", mp, mp_cols, "state"), ("sim_tv", sim, sim_cols, "block")):
        out[f"sunab|{name}"] = run_sunab(d, c, "never", 0, cluster=cl)
        r = ImputationDiD(cluster=cl).fit(
            d,
            outcome=c["y"],
            unit=c["unit"],
            time=c["time"],
            first_treat=c["g"],
            covariates=list(c["x"]) or None,
        )
        es = r.aggregate("event_study").to_dataframe()
        es = es[~es["is_reference"].astype(bool)]
        out[f"imputation|{name}"] = {
            "overall_att": float(r.overall_att),
            "overall_se": float(r.overall_se),
            "dynamic": {
                "keys": _floats(es["event_time"]),
                "att": _floats(es["att"]),
                "se": _floats(es["se"]),
            },
        }
    cs = CallawaySantAnna(cluster="state").fit(
        mp,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treat="first.treat",
        aggregate="all",
    )
    gt = cs.to_dataframe("group_time")
    out["cs|mpdta"] = {
        "group": _floats(gt["group"]),
        "time": _floats(gt["time"]),
        "att": _floats(gt["effect"]),
        "se": _floats(gt["se"]),
        "overall_att": float(cs.overall_att),
        "overall_se": float(cs.overall_se),
    }
    return out


SUNAB = [
    ("css", "never", 0),
    ("css", "never", 1),
    ("sim_tv", "never", 0),
    ("sim_tv", "never", 1),
    ("sim_tv", "last", 0),
]
IMPUTATION = [("css", 0), ("css", 1), ("sim_tv", 0), ("sim_tv", 1)]


def main() -> None:
    warnings.filterwarnings("ignore")
    data = datasets()
    result: dict = {
        "made_by": "tests/reference/staggered_covariates_peers.py",
        "versions": {p: metadata.version(p) for p in ("pyfixest", "diff-diff")},
        "sunab": {
            f"{name}|{control}|k{k}": run_sunab(*data[name], control, k)
            for name, control, k in SUNAB
        },
        "pyfixest_did2s": {name: pyfixest_did2s(*data[name]) for name in ("css", "sim_tv")},
        "imputation": {f"{name}|k{k}": run_imputation(*data[name], k) for name, k in IMPUTATION},
        "clusters": clusters(),
    }
    (HERE / "staggered_covariates_peers.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
