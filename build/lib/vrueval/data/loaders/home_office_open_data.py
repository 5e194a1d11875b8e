"""Home Office police recorded crime open data tables, and the older ``rec-crime-pfa.csv``.

Open data tables ("prc-pfa-...-tables") are long: one row per force, financial quarter and
offence code, with the columns :data:`COLUMNS`, one sheet per financial year, shipped as .ods,
.xlsx or .csv. Reading .ods is slow, so the parsed rows are cached as parquet keyed on the file's
SHA-256 (:mod:`vrueval.data.loaders.cache`). Offences are selected by preset name
(:data:`PRESETS`: homicide, possession of an article with a blade or point, violence with injury,
robbery), by offence code ("10D") or by an exact description, subgroup or group name.

``rec-crime-pfa.csv`` holds rolling 12-month totals by force and offence group (YE Mar 2003 to
YE Dec 2018; only March year-ends before 2007): it loads as a ``rolling_12m`` panel whose
unpublished quarter-ends are missing.

Reference: Home Office, Police recorded crime and outcomes open data tables, user guide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vrueval import areas
from vrueval.data.loaders import cache, common, provenance
from vrueval.data.loaders.common import LayoutError, squash
from vrueval.data.panel import Panel, Source

PUBLISHER = "Home Office"
OPEN_DATA_TITLE = "Police recorded crime and outcomes open data tables (by force and quarter)"
COLUMNS = (
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
)
_READER_VERSION = "ho-open-data-v2"
#: Names that are not territorial police force areas (counted nationally, or not a force).
NON_TERRITORIAL = ("british transport police", "action fraud", "cifas", "uk finance")


@dataclass(frozen=True)
class Selector:
    """One outcome of the panel: the rows whose code, description, subgroup or group match."""

    outcome: str
    codes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # matched against description, subgroup and group

    def mask(self, d: pd.DataFrame) -> pd.Series:
        m = d["Offence Code"].isin(self.codes)
        for col in ("Offence Description", "Offence Subgroup", "Offence Group"):
            m |= d[col].str.lower().isin([n.lower() for n in self.names])
        return m


#: Offence selections evaluators ask for. Homicide: murder (1), manslaughter (4.1), infanticide
#: (4.2), corporate manslaughter (4.10); blade or point possession: 10D.
PRESETS: dict[str, Selector] = {
    "homicide": Selector("homicide", ("1", "4.1", "4.2", "4.10"), ("Homicide",)),
    "possession_of_blade": Selector(
        "possession_of_blade", ("10D",), ("Possession of article with blade or point",)
    ),
    "violence_with_injury": Selector("violence_with_injury", (), ("Violence with injury",)),
    "robbery": Selector("robbery", ("34A", "34B"), ("Robbery",)),
}


def selector(spec: str) -> Selector:
    """A preset name, an offence code ('10D', '4.1') or an exact offence/subgroup/group name."""
    key = common.slug(spec)
    if key in PRESETS:
        return PRESETS[key]
    if re.fullmatch(r"\d+(\.\d+)?[A-Za-z]?", spec.strip()):
        return Selector(f"offence_{spec.strip().upper()}", (spec.strip().upper(),))
    return Selector(common.slug(spec), (), (spec.strip(),))


def _normalise_code(code: object) -> str:
    text = squash(code)
    if re.fullmatch(r"\d+\.0", text):  # spreadsheets turn '1' into 1.0
        text = text[:-2]
    return text.upper()


def _frame_from_rows(rows: list[tuple[object, ...]], path: Path, sheet: str) -> pd.DataFrame | None:
    """The open-data rows of one sheet, or None when the sheet is not a data sheet."""
    for i, row in enumerate(rows[:15]):
        header = [squash(c) if c is not None else "" for c in row]
        if "Force Name" in header and "Number of Offences" in header:
            absent = [c for c in COLUMNS if c not in header]
            if absent:
                raise LayoutError(
                    path,
                    f"sheet {sheet!r} with the open data columns {list(COLUMNS)}",
                    f"header {header}; missing {absent}",
                )
            idx = [header.index(c) for c in COLUMNS]
            body = [tuple(r[j] if j < len(r) else None for j in idx) for r in rows[i + 1 :]]
            body = [r for r in body if any(c is not None and str(c).strip() for c in r)]
            return pd.DataFrame(body, columns=list(COLUMNS))
    return None


def _read_any(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    sheets: dict[str, list[tuple[object, ...]]]
    if suffix == ".csv":
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
        sheets = {path.stem: [tuple(r) for r in raw.itertuples(index=False)]}
    elif suffix in (".xlsx", ".xlsm"):
        sheets = common.read_xlsx(path)
    elif suffix == ".ods":
        book = pd.read_excel(path, sheet_name=None, header=None, engine="odf", dtype=object)
        sheets = {
            name: [tuple(None if pd.isna(c) else c for c in r) for r in df.itertuples(index=False)]
            for name, df in book.items()
        }
    else:
        raise LayoutError(path, "a Home Office open data table as .ods, .xlsx or .csv")
    parts = [
        f for name, rows in sheets.items() if (f := _frame_from_rows(rows, path, name)) is not None
    ]
    if not parts:
        raise LayoutError(
            path,
            f"a sheet whose header row holds the open data columns {list(COLUMNS)}",
            f"sheets {list(sheets)} without them",
        )
    d = pd.concat(parts, ignore_index=True)
    for col in COLUMNS[:-1]:
        d[col] = d[col].map(lambda c: "" if c is None else squash(c))
    d["Offence Code"] = d["Offence Code"].map(_normalise_code)
    d["Financial Quarter"] = d["Financial Quarter"].str.upper().str.removeprefix("Q")
    values, suppressed, unavailable = common.parse_values(d["Number of Offences"])
    d["Number of Offences"] = values
    d["suppressed"] = suppressed
    d["unavailable"] = unavailable
    return d


def read_open_data(
    files: Sequence[Path | str], cache_dir: Path | str | None = None, use_cache: bool = True
) -> pd.DataFrame:
    """All rows of one or more open data tables (every data sheet), with a ``file`` column."""
    parts = []
    for f in files:
        p = Path(f)
        slow = p.suffix.lower() == ".ods"
        d = cache.cached(p, _read_any, _READER_VERSION, cache_dir, use_cache and slow)
        parts.append(d.assign(file=p.name))
    return pd.concat(parts, ignore_index=True)


def _fy_quarter(fy: pd.Series, q: pd.Series) -> pd.Series:
    start = fy.str.extract(r"(\d{4})", expand=False).astype(int)
    qn = q.astype(int)
    periods = [
        pd.Period(year=y + (n == 4), quarter=(n % 4) + 1, freq="Q-DEC")
        for y, n in zip(start, qn, strict=True)
    ]
    return pd.Series(periods, index=fy.index)


def open_data_panel(
    files: Sequence[Path | str],
    offences: Sequence[str] = (
        "homicide",
        "possession_of_blade",
        "violence_with_injury",
        "robbery",
    ),
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
) -> Panel:
    """Quarterly offence counts by force for the selected offences (one outcome each).

    A force with rows for a quarter but none for an offence recorded none of it (0); a force
    with no rows at all for a quarter (Greater Manchester, Jul-Dec 2019) is missing, never zero.
    Calendar quarters: financial year 2019/20 Q1 is 2019Q2.
    """
    d = read_open_data(files, cache_dir, use_cache)
    keep = ~d["Force Name"].str.lower().isin(NON_TERRITORIAL)
    dropped = sorted(set(d.loc[~keep, "Force Name"]))
    d = d.loc[keep].copy()
    d["unit"] = d["Force Name"].map(_resolve_memo())
    d["period"] = _fy_quarter(d["Financial Year"], d["Financial Quarter"])
    reported = d[["unit", "period"]].drop_duplicates()
    parts = []
    for spec in offences:
        sel = selector(spec)
        hit = d.loc[sel.mask(d)]
        if hit.empty:
            raise ValueError(
                f"offence {spec!r} matches no rows; codes in the file include "
                f"{sorted(set(d['Offence Code']))[:20]}"
            )
        g = hit.groupby(["unit", "period"])
        agg = pd.DataFrame(
            {
                "value": g["Number of Offences"].sum(min_count=1),
                "suppressed": g["suppressed"].any(),
                "unavailable": g["unavailable"].any() & ~g["suppressed"].any(),
            }
        ).reset_index()
        agg.loc[agg["suppressed"] | agg["unavailable"], "value"] = np.nan
        full = reported.merge(agg, on=["unit", "period"], how="left")
        for flag in ("suppressed", "unavailable"):
            full[flag] = full[flag].astype("boolean").fillna(False).astype(bool)
        marked = full["suppressed"] | full["unavailable"]
        full["value"] = full["value"].where(full["value"].notna() | marked, 0.0)
        full["outcome"] = sel.outcome
        parts.append(full)
    frame = pd.concat(parts, ignore_index=True)
    negative = frame["value"] < 0  # net re-classifications of earlier offences, not counts
    frame.loc[negative, "value"] = np.nan
    frame = common.complete_grid(frame, common.period_range(frame["period"], 1))
    gaps = int(frame["value"].isna().sum())
    notes = [
        "Calendar quarters: financial year 2019/20 Q1 (Apr-Jun 2019) is 2019Q2.",
        "Offence selections: " + "; ".join(_describe(selector(s)) for s in offences) + ".",
    ]
    if dropped:
        notes.append(f"Not territorial force areas, dropped: {', '.join(dropped)}.")
    if negative.any():
        notes.append(f"{int(negative.sum())} negative net count(s) are missing.")
    if gaps:
        notes.append(
            f"{gaps} force-quarter cell(s) with no rows in the file are missing, never zero."
        )
    sources = [
        provenance.source(f, PUBLISHER, OPEN_DATA_TITLE, _edition(d0))
        for f, d0 in ((Path(f), None) for f in files)
    ]
    return Panel.from_frame(frame, frequency="quarter", sources=sources, notes=notes)


def _edition(_: object) -> str:
    return "as downloaded (edition not printed in the file)"


def _describe(sel: Selector) -> str:
    parts = []
    if sel.codes:
        parts.append("codes " + ", ".join(sel.codes))
    if sel.names:
        parts.append("names " + ", ".join(repr(n) for n in sel.names))
    return f"{sel.outcome} = {' or '.join(parts)}"


def _resolve_memo() -> dict[str, str]:
    class Memo(dict[str, str]):
        def __missing__(self, key: str) -> str:
            self[key] = areas.resolve(key)
            return self[key]

    return Memo()


# -- rec-crime-pfa.csv ------------------------------------------------------------------------
REC_COLUMNS = (
    "12 months ending",
    "PFA",
    "Region",
    "Offence",
    "Rolling year total number of offences",
)
#: The offence groups in the project's tidy extract of rec-crime-pfa.csv.
REC_TIDY_OFFENCES = (
    "Homicide",
    "Violence with injury",
    "Violence without injury",
    "Robbery",
    "Possession of weapons offences",
    "Sexual offences",
    "Stalking and harassment",
)


def read_rec_crime(file: Path | str) -> pd.DataFrame:
    """``rec-crime-pfa.csv`` as read, with ISO period ends and (for forces) ONS codes."""
    path = Path(file)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [squash(c) for c in raw.columns]
    absent = [c for c in REC_COLUMNS if c not in raw.columns]
    if absent:
        raise LayoutError(
            path,
            f"rec-crime-pfa.csv with columns {list(REC_COLUMNS)}",
            f"columns {list(raw.columns)}",
        )
    values, suppressed, unavailable = common.parse_values(
        raw["Rolling year total number of offences"]
    )
    memo = _resolve_memo()
    territorial = ~raw["PFA"].str.lower().isin(NON_TERRITORIAL)
    return pd.DataFrame(
        {
            "area_code": [
                memo[p] if t else "" for p, t in zip(raw["PFA"], territorial, strict=True)
            ],
            "pfa": raw["PFA"],
            "region": raw["Region"],
            "period_end": pd.to_datetime(raw["12 months ending"], format="%d-%m-%Y").dt.strftime(
                "%Y-%m-%d"
            ),
            "offence": raw["Offence"].str.strip(),
            "offences_rolling_12m": values,
            "suppressed": suppressed,
            "unavailable": unavailable,
        }
    )


def rec_crime_tidy(file: Path | str, offences: Sequence[str] = REC_TIDY_OFFENCES) -> pd.DataFrame:
    """The territorial forces' rows for ``offences``, sorted by code, offence and period."""
    d = read_rec_crime(file)
    d = d.loc[(d["area_code"] != "") & d["offence"].isin(offences)]
    d = d.sort_values(["area_code", "offence", "period_end"], kind="stable")
    return d.drop(columns=["suppressed", "unavailable"]).reset_index(drop=True)


def rec_crime_panel(file: Path | str, offences: Sequence[str] | None = None) -> Panel:
    """Rolling 12-month offence totals by force (period = end month), one outcome per group."""
    path = Path(file)
    d = read_rec_crime(path)
    d = d.loc[d["area_code"] != ""]
    if offences is not None:
        names = {common.slug(o): o for o in d["offence"].unique()}
        wanted = [names.get(common.slug(o)) for o in offences]
        if None in wanted:
            raise ValueError(
                f"unknown offence group(s) in {list(offences)}; "
                f"the file has {sorted(set(d['offence']))}"
            )
        d = d.loc[d["offence"].isin(wanted)]
    from vrueval.data.loaders.ons_pfa_tables import outcome_name

    frame = pd.DataFrame(
        {
            "unit": d["area_code"],
            "period": pd.PeriodIndex(pd.to_datetime(d["period_end"]), freq="M"),
            "outcome": d["offence"].map(outcome_name),
            "value": d["offences_rolling_12m"],
            "suppressed": d["suppressed"],
            "unavailable": d["unavailable"],
        }
    )
    negative = frame["value"] < 0
    frame.loc[negative, "value"] = np.nan
    frame = common.complete_grid(frame, common.period_range(frame["period"], 3))
    src: Source = provenance.source(
        path,
        PUBLISHER,
        "Recorded crime data at Police Force Area level (rec-crime-pfa.csv)",
        _rec_edition(frame),
    )
    return Panel.from_frame(
        frame,
        frequency="rolling_12m",
        sources=[src],
        notes=[
            "Each period is the 12 months ending in that month; consecutive quarterly values "
            "overlap by 9 months and are not independent observations: use non_overlapping() "
            "for designs.",
            "Before YE Mar 2007 only March year-ends were published: the quarter-ends between are "
            "missing, never zero.",
            "British Transport Police and the fraud bodies (Action Fraud, CIFAS, UK Finance) "
            "dropped.",
            *(
                [
                    f"{int(negative.sum())} negative total(s) (net re-classifications, not "
                    "counts) are missing."
                ]
                if negative.any()
                else []
            ),
        ],
    )


def _rec_edition(frame: pd.DataFrame) -> str:
    p = frame["period"]
    return f"YE {p.min().strftime('%b %Y')} to YE {p.max().strftime('%b %Y')}"
