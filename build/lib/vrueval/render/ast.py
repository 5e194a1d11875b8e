"""Constructors and walkers for pandoc's JSON AST (API 1.23): the node kinds the renderer makes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Node = dict[str, Any]
Attr = list[Any]  # [identifier, [classes], [[key, value], ...]]


def attr(ident: str = "", classes: Iterable[str] = (), **keyvals: str) -> Attr:
    return [ident, list(classes), [[k.replace("_", "-"), v] for k, v in keyvals.items()]]


def text_inlines(text: str) -> list[Node]:
    """Plain text as Str/Space inlines (no markdown interpretation)."""
    inlines: list[Node] = []
    for k, word in enumerate(text.split()):
        if k:
            inlines.append({"t": "Space"})
        inlines.append({"t": "Str", "c": word})
    return inlines


def plain_text(inlines: Iterable[Node]) -> str:
    """The text of some inlines, markup dropped."""
    out: list[str] = []
    for node in inlines:
        kind: Any = node.get("t")
        content: Any = node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in {"Space", "SoftBreak", "LineBreak"}:
            out.append(" ")
        elif kind in {"Code", "Math", "RawInline"}:
            out.append(content[1])
        elif kind in {"Emph", "Strong", "Underline", "Strikeout", "SmallCaps", "Superscript"}:
            out.append(plain_text(content))
        elif kind in {"Span", "Link", "Image", "Quoted", "Cite"}:
            out.append(plain_text(content[1]))
    return "".join(out)


def code_block(code: str, classes: Iterable[str] = ()) -> Node:
    return {"t": "CodeBlock", "c": [attr(classes=classes), code]}


def div(blocks: list[Node], ident: str = "", classes: Iterable[str] = ()) -> Node:
    return {"t": "Div", "c": [attr(ident, classes), blocks]}


def para(inlines: list[Node]) -> Node:
    return {"t": "Para", "c": inlines}


def plain(inlines: list[Node]) -> Node:
    return {"t": "Plain", "c": inlines}


def strong(inlines: list[Node]) -> Node:
    return {"t": "Strong", "c": inlines}


def raw_block(fmt: str, text: str) -> Node:
    return {"t": "RawBlock", "c": [fmt, text]}


def raw_inline(fmt: str, text: str) -> Node:
    return {"t": "RawInline", "c": [fmt, text]}


def link(inlines: list[Node], target: str, classes: Iterable[str] = ()) -> Node:
    return {"t": "Link", "c": [attr(classes=classes), inlines, [target, ""]]}


def image(src: str, alt: str = "", alt_inlines: list[Node] | None = None) -> Node:
    keyvals = {"alt": alt} if alt else {}
    return {"t": "Image", "c": [attr(**keyvals), alt_inlines or [], [src, ""]]}


def figure(ident: str, caption: list[Node], body: list[Node]) -> Node:
    cap = [None, [plain(caption)]] if caption else [None, []]
    return {"t": "Figure", "c": [attr(ident, ["quarto-figure"]), cap, body]}


def walk_blocks(blocks: list[Node], visit: Callable[[Node], list[Node] | None]) -> list[Node]:
    """Depth-first, in document order: ``visit`` may return a list of blocks replacing a block.

    Children are walked before ``visit`` sees their parent's replacement, but ``visit`` is called
    on each block before its children so that numbering follows reading order.
    """
    out: list[Node] = []
    for block in blocks:
        replaced = visit(block)
        for node in [block] if replaced is None else replaced:
            _walk_children(node, visit)
            out.append(node)
    return out


def _walk_children(node: Node, visit: Callable[[Node], list[Node] | None]) -> None:
    kind: Any = node.get("t")
    content: Any = node.get("c")
    if kind in {"Div"}:
        content[1] = walk_blocks(content[1], visit)
    elif kind == "BlockQuote":
        node["c"] = walk_blocks(content, visit)
    elif kind in {"BulletList"}:
        node["c"] = [walk_blocks(item, visit) for item in content]
    elif kind == "OrderedList":
        content[1] = [walk_blocks(item, visit) for item in content[1]]
    elif kind == "Figure":
        content[2] = walk_blocks(content[2], visit)


def walk_inlines(node: Any, visit: Callable[[Node], list[Node] | None]) -> Any:
    """Replace inlines anywhere below ``node`` (a block, list or inline) via ``visit``."""
    if isinstance(node, list):
        out: list[Any] = []
        for item in node:
            if isinstance(item, dict) and "t" in item and _is_inline(item):
                replaced = visit(item)
                if replaced is not None:
                    out.extend(walk_inlines(r, visit) for r in replaced)
                    continue
            out.append(walk_inlines(item, visit))
        return out
    if isinstance(node, dict):
        if "c" in node:
            node["c"] = walk_inlines(node["c"], visit)
        return node
    return node


_INLINE_KINDS = {
    "Str", "Emph", "Underline", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps",
    "Quoted", "Cite", "Code", "Space", "SoftBreak", "LineBreak", "Math", "RawInline", "Link",
    "Image", "Note", "Span",
}  # fmt: skip


def _is_inline(node: Node) -> bool:
    return node.get("t") in _INLINE_KINDS
