"""Document parameters, as Quarto's ``-P key=value`` passes them to a Jupyter document.

A document declares its parameters in one Python chunk tagged ``parameters`` (``#| tags:
[parameters]``), assigning each its default. Rendering with parameters inserts, right after that
chunk, a chunk assigning the given values (papermill's "injected-parameters" cell), so the
default and the override are both visible in the code and the document runs as it would by
hand. A parameter the chunk does not assign is refused, naming the ones it does.

A document can also ask to be rendered once per value: front matter
``render-each: {area: [Merseyside, Kent]}`` makes the project render one page per value, named
``<stem>-<slug of the value>`` (``area-merseyside.html``). ``quarto render`` ignores the key
and renders the defaults.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from vrueval.render.qmd import Chunk, Document

TAG = "parameters"
EACH_KEY = "render-each"


class ParameterError(ValueError):
    """Parameters a document cannot take, naming the document and what it accepts."""


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """``["area=Merseyside", "draws=999"]`` -> ``{"area": "Merseyside", "draws": 999}``.

    Values are read as TOML values (numbers, booleans, quoted strings, arrays) and otherwise
    kept as text, as the CLI's ``--set`` reads them.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--param takes KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value
    return out


def _is_parameters_chunk(chunk: Chunk) -> bool:
    tags = chunk.options.get("tags") or []
    return chunk.lang == "python" and TAG in ([tags] if isinstance(tags, str) else list(tags))


def declared(document: Document) -> dict[str, int]:
    """Names the ``parameters`` chunk assigns -> that chunk's index in ``document.blocks``."""
    found: dict[str, int] = {}
    for index, block in enumerate(document.blocks):
        if isinstance(block, Chunk) and _is_parameters_chunk(block):
            for node in ast.walk(ast.parse(block.code)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    found.setdefault(node.id, index)
    return found


def apply(document: Document, params: Mapping[str, Any]) -> Document:
    """``document`` with a chunk assigning ``params`` after its ``parameters`` chunk."""
    if not params:
        return document
    names = declared(document)
    if not names:
        raise ParameterError(
            f"{document.path.name} takes no parameters (no chunk tagged {TAG!r}); "
            f"got {sorted(params)}"
        )
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ParameterError(
            f"{document.path.name} has no parameter(s) {unknown}; it takes {sorted(names)}"
        )
    position = max(names[name] for name in params)
    code = "\n".join(f"{name} = {value!r}" for name, value in params.items())
    anchor = document.blocks[position]
    injected = Chunk(
        lang="python",
        code=f"# Injected parameters\n{code}",
        options={"tags": ["injected-parameters"], "include": False},
        line=anchor.line,
    )
    blocks = [*document.blocks[: position + 1], injected, *document.blocks[position + 1 :]]
    # The execution cache keys on the source: the values are part of it.
    marker = json.dumps(dict(params), sort_keys=True, default=str)
    return dataclasses.replace(
        document, blocks=blocks, source=f"{document.source}\n<!-- parameters: {marker} -->\n"
    )


def _slug(value: Any) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in str(value).lower()).split())


def output_stem(stem: str, params: Mapping[str, Any]) -> str:
    """The page name for a parameterised rendering: ``area`` + Merseyside -> ``area-merseyside``."""
    return "-".join([stem, *(_slug(v) for v in params.values())]) if params else stem


def each(front_matter: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parameter sets ``render-each`` asks for (``[{}]``: render once, with the defaults)."""
    spec = front_matter.get(EACH_KEY)
    if not spec:
        return [{}]
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise ParameterError(f"{EACH_KEY} must map one parameter to a list of values, got {spec!r}")
    ((name, values),) = spec.items()
    if not isinstance(values, list) or not values:
        raise ParameterError(f"{EACH_KEY}.{name} must be a non-empty list, got {values!r}")
    return [{str(name): value} for value in values]


__all__ = ["EACH_KEY", "TAG", "ParameterError", "apply", "declared", "each", "output_stem"]
