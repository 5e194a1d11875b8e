"""Inputs of the HonestDiD reference: event-study coefficients and covariances, two of them.

1. The Medicaid-expansion example of the HonestDiD R README (insurance coverage ``dins`` of
   low-income childless adults, states expanding in 2014 against never-expanding states,
   2008-2015, TWFE event study with 2013 as reference, clustered by state as fixest's default
   CR1). Data: ``ehec_data.csv`` from github.com/Mixtape-Sessions/Advanced-DID at commit
   39867d01ea6f3b32ebe96b23f0965815f184f799, Exercises/Data/ehec_data.csv (the file the README
   reads as .dta). The regression is done here with numpy alone, independently of vrueval.
2. One of our own: the event study of the violence-against-the-person severity score, 2019 VRU
   forces against never-funded forces, start FY2019/20, four leads, CR2 covariance
   (``ve.EventStudy(...).fit("cr2")``, its ``event_vcov()``).

Run with the project's environment from the repository root:

    PYTHONPATH=. .venv/bin/python tests/reference/honestdid_make_inputs.py

Writes tests/reference/honestdid_inputs.json; then run honestdid_reference.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OURS = {
    "dataset": "crime_severity",
    "outcome": "css_violence_against_the_person",
    "start": "2019/20",
    "leads": 4,
    "inference": "cr2",
}


def ehec_event_study(path: Path) -> dict:
    """TWFE event study with fixest's CR1: ``G/(G-1) (n-1)/(n-K)``, K = coefficients + years
    (the state effects are nested in the clusters; fixest keeps one level of them)."""
    df = pd.read_csv(path)
    df = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    d = (df["yexp2"] == 2014).astype(float)
    years = sorted(int(y) for y in df["year"].unique())
    terms = [y for y in years if y != 2013]
    x = np.column_stack([((df["year"] == y) * d).to_numpy(dtype=float) for y in terms])
    y = df["dins"].to_numpy(dtype=float)
    if df.groupby("stfips").size().nunique() != 1:
        raise SystemExit("the ehec panel is not balanced; two-way demeaning would be wrong")

    def demean(v: np.ndarray) -> np.ndarray:
        s = pd.Series(v, index=df.index)
        return (
            s
            - s.groupby(df["stfips"]).transform("mean")
            - s.groupby(df["year"]).transform("mean")
            + s.mean()
        ).to_numpy()

    xd = np.column_stack([demean(x[:, j]) for j in range(x.shape[1])])
    yd = demean(y)
    bread = np.linalg.inv(xd.T @ xd)
    beta = bread @ xd.T @ yd
    resid = yd - xd @ beta
    cluster = pd.factorize(df["stfips"])[0]
    g = int(cluster.max()) + 1
    scores = np.zeros((g, x.shape[1]))
    np.add.at(scores, cluster, xd * resid[:, None])
    n, k = len(y), x.shape[1] + len(years)
    sigma = g / (g - 1) * (n - 1) / (n - k) * bread @ scores.T @ scores @ bread
    return {
        "terms": [str(t) for t in terms],
        "event_times": [t - 2014 for t in terms],
        "betahat": beta.tolist(),
        "sigma": sigma.tolist(),
        "n_pre": 5,
        "n_post": 2,
        "clusters": g,
        "observations": n,
    }


def ours() -> dict:
    import vrueval as ve

    panel = ve.datasets.crime_severity()
    res = ve.EventStudy(panel, OURS["outcome"], start=OURS["start"], leads=OURS["leads"]).fit(
        OURS["inference"]
    )
    es = res.event_study()
    vcov = res.event_vcov()
    assert vcov is not None
    terms = es["term"].tolist()
    times = es["event_time"].astype(int).tolist()
    return {
        "spec": OURS,
        "terms": terms,
        "event_times": times,
        "betahat": es["estimate"].tolist(),
        "sigma": vcov.loc[terms, terms].to_numpy().tolist(),
        "n_pre": sum(t < -1 for t in times),
        "n_post": sum(t >= 0 for t in times),
    }


def main() -> None:
    out = {
        "medicaid": {
            "source": "Mixtape-Sessions/Advanced-DID@39867d01ea6f3b32ebe96b23f0965815f184f799:"
            "Exercises/Data/ehec_data.csv",
            **ehec_event_study(HERE / "ehec_data.csv"),
        },
        "vru_violence": ours(),
    }
    (HERE / "honestdid_inputs.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
