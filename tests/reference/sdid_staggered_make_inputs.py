"""Inputs of tests/reference/sdid_staggered_reference.R: three staggered panels as outcome
matrices in the row order vrueval uses (never-treated units sorted by label, then each cohort's
units sorted, cohorts by adoption), and the placebo orders and bootstrap rows that
``numpy.random.default_rng(SEED)`` gives in vrueval's draw order, so R re-estimates on the very
same draws.

* ``mpdta``: data/mpdta without the 2004 cohort (one pre-period), ``lemp``;
* ``ehec``: tests/reference/ehec_data.csv (``dins``) without the 2017 cohort (a single state:
  the jackknife needs two units a cohort);
* ``ehec_small``: ehec's cohorts 2015, 2016 and 2019 only (7 treated, 16 never-treated: the
  placebo needs more never-treated than treated units).

Run: /work/main/.venv/bin/python tests/reference/sdid_staggered_make_inputs.py (from the
repository root); writes tests/reference/sdid_staggered_inputs.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SEED = 20231
DRAWS = 39  # the fewest vrueval accepts at level 0.95


def frames() -> dict[str, pd.DataFrame]:
    m = pd.read_csv(ROOT / "data" / "mpdta" / "mpdta.csv.gz")
    m = m[m["first.treat"] != 2004]
    mpdta = pd.DataFrame(
        {"unit": m["countyreal"], "time": m["year"], "y": m["lemp"], "g": m["first.treat"]}
    )
    e = pd.read_csv(HERE / "ehec_data.csv")
    ehec = pd.DataFrame(
        {"unit": e["stfips"], "time": e["year"], "y": e["dins"], "g": e["yexp2"].fillna(0)}
    )
    small = ehec[ehec["g"].isin([0, 2015, 2016, 2019])]
    return {"mpdta": mpdta, "ehec": ehec[ehec["g"] != 2017], "ehec_small": small}


def layout(frame: pd.DataFrame) -> dict[str, object]:
    wide = frame.pivot(index="unit", columns="time", values="y").sort_index(axis=1)
    g = frame.groupby("unit")["g"].first()
    periods = list(wide.columns)
    controls = sorted(u for u in wide.index if g[u] == 0)
    cohorts = sorted(int(v) for v in g.unique() if v != 0)
    order = [*controls, *(u for c in cohorts for u in sorted(g.index[g == c]))]
    return {
        "units": [str(u) for u in order],
        "periods": [int(p) for p in periods],
        "y": wide.loc[order].to_numpy().tolist(),
        "n0": len(controls),
        "starts": [periods.index(c) for c in cohorts],  # 0-based: the number of pre-periods
        "sizes": [int((g == c).sum()) for c in cohorts],
    }


def draws(n: int, n0: int) -> dict[str, object]:
    """vrueval's placebo orders (``rng.permutation(n0)`` a draw) and bootstrap rows (sorted
    ``rng.integers(0, n, n)``, redrawn without a control or a treated unit), 0-based."""
    rng = np.random.default_rng(SEED)
    orders = [rng.permutation(n0).tolist() for _ in range(DRAWS)]
    rng = np.random.default_rng(SEED)
    rows: list[list[int]] = []
    redrawn = 0
    while len(rows) < DRAWS:
        r = np.sort(rng.integers(0, n, size=n))
        k = int((r < n0).sum())
        if 0 < k < n:
            rows.append(r.tolist())
        else:
            redrawn += 1
    return {"seed": SEED, "orders": orders, "rows": rows, "redrawn": redrawn}


def main() -> None:
    out = {}
    for name, frame in frames().items():
        panel = layout(frame)
        n0, n = int(panel["n0"]), len(panel["units"])  # type: ignore[arg-type]
        panel["draws"] = draws(n, n0) if name != "mpdta" else {}
        out[name] = panel
    (HERE / "sdid_staggered_inputs.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
