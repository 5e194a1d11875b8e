"""Inputs for the random-effects pooling references: two sets of (label, estimate, std_error).

- ``knife_areas``: the 20 one-area knife DiD estimates recorded in analyses/expected/
  (did_knife_area_*.json), each with the standard error its 95% randomization interval implies,
  (high - low) / (2 * 1.959964), as reports/knife_offences.qmd pools them.
- ``heterogeneous``: eight made-up estimates spread well beyond their errors, so tau^2 > 0 and
  DL and REML differ (the knife set has tau^2 = 0 by both).

    python tests/reference/pooling_make_inputs.py   # writes pooling_inputs.csv
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE.parents[1] / "analyses" / "expected"
Z975 = 1.959963984540054

HETEROGENEOUS = [
    ("a", -12.0, 3.0),
    ("b", -4.0, 2.5),
    ("c", 1.5, 4.0),
    ("d", 6.0, 2.0),
    ("e", 9.0, 3.5),
    ("f", -8.5, 5.0),
    ("g", 14.0, 4.5),
    ("h", 0.5, 1.5),
]


def rows() -> list[tuple[str, str, float, float]]:
    out = []
    for path in sorted(EXPECTED.glob("did_knife_area_*.json")):
        effect = json.loads(path.read_text())["effects"][0]
        se = (effect["conf_high"] - effect["conf_low"]) / (2 * Z975)
        out.append(
            ("knife_areas", path.stem.removeprefix("did_knife_area_"), effect["estimate"], se)
        )
    out += [("heterogeneous", label, y, se) for label, y, se in HETEROGENEOUS]
    return out


if __name__ == "__main__":
    with (HERE / "pooling_inputs.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dataset", "label", "estimate", "std_error"])
        for dataset, label, y, se in rows():
            writer.writerow([dataset, label, repr(y), repr(se)])
