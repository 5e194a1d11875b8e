"""Reference values for the staggered design on mpdta, from the Python ports of R ``did``.

R ``did`` itself cannot be installed here (not in Debian; CRAN unreachable), so the 1e-6 checks
use ``csdid`` (a line-by-line port of R ``did`` / ``DRDID``; its pre-test p-value and printed
ATT(g,t) reproduce the R README) over the whole grid of options, and ``diff-diff`` and
``differences`` as further cross-checks for the default specification. The printed R numbers are
in cs_mpdta_published.json.

Run with the benchmark environment (the peers are not test dependencies):

    .venv-bench/bin/python tests/reference/cs_mpdta_peers.py

Writes tests/reference/cs_mpdta_peers.json next to this file.
"""

from __future__ import annotations

import json
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
AGGS = ("simple", "dynamic", "group", "calendar")


def _floats(x: object) -> list[float]:
    return np.asarray(x, dtype=float).ravel().tolist()


def run_csdid(data: pd.DataFrame) -> dict:
    from csdid.att_gt import ATTgt

    out = {}
    for control in ("nevertreated", "notyettreated"):
        for xformla, method in ((None, "dr"), ("lemp~lpop", "dr"), ("lemp~lpop", "reg")):
            for base in ("varying", "universal"):
                fit = ATTgt(
                    yname="lemp",
                    gname="first.treat",
                    idname="countyreal",
                    tname="year",
                    data=data,
                    control_group=control,
                    xformla=xformla,
                ).fit(est_method=method, base_period=base, bstrap=False)
                r = fit.results
                spec = {
                    "group": _floats(r["group"]),
                    "time": _floats(r["year"]),
                    "att": _floats(r["att"]),
                    "se": _floats(r["se"]),
                    "pretest_p_value_rounded5": float(np.ravel(fit.MP["Wpval"])[0]),
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
                out[f"{control}|{xformla or '~1'}|{method}|{base}"] = spec
    return out


def run_diff_diff(data: pd.DataFrame) -> dict:
    from diff_diff import CallawaySantAnna

    d = data.rename(columns={"first.treat": "first_treat"})
    out = {}
    for cov in (None, ["lpop"]):
        r = CallawaySantAnna(
            control_group="never_treated", estimation_method="dr", n_bootstrap=0
        ).fit(
            d,
            outcome="lemp",
            unit="countyreal",
            time="year",
            first_treat="first_treat",
            covariates=cov,
            aggregate="all",
        )
        gt = r.to_dataframe("group_time")
        es = r.to_dataframe("event_study")
        grp = r.to_dataframe("group")
        out["nevertreated|" + ("lemp~lpop" if cov else "~1") + "|dr|varying"] = {
            "group": _floats(gt["group"]),
            "time": _floats(gt["time"]),
            "att": _floats(gt["effect"]),
            "se": _floats(gt["se"]),
            "simple": {"overall_att": float(r.overall_att), "overall_se": float(r.overall_se)},
            "dynamic": {
                "keys": _floats(es["relative_period"]),
                "att": _floats(es["effect"]),
                "se": _floats(es["se"]),
            },
            "group_effects": {
                "keys": _floats(grp["group"]),
                "att": _floats(grp["effect"]),
                "se": _floats(grp["se"]),
            },
        }
    return out


def run_differences(data: pd.DataFrame) -> dict:
    from differences import ATTgt

    d = data.copy()
    d["cohort"] = d["first.treat"].where(d["first.treat"] > 0)
    d = d.set_index(["countyreal", "year"])
    out = {}
    for formula, key in (("lemp", "~1"), ("lemp ~ lpop", "lemp~lpop")):
        att = ATTgt(data=d, cohort_column="cohort")
        att.fit(formula=formula, est_method="dr", control_group="never_treated")
        res = att.results()
        res.columns = [c[-1] for c in res.columns]
        res = res.reset_index()
        simple = att.aggregate("simple")
        simple.columns = [c[-1] for c in simple.columns]
        out[f"nevertreated|{key}|dr|varying"] = {
            "group": _floats(res["cohort"]),
            "time": _floats(res["time"]),
            "att": _floats(res["ATT"]),
            "se": _floats(res["std_error"]),
            "simple": {
                "overall_att": float(simple["ATT"].iloc[0]),
                "overall_se": float(simple["std_error"].iloc[0]),
            },
        }
    return out


def main() -> None:
    warnings.filterwarnings("ignore")
    data = pd.read_csv(HERE / "mpdta.csv.gz")
    result: dict = {
        "source": "tests/reference/mpdta.csv.gz (R did::mpdta, 2500 rows)",
        "made_by": "tests/reference/cs_mpdta_peers.py",
        "versions": {p: metadata.version(p) for p in ("csdid", "diff-diff", "differences")},
        "csdid": run_csdid(data),
    }
    for name, fn in (("diff_diff", run_diff_diff), ("differences", run_differences)):
        try:
            result[name] = fn(data)
        except Exception as err:  # a peer's API drift must not lose the others' numbers
            result[name] = {"error": f"{type(err).__name__}: {err}"}
    (HERE / "cs_mpdta_peers.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
