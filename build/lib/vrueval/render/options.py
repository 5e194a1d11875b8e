"""Quarto option resolution: project ``_quarto.yml`` < document front matter < ``#|`` cell options.

Format-specific options (``format: html: ...``) override the common ones of the same level, as in
Quarto. PDF output is produced through Typst, so the ``pdf`` format reads ``format: typst`` (and
``format: pdf`` when a document names that instead).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

# Cell options and their Quarto defaults.
EXECUTE_DEFAULTS: dict[str, Any] = {
    "eval": True,
    "echo": True,
    "output": True,
    "include": True,
    "warning": True,
    "error": False,
}
FIGURE_DEFAULTS: dict[str, Any] = {
    "fig-width": 7.0,
    "fig-height": 5.0,
    "fig-dpi": 144,
    "fig-format": "png",
}
FORMAT_KEYS = {"html": ("html",), "pdf": ("typst", "pdf")}
_NOT_METADATA = {"project", "format", "execute", "jupyter", "engine", "website", "book"}


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``override`` merged in (mappings recursively, the rest replaced)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _format_block(config: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    formats = config.get("format")
    if not isinstance(formats, Mapping):
        return {}
    for key in FORMAT_KEYS.get(fmt, (fmt,)):
        block = formats.get(key)
        if isinstance(block, Mapping):
            return dict(block)
    return {}


def resolve(project: Mapping[str, Any], document: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """The options in force for one output format."""
    common = deep_merge(project, document)
    common = deep_merge(common, _format_block(project, fmt))
    common = deep_merge(common, _format_block(document, fmt))
    return common


def execute_options(project: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """Document-wide execution options: cell defaults and figure settings.

    Execution happens once for all formats, so figure settings come from the common options and
    the ``html`` format block (Quarto executes per format; a renderer that executes once must pick).
    """
    merged = resolve(project, document, "html")
    options = dict(EXECUTE_DEFAULTS)
    execute = merged.get("execute")
    if isinstance(execute, Mapping):
        options.update({k: v for k, v in execute.items() if k in EXECUTE_DEFAULTS})
    for key, default in FIGURE_DEFAULTS.items():
        options[key] = merged.get(key, default)
    return options


def cell_options(defaults: Mapping[str, Any], chunk: Mapping[str, Any]) -> dict[str, Any]:
    """A chunk's options over the document defaults."""
    options = dict(defaults)
    options.update(chunk)
    return options


def metadata(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that are document metadata (title, author, ...) rather than settings."""
    return {k: v for k, v in options.items() if k not in _NOT_METADATA}
