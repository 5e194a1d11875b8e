"""Reference values for Sun-Abraham, imputation and CS (ipw, anticipation) from peer packages.

- Sun & Abraham: pyfixest ``feols("y ~ i(rel, cohort, ref=-1-k, ref2=0) | unit + time",
  vcov={"CRV1": unit})`` (the saturated cohort x relative-period regression, default ``ssc()``);
  the interaction-weighted event-time estimates are the cohort-share linear combinations of
  its coefficients with its covariance (as pyfixest's ``SaturatedEventStudy.aggregate``, whose
  output is stored too for the default specification).
- Borusyak, Jaravel & Spiess: diff-diff ``ImputationDiD`` (Theorem 3 conservative variance,
  ``aux_partition="cohort_horizon"``, no leave-one-out): overall ATT, event study, cohorts.
- Callaway & Sant'Anna: csdid ``ATTgt`` (a port of R ``did``) with ``est_method="ipw"`` and with
  ``anticipation=1``.

Data: tests/reference/mpdta.csv.gz (R ``did::mpdta``); staggered_sim.csv, a simulated panel
this script writes (400 units x 8 years, cohorts 2003/2005/2006 and never treated, a covariate
``x`` that shifts trends, dynamic heterogeneous effects; the ``nonever`` variants drop the
never-treated units); and staggered_css_robbery.csv, the bundled crime severity scores of
data/css_pfa_2003_2022 as a force x year frame with the VRU cohort (see :func:`css_robbery`).

Run with a venv holding the peers (they are not test dependencies):

    python3.11 -m venv /work/refvenv-stagger
    /work/refvenv-stagger/bin/pip install pyfixest diff-diff csdid
    /work/refvenv-stagger/bin/python tests/reference/staggered_peers.py

Writes staggered_peers.json (and staggered_sim.csv when absent) next to this file.
"""

from __future__ import annotations

import json
import sys
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AGGS = ("simple", "dynamic", "group", "calendar")


def _floats(x: object) -> list[float]:
    return np.asarray(x, dtype=float).ravel().tolist()


def simulated(seed: int = 20261203) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, years = 400, np.arange(2001, 2009)
    x = rng.normal(size=n)
    cohort = rng.choice([0, 2003, 2005, 2006], size=n, p=[0.3, 0.2, 0.25, 0.25])
    unit_fe = rng.normal(size=n)
    rows = []
    for t in years:
        e = t - cohort
        effect = np.where((cohort > 0) & (e >= 0), 0.4 + 0.15 * e + 0.1 * (cohort == 2005), 0.0)
        y = unit_fe + 0.2 * (t - 2001) * (1 + 0.5 * x) + effect + rng.normal(scale=0.8, size=n)
        rows.append(
            pd.DataFrame({"id": np.arange(1, n + 1), "year": t, "y": y, "g": cohort, "x": x})
        )
    return pd.concat(rows, ignore_index=True)


def css_robbery() -> pd.DataFrame:
    """The bundled ONS crime severity scores by force (YE Mar 2022 edition): robbery as the
    outcome, theft as a time-varying covariate, first treated in FY2019/20 (``fy_end_year``
    2020) for the 18 VRU forces of the 2019 cohort from vrueval's registry; the 2022 cohort
    (Cleveland, Humberside) starts after the data end and is coded never treated (0), as R
    ``did`` treats it; forces with a blank year (City of London) are left out."""
    sys.path.insert(0, str(ROOT))
    from vrueval import areas

    raw = pd.read_csv(
        ROOT / "data" / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv"
    )
    raw = raw[
        (raw["vintage"] == "CSS data tool, YE Mar 2022 edition") & (raw["geo_level"] == "pfa")
    ]
    wide = raw.pivot_table(
        index=["area_code", "fy_end_year"], columns="offence_group", values="css", dropna=False
    )
    frame = pd.DataFrame(
        {
            "area": wide.index.get_level_values(0),
            "year": wide.index.get_level_values(1).astype(int),
            "robbery": wide["Robbery"].to_numpy(),
            "theft": wide["Theft offences"].to_numpy(),
        }
    )
    blank = frame.groupby("area")[["robbery", "theft"]].transform(lambda v: v.isna().any())
    frame = frame[~blank.any(axis=1)].reset_index(drop=True)
    cohort = {a: areas.get(a, "force").vru_cohort for a in frame["area"].unique()}
    frame["g"] = [2020 if cohort[a] == 2019 else 0 for a in frame["area"]]
    frame.insert(1, "unit_id", pd.factorize(frame["area"], sort=True)[0] + 1)  # csdid: numeric
    return frame


def datasets() -> dict[str, tuple[pd.DataFrame, dict[str, str]]]:
    mp = pd.read_csv(HERE / "mpdta.csv.gz")
    sim_path = HERE / "staggered_sim.csv"
    if not sim_path.exists():
        simulated().to_csv(sim_path, index=False, float_format="%.17g")
    sim = pd.read_csv(sim_path)
    mp_cols = {"unit": "countyreal", "time": "year", "y": "lemp", "g": "first.treat", "x": "lpop"}
    sim_cols = {"unit": "id", "time": "year", "y": "y", "g": "g", "x": "x"}
    css_path = HERE / "staggered_css_robbery.csv"
    css_robbery().to_csv(css_path, index=False, float_format="%.17g")
    css = pd.read_csv(css_path)
    css_cols = {"unit": "unit_id", "time": "year", "y": "robbery", "g": "g", "x": "theft"}
    return {
        "css": (css, css_cols),
        "mpdta": (mp, mp_cols),
        "sim": (sim, sim_cols),
        "sim_nonever": (sim[sim["g"] > 0].reset_index(drop=True), sim_cols),
    }


def run_sunab(d: pd.DataFrame, c: dict[str, str], control: str, k: int) -> dict:
    import pyfixest as pf

    # a cohort treated within k periods of the start has no reference period in the sample
    # (its dummies would be collinear with its unit effects): dropped, as vrueval does
    d = d[(d[c["g"]] == 0) | (d[c["g"]] - k > d[c["time"]].min())].copy()
    if control == "last":
        last = d[c["g"]].max()
        d = d[d[c["time"]] < last - k].copy()
        d.loc[d[c["g"]] == last, c["g"]] = 0
    d["cohort"] = d[c["g"]].astype(int)
    d["rel"] = np.where(d["cohort"] > 0, d[c["time"]] - d["cohort"], -1 - k).astype(int)
    fit = pf.feols(
        f"{c['y']} ~ i(rel, cohort, ref={-1 - k}, ref2=0) | {c['unit']} + {c['time']}",
        data=d,
        vcov={"CRV1": c["unit"]},
    )
    tidy = fit.tidy()
    names = list(tidy.index)
    parsed = [n.replace("rel::", "").replace("cohort::", "").split(":") for n in names]
    rel = np.array([int(p[0]) for p in parsed])
    coh = np.array([int(p[1]) for p in parsed])
    coef = np.asarray(fit.coef(), dtype=float)
    vcov = np.asarray(fit._vcov, dtype=float)
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
    return {
        "cohort": _floats(coh),
        "rel": _floats(rel),
        "estimate": _floats(tidy["Estimate"]),
        "se": _floats(tidy["Std. Error"]),
        "dynamic": {"keys": keys, "att": att, "se": se},
        "n_obs": int(fit._N),
    }


def pyfixest_aggregate_mpdta(d: pd.DataFrame) -> dict:
    import pyfixest as pf

    es = pf.event_study(
        d.assign(g=d["first.treat"]),
        yname="lemp",
        idname="countyreal",
        tname="year",
        gname="g",
        estimator="saturated",
    )
    agg = es.aggregate()
    return {
        "keys": _floats(agg.index),
        "att": _floats(agg["Estimate"]),
        "se": _floats(agg["Std. Error"]),
    }


def run_imputation(d: pd.DataFrame, c: dict[str, str], k: int) -> dict:
    from diff_diff import ImputationDiD

    r = ImputationDiD(anticipation=k).fit(
        d, outcome=c["y"], unit=c["unit"], time=c["time"], first_treat=c["g"]
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


def run_csdid(
    d: pd.DataFrame,
    c: dict[str, str],
    control: str,
    covariates: bool,
    method: str,
    base: str,
    k: int,
) -> dict:
    from csdid.att_gt import ATTgt

    fit = ATTgt(
        yname=c["y"],
        gname=c["g"],
        idname=c["unit"],
        tname=c["time"],
        data=d,
        control_group=control,
        xformla=f"{c['y']}~{c['x']}" if covariates else None,
        anticipation=k,
    ).fit(est_method=method, base_period=base, bstrap=False)
    r = fit.results
    spec: dict = {
        "group": _floats(r["group"]),
        "time": _floats(r["year"]),
        "att": _floats(r["att"]),
        "se": _floats(r["se"]),
    }
    for kind in AGGS:
        a = fit.aggte(typec=kind, bstrap=False).atte
        spec[f"agg_{kind}"] = {
            "overall_att": float(np.ravel(a["overall_att"])[0]),
            "overall_se": float(np.ravel(a["overall_se"])[0]),
            "keys": None if a.get("egt") is None else _floats(a["egt"]),
            "att": None if a.get("att_egt") is None else _floats(a["att_egt"]),
            "se": None if a.get("se_egt") is None else _floats(a["se_egt"]),
        }
    return spec


SUNAB = [
    ("css", "never", 0),
    ("css", "never", 2),
    ("mpdta", "never", 0),
    ("mpdta", "never", 1),
    ("mpdta", "last", 0),
    ("sim", "never", 0),
    ("sim", "last", 1),
    ("sim_nonever", "last", 0),
]
IMPUTATION = [
    ("css", 0),
    ("css", 1),
    ("mpdta", 0),
    ("mpdta", 1),
    ("sim", 0),
    ("sim", 2),
    ("sim_nonever", 0),
]
CSDID = [
    ("css", "nevertreated", True, "dr", "varying", 0),
    ("css", "nevertreated", True, "ipw", "universal", 1),
    ("css", "notyettreated", True, "reg", "varying", 0),
    ("mpdta", "nevertreated", True, "ipw", "varying", 0),
    ("mpdta", "notyettreated", True, "ipw", "universal", 0),
    ("mpdta", "nevertreated", False, "dr", "varying", 1),
    ("mpdta", "notyettreated", True, "dr", "universal", 1),
    ("sim", "nevertreated", True, "ipw", "varying", 0),
    ("sim", "notyettreated", True, "reg", "varying", 1),
    ("sim", "nevertreated", True, "dr", "varying", 2),
]


def main() -> None:
    warnings.filterwarnings("ignore")
    data = datasets()
    result: dict = {
        "made_by": "tests/reference/staggered_peers.py",
        "versions": {p: metadata.version(p) for p in ("pyfixest", "diff-diff", "csdid")},
        "sunab": {
            f"{name}|{control}|k{k}": run_sunab(*data[name], control, k)
            for name, control, k in SUNAB
        },
        "pyfixest_saturated_aggregate_mpdta": pyfixest_aggregate_mpdta(data["mpdta"][0]),
        "imputation": {f"{name}|k{k}": run_imputation(*data[name], k) for name, k in IMPUTATION},
        "csdid": {
            f"{name}|{control}|{'x' if cov else '~1'}|{method}|{base}|k{k}": run_csdid(
                *data[name], control, cov, method, base, k
            )
            for name, control, cov, method, base, k in CSDID
        },
    }
    (HERE / "staggered_peers.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
