"""Real published statistics shipped inside the package: the embedded default data.

Each function returns a validated :class:`~vrueval.data.panel.Panel` whose ``sources`` name the
publisher, edition, source file and its SHA-256. :func:`catalogue` lists them with their coverage.

>>> import vrueval as ve
>>> ve.datasets.knife_quarterly().select(units=["West Midlands"], outcome="knife_offences")
<Panel count by force, quarter: 1 units x 44 periods (2008Q2..2019Q1), outcomes=['knife_offences']>
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from vrueval.data.panel import Panel, Source
from vrueval.data.periods import stored_periods
from vrueval.data.rates import check_population

_BUNDLE = resources.files("vrueval") / "data" / "bundled"


@cache
def manifest() -> dict[str, Any]:
    """The bundled datasets' manifest: description, frequency, sources, notes and file hash."""
    return json.loads((_BUNDLE / "manifest.json").read_text())


def _frame(name: str) -> pd.DataFrame:
    with (_BUNDLE / manifest()[name]["file"]).open("rb") as fh:
        return pd.read_parquet(fh)


@cache
def _panel(name: str) -> Panel:
    meta = manifest()[name]
    frame = _frame(name)
    frame["period"] = stored_periods(frame["period"], meta["frequency"])
    return Panel.from_frame(
        frame,
        frequency=meta["frequency"],
        measure=meta["measure"],
        geography=meta["geography"],
        sources=[Source(**s) for s in meta["sources"]],
        notes=meta["notes"],
    )


def knife_quarterly() -> Panel:
    """Knife or sharp instrument offences by police force area, quarterly, 2008Q2-2019Q1.

    Home Office police recorded crime (42 forces; no City of London). Outcomes:
    ``knife_offences`` (the total) and its components ``knife_enabled`` (robbery, rape and sexual
    assault), ``violence_with_injury`` (assault with injury or intent, threats to kill) and
    ``homicide_and_serious_injury`` (homicide, attempted murder). Population: ONS mid-year
    estimates, pre-2021 basis.
    """
    return _panel(bundle_key("knife_quarterly"))


def crime_severity(vintage: Literal["2022", "2020"] = "2022") -> Panel:
    """ONS crime severity score by offence group and force, financial years 2002/03 onwards.

    Outcomes ``css_total_recorded_crime``, ``css_violence_against_the_person``, ``css_robbery``,
    ``css_sexual_offences``, ``css_theft_offences``, ``css_criminal_damage_and_arson``,
    ``css_other_crimes_against_society``. The 2022 vintage runs to FY2021/22, the 2020 vintage to
    FY2019/20 (severity weights are revised between editions). City of London is missing.
    """
    return _panel(bundle_key("crime_severity", vintage=vintage))


def hes_sharp_object(by_age: bool = False) -> Panel:
    """Hospital admissions for assault by a sharp object (HES, ICD-10 X99), monthly by region.

    NHS Digital, April 2012 to March 2022, by English region of residence and England. Outcomes
    ``admissions`` (finished admission episodes) and ``episodes`` (finished consultant
    episodes); with ``by_age=True`` one outcome per published age band, e.g.
    ``admissions_age_10-19``. Cells of 1-7 are suppressed (missing, flagged); regional counts are
    rounded to 5; 2021/22 is provisional. Population is the sum of the region's force areas.
    """
    return _panel(bundle_key("hes_sharp_object", by_age=by_age))


def population(basis: Literal["mid2011_2023", "mid2002_2018"] = "mid2011_2023") -> Panel:
    """ONS mid-year population by police force area on one basis (the two are never spliced).

    ``mid2011_2023`` is the Census 2021 basis aggregated from local authorities; ``mid2002_2018``
    the earlier basis published in the PFA data tables. They differ by up to 3% for 2012-2018.
    """
    return _panel(bundle_key("population", basis=basis))


def offences_rolling() -> Panel:
    """Police recorded offences by force, rolling 12-month totals, YE Mar 2003 to YE Jun 2025.

    Outcomes ``homicide``, ``violence_with_injury``, ``possession_of_weapons``, ``robbery``.
    Consecutive values overlap by nine months; designs refuse them until
    :meth:`~vrueval.data.panel.Panel.non_overlapping` keeps one year-end a year. YE Mar 2020 to
    YE Mar 2025 are not bundled (missing); Greater Manchester's Jul-Dec 2019 gap stays missing.
    """
    return _panel(bundle_key("offences_rolling"))


def knife_offences_annual(per_100k: bool = False, comparable_only: bool = False) -> Panel:
    """Knife or sharp instrument offences by police force area, FY2010/11-FY2023/24.

    ONS PFA data tables, Table P6 of the YE Mar 2024 edition: the whole series on one method
    (NDQIS, back-cast), never spliced with the force-flagging editions behind
    :func:`knife_quarterly`. Outcome ``knife_offences``; periods are financial years labelled by
    the year they end in. Greater Manchester FY2022/23 and FY2023/24 are '[x]' at source: missing.
    Population: Census 2021 basis (FY2010/11 takes mid-2011).

    With ``per_100k=True`` the outcome is ``knife_offences_per_100k`` (offences per 100,000
    residents, a ``rate`` panel), for designs that model the outcome as given (the staggered
    estimators); missing counts stay missing and a missing population is refused.

    With ``comparable_only=True`` each force's years before the break the edition's notes name
    (Avon and Somerset, Essex, Norfolk, Suffolk before FY2017/18; Northumbria, Surrey before
    FY2016/17; Thames Valley before FY2015/16; Sussex before FY2014/15; Greater Manchester before
    FY2018/19) are missing, flagged unavailable: the series is one method nationally but not
    comparable over time for those forces.
    """
    key = bundle_key("knife_offences_annual", per_100k=per_100k, comparable_only=comparable_only)
    panel = _panel(key)
    if comparable_only:
        panel = _comparable_panel(panel)
    return _per_100k(panel, "knife_offences") if per_100k else panel


@cache
def _comparable_panel(panel: Panel) -> Panel:
    from vrueval.data.loaders.ons_pfa_annual import mask_before_breaks

    breaks = {k: int(v) for k, v in manifest()["knife_offences_annual"]["comparable_from"].items()}
    listed = ", ".join(f"{k} from FY{v - 1}/{v % 100:02d}" for k, v in breaks.items())
    return Panel.from_frame(
        mask_before_breaks(panel.data, breaks),
        frequency=panel.frequency,
        measure=panel.measure,
        geography=panel.geography,
        sources=list(panel.sources),
        notes=[*panel.notes, f"comparable_only: years before each break left missing ({listed})."],
    )


@cache
def _rate_panel(panel: Panel, outcome: str) -> Panel:
    d = panel.data
    d = d.loc[d["outcome"] == outcome].copy()
    check_population(d)
    d["value"] = d["value"] / d["population"] * 100_000
    d["outcome"] = f"{outcome}_per_100k"
    return Panel.from_frame(
        d,
        frequency=panel.frequency,
        measure="rate",
        geography=panel.geography,
        sources=list(panel.sources),
        notes=[*panel.notes, f"{outcome}_per_100k = {outcome} / population x 100,000."],
    )


def _per_100k(panel: Panel, outcome: str) -> Panel:
    return _rate_panel(panel, outcome)


def homicide_annual() -> Panel:
    """Police recorded homicide by police force area, FY2019/20-FY2023/24 (all ages).

    ONS PFA data tables P1 and P4 of the YE Mar 2021-2024 editions, each year from the newest
    publication. Outcome ``homicide``. Population: Census 2021 basis.
    """
    return _panel(bundle_key("homicide_annual"))


def policy_dates() -> pd.DataFrame:
    """Dated shocks (riots, recording changes, stop-and-search policy, COVID-19 lockdowns) and
    the VRU start dates, one row an event with ``start``/``end`` as timestamps."""
    frame = _frame("policy_dates")
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame


_PANELS: dict[str, Callable[..., Panel]] = {
    "knife_quarterly": knife_quarterly,
    "crime_severity": crime_severity,
    "hes_sharp_object": hes_sharp_object,
    "population": population,
    "offences_rolling": offences_rolling,
    "knife_offences_annual": knife_offences_annual,
    "homicide_annual": homicide_annual,
}


def bundle_key(name: str, **options: Any) -> str:
    """The manifest entry (and so the bundled file) behind dataset ``name`` with ``options``:
    the one place a dataset's options choose its file, read by the loaders and by whatever
    hashes an analysis's inputs."""
    if name == "crime_severity":
        vintage = options.pop("vintage", "2022")
        if vintage not in ("2022", "2020"):
            raise ValueError(f"vintage must be one of ('2022', '2020'), got {vintage!r}")
        key = f"crime_severity_{vintage}"
    elif name == "hes_sharp_object":
        key = "hes_sharp_object_by_age" if options.pop("by_age", False) else "hes_sharp_object"
    elif name == "population":
        basis = options.pop("basis", "mid2011_2023")
        if basis not in ("mid2011_2023", "mid2002_2018"):
            raise ValueError(
                f"basis must be one of ('mid2011_2023', 'mid2002_2018'), got {basis!r}"
            )
        key = f"population_{basis}"
    elif name == "knife_offences_annual":
        for flag in ("per_100k", "comparable_only"):
            given = options.pop(flag, False)
            if not isinstance(given, bool):
                raise ValueError(f"{flag} must be true or false, got {given!r}")
        key = name
    elif name in _PANELS:
        key = name
    else:
        raise KeyError(f"unknown dataset {name!r}; bundled: {sorted(_PANELS)}")
    if options:
        raise TypeError(f"dataset {name!r} takes no option(s) {sorted(options)}")
    return key


def bundled_file(name: str, **options: Any) -> Path:
    """Path of the bundled file behind dataset ``name`` with ``options``."""
    return Path(str(_BUNDLE / manifest()[bundle_key(name, **options)]["file"]))


def load(name: str, **options: Any) -> Panel:
    """A bundled panel by name, as an analysis spec names it (options go to its function)."""
    if name not in _PANELS:
        raise KeyError(f"unknown dataset {name!r}; bundled: {sorted(_PANELS)}")
    return _PANELS[name](**options)


def catalogue() -> pd.DataFrame:
    """One row a bundled dataset: name, description, frequency, coverage and first source."""
    rows = []
    for name, meta in manifest().items():
        row = {
            "name": name,
            "description": meta["description"],
            "frequency": meta.get("frequency", "-"),
            "units": "-",
            "periods": "-",
            "source": f"{meta['sources'][0]['publisher']}, {meta['sources'][0]['edition']}",
        }
        if meta.get("kind") != "table":
            panel = _panel(name)
            p = panel.periods
            row["units"] = str(len(panel.units))
            row["periods"] = f"{p[0]}..{p[-1]} ({len(p)})"
        rows.append(row)
    return pd.DataFrame(rows)
