"""Reference values for vrueval's default CR1 rule (small_sample="fixest") from pyfixest.

pyfixest is an independent Python port of R's fixest, tested by its authors against fixest
itself; R's fixest cannot be installed on the machine that wrote these numbers (CRAN
unreachable). Its defaults are the ones the rule copies: ``vcov={"CRV1": "unit"}`` with the
default ``ssc()`` (k_adj=True, k_fixef="nonnested", G_adj=True), i.e. the CR1 factor
``G/(G-1) * (n-1)/(n-K)`` with K = coefficients + fixed effects not nested in the clusters.

Same real data and models as tests/reference/did_small_sample_reference.R: ONS crime severity
score by PFA ("CSS data tool, YE Mar 2022 edition"), Violence against the person and Robbery; the
18 forces funded for a VRU in 2019 against the never-funded forces (City of London dropped: blank
at source); post = FY2019/20 onwards (fy_end_year >= 2020). Models: TWFE, the 2x2 on pre/post
means, the event study (leads binned at -6, reference -1), the population-weighted TWFE
(FY2011/12-FY2021/22) and the Poisson PML DiD (fepois).

Two-way clustering (key "two_way"): the models of tests/test_did_complete.py on
tests/reference/did_complete_inputs.csv (CSS violence by force, FY2011/12-FY2021/22, police officers
per 100,000 as a covariate, the force's region; 18 VRU forces from FY2019/20 against 22
never-funded), with ``vcov={"CRV1": "a+b"}`` and the default ``ssc()`` (G_df="min": one factor
min(G)/(min(G)-1) for V_a + V_b - V_ab; k_fixef="nonnested": an effect nested in either dimension is
not counted): the TWFE DiD ``css_violence ~ post + officers | force + fy`` clustered by region and
year (unit effects nested in the regions, year effects in the years), by force and year, and by
force and region (the year effects nested in neither: counted in K); the event study with the
covariate (leads binned at -4, reference -1, lags to 2) by force and year, whose V_a + V_b - V_ab
has negative variances (pyfixest reports NaN standard errors there and does not repair the matrix;
fixest and vrueval do), so its matrix is recorded; and the Poisson PML DiD ``fepois(css_violence ~
post | force + fy)`` by region and year.

Recorded per model: estimate, SE, t, pyfixest's p-value and the df it uses (``_df_t``), and the K
of its small-sample factor (``_df_k``). feols takes p from t(G - 1) with clustered errors (as does
vrueval); fepois takes p from the standard normal (vrueval: t(G - 1)), so for the Poisson model only
the estimate, SE and t are comparable (tests/test_did_small_sample.py).

Run from the repository root, in a throwaway environment (never the project's venv):

    python3 -m venv /tmp/pfx && /tmp/pfx/bin/pip install pyfixest pandas
    /tmp/pfx/bin/python tests/reference/did_small_sample_pyfixest.py

Repeated runs can move the linear fits' last digits (about 1e-14 relative: pyfixest's parallel
demeaning), one-way and two-way alike, far inside the tests' tolerances.

Written with Python 3.11.7, pyfixest 0.60.0, pandas 3.1.1, numpy 2.4.6, scipy 1.17.1 (the versions
are also recorded in the JSON).
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

RAW = Path("data")
OUT = Path("tests/reference/did_small_sample_pyfixest.json")
VINTAGE = "CSS data tool, YE Mar 2022 edition"
GROUPS = {
    "Violence against the person": "css_violence_against_the_person",
    "Robbery": "css_robbery",
}
# Convergence: pyfixest's defaults (demeaning 1e-6, fepois IRLS 1e-8) tightened to 1e-12 so the
# reference is as exact as vrueval's closed-form and IRLS fits.
TOL = 1e-12
DEMEAN = pf.MapDemeaner(fixef_tol=TOL)
LEADS = [-6, -5, -4, -3, -2]
LAGS = [0, 1, 2]


def _term(k: int) -> str:
    return f"em{-k}" if k < 0 else f"e{k}"


def _record(fit, terms: list[str]) -> dict:
    tidy = fit.tidy()
    return {
        "terms": terms,
        "n_obs": int(fit._N),
        "n_clusters": int(np.ravel(fit._G)[0]),
        "estimate": [float(tidy.loc[t, "Estimate"]) for t in terms],
        "std_error": [float(tidy.loc[t, "Std. Error"]) for t in terms],
        "t": [float(tidy.loc[t, "t value"]) for t in terms],
        "p_value": [float(tidy.loc[t, "Pr(>|t|)"]) for t in terms],
        "df_t": float(np.ravel(fit._df_t)[0]),
        "df_k": float(np.ravel(fit._df_k)[0]),
        "ssc": float(np.ravel(fit._ssc)[0]),
    }


def _two_way_term(name: str) -> str:
    """vrueval's term for a coefficient of the two-way models."""
    if name in ("post", "officers"):
        return "att" if name == "post" else "covariate:officers"
    return f"att:e={-int(name[2:]) if name.startswith('em') else int(name[2:])}"


def _record_two_way(fit, names: list[str]) -> dict:
    idx = [list(fit._coefnames).index(n) for n in names]
    variances = np.diag(fit._vcov)[idx]
    return {
        "terms": [_two_way_term(n) for n in names],
        "n_obs": int(fit._N),
        "n_clusters": [int(g) for g in np.ravel(fit._G)],  # the G of each part's factor
        "estimate": [float(fit._beta_hat[i]) for i in idx],
        # a negative variance (V_a + V_b - V_ab is not always PSD) has no standard error
        "std_error": [float(np.sqrt(v)) if v >= 0 else None for v in variances],
        "df_t": float(np.ravel(fit._df_t)[0]),
        "df_k": float(np.ravel(fit._df_k)[0]),
        "ssc": [float(v) for v in np.ravel(fit._ssc)],  # signed: V_a + V_b - V_ab
        "vcov": fit._vcov[np.ix_(idx, idx)].tolist(),
    }


def two_way() -> dict:
    d = pd.read_csv(Path("tests/reference/did_complete_inputs.csv"))
    d["post"] = ((d["treated"] == 1) & (d["fy_end"] >= 2020)).astype(float)
    e = np.where(d["treated"] == 1, np.clip(d["fy_end"] - 2020, -4, 2), -99)
    events = [f"em{-k}" if k < 0 else f"ep{k}" for k in range(-4, 3) if k != -1]
    for name in events:
        k = -int(name[2:]) if name.startswith("em") else int(name[2:])
        d[name] = (e == k).astype(float)

    def feols(fml: str, cluster: str):
        return pf.feols(fml, data=d, vcov={"CRV1": cluster}, demeaner=DEMEAN)

    did = "css_violence ~ post + officers | force + fy"
    study = f"css_violence ~ {' + '.join(events)} + officers | force + fy"
    poisson = pf.fepois(
        "css_violence ~ post | force + fy",
        data=d,
        vcov={"CRV1": "region+fy"},
        demeaner=DEMEAN,
        iwls_tol=TOL,
        iwls_maxiter=100,
    )
    return {
        "vcov": "CRV1 two ways, default ssc()",
        "did_region_year": _record_two_way(feols(did, "region+fy"), ["post", "officers"]),
        "did_force_year": _record_two_way(feols(did, "force+fy"), ["post", "officers"]),
        # partly nested: the unit effects in both dimensions, the year effects in neither (K
        # counts them); the force clusters nest in the regions, so V_ab is V_force
        "did_force_region": _record_two_way(feols(did, "force+region"), ["post", "officers"]),
        "event_study_force_year": _record_two_way(feols(study, "force+fy"), [*events, "officers"]),
        "poisson_region_year": _record_two_way(poisson, ["post"]),
    }


def main() -> None:
    css = pd.read_csv(RAW / "css_pfa_2003_2022" / "css_by_offence_group_pfa_fy2003_2022.csv")
    reg = pd.read_csv(RAW / "reference" / "police_force_areas.csv")
    pop = pd.read_csv(
        RAW / "population_pfa" / "mid2011_2023" / "population_by_pfa_mid2011_2023.csv"
    )
    css = css[(css["vintage"] == VINTAGE) & (css["geo_level"] == "pfa")]
    treated = set(reg.loc[reg["vru_cohort"] == 2019, "area_code"])
    never = set(reg.loc[reg["vru_cohort"].isna(), "area_code"]) - {"E23000034"}
    cl = {"CRV1": "unit"}

    def feols(fml: str, data: pd.DataFrame, **kw):
        return pf.feols(fml, data=data, vcov=cl, demeaner=DEMEAN, **kw)

    out: dict = {
        "versions": {
            "python": sys.version.split()[0],
            **{p: version(p) for p in ("pyfixest", "pandas", "numpy", "scipy")},
        },
        "vcov": "CRV1 by unit, default ssc()",
        "tolerance": {"fixef_tol": TOL, "iwls_tol": TOL},
    }
    for group, key in GROUPS.items():
        g = css[(css["offence_group"] == group) & css["area_code"].isin(treated | never)]
        d = pd.DataFrame(
            {
                "unit": g["area_code"].to_numpy(),
                "year": g["fy_end_year"].to_numpy(dtype=int),
                "y": g["css"].to_numpy(dtype=float),
            }
        )
        assert not d["y"].isna().any() and len(d) == 40 * 20
        d["treat"] = d["unit"].isin(treated).astype(float)
        d["after"] = (d["year"] >= 2020).astype(float)
        d["D"] = d["treat"] * d["after"]
        res: dict = {}
        res["twfe"] = _record(feols("y ~ D | unit + year", d), ["D"])

        c2 = d.groupby(["unit", "after", "treat"], as_index=False)["y"].mean()
        c2["D"] = c2["treat"] * c2["after"]
        res["two_by_two"] = _record(feols("y ~ D | unit + after", c2), ["D"])

        e = np.where(d["treat"] == 1, np.maximum(d["year"] - 2020, -6), -99)
        terms = []
        for k in LEADS + LAGS:
            d[_term(k)] = (e == k).astype(float)
            terms.append(_term(k))
        res["event_study"] = _record(feols(f"y ~ {' + '.join(terms)} | unit + year", d), terms)

        w = pd.DataFrame(
            {"unit": pop["area_code"], "year": pop["mid_year"] + 1, "w": pop["population"]}
        )
        dw = d[d["year"] >= 2012].merge(w, on=["unit", "year"], how="inner")
        assert len(dw) == 40 * 11
        res["twfe_weighted"] = _record(feols("y ~ D | unit + year", dw, weights="w"), ["D"])

        res["poisson"] = _record(
            pf.fepois(
                "y ~ D | unit + year",
                data=d,
                vcov=cl,
                demeaner=DEMEAN,
                iwls_tol=TOL,
                iwls_maxiter=100,
            ),
            ["D"],
        )
        out[key] = res
    out["two_way"] = two_way()
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
