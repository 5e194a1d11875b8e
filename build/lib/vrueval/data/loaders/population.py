"""ONS mid-year population estimates by police force area, and LAD -> PFA aggregation.

Two bases, never spliced: the Census-2021-rebased series (mid-2011 to mid-2023) is built here
from the ONS local-authority workbook (sheet MYE4, "Population estimates: Summary for England and
Wales, mid-2011 to mid-2023") and the ONS LAD -> CSP -> PFA lookup; the earlier basis
(mid-2002 to mid-2018) comes from the PFA data tables
(:func:`vrueval.data.loaders.ons_pfa_tables.population`). They differ by up to 3% for 2012-2018,
so their outcomes are labelled apart (``population`` vs ``population_old_basis``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from vrueval.data.loaders import common, provenance
from vrueval.data.loaders.common import LayoutError, squash
from vrueval.data.panel import Panel

SOURCE_LABEL = "ONS MYE (LAD23 basis, mid-2011..mid-2023) aggregated via LAD23->PFA23 lookup"


def read_lookup(file: Path | str) -> pd.DataFrame:
    """The LAD -> PFA lookup, one row per LAD (LADs listed once per CSP are de-duplicated).

    Columns: lad_code, lad_name, pfa_code, pfa_name. Accepts any year's column names
    (LAD23CD, PFA23CD, ...).
    """
    path = Path(file)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")

    def col(prefix: str, suffix: str) -> str:
        found = [
            c
            for c in raw.columns
            if re.fullmatch(rf"{prefix}\d\d{suffix}", c.strip(), re.IGNORECASE)
        ]
        if not found:
            raise LayoutError(
                path,
                "an ONS LAD to PFA lookup with columns LADyyCD, LADyyNM, PFAyyCD, PFAyyNM",
                f"columns {list(raw.columns)}",
            )
        return found[0]

    out = pd.DataFrame(
        {
            "lad_code": raw[col("LAD", "CD")],
            "lad_name": raw[col("LAD", "NM")],
            "pfa_code": raw[col("PFA", "CD")],
            "pfa_name": raw[col("PFA", "NM")],
        }
    )
    conflicting = out.groupby("lad_code")["pfa_code"].nunique()
    if (conflicting > 1).any():
        raise LayoutError(
            path,
            "each LAD in exactly one PFA",
            f"LADs in several PFAs: {list(conflicting[conflicting > 1].index)}",
        )
    return out.drop_duplicates("lad_code").reset_index(drop=True)


def aggregate_lad_to_pfa(
    frame: pd.DataFrame,
    lookup: pd.DataFrame,
    lad_column: str = "lad_code",
    value_columns: Sequence[str] = ("population",),
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Sum local-authority values to police force areas.

    Every LAD in ``frame`` must be in ``lookup`` (an unmatched LAD is an error naming it, never a
    silent drop); a PFA total is missing when any of its LADs is missing.
    """
    unmatched = sorted(set(frame[lad_column]) - set(lookup["lad_code"]))
    if unmatched:
        raise ValueError(
            f"{len(unmatched)} local authorities not in the LAD->PFA lookup "
            f"(boundary year mismatch?): {unmatched[:10]}"
        )
    d = frame.merge(
        lookup[["lad_code", "pfa_code", "pfa_name"]],
        left_on=lad_column,
        right_on="lad_code",
        how="left",
    )
    g = d.groupby(["pfa_code", "pfa_name", *by], sort=True)[list(value_columns)]
    return g.sum(min_count=1).where(~g.apply(lambda x: x.isna().any())).reset_index()


def read_lad_estimates(file: Path | str) -> pd.DataFrame:
    """Sheet MYE4 of the ONS mid-year estimates workbook, long: lad_code, lad_name, geography,
    mid_year, population (every row with a code, including regions and countries)."""
    path = Path(file)
    sheets = common.read_xlsx(path)
    for rows in sheets.values():
        title = squash(rows[0][0]) if rows and rows[0] and rows[0][0] else ""
        if not re.search(r"population estimates.*mid-\d{4} to mid-\d{4}", title, re.IGNORECASE):
            continue
        head = next((i for i, r in enumerate(rows) if r and squash(r[0] or "") == "Code"), None)
        if head is None:
            continue
        header = [squash(c) if c is not None else "" for c in rows[head]]
        years = [
            (j, int(m.group(1)))
            for j, h in enumerate(header)
            if (m := re.fullmatch(r"Mid-(\d{4})", h))
        ]
        recs = []
        for r in rows[head + 1 :]:
            if not r or r[0] is None:
                continue
            for j, y in years:
                value = common.parse_value(r[j]).value
                recs.append((str(r[0]).strip(), squash(r[1]), squash(r[2]), y, value))
        return pd.DataFrame(
            recs, columns=["lad_code", "lad_name", "geography", "mid_year", "population"]
        )
    raise LayoutError(
        path,
        "the ONS mid-year estimates workbook with a sheet titled 'MYE4: "
        "Population estimates: Summary for England and Wales, mid-2011 to mid-2023' "
        "whose header row starts Code | Name | Geography | Mid-YYYY",
        f"sheets {list(sheets)}",
    )


def _split(files: Sequence[Path | str]) -> tuple[Path, Path]:
    paths = [Path(f) for f in files]
    books = [p for p in paths if p.suffix.lower() in (".xlsx", ".xlsm")]
    lookups = [p for p in paths if p.suffix.lower() == ".csv"]
    if len(books) != 1 or len(lookups) != 1:
        raise ValueError(
            "pass two files: the ONS mid-year estimates workbook (.xlsx) and the LAD "
            f"to PFA lookup (.csv); got {[p.name for p in paths]}"
        )
    return books[0], lookups[0]


def pfa_population(files: Sequence[Path | str]) -> pd.DataFrame:
    """Mid-year population by PFA (Census 2021 basis): area_code, area_name, mid_year,
    population, source — sorted by code and year."""
    book, lookup_file = _split(files)
    lookup = read_lookup(lookup_file)
    lad = read_lad_estimates(book)
    lad = lad.loc[lad["lad_code"].isin(lookup["lad_code"])]
    missing = sorted(set(lookup["lad_code"]) - set(lad["lad_code"]))
    if missing:
        raise ValueError(f"LADs in the lookup but not in the estimates: {missing[:10]}")
    out = aggregate_lad_to_pfa(lad, lookup, by=["mid_year"])
    out = out.rename(columns={"pfa_code": "area_code", "pfa_name": "area_name"})
    out["population"] = out["population"].astype("int64")
    out["source"] = SOURCE_LABEL
    return out.sort_values(["area_code", "mid_year"]).reset_index(drop=True)[
        ["area_code", "area_name", "mid_year", "population", "source"]
    ]


def panel(files: Sequence[Path | str]) -> Panel:
    """Mid-year population by force, Census 2021 basis (outcome ``population``)."""
    book, lookup_file = _split(files)
    d = pfa_population(files)
    frame = pd.DataFrame(
        {
            "unit": d["area_code"],
            "period": d["mid_year"],
            "outcome": "population",
            "value": d["population"].astype(float),
        }
    )
    return Panel.from_frame(
        frame,
        frequency="year",
        sources=[
            provenance.source(
                book,
                "Office for National Statistics",
                "Mid-year population estimates, England and Wales (MYE4)",
                "mid-2023 release, Census 2021 basis, LAD 2023 boundaries",
            ),
            provenance.source(
                lookup_file,
                "Office for National Statistics",
                "LAD to CSP to PFA lookup",
                "December 2023",
            ),
        ],
        notes=[
            "Periods are calendar years labelling the mid-year (30 June) estimate.",
            "Census 2021 basis: differs by up to 3% from the old-basis series for 2012-2018; "
            "never splice the two without saying so.",
        ],
    )
