"""The header every rendered report carries: when, with what, from which commit and data.

The renderer writes it (never the ``.qmd``): the date the page was rendered, the vrueval
version, the git commit of the project, and the data vintage, one entry per official source
the report's analyses read (publisher, title, edition), as the analyses' provenance records it.
In HTML it also links each analysis's effects as an XLSX workbook.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrueval.render import ast
from vrueval.render.ast import Node


@dataclass(frozen=True)
class Header:
    """What the header states."""

    date: str
    version: str
    commit: str
    sources: tuple[Mapping[str, str], ...] = ()

    def vintage(self) -> str:
        """The data vintage in words: each source once, with its editions, or that none was
        read by an analysis."""
        if not self.sources:
            return "none read by an analysis"
        editions: dict[str, list[str]] = {}
        for s in self.sources:
            what = f"{s.get('publisher', '')}: {s.get('title', '')}".strip(": ")
            found = editions.setdefault(what, [])
            edition = str(s.get("edition") or "")
            if edition and edition not in found:
                found.append(edition)
        return "; ".join(f"{w} ({', '.join(e)})" if e else w for w, e in editions.items())

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("Rendered", self.date),
            ("vrueval", self.version),
            ("Commit", self.commit),
            ("Data", self.vintage()),
        ]


def make_header(meta: Mapping[str, Any], project_dir: Path, today: dt.date | None = None) -> Header:
    """The header of a page whose execution reported ``meta`` (``Executed.meta``)."""
    from vrueval import __version__
    from vrueval.analysis.runner import git_commit

    sources = tuple(dict(s) for s in meta.get("sources") or ())
    return Header(
        date=(today or render_date()).isoformat(),
        version=__version__,
        commit=git_commit(project_dir),
        sources=sources,
    )


def render_date() -> dt.date:
    """Today in UTC, or the day of ``SOURCE_DATE_EPOCH`` when set, so a build can be repeated
    byte for byte (https://reproducible-builds.org/specs/source-date-epoch/)."""
    from vrueval.render.pandoc import source_date_epoch

    epoch = source_date_epoch()
    if epoch is None:
        return dt.datetime.now(dt.UTC).date()
    return dt.datetime.fromtimestamp(epoch, dt.UTC).date()


def header_blocks(header: Header, xlsx_links: Sequence[tuple[str, str]] = ()) -> list[Node]:
    """The header as pandoc blocks: one line a fact (both formats), then the XLSX links (HTML)."""
    items: list[Node] = []
    for key, value in header.lines():
        items.append(
            ast.plain(
                [ast.strong(ast.text_inlines(f"{key}:")), {"t": "Space"}] + ast.text_inlines(value)
            )
        )
    blocks: list[Node] = [{"t": "BulletList", "c": [[item] for item in items]}]
    if xlsx_links:
        links = " · ".join(
            f'<a href="{html.escape(href)}" download>{html.escape(name)}</a>'
            for name, href in xlsx_links
        )
        blocks.append(
            ast.raw_block(
                "html", f'<p class="downloads">Effects of each analysis (XLSX): {links}</p>'
            )
        )
    return [ast.div(blocks, ident="report-header", classes=["report-header"])]
