"""The API reference: one Quarto page per public name, written from the numpydoc docstrings.

quartodoc (reading the source with griffe) writes the pages into the ``quartodoc: dir`` of
``_quarto.yml`` (``docs/reference``). The names are not listed by hand: they are
``vrueval.__all__`` and the ``__all__`` of each public subpackage (``areas``, ``compute``,
``power``, ``sensitivity``, ``data.loaders``; ``datasets``, which has none, by the functions it
defines), so a name added to an ``__all__`` gets its page at the next build, and
``tests/test_docs_reference.py`` fails when one has no docstring.

Cross-references are resolved here, when the pages are written, into relative ``.qmd`` links
(Quarto and the built-in renderer both turn them into ``.html``): quartodoc's interlinks in type
annotations (``[Panel](`vrueval.Panel`)``) and the Sphinx roles of the docstrings
(``:class:`~vrueval.designs.its.results.ITSResult```). A target without a page of its own stays
code, never a dead link.

Run ``python -m vrueval.render.reference [ROOT]`` before ``quarto render`` where Quarto is
installed; ``vrueval render`` (``make report``) runs it itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from vrueval import atomic

PACKAGE = "vrueval"
# Public subpackages users import by path rather than from the top level.
EXTRA_MODULES = ("data.loaders",)
SECTION_TITLES = {
    "designs": ("Designs", "Evaluation designs: set up from a panel or DataFrame, then `.fit()`."),
    "data": ("Data", "The canonical panel and the bundled official datasets."),
    "results": ("Results", "What every `.fit()` returns."),
    "datasets": ("Bundled datasets", "Official series shipped with the package, ready to fit."),
    "data.loaders": ("Data loaders", "Readers for the raw official files, to a canonical panel."),
    "areas": ("Areas", "Geographies and area registries: forces, LADs, VRU areas, comparators."),
    "sensitivity": ("Sensitivity", "Honest DiD bounds and pre-trend power."),
    "power": ("Power", "Power and minimum detectable effects before an evaluation."),
    "compute": ("Compute", "One parallel map for simulations, on local or cluster engines."),
}
HTML_ONLY = "format:\n  html:\n    number-sections: false\n    toc: true\n"
INDEX_DESCRIPTION = "Every public name, with its signature, types and docstring"
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|obj|data|exc|const):`(?P<target>[^`]+)`")
_INTERLINK = re.compile(r"\[(?P<text>[^\]]*)\]\(`(?P<target>[^`]+)`\)")


@dataclass(frozen=True)
class Section:
    """A group of reference pages: a title, a line saying what it holds, and the names."""

    title: str
    desc: str
    names: tuple[str, ...]  # dotted, relative to the package: "ITS", "sensitivity.honest_did"


def _module_members(module: ModuleType) -> list[str]:
    """A module's public names: its ``__all__``, else what it defines that is not private."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return [str(n) for n in declared if not str(n).startswith("_")]
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    ]


def _kind(value: Any) -> str:
    """The section of a top-level name: the subpackage that defines it."""
    module = getattr(value, "__module__", "") or ""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == PACKAGE else "other"


def sections(package: str = PACKAGE) -> list[Section]:
    """The reference's sections, from ``__all__``: every public name, each once."""
    root = importlib.import_module(package)
    grouped: dict[str, list[str]] = {}
    modules: dict[str, ModuleType] = {}
    for name in root.__all__:
        if name.startswith("_"):
            continue  # __version__
        value = getattr(root, name)
        if inspect.ismodule(value):
            modules[name] = value
        else:
            grouped.setdefault(_kind(value), []).append(name)
    for name in EXTRA_MODULES:
        modules[name] = importlib.import_module(f"{package}.{name}")
    out = []
    order = [k for k in SECTION_TITLES if k in grouped] + sorted(
        k for k in grouped if k not in SECTION_TITLES
    )
    for key in order:
        title, desc = SECTION_TITLES.get(key, (key.replace("_", " ").capitalize(), ""))
        out.append(Section(title, desc, tuple(grouped[key])))
    for key in [k for k in SECTION_TITLES if k in modules] + sorted(
        k for k in modules if k not in SECTION_TITLES
    ):
        module = modules[key]
        title, desc = SECTION_TITLES.get(key, (key, _first_line(module.__doc__)))
        out.append(Section(title, desc, tuple(f"{key}.{m}" for m in _module_members(module))))
    return out


def public_names(package: str = PACKAGE) -> list[str]:
    """Every name that has a reference page, dotted relative to the package."""
    return [name for section in sections(package) for name in section.names]


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0]


def load_config(root: Path) -> dict[str, Any] | None:
    """The ``quartodoc:`` block of the project's ``_quarto.yml`` (None when there is none)."""
    from vrueval.render.project import load_project

    block = load_project(root).get("quartodoc")
    return dict(block) if isinstance(block, Mapping) else None


def documented_path(name: str, package: str = PACKAGE) -> str:
    """The dotted path (relative to the package) of the object a public name's page documents.

    Usually the name itself; but where a package exports a function under its own submodule's
    name (``sensitivity.pretrend_power``), a reader of the source resolves the name to the
    module, so the page documents where the function is defined instead.
    """
    value: Any = importlib.import_module(package)
    for part in name.split("."):
        value = getattr(value, part)
    try:
        shadowed = importlib.util.find_spec(f"{package}.{name}") if "." in name else None
    except ModuleNotFoundError:  # a parent that is an alias (vrueval.datasets), not a folder
        shadowed = None
    if inspect.ismodule(value) or shadowed is None:
        return name
    return f"{value.__module__}.{value.__qualname__}".removeprefix(f"{package}.")


def _entry(name: str, package: str) -> str | dict[str, Any]:
    """A layout entry: the name, or a page named after it that documents its defining path."""
    path = documented_path(name, package)
    if path == name:
        return name
    return {"kind": "page", "path": name, "flatten": True, "contents": [path]}


def _builder(config: Mapping[str, Any], out_dir: Path) -> Any:
    from quartodoc import Builder

    package = str(config.get("package", PACKAGE))
    given = config.get("sections")
    layout = given or [
        {"title": s.title, "desc": s.desc, "contents": [_entry(n, package) for n in s.names]}
        for s in sections(package)
    ]
    options = {k: v for k, v in config.items() if k not in {"package", "sections", "dir", "style"}}
    builder = Builder(package=package, sections=layout, dir=str(out_dir), **options)
    builder.out_inventory = str(out_dir / "objects.json")
    return builder


def _relative_target(uri: str, base: str) -> str:
    page, _, anchor = uri.partition("#")
    page = page.removeprefix(base.rstrip("/") + "/")
    return page.removesuffix(".html") + ".qmd" + (f"#{anchor}" if anchor else "")


def link_targets(items: Sequence[Any], base: str) -> dict[str, str]:
    """``{object path: relative link}`` for every documented object (alias and canonical)."""
    return {str(item.name): _relative_target(str(item.uri), base) for item in items}


def resolve(target: str, links: Mapping[str, str], package: str = PACKAGE) -> str | None:
    """The page of a cross-reference target (``~`` and ``!`` prefixes allowed), else None."""
    name = target.lstrip("~!").strip()
    for candidate in (name, f"{package}.{name}"):
        if candidate in links:
            return links[candidate]
    return None


def _display(target: str) -> str:
    name = target.lstrip("!").strip()
    return name[1:].rsplit(".", 1)[-1] if name.startswith("~") else name


def link_text(text: str, links: Mapping[str, str], package: str = PACKAGE) -> str:
    """``text`` with interlinks and Sphinx roles turned into links, or code where no page is."""

    def interlink(match: re.Match[str]) -> str:
        target = match.group("target")
        shown = match.group("text") or f"`{_display(target)}`"
        page = resolve(target, links, package)
        return f"[{shown}]({page})" if page else shown

    def role(match: re.Match[str]) -> str:
        target = match.group("target")
        page = resolve(target, links, package)
        shown = f"`{_display(target)}`"
        return f"[{shown}]({page})" if page else shown

    return _ROLE.sub(role, _INTERLINK.sub(interlink, text))


def build(root: Path, config: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the reference pages of the project at ``root``; return them, index first.

    quartodoc writes each page, then its front matter and links are added here: the same
    docstrings give the same text (the render cache compares content, not time stamps). Pages
    of names no longer public are removed.
    """
    root = Path(root).resolve()
    config = config if config is not None else load_config(root)
    if config is None:
        return []
    out_dir = root / str(config.get("dir", "reference"))
    out_dir.mkdir(parents=True, exist_ok=True)
    builder = _builder(config, out_dir)
    # griffe reads the source from sys.path: first the folder of the package imported here, so
    # the pages document the code that runs (not whatever another sys.path entry holds)
    source = str(Path(importlib.import_module(builder.package).__path__[0]).parent)
    sys.path.insert(0, source)
    try:
        with _quiet_griffe(), warnings.catch_warnings():
            # quartodoc hands griffe 1 parser options it has deprecated (and ignores)
            warnings.simplefilter("ignore", DeprecationWarning)
            builder.build()
    finally:
        sys.path.remove(source)
    links = link_targets(builder.items, str(out_dir))
    pages = sorted(out_dir.glob("*.qmd"))
    index = out_dir / builder.out_index
    written = []
    expected = {index.name} | {
        _relative_target(str(item.uri), str(out_dir)).split("#")[0] for item in builder.items
    }
    for page in pages:
        if page.name not in expected:
            page.unlink()  # a name that is no longer public
            continue
        text = page.read_text(encoding="utf-8")
        finished = _front_matter(text, page == index, str(config.get("title", "API reference")))
        finished = _drop_dead_anchors(link_text(finished, links, builder.package))
        if finished != text:
            atomic.write_text(page, finished)
        written.append(page)
    return sorted(written, key=lambda p: (p != index, p.name))


def _front_matter(text: str, is_index: bool, title: str) -> str:
    """Front matter: the page's name as its ``pagetitle`` (the first heading stays the visible
    title, with the anchor links point to); HTML only, not a PDF for each name; unnumbered."""
    if text.startswith("---\n"):
        return text
    first, _, rest = text.partition("\n")
    if is_index:  # its heading has no anchor to keep: the title block replaces it
        return (
            f'---\ntitle: "{title}"\ndescription: "{INDEX_DESCRIPTION}"\n{HTML_ONLY}'
            "---\n" + _left_aligned(rest)
        )
    heading = re.match(r"#\s+(.+?)\s*(\{[^}]*\})?\s*$", first)
    name = heading.group(1) if heading else "Reference"
    name = name.replace("\\", "").replace('"', "'")
    return f'---\npagetitle: "{name} | {PACKAGE}"\n{HTML_ONLY}---\n\n' + _left_aligned(text)


_ANCHOR = re.compile(r"\{\s*#(?P<id>[^\s}]+)[^}]*\}")
_LOCAL_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\(#(?P<id>[^)\s]+)\)")


def _drop_dead_anchors(text: str) -> str:
    """Summary rows link to ``#anchor`` on the same page; quartodoc lists attributes there but
    writes no section for them, so such a name is shown as code, not as a dead link."""
    ids = {m.group("id") for m in _ANCHOR.finditer(text)}

    def keep(match: re.Match[str]) -> str:
        if match.group("id") in ids:
            return match.group(0)
        shown = match.group("text")
        return shown if shown.startswith("`") else f"`{shown}`"

    return _LOCAL_LINK.sub(keep, text)


def _left_aligned(text: str) -> str:
    """Summary tables (name | description) read left to right, not as numbers."""
    return text.replace("| --- | --- |", "| :--- | :--- |")


class _quiet_griffe:
    """griffe logs each docstring quirk at WARNING; the coverage test is where gaps fail."""

    def __enter__(self) -> None:
        import logging

        self._logger = logging.getLogger("griffe")
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self._logger.setLevel(self._level)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else Path(".")
    for path in build(root):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
