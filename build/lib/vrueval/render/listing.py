"""The project's documents as a markdown list, for an ``index.qmd`` that is the site's index.

The same groups and order as the generated index (:func:`vrueval.render.project.write_index`),
with a link to each page the document renders to: its HTML and, when it renders one, its PDF;
a document with ``render-each`` links one page per value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vrueval.render import params, qmd
from vrueval.render.project import (
    FORMATS,
    _index_groups,
    _relative,
    document_formats,
    load_project,
    report_files,
)


def _order(front: dict[str, Any], path: Path) -> tuple[float, str]:
    value = front.get("order")
    return (float(value) if isinstance(value, int | float) else float("inf"), str(path))


def site_listing(root: Path | str = ".") -> str:
    """Markdown: a heading per group and a bullet per document, linking its pages."""
    root = Path(root).resolve()
    config = load_project(root)
    files = [p for p in report_files(root, config) if p != root / "index.qmd"]
    lines: list[str] = []
    for heading, paths in _index_groups(root, files, config).items():
        lines += [f"### {heading}", ""]
        fronts = {p: qmd.read(p).front_matter for p in paths}
        for path in sorted(paths, key=lambda p: _order(fronts[p], p)):
            front = fronts[path]
            rel = _relative(path, root)
            title = str(front.get("title") or front.get("pagetitle") or path.stem)
            about = str(front.get("subtitle") or front.get("description") or "")
            formats = document_formats(front, FORMATS)
            variants = params.each(front)
            if variants == [{}]:
                page = rel.with_suffix("").as_posix()
                links = [f"[{title}]({page}.html)"]
                if "pdf" in formats:
                    links.append(f"[PDF]({page}.pdf)")
                lines.append(f"- {' · '.join(links)}" + (f"  \n  {about}" if about else ""))
            else:
                pages = [
                    f"[{next(iter(v.values()))}]"
                    f"({(rel.parent / params.output_stem(path.stem, v)).as_posix()}.html)"
                    for v in variants
                ]
                lines.append(f"- {title}: {' · '.join(pages)}")
        lines.append("")
    return "\n".join(lines)


__all__ = ["site_listing"]
