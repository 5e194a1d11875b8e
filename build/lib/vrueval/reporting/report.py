"""What a report document calls: run an analysis by name, and format its numbers and provenance.

Reports never estimate inline. A ``.qmd`` cell calls :func:`run` with the name of a spec in
``analyses/``; the numbers it prints come from the result through the formatters here, so the
browser test can recompute every headline from ``results.json`` with the same functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from vrueval.analysis.runner import build_document, fit, panel_sha256, sensitivity
from vrueval.analysis.spec import Spec, load_spec
from vrueval.data.panel import Panel
from vrueval.reporting import labels
from vrueval.results import Result
from vrueval.sensitivity.result import SensitivityResult


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) holding ``analyses/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "analyses").is_dir():
            return folder
    raise FileNotFoundError(f"no analyses/ folder at or above {here}")


@dataclass(frozen=True)
class Run:
    """One analysis as a report sees it: the spec, the frozen result, the panel, the document,
    and the spec's ``[sensitivity]`` analysis of the result (None without that section)."""

    spec: Spec
    result: Result
    panel: Panel
    document: dict[str, Any]
    sensitivity: SensitivityResult | None = None

    def effect(self, term: str) -> pd.Series:
        """One row of the effects table."""
        table = self.result.effects().set_index("term")
        if term not in table.index:
            raise KeyError(f"{self.spec.name}: no term {term!r}; terms: {list(table.index)}")
        return cast(pd.Series, table.loc[term])


def _run(path: Path) -> Run:
    spec = load_spec(path)
    result, panel = fit(spec)
    sens = sensitivity(spec, result)
    document = build_document(spec, result, panel, sens)
    return Run(spec=spec, result=result, panel=panel, document=document, sensitivity=sens)


#: Every analysis this process has run, in first-run order (a report's own list).
_RUNS: dict[Path, Run] = {}


def run(name: str, root: Path | None = None) -> Run:
    """Run the analysis ``analyses/<name>.toml`` (once per process) and return it."""
    path = (project_root(root) / "analyses" / f"{name}.toml").resolve()
    if path not in _RUNS:
        _RUNS[path] = _run(path)
    return _RUNS[path]


def warnings_table(runs: list[Run] | None = None) -> pd.DataFrame:
    """Every warning the results carry (``runs``: default every analysis this report ran), so a
    report prints what its numbers cannot show as well as the numbers.

    One row per distinct warning, in the order first met, naming every analysis that carries it
    (several analyses of one panel share its data warnings, which would otherwise repeat)."""
    carriers: dict[str, list[str]] = {}
    for r in runs if runs is not None else list(_RUNS.values()):
        for w in r.result.warnings:
            names = carriers.setdefault(w, [])
            if r.spec.name not in names:
                names.append(r.spec.name)
    rows = [(", ".join(names), w) for w, names in carriers.items()]
    if not rows:
        rows = [("all analyses", "none: no result carries a warning")]
    return pd.DataFrame(rows, columns=["Analyses", "Warning"])


# -- number formatting, shared with the browser test ----------------------------------------


def fmt_number(x: float | None, digits: int = 1) -> str:
    """A number with thousands separators and a true minus sign; n/a for missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    text = f"{abs(x):,.{digits}f}"
    return ("\u2212" if x < 0 and float(text.replace(",", "")) != 0 else "") + text


def fmt_percent_change(ratio: float, digits: int = 1) -> str:
    """A rate ratio as a signed percentage change: 0.88 -> '−12.0%'."""
    change = (ratio - 1) * 100
    sign = "+" if change > 0 else ""
    return sign + fmt_number(change, digits) + "%"


def fmt_p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """'p = 0.006' or 'p < 0.001', for running text."""
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


#: The MIME type carrying a table's download (CSV text) beside its HTML; the renderer writes it
#: next to the page and links it under the table (vrueval.render.compose).
DOWNLOAD_MIME = "text/csv"
#: The ``DataFrame.attrs`` key under which a display table keeps the rows its CSV holds.
DOWNLOAD_ATTR = "vrueval_download"


class Table:
    """A table as a report shows it (HTML, no row index) with its CSV download attached.

    ``download`` is what the CSV holds: by default the table shown; pass the unrounded numbers
    (e.g. ``result.effects()``) when the table shown is rounded or formatted.
    """

    def __init__(self, table: pd.DataFrame, download: pd.DataFrame | None = None) -> None:
        self.table = table
        if download is None:
            # effects_table() keeps the unrounded effects behind its rounded display (as records:
            # pandas compares attrs when it concatenates, and DataFrames do not compare)
            records = table.attrs.get(DOWNLOAD_ATTR)
            download = None if records is None else pd.DataFrame(records)
        self.download = table if download is None else download

    def _repr_html_(self) -> str:
        return str(self.table.to_html(index=False, na_rep="", escape=True))

    def csv(self) -> str:
        """The download: every column, full precision, missing as an empty cell."""
        return str(self.download.to_csv(index=False, lineterminator="\n", float_format="%.17g"))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._repr_html_(), DOWNLOAD_MIME: self.csv()}


def show(table: pd.DataFrame, download: pd.DataFrame | None = None) -> Table:
    """Display a table without its row index (a captioned table in HTML and PDF), downloadable
    as CSV under it (``download``: the numbers behind it, when the table shows them rounded)."""
    return Table(table, download)


def render_meta() -> dict[str, Any]:
    """What the analyses this process ran read and estimated, for the renderer: each data
    source once (publisher, title, edition: the page header's data vintage) and each analysis's
    effects table (the page's XLSX downloads). Called by the renderer's last cell."""
    sources: list[dict[str, Any]] = []
    effects: dict[str, list[dict[str, Any]]] = {}
    for r in _RUNS.values():
        for source in r.document["provenance"]["data"]["sources"]:
            entry = {
                "dataset": str(r.spec.data.get("dataset", "")),
                "publisher": source.get("publisher", ""),
                "title": source.get("title", ""),
                "edition": source.get("edition", ""),
            }
            if entry not in sources:
                sources.append(entry)
        effects[r.spec.name] = list(r.document["effects"])
    return {"sources": sources, "effects": effects}


def headline(row: pd.Series | dict[str, Any], level: float = 0.95, digits: int = 1) -> str:
    """'estimate (95% CI low to high)' on the row's own scale.

    Rate ratios are shown as percentage changes; differences as numbers.
    """
    pct = f"{int(round(level * 100))}% CI"
    if row.get("scale") == "ratio":
        est = fmt_percent_change(float(row["estimate"]), digits)
        low = fmt_percent_change(float(row["conf_low"]), digits)
        high = fmt_percent_change(float(row["conf_high"]), digits)
    else:
        est = fmt_number(float(row["estimate"]), digits)
        low = fmt_number(float(row["conf_low"]), digits)
        high = fmt_number(float(row["conf_high"]), digits)
    return f"{est} ({pct} {low} to {high})"


def effects_table(result: Result, terms: list[str] | None = None, digits: int = 3) -> pd.DataFrame:
    """The effects table rounded for display, with the interval as one column."""
    table = result.effects()
    if terms is not None:
        table = table[table["term"].isin(terms)]
    pct = int(round(result.level * 100))
    out = pd.DataFrame(
        {
            "Term": [labels.term_label(t) for t in table["term"]],
            "Estimate": table["estimate"].round(digits),
            "Std. error": table["std_error"].round(digits),
            f"{pct}% interval": [
                f"{fmt_number(lo, digits)} to {fmt_number(hi, digits)}"
                for lo, hi in zip(table["conf_low"], table["conf_high"], strict=True)
            ],
            "p-value": [fmt_p(p) for p in table["p_value"]],
        }
    )
    if "scale" in table:
        out["Scale"] = table["scale"].to_numpy()
    out = out.reset_index(drop=True)
    out.attrs[DOWNLOAD_ATTR] = table.reset_index(drop=True).to_dict("records")
    return out


def pre_period_mean(run: Run) -> float:
    """The treated units' mean outcome before the start (the base a difference in points is
    put against as a percentage): the mean over the treated units and the periods before the
    result's ``start`` of the panel's values of the outcome."""
    settings = run.result.settings
    frame = run.panel.data
    treated = set(settings["treated"])
    # the start as the design read it: a label of the panel's own period type ('2020' in a
    # financial-year panel is the year ending March 2020, as the DiD reads it)
    start = pd.Period(str(settings["start"]), freq=frame["period"].dt.freq)
    rows = frame[
        (frame["outcome"] == settings["outcome"])
        & frame["unit"].isin(treated)
        & (frame["period"] < start)
    ]
    if rows.empty or rows["value"].isna().all():
        raise ValueError(f"{run.spec.name}: no pre-period values of the treated units")
    return float(rows["value"].mean())


def provenance_table(run: Run) -> pd.DataFrame:
    """Where every number came from: data files and hashes, panel hash, spec, versions, commit."""
    prov = run.document["provenance"]
    rows = [
        ("Analysis spec", f"analyses/{run.spec.path.name} (sha256 {run.spec.sha256[:16]}…)"),
        ("Design", run.spec.design),
        # the result's seed: a deterministic fit records none, whatever the spec carries
        ("Seed", "none (deterministic)" if run.result.seed is None else str(run.result.seed)),
        ("Canonical panel sha256", panel_sha256(run.panel)),
    ]
    if run.sensitivity is not None and run.sensitivity.seed is not None:
        rows.insert(3, ("Sensitivity analysis seed", str(run.sensitivity.seed)))
    for source in prov["data"]["sources"]:
        rows.append(
            (
                "Data source",
                f"{source['publisher']}: {source['title']} ({source['edition']}); "
                f"{Path(source['file']).name} sha256 {source['sha256']}",
            )
        )
    versions = prov["versions"]
    rows.append(("vrueval version", versions.get("vrueval", "unknown")))
    rows.append(
        ("Dependencies", ", ".join(f"{k} {v}" for k, v in versions.items() if k != "vrueval"))
    )
    rows.append(("Git commit", prov["git_commit"]))
    return pd.DataFrame(rows, columns=["Item", "Value"])
