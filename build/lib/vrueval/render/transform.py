"""Per-format finishing of the AST: figure/table numbering, @fig-/@tbl-/@sec- references, callouts.

HTML gets Quarto's visible numbering ("Figure 1: ...", links reading "Figure 1"). Typst numbers
figures and tables itself, so the PDF keeps captions bare and writes references as Typst ``@label``
references; both count only labelled figures and tables, in reading order, as Quarto does.
"""

from __future__ import annotations

import copy
import re
import warnings
from typing import Any, Literal

from vrueval.render import ast, pdf_tables
from vrueval.render.ast import Node

Format = Literal["html", "typst"]
CALLOUTS = {
    "note": "Note",
    "warning": "Warning",
    "important": "Important",
    "tip": "Tip",
    "caution": "Caution",
}
_TYPST_CALLOUT_COLOURS = {
    "note": "#0758e5",
    "warning": "#ff9800",
    "important": "#cc1914",
    "tip": "#00a047",
    "caution": "#fc5300",
}
PREFIX = {"fig": ("Figure", "Figures"), "tbl": ("Table", "Tables"), "sec": ("Section", "Sections")}


class Numbering:
    """Numbers of labelled figures, tables and sections, in reading order."""

    def __init__(self, blocks: list[Node]) -> None:
        self.numbers: dict[str, str] = {}
        self._counts = {"fig": 0, "tbl": 0}
        self._sections: list[int] = []
        levels = []
        ast.walk_blocks(blocks, lambda b: levels.append(b["c"][0]) if b["t"] == "Header" else None)
        self.top_level = min(levels, default=1)
        ast.walk_blocks(blocks, self._visit)

    def _visit(self, block: Node) -> None:
        kind = block["t"]
        if kind in {"Figure", "Table"}:
            ident, classes = block["c"][0][0], block["c"][0][1]
            prefix = ident.split("-", 1)[0]
            if prefix == ("fig" if kind == "Figure" else "tbl") and "unnumbered" not in classes:
                self._counts[prefix] += 1
                self.numbers[ident] = str(self._counts[prefix])
        elif kind == "Header":
            level, (ident, classes, _kv) = block["c"][0], block["c"][1]
            if "unnumbered" in classes:
                return None
            level = max(1, level - self.top_level + 1)
            del self._sections[level:]
            self._sections.extend([0] * (level - len(self._sections)))
            self._sections[level - 1] += 1
            if ident:
                self.numbers[ident] = ".".join(str(n) for n in self._sections)
        return None


def _prefixed(kind: str, number: str, caption: list[Node]) -> list[Node]:
    head = [{"t": "Str", "c": PREFIX[kind][0]}, {"t": "Space"}, {"t": "Str", "c": f"{number}:"}]
    return head + ([{"t": "Space"}, *caption] if caption else [])


def _caption_inlines(caption: Any) -> list[Node]:
    blocks = caption[1] if caption else []
    return list(blocks[0]["c"]) if blocks and blocks[0]["t"] in {"Plain", "Para"} else []


def _callout(block: Node, fmt: Format) -> list[Node] | None:
    ident, classes, keyvals = block["c"][0]
    kind = next((c[len("callout-") :] for c in classes if c.startswith("callout-")), None)
    if kind not in CALLOUTS:
        return None
    body = list(block["c"][1])
    title: list[Node] = []
    given = dict(keyvals).get("title")
    if given:
        title = ast.text_inlines(given)
    elif body and body[0]["t"] == "Header":
        title = body.pop(0)["c"][2]
    if not title:
        title = [{"t": "Str", "c": CALLOUTS[kind]}]
    if fmt == "html":
        head = ast.div([ast.plain([ast.strong(title)])], classes=["callout-title"])
        inner = ast.div(body, classes=["callout-body"])
        return [ast.div([head, inner], ident=ident, classes=["callout", f"callout-{kind}"])]
    colour = _TYPST_CALLOUT_COLOURS[kind]
    opening = (
        f'#block(width: 100%, inset: 8pt, radius: 3pt, fill: rgb("{colour}").lighten(92%), '
        f'stroke: (left: 3pt + rgb("{colour}")))['
    )
    return [ast.raw_block("typst", opening), ast.para([ast.strong(title)]), *body,
            ast.raw_block("typst", "]")]  # fmt: skip


def _reference(node: Node, numbers: dict[str, str], fmt: Format) -> list[Node] | None:
    if node["t"] != "Cite":
        return None
    citations = node["c"][0]
    ids = [c["citationId"] for c in citations]
    kinds = {i.split("-", 1)[0] for i in ids}
    if not all(i.split("-", 1)[0] in PREFIX for i in ids):
        return None  # a bibliographic citation: not ours
    out: list[Node] = []
    suppress = citations[0]["citationMode"]["t"] == "SuppressAuthor"
    kind = ids[0].split("-", 1)[0]
    if not suppress and len(kinds) == 1:
        word = PREFIX[kind][0 if len(ids) == 1 else 1]
        if ids[0][0].isupper():
            word = word.capitalize()
        if fmt == "html" or kind == "sec":
            out += [{"t": "Str", "c": word}, {"t": "Space"}]
    for k, ident in enumerate(ids):
        if k:
            out += [{"t": "Str", "c": ","}, {"t": "Space"}]
        number = numbers.get(ident)
        if number is None:
            warnings.warn(f"unresolved cross-reference @{ident}", stacklevel=2)
            out.append(ast.strong([{"t": "Str", "c": f"?@{ident}"}]))
        elif fmt == "typst" and kind != "sec":
            form = "supplement: none" if suppress or len(ids) > 1 else ""
            ref = f"@{ident}" if not form else f"#ref(<{ident}>, {form})"
            out.append(ast.raw_inline("typst", ref))
        else:
            out.append(ast.link([{"t": "Str", "c": number}], f"#{ident}", ["quarto-xref"]))
    if fmt == "typst" and not suppress and len(kinds) == 1 and len(ids) > 1 and kind != "sec":
        out = [{"t": "Str", "c": PREFIX[kind][1]}, {"t": "Space"}, *out]
    if len(out) == 3 and out[2]["t"] == "Link" and len(ids) == 1:
        # One reference: the whole "Figure 1" is the link, as in Quarto.
        target = out[2]["c"][2][0]
        out = [ast.link([out[0], out[1], *out[2]["c"][1]], target, ["quarto-xref"])]
    return out


def finish(document: dict[str, Any], fmt: Format) -> dict[str, Any]:
    """A copy of the format-neutral AST finished for ``fmt`` ('html' or 'typst')."""
    doc = copy.deepcopy(document)

    def divs(block: Node) -> list[Node] | None:
        if block["t"] == "Div":
            classes = block["c"][0][1]
            if "vrueval-not-html" in classes:
                return [] if fmt == "html" else block["c"][1]
            if any(c.startswith("callout-") for c in classes):
                return _callout(block, fmt)
        return None

    doc["blocks"] = ast.walk_blocks(doc["blocks"], divs)
    numbering = Numbering(doc["blocks"])
    numbers = numbering.numbers

    def captions(block: Node) -> list[Node] | None:
        if block["t"] in {"Figure", "Table"}:
            return _caption(block, numbers, fmt)
        if block["t"] == "Header" and fmt == "typst":
            # Typst numbers from level 1; shift so the top level used is 1, as pandoc's HTML does.
            block["c"][0] = max(1, block["c"][0] - numbering.top_level + 1)
        return None

    doc["blocks"] = ast.walk_blocks(doc["blocks"], captions)
    doc["blocks"] = ast.walk_inlines(doc["blocks"], lambda n: _reference(n, numbers, fmt))
    if fmt == "html":
        doc["blocks"] = ast.walk_inlines(doc["blocks"], _qmd_link)
    else:
        doc["blocks"] = pdf_tables.fit_tables(doc["blocks"])
    return doc


_QMD_LINK = re.compile(r"^(?![a-z][a-z0-9+.-]*:|/)(?P<path>[^#?]*?)\.qmd(?P<rest>[#?].*)?$")


def _qmd_link(node: Node) -> list[Node] | None:
    """A relative link to another document's source (``x.qmd#id``) points at its page
    (``x.html#id``), as Quarto rewrites them."""
    if node["t"] != "Link":
        return None
    target = node["c"][2][0]
    match = _QMD_LINK.match(target)
    if match:
        node["c"][2][0] = f"{match.group('path')}.html{match.group('rest') or ''}"
    return None


def _caption(block: Node, numbers: dict[str, str], fmt: Format) -> list[Node] | None:
    kind = block["t"]
    ident, classes = block["c"][0][0], block["c"][0][1]
    caption_at = 1
    caption = _caption_inlines(block["c"][caption_at])
    number = numbers.get(ident)
    prefix = "fig" if kind == "Figure" else "tbl"
    if fmt == "html":
        if number is not None and ident.startswith(prefix):
            block["c"][caption_at] = [None, [ast.plain(_prefixed(prefix, number, caption))]]
        return None
    # Typst numbers every figure; unnumbered ones lose the figure wrapper (or undo the count).
    if number is None or "unnumbered" in classes:
        if kind == "Figure":
            body = [b if b["t"] != "Plain" else ast.para(b["c"]) for b in block["c"][2]]
            return body + ([ast.para([{"t": "Emph", "c": caption}])] if caption else [])
        block["c"][caption_at] = [None, []]
        lead = [ast.para([{"t": "Emph", "c": caption}])] if caption else []
        undo = ast.raw_block("typst", "#counter(figure.where(kind: table)).update(n => n - 1)")
        return [*lead, block, undo]
    return None
