"""Pandoc (from the pypandoc-binary wheel) and Typst (the typst wheel): AST to HTML and to PDF.

HTML is standalone and self-contained: images are embedded as data URIs (``--embed-resources``),
the stylesheet is built in, maths is MathML (no MathJax, no CDN). PDF goes pandoc -> Typst markup
-> ``typst.compile`` with Typst's bundled fonts only, so the output does not depend on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from vrueval import atomic
from vrueval.render.assets import HTML_STYLE, TYPST_HEADER


class PandocError(RuntimeError):
    """Pandoc or Typst failed; the message holds their stderr."""


@cache
def pandoc_path() -> str:
    """The pandoc executable: the pypandoc-binary wheel's, else one on PATH."""
    try:
        import pypandoc

        path = str(pypandoc.get_pandoc_path())
        if path:
            return path
    except (ImportError, OSError):
        pass
    found = shutil.which("pandoc")
    if found is None:
        raise PandocError("pandoc not found: install the 'report' extra (pypandoc-binary)")
    return found


def run_pandoc(
    text: str, args: Sequence[str], parse_json: bool = False, cwd: Path | None = None
) -> Any:
    """Run pandoc on ``text`` (stdin) and return stdout (parsed as JSON when asked)."""
    proc = subprocess.run(
        [pandoc_path(), *args],
        input=text.encode("utf-8"),
        capture_output=True,
        cwd=cwd,
        check=False,
    )
    if proc.returncode != 0:
        raise PandocError(
            f"pandoc {' '.join(args)} failed:\n{proc.stderr.decode(errors='replace')}"
        )
    out = proc.stdout.decode("utf-8")
    return json.loads(out) if parse_json else out


def _toc_args(options: Mapping[str, Any]) -> list[str]:
    args = []
    if options.get("toc"):
        args += ["--toc", f"--toc-depth={int(options.get('toc-depth', 3))}"]
    return args


def to_html(
    document: Mapping[str, Any], options: Mapping[str, Any], out: Path, folder: Path
) -> Path:
    """Write a self-contained HTML page; ``folder`` holds the images the AST refers to."""
    folder.mkdir(parents=True, exist_ok=True)
    style = folder / "_vrueval_style.html"
    style.write_text(HTML_STYLE, encoding="utf-8")
    args = [
        "-f", "json", "-t", "html5", "--standalone", "--embed-resources",
        f"--resource-path={folder}", f"--include-in-header={style}",
        "--mathml", "--wrap=none", "--section-divs", "-V", "document-css=false",
    ]  # fmt: skip
    args += _toc_args(options)
    if options.get("number-sections"):
        args.append("--number-sections")
    meta = document.get("meta", {})
    if "title" not in meta:
        args += ["--metadata", f"pagetitle={out.stem}"]
    lang = options.get("lang", "en-GB")
    args += ["--metadata", f"lang={lang}"]
    # pandoc writes a temporary file that replaces the page only once complete
    with atomic.writing(out) as tmp:
        run_pandoc(json.dumps(document), [*args, "--output", str(tmp.resolve())], cwd=folder)
    return out


def to_typst(document: Mapping[str, Any], options: Mapping[str, Any], folder: Path) -> Path:
    """Write the Typst source of the document into ``folder`` (beside its images)."""
    folder.mkdir(parents=True, exist_ok=True)
    header = folder / "_vrueval_header.typ"
    header.write_text(TYPST_HEADER, encoding="utf-8")
    source = folder / "document.typ"
    args = [
        "-f", "json", "-t", "typst", "--standalone", "--wrap=none",
        f"--include-in-header={header}", "--output", str(source),
        "-V", f"papersize={options.get('papersize', 'a4')}",
    ]  # fmt: skip
    args += _toc_args(options)
    if options.get("number-sections"):
        args += ["-V", "section-numbering=1.1."]
    for key in ("fontsize", "mainfont", "margin"):
        if key in options and not isinstance(options[key], Mapping):
            args += ["-V", f"{key}={options[key]}"]
    run_pandoc(json.dumps(document), args, cwd=folder)
    return source


def to_pdf(
    document: Mapping[str, Any], options: Mapping[str, Any], out: Path, folder: Path
) -> Path:
    """Compile the document to PDF with Typst (its creation date: ``SOURCE_DATE_EPOCH`` when set,
    as reproducible builds do, so that two renders give the same bytes; else now)."""
    import typst

    source = to_typst(document, options, folder)
    stamp = source_date_epoch()
    try:
        pdf = typst.compile(
            str(source), root=str(folder), ignore_system_fonts=True, timestamp=stamp
        )
    except Exception as err:  # typst raises its own TypstError with the diagnostics
        raise PandocError(f"typst failed on {source}:\n{err}") from err
    assert isinstance(pdf, bytes)
    atomic.write_bytes(out, pdf)
    return out


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` (https://reproducible-builds.org/specs/source-date-epoch/) as
    seconds since 1970, or None when unset; anything but a non-negative integer is an error."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {value!r}")
    return int(value)


@cache
def versions() -> dict[str, str]:
    """Versions of the tools that shape the output (part of the cache key)."""
    import typst

    proc = subprocess.run([pandoc_path(), "--version"], capture_output=True, check=False)
    first = proc.stdout.decode(errors="replace").splitlines()[:1]
    return {"pandoc": first[0] if first else "?", "typst": str(getattr(typst, "__version__", "?"))}
