"""Turn an executed document into one pandoc AST: markdown parsed by pandoc, cells built here.

Markdown runs (with inline values substituted), captions and markdown outputs go to pandoc in a
single markdown document, each cell marked by a placeholder div; the placeholders are then
replaced by the cell's blocks: echoed code, stream output, figures written as image files (pandoc
embeds them in the HTML; Typst reads them), and DataFrame HTML converted to real pandoc tables so
they appear in both HTML and PDF. Numbering and cross-references are per format (``transform``).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from vrueval.render import ast
from vrueval.render.ast import Node
from vrueval.render.downloads import Downloads
from vrueval.render.execute import Executed, ExecutionError
from vrueval.render.options import cell_options
from vrueval.render.pandoc import run_pandoc
from vrueval.render.qmd import Chunk, Document, Markdown, substitute_inline

METADATA_KEYS = (
    "title",
    "pagetitle",
    "subtitle",
    "author",
    "date",
    "abstract",
    "lang",
    "keywords",
)
IMAGE_TYPES = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}
#: A table's CSV download, beside its HTML (vrueval.reporting.report.Table).
CSV_TYPE = "text/csv"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _author_names(author: Any) -> list[str]:
    authors = author if isinstance(author, list) else [author]
    names = []
    for item in authors:
        names.append(str(item.get("name", "")) if isinstance(item, Mapping) else str(item))
    return [n for n in names if n]


def document_metadata(options: Mapping[str, Any], source: Path) -> dict[str, Any]:
    """Title-block metadata for pandoc, with Quarto's ``today``/``last-modified`` dates."""
    meta = {k: options[k] for k in METADATA_KEYS if options.get(k) is not None}
    if "author" in meta:
        meta["author"] = _author_names(meta["author"])
    date = meta.get("date")
    if date == "today":
        from vrueval.render.header import render_date

        meta["date"] = render_date().isoformat()
    elif date == "last-modified":
        meta["date"] = dt.date.fromtimestamp(source.stat().st_mtime).isoformat()
    elif isinstance(date, dt.date):
        meta["date"] = date.isoformat()
    return meta


def _caption_option(options: Mapping[str, Any], key: str) -> str | None:
    value = options.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


def _markdown_outputs(outputs: list[dict[str, Any]], asis: bool) -> list[str]:
    """The markdown texts among a cell's outputs, in the order ``cell_blocks`` consumes them."""
    texts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream" and asis and output.get("name") == "stdout":
            texts.append(output.get("text", ""))
        elif kind in {"display_data", "execute_result"}:
            data = output.get("data", {})
            if not any(m in data for m in IMAGE_TYPES) and "text/markdown" in data:
                texts.append(data["text/markdown"])
    return texts


def _html_tables(outputs: list[dict[str, Any]]) -> list[str]:
    tables = []
    for output in outputs:
        data = output.get("data", {})
        if output.get("output_type") in {"display_data", "execute_result"}:
            if any(m in data for m in IMAGE_TYPES) or "text/markdown" in data:
                continue
            html = data.get("text/html")
            if html and "<table" in html:
                tables.append(html)
    return tables


def compose_markdown(document: Document, executed: Executed, defaults: Mapping[str, Any]) -> str:
    """The pandoc markdown of the document, with a placeholder div for each chunk."""
    parts: list[str] = []
    for index, block in enumerate(document.blocks):
        if isinstance(block, Markdown):
            parts.append(substitute_inline(block.text, executed.inline.get(index, [])))
            continue
        assert isinstance(block, Chunk)
        options = cell_options(defaults, block.options)
        inner = []
        for key in ("fig-cap", "tbl-cap"):
            caption = _caption_option(options, key)
            if caption:
                inner.append(f"::: {{#vrueval-{key}-{index}}}\n{caption}\n:::\n")
        asis = options.get("output") == "asis"
        for k, text in enumerate(_markdown_outputs(executed.outputs.get(index, []), asis)):
            inner.append(f"::: {{#vrueval-md-{index}-{k}}}\n{text}\n:::\n")
        parts.append(f"\n::::: {{#vrueval-cell-{index}}}\n" + "\n".join(inner) + "\n:::::\n")
    return "\n".join(parts)


class _Collected:
    """Blocks pandoc parsed for the placeholders, keyed by their div id."""

    def __init__(self, blocks: list[Node]) -> None:
        self.divs: dict[str, list[Node]] = {}
        self.blocks = ast.walk_blocks(blocks, self._visit)

    def _visit(self, block: Node) -> list[Node] | None:
        if block["t"] == "Div" and block["c"][0][0].startswith("vrueval-"):
            ident = block["c"][0][0]
            if ident.startswith("vrueval-cell-"):
                return None  # keep: replaced once its children are collected
            self.divs[ident] = block["c"][1]
            return []
        return None


def _caption_inlines(blocks: list[Node] | None) -> list[Node]:
    if not blocks:
        return []
    first = blocks[0]
    return list(first["c"]) if first["t"] in {"Para", "Plain"} else []


def _write_image(data: Mapping[str, Any], folder: Path, stem: str) -> str:
    for mime, ext in IMAGE_TYPES.items():
        if mime in data:
            payload = data[mime]
            if isinstance(payload, list):
                payload = "".join(payload)
            path = folder / f"{stem}.{ext}"
            if ext == "svg":
                path.write_text(payload, encoding="utf-8")
            else:
                path.write_bytes(base64.b64decode(payload))
            return path.name
    raise ValueError("no image in output")


def _stream_text(text: Any) -> str:
    return _ANSI.sub("", "".join(text) if isinstance(text, list) else str(text)).rstrip("\n")


def _table_content(blocks: list[Node]) -> list[Node]:
    """The tables and text of converted HTML, without wrappers and ``<style>`` blocks."""
    out: list[Node] = []
    for block in blocks:
        kind = block["t"]
        if kind == "Div":
            out.extend(_table_content(block["c"][1]))
        elif kind in {"Plain", "Para"} and all(
            i["t"] in {"RawInline", "Space", "SoftBreak"} for i in block["c"]
        ):
            continue  # pandas' <style scoped> block
        elif kind == "Table":
            block["c"][0] = ast.attr(classes=["dataframe"])
            out.append(block)
        elif kind != "RawBlock":
            out.append(block)
    return out


def _download_link(href: str, text: str) -> Node:
    """A download link under a table: HTML only (a PDF has no folder beside it to point to)."""
    import html

    return ast.raw_block(
        "html",
        f'<p class="download"><a href="{html.escape(href)}" download>{html.escape(text)}</a></p>',
    )


def cell_blocks(
    index: int,
    chunk: Chunk,
    outputs: list[dict[str, Any]],
    options: Mapping[str, Any],
    divs: Mapping[str, list[Node]],
    tables: list[list[Node]],
    folder: Path,
    downloads: Downloads | None = None,
) -> list[Node]:
    """The blocks a chunk renders to, honouring echo/output/include/warning and captions.

    A table that carries a CSV download (``text/csv`` beside its HTML) is followed by a link to
    the file, collected in ``downloads``. An error output in a chunk not marked ``error: true``
    fails the render, naming the chunk: a traceback never reaches the page.
    """
    if not options.get("include", True):
        return []
    blocks: list[Node] = []
    if options.get("echo", True):
        blocks.append(ast.code_block(chunk.code, ["python", "cell-code"]))
    if options.get("output", True) is False:
        return [ast.div(blocks, classes=["cell"])] if blocks else []
    asis = options.get("output") == "asis"
    label = chunk.label or ""
    fig_caption = _caption_inlines(divs.get(f"vrueval-fig-cap-{index}"))
    tbl_caption = _caption_inlines(divs.get(f"vrueval-tbl-cap-{index}"))
    alt = str(options.get("fig-alt", "")) or ast.plain_text(fig_caption)
    markdown_k = table_k = image_k = 0
    figure_done = table_done = False
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            name = output.get("name")
            if name == "stdout" and asis:
                blocks.extend(divs.get(f"vrueval-md-{index}-{markdown_k}", []))
                markdown_k += 1
            elif name == "stdout" or options.get("warning", True):
                text = _stream_text(output.get("text", ""))
                if text:
                    blocks.append(ast.code_block(text, [f"cell-output-{name}"]))
            continue
        if kind == "error":
            text = f"{output.get('ename')}: {output.get('evalue')}"
            if not options.get("error", False):
                where = f"chunk {label!r}" if label else f"chunk at line {chunk.line}"
                raise ExecutionError(f"{where} failed: {text}")
            blocks.append(ast.code_block(text, ["cell-output-error"]))
            continue
        data = output.get("data", {})
        if any(m in data for m in IMAGE_TYPES):
            name = _write_image(data, folder, f"cell{index}-{image_k}")
            image_k += 1
            picture = ast.plain([ast.image(name, alt)])
            if not figure_done and (label.startswith("fig-") or fig_caption):
                ident = label if label.startswith("fig-") else ""
                fig = ast.figure(ident, fig_caption, [picture])
                if not ident:
                    fig["c"][0][1].append("unnumbered")
                blocks.append(fig)
                figure_done = True
            else:
                blocks.append(ast.para(picture["c"]))
        elif "text/markdown" in data:
            blocks.extend(divs.get(f"vrueval-md-{index}-{markdown_k}", []))
            markdown_k += 1
        elif "text/html" in data and "<table" in data["text/html"]:
            parsed = _table_content(tables.pop(0) if tables else [])
            table_k += 1
            for node in parsed:
                if node["t"] == "Table" and not table_done:
                    if label.startswith("tbl-"):
                        node["c"][0][0] = label
                    else:
                        node["c"][0][1].append("unnumbered")
                    if tbl_caption:
                        node["c"][1] = [None, [ast.plain(tbl_caption)]]
                    table_done = True
                elif node["t"] == "Table":
                    node["c"][0][1].append("unnumbered")
            blocks.extend(parsed)
            if downloads is not None and CSV_TYPE in data:
                stem = label or f"table-{index}"
                csv = data[CSV_TYPE]
                csv = "".join(csv) if isinstance(csv, list) else str(csv)
                href = downloads.add(
                    stem if table_k == 1 else f"{stem}-{table_k}", "csv", csv.encode("utf-8")
                )
                blocks.append(_download_link(href, "Download this table (CSV)"))
        elif "text/html" in data:
            blocks.append(ast.raw_block("html", "".join(data["text/html"])))
            if "text/plain" in data:
                fallback = ast.code_block(_stream_text(data["text/plain"]), ["cell-output-display"])
                blocks.append(ast.div([fallback], classes=["vrueval-not-html"]))
        elif "text/plain" in data:
            text = _stream_text(data["text/plain"])
            blocks.append(ast.code_block(text, ["cell-output-display"]))
    if not blocks:
        return []
    ident = label if label and not label.startswith(("fig-", "tbl-")) else ""
    return [ast.div(blocks, ident=ident, classes=["cell"])]


def build(
    document: Document,
    executed: Executed,
    defaults: Mapping[str, Any],
    metadata: Mapping[str, Any],
    folder: Path,
    header: list[Node] | None = None,
    downloads: Downloads | None = None,
) -> dict[str, Any]:
    """The format-neutral pandoc AST (JSON) of an executed document; images go to ``folder``.

    ``header`` (:func:`vrueval.render.header.header_blocks`) opens the body; tables with a
    CSV download and ``downloads`` given are linked to their file, collected there.
    """
    folder.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(dict(metadata), allow_unicode=True, sort_keys=False)
    markdown = f"---\n{front}---\n\n" + compose_markdown(document, executed, defaults)
    pandoc_ast: dict[str, Any] = run_pandoc(
        markdown, ["-f", "markdown", "-t", "json"], parse_json=True
    )
    collected = _Collected(pandoc_ast["blocks"])

    chunks = {i: b for i, b in enumerate(document.blocks) if isinstance(b, Chunk)}
    html_parts = []
    for index in chunks:
        for k, html in enumerate(_html_tables(executed.outputs.get(index, []))):
            html_parts.append(f'<div id="vrueval-table-{index}-{k}">{"".join(html)}</div>')
    table_blocks: dict[str, list[Node]] = {}
    if html_parts:
        parsed = run_pandoc("\n".join(html_parts), ["-f", "html", "-t", "json"], parse_json=True)
        for block in parsed["blocks"]:
            if block["t"] == "Div" and block["c"][0][0].startswith("vrueval-table-"):
                table_blocks[block["c"][0][0]] = block["c"][1]

    def replace(block: Node) -> list[Node] | None:
        if block["t"] == "Div" and block["c"][0][0].startswith("vrueval-cell-"):
            index = int(block["c"][0][0].rsplit("-", 1)[1])
            chunk = chunks[index]
            outputs = executed.outputs.get(index, [])
            count = len(_html_tables(outputs))
            tables = [table_blocks.get(f"vrueval-table-{index}-{k}", []) for k in range(count)]
            options = cell_options(defaults, chunk.options)
            return cell_blocks(
                index, chunk, outputs, options, collected.divs, tables, folder, downloads
            )
        return None

    pandoc_ast["blocks"] = list(header or []) + ast.walk_blocks(collected.blocks, replace)
    return pandoc_ast
