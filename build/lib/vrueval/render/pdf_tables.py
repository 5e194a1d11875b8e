"""Tables that fit a PDF page: column widths from their content, code that can wrap, and short
tables kept on one page with their caption.

Tables converted from HTML carry no column widths, and Typst's automatic columns give a long
text column (a design's name, a warning) the same narrow share as a column of numbers, so it
is squeezed into a column of single words over many lines. Here each column's share of the
line is proportional to its longest cell (capped, so one long cell cannot starve the others),
and inline code in a table gets break opportunities after ``::``, ``_``, ``.``, ``,``, ``=``
and ``/``, so a long identifier wraps instead of running past its column.
"""

from __future__ import annotations

from typing import Any

from vrueval.render import ast
from vrueval.render.ast import Node

#: Tables with at most this many rows and characters are kept on one page with their caption
#: (a longer one may break: kept whole, it could run past the foot of the page).
KEEP_TOGETHER_ROWS = 25
KEEP_TOGETHER_CHARS = 1200
#: A cell longer than this many characters counts as this long when sharing the width.
LONGEST = 42
#: ... and a short one as at least this long (a narrow column still fits its heading).
SHORTEST = 6
#: Every column also gets this many characters for the cell's inset on both sides (about 10 pt
#: at the table's text size): without it a heading as long as its column's widest cell fills the
#: share exactly and runs into the next column's heading ("ChecksNumbers").
INSET = 2
_BREAK_AFTER = ("::", "_", ".", ",", "=", "/", "(")
_ZWSP = "\u200b"


def _cell_text(cell: Any) -> str:
    out = []
    for block in cell[4]:
        if block.get("t") in {"Plain", "Para"}:
            out.append(ast.plain_text(block["c"]))
    return " ".join(out)


def _rows(table: Node) -> list[Any]:
    _attr, _caption, _specs, head, bodies, foot = table["c"]
    rows = list(head[1])
    for body in bodies:
        rows += list(body[2]) + list(body[3])
    rows += list(foot[1])
    return rows


def column_shares(table: Node) -> list[float]:
    """Each column's share of the width: its longest cell, capped at :data:`LONGEST`, plus
    :data:`INSET`."""
    n = len(table["c"][2])
    longest = [SHORTEST] * n
    for row in _rows(table):
        for j, cell in enumerate(row[1][:n]):
            longest[j] = max(longest[j], min(LONGEST, len(_cell_text(cell))))
    widths = [v + INSET for v in longest]
    total = float(sum(widths))
    return [round(v / total, 4) for v in widths]


def breakable_code(node: Node) -> list[Node] | None:
    """Inline code with zero-width break opportunities after separators (tables only)."""
    if node.get("t") != "Code":
        return None
    attr, text = node["c"]
    for mark in _BREAK_AFTER:
        text = text.replace(mark, mark + _ZWSP)
    return [{"t": "Code", "c": [attr, text]}]


def fit(block: Node) -> list[Node] | None:
    """A table with content-proportional column widths and wrapping code (a walker visit)."""
    if block.get("t") != "Table":
        return None
    specs = block["c"][2]
    if specs and all(spec[1].get("t") == "ColWidthDefault" for spec in specs):
        shares = column_shares(block)
        block["c"][2] = [
            [spec[0], {"t": "ColWidth", "c": w}] for spec, w in zip(specs, shares, strict=True)
        ]
    block["c"][3:] = ast.walk_inlines(block["c"][3:], breakable_code)
    rows = _rows(block)
    chars = sum(len(_cell_text(cell)) for row in rows for cell in row[1])
    if len(rows) <= KEEP_TOGETHER_ROWS and chars <= KEEP_TOGETHER_CHARS:
        # a short table and its caption stay on one page, never the caption alone at the foot
        return [
            ast.raw_block("typst", "#block(breakable: false)["),
            block,
            ast.raw_block("typst", "]"),
        ]
    return None


def fit_tables(blocks: list[Node]) -> list[Node]:
    """Every table in ``blocks`` fitted to the page (Typst output)."""
    return ast.walk_blocks(blocks, fit)


__all__ = ["LONGEST", "SHORTEST", "column_shares", "fit_tables"]
