"""Geographies: the registered UK areas, statistical-area codes, and the user's own units.

A panel's units belong to one geography (:data:`GEOGRAPHIES`):

- registered areas, known by ONS code, name and aliases, resolved from any official spelling
  with "did you mean" for an unknown one: the 43 police force areas (``"force"``, also
  ``"pfa"``), the English regions and countries (``"region"``), local authority districts
  (``"lad"``), the London boroughs among them (``"london_borough"``: LADs ``E09*``) and community
  safety partnerships (``"csp"``), each LAD and CSP with the force area it lies in;
- statistical areas known by code only (``"lsoa"``: ``E01``/``W01`` and six digits, ``"msoa"``:
  ``E02``/``W02``), checked for form and mapped to LAD and force only through a lookup the user
  gives (:func:`parents`);
- ``"custom"``: any identifiers the user brings (hospitals, schools, US states, store numbers),
  taken as given: kept as text (an integer as its digits), never matched fuzzily, with no VRU
  cohort behind them.

Official files spell areas many ways ("Metropolitan Police Service", "London, City of", "Devon &
Cornwall", "DYFED-POWYS", "Sussex(3)"); :func:`resolve` turns any of them into the code. The
registries are data (CSV files shipped in the package, built by ``make bundle`` from
``data/``: :mod:`vrueval.areas.registry`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Literal, get_args

import numpy as np
import pandas as pd

from vrueval.areas import registry
from vrueval.areas.registry import Area

Geography = Literal["force", "region", "lad", "london_borough", "csp", "lsoa", "msoa", "custom"]
"""The geography of a panel's units (the type of ``Panel.geography``)."""
Kind = Literal[
    "force", "region", "lad", "london_borough", "csp", "lsoa", "msoa", "custom", "any", "pfa"
]
"""A geography, ``"any"`` (a force area or region) or the synonym ``"pfa"``: what lookups take."""
GEOGRAPHIES: tuple[str, ...] = get_args(Geography)
"""Every geography a panel can have."""
SYNONYMS: dict[str, str] = {"pfa": "force"}
"""Other names accepted for a geography."""
KINDS: tuple[str, ...] = ("force", "region", "lad", "london_borough", "csp", "any")
"""The geographies with a registry (names, aliases, tables); "any" is a force area or region."""
CODE_FORMS: dict[str, re.Pattern[str]] = {
    "lsoa": re.compile(r"^[EW]01\d{6}$"),
    "msoa": re.compile(r"^[EW]02\d{6}$"),
}
"""Statistical areas known by code form only: geography -> the pattern of its codes."""
_WHAT = {
    "force": "police force area",
    "region": "region",
    "lad": "local authority district",
    "london_borough": "London borough",
    "csp": "community safety partnership",
    "any": "area",
    "lsoa": "LSOA code",
    "msoa": "MSOA code",
    "custom": "unit",
}


class UnknownAreaError(KeyError):
    """An area name or code that the registry does not know."""

    def __init__(self, name: str, suggestion: str | None, kind: str, note: str = "") -> None:
        self.name = name
        self.suggestion = suggestion
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(
            f"unknown {_WHAT[kind]} {name!r}.{hint}{note} See `vrueval areas --kind {kind}` for "
            "the list."
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class InvalidUnitError(ValueError):
    """A unit identifier that cannot be one of its geography: a malformed LSOA code, a missing
    or boolean custom identifier."""


def canonical(value: str) -> str:
    """The canonical name of a geography (``"pfa"`` is ``"force"``), or a ValueError."""
    value = SYNONYMS.get(value, value)
    if value not in GEOGRAPHIES:
        raise ValueError(
            f"geography must be one of {GEOGRAPHIES} (or {tuple(SYNONYMS)}), got {value!r}"
        )
    return value


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
def _pool(kind: str) -> tuple[Area, ...]:
    """The areas one may name in ``kind`` (for "any": force areas first, then regions)."""
    if kind == "force":
        return registry.forces()
    if kind == "region":
        return registry.regions()
    if kind == "lad":
        return registry.lads()
    if kind == "london_borough":
        return tuple(a for a in registry.lads() if a.code.startswith("E09"))
    if kind == "csp":
        return registry.csps()
    return (*registry.forces(), *registry.regions())


@cache
def _by_code() -> dict[str, Area]:
    """Every registered area by code (codes of different geographies never coincide)."""
    everything = (*registry.forces(), *registry.regions(), *registry.lads(), *registry.csps())
    return {a.code: a for a in everything}


@cache
def _codes(kind: str) -> frozenset[str]:
    return frozenset(a.code for a in _pool(kind))


@cache
def _keys(kind: str) -> dict[str, str]:
    areas = _pool(kind)
    keys = {normalise(a.name): a.code for a in areas}  # "any": a region's name wins
    codes = _codes(kind)
    keys.update({alias: code for _, alias, code in registry.aliases() if code in codes})
    return keys


def _canonical_kind(given: object) -> str:
    kind = SYNONYMS.get(str(given), str(given))
    if kind not in (*GEOGRAPHIES, "any"):
        raise ValueError(f"kind must be one of {(*GEOGRAPHIES, 'any')}, got {kind!r}")
    return kind


def unit_key(value: object) -> str:
    """A custom unit identifier as vrueval keeps it: text as given, an integer as its digits.

    Raises
    ------
    InvalidUnitError
        For a missing value or a boolean (True is not a unit).
    """
    if isinstance(value, bool | np.bool_):
        raise InvalidUnitError(f"{value!r} is a boolean, not a unit identifier")
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        raise InvalidUnitError("a missing unit identifier")
    if isinstance(value, np.integer):
        return str(int(value))
    text = str(value)
    if not text.strip():
        raise InvalidUnitError(f"{value!r} is blank, not a unit identifier")
    return text


def check_code(value: object, kind: str) -> str:
    """An LSOA or MSOA code, upper-cased, if it has the form of one; else InvalidUnitError."""
    code = str(value).strip().upper()
    if not CODE_FORMS[kind].match(code):
        prefix = "E01/W01" if kind == "lsoa" else "E02/W02"
        raise InvalidUnitError(
            f"{value!r} is not an {kind.upper()} code ({prefix} and six digits, e.g. "
            f"{prefix[:3]}000001)"
        )
    return code


# an ONS (GSS) code: a letter for the country and eight digits
_GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")


def resolve(name: object, kind: Kind = "force") -> str:
    """Return the code of a unit of geography ``kind`` given any accepted spelling.

    Parameters
    ----------
    name : str (or int for custom units)
        A registered area's name as an official file prints it, an alias, or its ONS code; an
        LSOA/MSOA code; a custom identifier (returned as :func:`unit_key` keeps it).
    kind : one of :data:`GEOGRAPHIES`, "pfa" or "any"
        Where to look. "West Midlands" and "London" are both a force (area) and a region;
        ``kind="any"`` (force areas and regions by name, any registered area by code) reads
        such a name as the region.

    Raises
    ------
    UnknownAreaError
        With the nearest known name when ``name`` matches no registered area.
    InvalidUnitError
        For a malformed LSOA/MSOA code or an unusable custom identifier.
    """
    where = _canonical_kind(kind)
    if where == "custom":
        return unit_key(name)
    if where in CODE_FORMS:
        return check_code(name, where)
    code = str(name).strip().upper()
    if code in (_by_code() if where == "any" else _codes(where)):
        return code
    keys = _keys(where)
    key = normalise(str(name))
    if key in keys:
        return keys[key]
    if _GSS_CODE.match(code):  # a code, not a misspelt name: no nearest name to offer
        raise UnknownAreaError(
            str(name),
            None,
            where,
            " It has the form of an ONS code, but no registered area has it (the lists are of "
            "December 2023: a code retired since, e.g. by a council merger, or another "
            "geography's code is not known).",
        )
    names = {normalise(a.name): a.name for a in _pool(where)}
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.0)
    raise UnknownAreaError(str(name), names[close[0]] if close else None, where)


def get(name_or_code: str, kind: Kind = "any") -> Area:
    """Return the registered :class:`Area` for a name or code."""
    return _by_code()[resolve(name_or_code, kind)]


def name(code: str) -> str:
    """Display name for an ONS code (or any accepted spelling)."""
    return get(code).name


def label(code: str) -> str:
    """Display name for a registered area, else ``code`` itself (units of any kind: messages
    about a user's own units keep the user's labels)."""
    text = str(code)
    by_code = _by_code()
    area = by_code.get(text)
    if area is None:
        # any accepted spelling, read as resolve(kind="any") reads it, but without the fuzzy
        # "did you mean" search only its error needs: label runs once a unit, on 35,000 units
        upper = text.strip().upper()
        found = upper if upper in by_code else _keys("any").get(normalise(text))
        area = by_code.get(found) if found is not None else None
    return area.name if area is not None else text


def forces() -> tuple[Area, ...]:
    """The 43 territorial police force areas of England and Wales, in ONS code order."""
    return registry.forces()


def regions() -> tuple[Area, ...]:
    """The 9 English regions, the two countries and England and Wales."""
    return registry.regions()


def lads() -> tuple[Area, ...]:
    """The 318 local authority districts of England and Wales (December 2023), with their force
    areas."""
    return registry.lads()


def london_boroughs() -> tuple[Area, ...]:
    """The 32 London boroughs and the City of London (LADs ``E09*``)."""
    return _pool("london_borough")


def csps() -> tuple[Area, ...]:
    """The community safety partnerships of England and Wales (December 2023), with their force
    areas."""
    return registry.csps()


def vru_2019() -> tuple[str, ...]:
    """Codes of the 18 force areas funded for a VRU from 2019/20."""
    return tuple(a.code for a in forces() if a.vru_cohort == 2019)


def vru_2022() -> tuple[str, ...]:
    """Codes of the force areas that joined the VRU programme in 2022 (Cleveland, Humberside)."""
    return tuple(a.code for a in forces() if a.vru_cohort == 2022)


def vru_areas() -> tuple[str, ...]:
    """Codes of every force area ever funded for a VRU (2019 and 2022 cohorts)."""
    return tuple(a.code for a in forces() if a.vru_cohort is not None)


def comparators() -> tuple[str, ...]:
    """Codes of the never-funded force areas (including City of London; designs decide on it)."""
    return tuple(a.code for a in forces() if a.vru_cohort is None)


def table(kind: Kind = "force") -> pd.DataFrame:
    """The registry of a geography as a DataFrame (one row an area)."""
    where = _canonical_kind(kind)
    if where not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} (a registered geography), got {kind!r}")
    pool = _pool(where)
    return pd.DataFrame(
        {
            "code": [a.code for a in pool],
            "name": [a.name for a in pool],
            "kind": [a.kind for a in pool],
            "force": [a.force for a in pool],
            "region": [a.region for a in pool],
            "country": [a.country for a in pool],
            "vru_cohort": pd.array([a.vru_cohort for a in pool], dtype="Int64"),
            "vru_grant_2019_20": pd.array([a.vru_grant_2019_20 for a in pool], dtype="Int64"),
        }
    )


Lookup = Mapping[object, object] | pd.Series


def parents(
    units: Iterable[object],
    geography: str,
    to: Literal["lad", "force", "region"],
    lookup: Lookup | None = None,
) -> dict[str, str]:
    """Map units to the LAD, force area or region they lie in.

    LADs, London boroughs and CSPs map through the shipped ONS lookup; force areas map to their
    region. LSOAs and MSOAs (and custom units) map only through ``lookup``, a mapping unit ->
    LAD (name or code, resolved as an LAD) given by the user; from the LAD on, the shipped lookup
    carries them to force and region. A unit the lookup does not cover is an error, never
    guessed.

    Raises
    ------
    ValueError
        For a mapping that does not exist (an LAD "to" LAD from a force) or a unit the lookups
        do not cover.
    """
    geo = canonical(geography)
    targets = ("lad", "force", "region")
    if to not in targets:
        raise ValueError(f"to must be one of {targets}, got {to!r}")
    out: dict[str, str] = {}
    uncovered: list[str] = []
    table_ = dict(lookup.items()) if lookup is not None else None
    for raw in units:
        unit = resolve(raw, geo)  # type: ignore[arg-type]
        if geo in ("lsoa", "msoa", "custom"):
            if table_ is None:
                raise ValueError(
                    f"{geo} units map to LADs and forces only through a lookup: pass "
                    "lookup={unit: LAD name or code}"
                )
            key = next((k for k in (raw, unit) if k in table_), None)
            if key is None:
                uncovered.append(unit)
                continue
            area = get(resolve(str(table_[key]), "lad"), "lad")
        elif geo in ("lad", "london_borough", "csp", "force"):
            area = _by_code()[unit]
        else:  # region
            if to == "region":
                out[unit] = unit
                continue
            raise ValueError(f"a region lies in no single {to}")
        if to == "lad":
            if area.kind != "lad":
                raise ValueError(f"a {area.kind} unit ({unit}) lies in no single LAD")
            out[unit] = area.code
        elif to == "force":
            assert area.force is not None
            out[unit] = area.force
        else:
            out[unit] = resolve(area.region, "region")
    if uncovered:
        raise ValueError(f"the lookup does not cover {len(uncovered)} unit(s): {uncovered[:8]}")
    return out


__all__ = [
    "CODE_FORMS",
    "GEOGRAPHIES",
    "KINDS",
    "SYNONYMS",
    "Area",
    "Geography",
    "InvalidUnitError",
    "Kind",
    "UnknownAreaError",
    "check_code",
    "comparators",
    "csps",
    "forces",
    "canonical",
    "get",
    "label",
    "lads",
    "london_boroughs",
    "name",
    "normalise",
    "parents",
    "regions",
    "resolve",
    "table",
    "unit_key",
    "vru_2019",
    "vru_2022",
    "vru_areas",
]
