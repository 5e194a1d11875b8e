"""Build the registry files from the raw official files (maintainers only; ``make bundle``).

Forces and regions are the project's reference lists (``data/reference/``), copied byte for byte.
Local authority districts and community safety partnerships, each with the police force area it
lies in, come from the ONS LAD -> CSP -> PFA lookup (December 2023). Aliases are the reference
list plus, for every LAD or CSP whose official name is inverted ("Bristol, City of",
"Herefordshire, County of"), the name read forwards and the place name alone. The output is
sorted and written with ``\\n`` line ends, so the same raw files give the same bytes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from vrueval.areas import normalise, registry

FORCES = "reference/police_force_areas.csv"
REGIONS = "reference/regions.csv"
ALIASES = "reference/area_aliases.csv"
LOOKUP = "population_pfa/mid2011_2023/raw/LAD23_CSP23_PFA23_lookup_Dec2023.csv"
#: Every raw file the registries are built from, relative to the data folder.
SOURCES: tuple[str, ...] = (FORCES, REGIONS, ALIASES, LOOKUP)

_INVERTED = (", city of", ", county of")


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _below_force(lookup: list[dict[str, str]], code: str, name: str) -> list[list[str]]:
    seen: dict[str, tuple[str, str]] = {}
    for row in lookup:
        found = (row[name].strip(), row["PFA23CD"])
        if seen.setdefault(row[code], found) != found:
            raise ValueError(f"{row[code]} lies in two force areas in the lookup")
    return [[c, n, f] for c, (n, f) in sorted(seen.items())]


def _inversions(kind: str, rows: list[list[str]]) -> list[list[str]]:
    out = []
    for code, name, _ in rows:
        low = name.lower()
        for tail in _INVERTED:
            if low.endswith(tail):
                place = name[: -len(tail)]
                forwards = f"{tail[2:]} {place}"
                out += [[kind, normalise(forwards), code], [kind, normalise(place), code]]
    return out


def files(root: Path) -> dict[str, bytes]:
    """The registry files (name -> bytes) built from the data folder ``root``."""
    with (root / LOOKUP).open(encoding="utf-8-sig", newline="") as fh:
        lookup = list(csv.DictReader(fh))
    lads = _below_force(lookup, "LAD23CD", "LAD23NM")
    csps = _below_force(lookup, "CSP23CD", "CSP23NM")
    with (root / ALIASES).open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        aliases = [row for row in reader if row]
    aliases += _inversions("lad", lads) + _inversions("csp", csps)
    below = ["area_code", "area_name", "force_code"]
    return {
        registry.FILES["force"]: (root / FORCES).read_bytes(),
        registry.FILES["region"]: (root / REGIONS).read_bytes(),
        registry.FILES["lad"]: _csv(below, lads),
        registry.FILES["csp"]: _csv(below, csps),
        registry.ALIASES: _csv(header, aliases),
    }
