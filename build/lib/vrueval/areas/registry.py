"""The registries as shipped: one CSV a geography under ``vrueval/data/bundled/``.

``make bundle`` writes them (:mod:`vrueval.data.bundle`): the force list and the regions are
copied from the project's reference lists in ``data/reference/``; local authority districts and
community safety partnerships come from the ONS LAD -> CSP -> PFA lookup (December 2023) in
``data/population_pfa``; aliases are the reference list plus the inversions of official names
such as "Bristol, City of". Nothing here knows an area by heart.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

AreaKind = Literal["force", "region", "lad", "csp"]

#: The registry files, by geography (file names under vrueval/data/bundled/).
FILES: dict[str, str] = {
    "force": "police_force_areas.csv",
    "region": "regions.csv",
    "lad": "local_authority_districts.csv",
    "csp": "community_safety_partnerships.csv",
}
ALIASES = "area_aliases.csv"


@dataclass(frozen=True)
class Area:
    """One registered geography: a force area, a region or country, an LAD or a CSP.

    ``force`` is the police force area the area lies in (an LAD's or CSP's; a force's own code;
    None for regions); ``region`` the English region's name (or "Wales").
    """

    code: str
    name: str
    kind: AreaKind
    region: str
    country: str
    vru_cohort: int | None = None
    vru_grant_2019_20: int | None = None
    force: str | None = None

    @property
    def is_vru(self) -> bool:
        return self.vru_cohort is not None


def _rows(file: str) -> list[dict[str, str]]:
    path = resources.files("vrueval") / "data" / "bundled" / file
    with path.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _int(text: str) -> int | None:
    return int(text) if text else None


@cache
def forces() -> tuple[Area, ...]:
    return tuple(
        Area(
            code=row["area_code"],
            name=row["area_name"],
            kind="force",
            region=row["region"],
            country=row["country"],
            vru_cohort=_int(row["vru_cohort"]),
            vru_grant_2019_20=_int(row["vru_funding_2019_20_gbp"]),
            force=row["area_code"],
        )
        for row in _rows(FILES["force"])
    )


@cache
def regions() -> tuple[Area, ...]:
    return tuple(
        Area(
            code=row["area_code"],
            name=row["area_name"],
            kind="region",
            region=row["area_name"],
            country=row["country"],
        )
        for row in _rows(FILES["region"])
    )


def _below_force(kind: AreaKind) -> tuple[Area, ...]:
    by_force = {a.code: a for a in forces()}
    return tuple(
        Area(
            code=row["area_code"],
            name=row["area_name"],
            kind=kind,
            region=by_force[row["force_code"]].region,
            country=by_force[row["force_code"]].country,
            force=row["force_code"],
        )
        for row in _rows(FILES[kind])
    )


@cache
def lads() -> tuple[Area, ...]:
    return _below_force("lad")


@cache
def csps() -> tuple[Area, ...]:
    return _below_force("csp")


@cache
def aliases() -> tuple[tuple[str, str, str], ...]:
    """(geography, normalised alias, code) rows."""
    return tuple((r["geography"], r["alias"], r["area_code"]) for r in _rows(ALIASES))
