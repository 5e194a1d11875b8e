"""Reference random-effects pooling from statsmodels' combine_effects (DerSimonian–Laird and
its iterated Paule–Mandel-type "chi2" method is not REML, so only DL is taken from here).

    /work/main/.venv/bin/python tests/reference/pooling_statsmodels.py
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.meta_analysis import combine_effects

HERE = Path(__file__).resolve().parent


def main() -> None:
    inputs = pd.read_csv(HERE / "pooling_inputs.csv")
    out: dict[str, object] = {"statsmodels": metadata.version("statsmodels"), "results": {}}
    for dataset, d in inputs.groupby("dataset", sort=True):
        y = d["estimate"].to_numpy(float)
        v = d["std_error"].to_numpy(float) ** 2
        res = combine_effects(y, v, method_re="dl", alpha=0.05)
        frame = res.summary_frame()
        row = frame.loc["random effect"]
        out["results"][dataset] = {  # type: ignore[index]
            "DL": {
                "estimate": float(row["eff"]),
                "std_error": float(row["sd_eff"]),
                "conf_low": float(row["ci_low"]),
                "conf_high": float(row["ci_upp"]),
                "tau2": float(res.tau2),
                "i2": float(res.i2),
                "q": float(res.q),
                "weights": [float(x) for x in np.asarray(frame["w_re"].iloc[: len(y)])],
            }
        }
    (HERE / "pooling_statsmodels.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
