"""Read a Quarto document: YAML front matter, markdown, executable chunks and their ``#|`` options.

Only what the renderer needs is parsed here; the markdown itself is left to pandoc. Chunks are
fenced blocks whose info string is ``{python}`` (or ``{python} ...``); other fenced blocks,
including ```` ```python ```` (no braces), are plain code for display, as in Quarto.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FENCE_OPEN = re.compile(r"^(?P<indent>[ ]{0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*)$")
_CHUNK_INFO = re.compile(r"^\{(?P<lang>[A-Za-z0-9_]+)(?P<rest>[^}]*)\}\s*$")
_OPTION = re.compile(r"^\s*#\|\s?(.*)$")
# `{python} expr` inline expressions; the expression cannot contain a backtick.
INLINE = re.compile(r"`\{(?P<lang>python|py)\}[ \t]+(?P<expr>[^`]+?)[ \t]*`")


class QmdError(ValueError):
    """A document that cannot be read, with the file and line at fault."""


@dataclass(frozen=True)
class Markdown:
    """A run of markdown between chunks (inline expressions still in place)."""

    text: str
    line: int


@dataclass(frozen=True)
class Chunk:
    """An executable code chunk: its language, its code (options removed) and its options."""

    lang: str
    code: str
    options: dict[str, Any]
    line: int

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return str(label) if label is not None else None


@dataclass(frozen=True)
class Document:
    """A parsed ``.qmd`` file."""

    path: Path
    front_matter: dict[str, Any]
    blocks: list[Markdown | Chunk] = field(default_factory=list)
    source: str = ""

    @property
    def chunks(self) -> list[Chunk]:
        return [b for b in self.blocks if isinstance(b, Chunk)]


def split_front_matter(text: str, where: str = "<string>") -> tuple[dict[str, Any], str, int]:
    """The front matter (``{}`` when absent), the body, and the body's first line number."""
    match = _FRONT.match(text)
    if not match:
        return {}, text, 1
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        raise QmdError(f"{where}: front matter is not valid YAML: {err}") from err
    if not isinstance(meta, dict):
        raise QmdError(f"{where}: front matter must be a YAML mapping")
    return meta, text[match.end() :], match.group(0).count("\n") + 1


def parse_options(lines: list[str], where: str) -> tuple[dict[str, Any], list[str]]:
    """Split leading ``#|`` option lines (YAML) from a chunk's code lines."""
    option_lines: list[str] = []
    index = 0
    while index < len(lines):
        match = _OPTION.match(lines[index])
        if not match:
            break
        option_lines.append(match.group(1))
        index += 1
    if not option_lines:
        return {}, lines
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {}
    except yaml.YAMLError as err:
        raise QmdError(f"{where}: `#|` options are not valid YAML: {err}") from err
    if not isinstance(options, dict):
        raise QmdError(f"{where}: `#|` options must be `key: value` lines")
    return options, lines[index:]


def parse(text: str, path: Path | str = "<string>") -> Document:
    """Parse the text of a ``.qmd`` document."""
    where = str(path)
    meta, body, first_line = split_front_matter(text, where)
    blocks: list[Markdown | Chunk] = []
    lines = body.split("\n")
    pending: list[str] = []
    pending_start = first_line
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE_OPEN.match(line)
        if not opened:
            pending.append(line)
            i += 1
            continue
        fence = opened.group("fence")
        closing = re.compile(rf"^[ ]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        info = _CHUNK_INFO.match(opened.group("info").strip())
        if info is None:  # display-only code block: keep it as markdown
            pending.extend(lines[i : end + 1])
            i = end + 1
            continue
        if end >= len(lines):
            raise QmdError(f"{where}:{first_line + i}: code chunk is never closed")
        if "".join(pending).strip():
            blocks.append(Markdown("\n".join(pending), pending_start))
        pending = []
        options, code_lines = parse_options(lines[i + 1 : end], f"{where}:{first_line + i}")
        blocks.append(
            Chunk(
                lang=info.group("lang").lower(),
                code="\n".join(code_lines).strip("\n"),
                options=options,
                line=first_line + i,
            )
        )
        i = end + 1
        pending_start = first_line + i
    if "".join(pending).strip():
        blocks.append(Markdown("\n".join(pending), pending_start))
    return Document(path=Path(path), front_matter=meta, blocks=blocks, source=text)


def read(path: Path) -> Document:
    """Read and parse a ``.qmd`` file."""
    return parse(Path(path).read_text(encoding="utf-8"), path)


_FENCED = re.compile(r"^[ ]{0,3}(`{3,}|~{3,}).*?\n[ ]{0,3}\1[`~]*[ \t]*$", re.DOTALL | re.MULTILINE)


def inline_matches(text: str) -> list[re.Match[str]]:
    """The inline ``{python}`` expressions of a markdown run, outside fenced code blocks."""
    fenced = [m.span() for m in _FENCED.finditer(text)]
    return [
        m
        for m in INLINE.finditer(text)
        if not any(start <= m.start() < end for start, end in fenced)
    ]


def inline_expressions(text: str) -> list[str]:
    """The inline ``{python}`` expressions of a markdown run, in order."""
    return [m.group("expr") for m in inline_matches(text)]


def substitute_inline(text: str, values: list[str]) -> str:
    """``text`` with each inline expression replaced by its value, in order."""
    out, last = [], 0
    for match, value in zip(inline_matches(text), values, strict=True):
        out += [text[last : match.start()], value]
        last = match.end()
    return "".join(out) + text[last:]
