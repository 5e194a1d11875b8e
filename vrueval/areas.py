"""Registry of the 43 territorial police force areas of England and Wales, and of the regions.

Every unit in a vrueval panel is an ONS geography code (``E23000014`` for West Midlands Police,
``E12000005`` for the West Midlands region). Official files spell areas many ways ("Metropolitan
Police Service", "London, City of", "Devon & Cornwall", "DYFED-POWYS", "Sussex(3)"); :func:`resolve`
turns any of them into the code, and refuses an unknown name with the nearest match.

The force registry is shipped from the project's reference list (ONS code, name, region, country,
Home Office VRU cohort and 2019/20 VRU grant).
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import pandas as pd

Kind = Literal["force", "region", "any"]
KINDS: tuple[str, ...] = ("force", "region", "any")


class UnknownAreaError(KeyError):
    """An area name or code that the registry does not know."""

    def __init__(self, name: str, suggestion: str | None, kind: str) -> None:
        self.name = name
        self.suggestion = suggestion
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        what = {"force": "police force area", "region": "region", "any": "area"}[kind]
        super().__init__(f"unknown {what} {name!r}.{hint} See `vrueval areas` for the list.")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Area:
    """One geography: a police force area or a region/country aggregate."""

    code: str
    name: str
    kind: Literal["force", "region"]
    region: str
    country: str
    vru_cohort: int | None = None
    vru_grant_2019_20: int | None = None

    @property
    def is_vru(self) -> bool:
        return self.vru_cohort is not None


# ONS codes for the English regions (GOR), the countries, and England and Wales.
_REGIONS: tuple[tuple[str, str, str], ...] = (
    ("E12000001", "North East", "England"),
    ("E12000002", "North West", "England"),
    ("E12000003", "Yorkshire and The Humber", "England"),
    ("E12000004", "East Midlands", "England"),
    ("E12000005", "West Midlands", "England"),
    ("E12000006", "East of England", "England"),
    ("E12000007", "London", "England"),
    ("E12000008", "South East", "England"),
    ("E12000009", "South West", "England"),
    ("E92000001", "England", "England"),
    ("W92000004", "Wales", "Wales"),
    ("K04000001", "England and Wales", "England and Wales"),
)

# Spellings used by official files that normalisation alone cannot map.
_ALIASES: dict[str, str] = {
    "met": "E23000001",
    "metropolitan": "E23000001",
    "london city of": "E23000034",
    "city of london": "E23000034",
    "east": "E12000006",
    "yorkshire and humber": "E12000003",
    "yorkshire": "E12000003",
    "england and wales": "K04000001",
}

# Bracketed footnote marks: "(3)", "[note 4]", "(a)", "[x]", "(*)". Words in brackets are not
# marks: "Avon and Somerset (excluding Bristol)" is a different area from the force and must not
# resolve to it.
_FOOTNOTE = re.compile(r"\[\s*(?:note\s*)?[\w*†‡§]{0,3}\s*\]|\(\s*(?:note\s*)?[\d*†‡§]*[a-z]?\s*\)")

_DROP_WORDS = ("police service", "police force", "constabulary", "police", "service")


def normalise(name: str) -> str:
    """Reduce an area label to a comparable key.

    Lower-cases, drops footnote marks (``Sussex(3)``, ``Kent [note 4]``, ``Essex*``,
    ``Surrey1``) but keeps any other bracketed words (``Avon and Somerset (excluding Bristol)``
    stays distinct from the force), reads ``&`` as "and", treats hyphens, commas and
    data.police.uk slugs as spaces, and drops the words "police", "constabulary" and "service".
    """
    text = str(name).strip().lower()
    text = _FOOTNOTE.sub(" ", text)  # [note 3], (3), [x]: anything else in brackets is kept
    text = re.sub(r"[()\[\]]", " ", text)
    text = re.sub(r"[\d*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+\s*$", " ", text)  # trailing footnote marks
    text = text.replace("&", " and ")
    text = re.sub(r"[-_,.'’/]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for word in _DROP_WORDS:
        text = re.sub(rf"\b{word}\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@cache
def _forces() -> tuple[Area, ...]:
    path = resources.files("vrueval") / "data" / "bundled" / "police_force_areas.csv"
    with path.open("r", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        Area(
            code=row["area_code"],
            name=row["area_name"],
            kind="force",
            region=row["region"],
            country=row["country"],
            vru_cohort=int(row["vru_cohort"]) if row["vru_cohort"] else None,
            vru_grant_2019_20=(
                int(row["vru_funding_2019_20_gbp"]) if row["vru_funding_2019_20_gbp"] else None
            ),
        )
        for row in rows
    )


@cache
def _regions() -> tuple[Area, ...]:
    return tuple(
        Area(code=code, name=name, kind="region", region=name, country=country)
        for code, name, country in _REGIONS
    )


@cache
def _by_code() -> dict[str, Area]:
    return {a.code: a for a in (*_forces(), *_regions())}


@cache
def _keys(kind: str) -> dict[str, str]:
    areas = {"force": _forces(), "region": _regions(), "any": (*_forces(), *_regions())}[kind]
    keys = {normalise(a.name): a.code for a in areas}
    keys.update({alias: code for alias, code in _ALIASES.items() if _by_code()[code] in areas})
    return keys


def resolve(name: str, kind: Kind = "force") -> str:
    """Return the ONS code of an area given any official spelling or its code.

    Parameters
    ----------
    name : str
        A force or region name as an official file prints it, or an ONS code.
    kind : {"force", "region", "any"}
        Where to look. "West Midlands" and "London" are both a force (area) and a region;
        with ``kind="any"`` the force wins.

    Raises
    ------
    UnknownAreaError
        With the nearest known name when ``name`` matches nothing.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    code = str(name).strip().upper()
    area = _by_code().get(code)
    if area is not None and (kind == "any" or area.kind == kind):
        return area.code
    keys = _keys(kind)
    key = normalise(name)
    if key in keys:
        return keys[key]
    names = {normalise(a.name): a.name for a in _by_code().values() if a.code in keys.values()}
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.0)
    raise UnknownAreaError(str(name), names[close[0]] if close else None, kind)


def get(name_or_code: str, kind: Kind = "any") -> Area:
    """Return the :class:`Area` for a name or code."""
    return _by_code()[resolve(name_or_code, kind)]


def name(code: str) -> str:
    """Display name for an ONS code (or any accepted spelling)."""
    return get(code).name


def label(code: str) -> str:
    """Display name for a registered area, else ``code`` itself (units of any kind: messages
    about a user's own units keep the user's labels)."""
    try:
        return name(code)
    except KeyError:
        return code


def forces() -> tuple[Area, ...]:
    """The 43 territorial police force areas of England and Wales, in ONS code order."""
    return _forces()


def regions() -> tuple[Area, ...]:
    """The 9 English regions, the two countries and England and Wales."""
    return _regions()


def vru_2019() -> tuple[str, ...]:
    """Codes of the 18 force areas funded for a VRU from 2019/20."""
    return tuple(a.code for a in _forces() if a.vru_cohort == 2019)


def vru_2022() -> tuple[str, ...]:
    """Codes of the force areas that joined the VRU programme in 2022 (Cleveland, Humberside)."""
    return tuple(a.code for a in _forces() if a.vru_cohort == 2022)


def vru_areas() -> tuple[str, ...]:
    """Codes of every force area ever funded for a VRU (2019 and 2022 cohorts)."""
    return tuple(a.code for a in _forces() if a.vru_cohort is not None)


def comparators() -> tuple[str, ...]:
    """Codes of the never-funded force areas (including City of London; designs decide on it)."""
    return tuple(a.code for a in _forces() if a.vru_cohort is None)


def table(kind: Kind = "force") -> pd.DataFrame:
    """The registry as a DataFrame (one row an area)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    areas = {"force": _forces(), "region": _regions(), "any": (*_forces(), *_regions())}[kind]
    return pd.DataFrame(
        {
            "code": [a.code for a in areas],
            "name": [a.name for a in areas],
            "kind": [a.kind for a in areas],
            "region": [a.region for a in areas],
            "country": [a.country for a in areas],
            "vru_cohort": pd.array([a.vru_cohort for a in areas], dtype="Int64"),
            "vru_grant_2019_20": pd.array([a.vru_grant_2019_20 for a in areas], dtype="Int64"),
        }
    )
