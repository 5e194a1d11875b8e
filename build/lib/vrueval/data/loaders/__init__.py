"""Loaders for the official files evaluators download, one module per publisher format.

Every loader returns a validated :class:`~vrueval.data.panel.Panel` whose ``sources`` record each
file's name, SHA-256, publisher and edition, and whose ``notes`` carry the caveats a reader needs
(rolling totals, gaps kept missing, revisions, vintages). Tidy frames that mirror the published
tables are available from the modules themselves (e.g. :func:`ons_pfa_tables.knife_by_type`).

>>> from vrueval.data import loaders
>>> sorted(loaders.FORMATS)  # doctest: +ELLIPSIS
['crime_severity', ...]
>>> files = ["data/knife_quarterly_2008_2019/raw/knifecrime2.csv"]  # from the repository root
>>> loaders.load("knife_quarterly", files)  # doctest: +NORMALIZE_WHITESPACE
<Panel count by force, quarter: 42 units x 44 periods (2008Q2..2019Q1),
       outcomes=['homicide_and_serious_injury', 'knife_enabled', 'knife_offences',
                 'violence_with_injury']>

The command line uses the same registry: ``vrueval data load --format <name> FILE... --out
panel.parquet`` writes the panel with its provenance, and format ``vrueval-panel`` reads such a
file back (in a spec: ``files = ["panel.parquet"]``, ``format = "vrueval-panel"``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrueval.data import storage
from vrueval.data.loaders import (
    crime_severity,
    hes_workbook,
    home_office_open_data,
    knife_quarterly,
    mopac_borough,
    ons_pfa_annual,
    ons_pfa_tables,
    police_uk,
    population,
)
from vrueval.data.loaders.common import LayoutError
from vrueval.data.panel import Panel


@dataclass(frozen=True)
class Format:
    """A registered file format: its loader and the options it accepts."""

    name: str
    description: str
    loader: Callable[..., Panel]
    options: tuple[str, ...] = ()


_REGISTRY: tuple[Format, ...] = (
    Format(
        "ons_pfa_offences",
        "ONS PFA data tables, offences by offence group (Table P1), any "
        "editions (.xlsx, or the CSV export of P1), rolling 12 months",
        ons_pfa_tables.offence_groups_panel,
        ("geography", "offences"),
    ),
    Format(
        "ons_pfa_knife",
        "ONS PFA data tables, knife or sharp instrument offences by type "
        "(P4 in 2018-19), one rolling 12-month period per edition",
        ons_pfa_tables.knife_by_type_panel,
        ("geography",),
    ),
    Format(
        "ons_pfa_knife_annual",
        "ONS PFA data tables, knife offences by financial year (P5 in "
        "2018-19); the newest edition's revised figures win",
        ons_pfa_tables.knife_series_panel,
        ("geography",),
    ),
    Format(
        "ons_pfa_knife_ndqis",
        "ONS PFA data tables from YE Mar 2021 on, knife offences by financial "
        "year on the NDQIS method (P6; P7 in YE Mar 2022), the whole series from one edition",
        ons_pfa_annual.knife_panel,
    ),
    Format(
        "ons_pfa_homicide_annual",
        "ONS PFA data tables, YE March editions: homicide by financial year from "
        "P1 and P4 (previous year); the newest publication of a year wins",
        ons_pfa_annual.homicide_panel,
    ),
    Format(
        "ons_pfa_population",
        "ONS PFA data tables, mid-year population, old (pre-2021) basis "
        "(P9 and the P3 population column)",
        ons_pfa_tables.population_panel,
    ),
    Format(
        "ons_pfa_csp",
        "ONS PFA data tables, Table C2 (offences by community safety "
        "partnership, CSV export): force totals",
        lambda files: ons_pfa_tables.csp_force_panel(_one(files, "ons_pfa_csp")),
    ),
    Format(
        "hes_sharp_object",
        "NHS Digital HES workbook: admissions for assault by sharp object "
        "(X99), monthly by region of residence [by_age=True: by age band]",
        hes_workbook.panel,
        ("by_age",),
    ),
    Format(
        "knife_quarterly",
        "Home Office knife or sharp instrument offences by force, quarterly (knifecrime2.csv)",
        knife_quarterly.panel,
    ),
    Format(
        "home_office_open_data",
        "Home Office police recorded crime open data tables (.ods, "
        ".xlsx, .csv; long, one sheet per year), quarterly, selected offences (parquet cache)",
        home_office_open_data.open_data_panel,
        ("offences", "cache_dir", "use_cache"),
    ),
    Format(
        "rec_crime_pfa",
        "Home Office rec-crime-pfa.csv: rolling 12-month offence totals by "
        "force, YE Mar 2003 to YE Dec 2018",
        lambda files, **kw: home_office_open_data.rec_crime_panel(
            _one(files, "rec_crime_pfa"), **kw
        ),
        ("offences",),
    ),
    Format(
        "crime_severity",
        "ONS crime severity score by offence group and force, financial "
        "years, one vintage (.csv/.csv.gz)",
        crime_severity.panel,
        ("geography",),
    ),
    Format(
        "population_mid2011",
        "ONS mid-year population by force, Census 2021 basis, from the "
        "LAD workbook (MYE4) + LAD->PFA lookup CSV",
        population.panel,
    ),
    Format(
        "vrueval-panel",
        "a panel written by `vrueval data load --out x.parquet`, read back with its sources, "
        "hashes, notes and frequency",
        lambda files: storage.read_panel(_one(files, "vrueval-panel")),
    ),
    Format(
        "police_uk",
        "data.police.uk street-level CSVs (or folders of them) aggregated with "
        "DuckDB to force x month counts by crime type",
        police_uk.panel,
        ("memory_limit", "threads"),
    ),
    Format(
        "mopac_borough",
        "Metropolitan Police / MOPAC borough monthly recorded crime workbook (.xlsx, OCU "
        "names -> London borough codes; heathrow='drop' or 'hillingdon')",
        mopac_borough.panel,
        ("heathrow",),
    ),
    Format(
        "police_uk_lsoa",
        "data.police.uk street-level CSVs (or folders of them) aggregated with "
        "DuckDB to LSOA x month counts by crime type (geography 'lsoa')",
        police_uk.lsoa_panel,
        ("memory_limit", "threads"),
    ),
)

FORMATS: dict[str, str] = {f.name: f.description for f in _REGISTRY}
"""Format name -> one-line description (what ``vrueval data load --format`` accepts)."""
_BY_NAME = {f.name: f for f in _REGISTRY}


def _one(files: Sequence[Path | str], name: str) -> Path:
    if len(files) != 1:
        raise ValueError(f"format {name!r} reads one file, got {len(files)}")
    return Path(files[0])


def load(format: str, files: Sequence[Path | str], **options: Any) -> Panel:
    """Read official files of one format into a validated :class:`Panel`.

    Parameters
    ----------
    format : str
        One of :data:`FORMATS`.
    files : sequence of paths
        The files as downloaded (several editions where the format allows it).
    **options
        Format-specific options (e.g. ``by_age=True`` for ``hes_sharp_object``,
        ``offences=[...]`` for the Home Office formats); unknown options are rejected.

    Raises
    ------
    ValueError
        Unknown format or option (listing the allowed ones); :class:`LayoutError` when a file is
        not in the layout the format expects (saying what was expected).
    """
    spec = _BY_NAME.get(format)
    if spec is None:
        raise ValueError(f"unknown format {format!r}; known formats: {sorted(FORMATS)}")
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ValueError(
            f"format {format!r} does not take option(s) {unknown}; allowed: {list(spec.options)}"
        )
    paths = [Path(f) for f in files]
    if not paths:
        raise ValueError(f"format {format!r} needs at least one file")
    absent = [str(p) for p in paths if not p.exists()]
    if absent:
        raise FileNotFoundError(f"no such file(s): {absent}")
    return spec.loader(paths, **options)


__all__ = [
    "FORMATS",
    "LayoutError",
    "crime_severity",
    "hes_workbook",
    "home_office_open_data",
    "knife_quarterly",
    "load",
    "mopac_borough",
    "ons_pfa_annual",
    "ons_pfa_tables",
    "police_uk",
    "population",
]
