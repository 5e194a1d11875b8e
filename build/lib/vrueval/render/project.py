"""Render a Quarto project (``_quarto.yml``) or one document, with the built-in renderer.

Each report becomes ``<out>/<path relative to the project>.html`` (self-contained) and ``.pdf``
(Typst), and ``<out>/index.html`` links them all. Execution is cached (see ``cache``); conversion
is skipped too when nothing that shapes the output changed.

Independent documents render side by side on local processes (:func:`vrueval.compute.pmap`)
when the current settings give more than one job (``vrueval render --jobs N``); see
:func:`render_all`. The pages are the same bytes whatever the number of jobs.
"""

from __future__ import annotations

import glob
import hashlib
import html
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from vrueval.render import cache as cache_mod
from vrueval.render import compose, options, pandoc, qmd, reference, transform
from vrueval.render import downloads as downloads_mod
from vrueval.render import header as header_mod
from vrueval.render import params as params_mod
from vrueval.render.execute import execute

if TYPE_CHECKING:
    from vrueval.compute import Compute

FORMATS = ("html", "pdf")
PROJECT_FILE = "_quarto.yml"


class RenderError(RuntimeError):
    """A project or document that cannot be rendered."""


class _Stale(Exception):
    """``render_document(..., check=True)`` on a document that needs rendering."""


def load_project(root: Path) -> dict[str, Any]:
    """The project's ``_quarto.yml`` (``{}`` when there is none)."""
    path = Path(root) / PROJECT_FILE
    if not path.exists():
        return {}
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise RenderError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(config, dict):
        raise RenderError(f"{path}: must be a YAML mapping")
    return config


def find_project_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).exists():
            return folder
    return None


def report_files(root: Path, config: Mapping[str, Any]) -> list[Path]:
    """The documents the project renders: ``project.render`` globs, else every ``*.qmd``."""
    project = config.get("project") or {}
    patterns = project.get("render") or ["**/*.qmd"]
    found: list[Path] = []
    for pattern in patterns:
        negate = str(pattern).startswith("!")
        matches = {
            Path(p).resolve()
            for p in glob.glob(str(root / str(pattern).lstrip("!")), recursive=True)
        }
        if negate:
            found = [p for p in found if p not in matches]
            continue
        for path in sorted(matches):
            rel = path.relative_to(root.resolve())
            hidden = any(part.startswith(("_", ".")) for part in rel.parts)
            if path.suffix == ".qmd" and not hidden and path not in found:
                found.append(path)
    return found


def document_formats(front_matter: Mapping[str, Any], formats: Sequence[str]) -> tuple[str, ...]:
    """The requested formats a document renders to: all of them, unless its front matter names
    its own (``format: html``, or a mapping whose keys are formats; ``typst`` is our PDF)."""
    declared = front_matter.get("format")
    if declared is None:
        return tuple(formats)
    names = [declared] if isinstance(declared, str) else list(declared)
    wanted = {"pdf" if str(n).startswith(("typst", "pdf")) else str(n) for n in names}
    return tuple(f for f in formats if f in wanted)


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {unknown}; allowed: {list(FORMATS)}")
    return tuple(dict.fromkeys(formats))


def _output_key(exec_key: str, fmt: str, fmt_options: Mapping[str, Any]) -> str:
    parts = {
        "exec": exec_key,
        "format": fmt,
        "options": fmt_options,
        "renderer": cache_mod.renderer_digest(),
        "tools": pandoc.versions(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def render_document(
    path: Path,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    force: bool = False,
    project: Mapping[str, Any] | None = None,
    cache_dir: Path | None = None,
    log: bool = True,
    params: Mapping[str, Any] | None = None,
    check: bool = False,
) -> list[Path]:
    """Render one ``.qmd`` into ``out_dir`` with the built-in renderer; return the files written.

    ``params`` override the document's ``parameters`` chunk (see :mod:`vrueval.render.params`);
    the page is then ``<stem>-<value>``. ``check=True`` only looks: it returns the files when
    they are current and raises (a private exception) when the document would render.
    """
    path = Path(path).resolve()
    document = params_mod.apply(qmd.read(path), params or {})
    stem = params_mod.output_stem(path.stem, params or {})
    formats = document_formats(document.front_matter, _check_formats(formats))
    if not formats:
        return []
    if project is None:
        root = find_project_root(path.parent)
        project = load_project(root) if root else {}
    project_options = {k: v for k, v in project.items() if k != "project"}
    defaults = options.execute_options(project_options, document.front_matter)
    cache_dir = cache_dir or out_dir
    store = cache_mod.Cache(cache_dir)
    name = _relative(out_dir / stem, cache_dir).as_posix()

    exec_key = cache_mod.execution_key(document, defaults)
    planned = {fmt: out_dir / f"{stem}.{fmt}" for fmt in formats}
    per_format = {
        fmt: options.resolve(project_options, document.front_matter, fmt) for fmt in formats
    }
    keys = {fmt: _output_key(exec_key, fmt, per_format[fmt]) for fmt in formats}
    page_files = downloads_mod.Downloads(f"{stem}{downloads_mod.FOLDER_SUFFIX}")
    recorded = {
        fmt: [
            out_dir / page_files.folder / n
            for n in store.recorded_files(f"{name}.{fmt}")
            if n != planned[fmt].name
        ]
        for fmt in formats
    }
    if not force and all(
        store.outputs_current(f"{name}.{fmt}", keys[fmt], [planned[fmt], *recorded[fmt]])
        for fmt in formats
    ):
        _log(log, f"{path.name}: up to date")
        return list(planned.values())
    if check:
        raise _Stale(path)

    started = time.perf_counter()
    written: list[Path] = []
    try:
        executed = None if force else store.load_execution(name, exec_key)
        if executed is None:
            executed = execute(document, defaults)
            store.store_execution(name, exec_key, executed)
            _log(log, f"{path.name}: executed in {time.perf_counter() - started:.1f}s")
        else:
            _log(log, f"{path.name}: execution cached")
        with tempfile.TemporaryDirectory(prefix="vrueval-render-") as tmp:
            folder = Path(tmp)
            built: dict[str, dict[str, Any]] = {}
            header = _header(executed, path, page_files)
            for fmt in formats:
                fmt_options = per_format[fmt]
                meta = compose.document_metadata(options.metadata(fmt_options), path)
                memo = json.dumps(meta, sort_keys=True, default=str)
                if memo not in built:
                    built[memo] = compose.build(
                        document, executed, defaults, meta, folder, header, page_files
                    )
                neutral = built[memo]
                extra: list[Path] = []
                if fmt == "html":
                    finished = transform.finish(neutral, "html")
                    written.append(pandoc.to_html(finished, fmt_options, planned[fmt], folder))
                    for stale in set(recorded[fmt]) - {
                        out_dir / page_files.folder / n for n in page_files.files
                    }:
                        stale.unlink(missing_ok=True)
                    extra = page_files.write(out_dir)
                else:
                    finished = transform.finish(neutral, "typst")
                    written.append(pandoc.to_pdf(finished, fmt_options, planned[fmt], folder))
                store.store_outputs(f"{name}.{fmt}", keys[fmt], [planned[fmt], *extra])
    except BaseException:
        # The inputs changed (or --force): an old page left in place would look current.
        for fmt in formats:
            if planned[fmt] not in written:
                store.forget_outputs(f"{name}.{fmt}", [planned[fmt]])
        raise
    _log(log, f"{path.name}: rendered {', '.join(formats)} in {time.perf_counter() - started:.1f}s")
    return written


def _header(executed: Any, path: Path, page_files: downloads_mod.Downloads) -> list[dict[str, Any]]:
    """The page header (date, version, commit, data vintage), with each analysis's effects
    added to the page's downloads as XLSX."""
    meta = getattr(executed, "meta", None) or {}
    if not executed.outputs and not executed.inline:
        return []  # nothing ran (an API reference page): nothing to date or source
    links = [
        (analysis, page_files.add(f"{analysis}-effects", "xlsx", downloads_mod.effects_xlsx(rows)))
        for analysis, rows in (meta.get("effects") or {}).items()
    ]
    return header_mod.header_blocks(header_mod.make_header(meta, path.parent), links)


def render_file(
    path: Path, out_dir: Path, formats: Sequence[str] = FORMATS, force: bool = False
) -> list[Path]:
    """Render one document into ``out_dir`` (Quarto when on PATH, else built in)."""
    from vrueval.render import quarto

    path, out_dir = Path(path).resolve(), Path(out_dir).resolve()
    if quarto.available():
        return quarto.render_file(path, out_dir, _check_formats(formats))
    return render_document(path, out_dir, formats, force)


def _resolve_reports(root: Path, reports: Sequence[str | Path]) -> list[Path]:
    paths = []
    for report in reports:
        candidate = Path(report)
        if not candidate.is_absolute() and not candidate.exists():
            candidate = root / candidate
        if not candidate.exists():
            raise FileNotFoundError(f"report {report!r} not found (looked in . and {root})")
        paths.append(candidate.resolve())
    return paths


def render_project(
    root: Path,
    out: Path | None = None,
    formats: Sequence[str] = FORMATS,
    force: bool = False,
    reports: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Render the project's reports into ``out`` (default: ``project.output-dir``, else _site).

    ``params`` (``--param``) apply to the named ``reports``; without them, a document with
    ``render-each`` in its front matter renders once per value (:mod:`vrueval.render.params`).
    A project whose root holds ``index.qmd`` gets that document as its index page (rendered
    when listed, never overwritten by the generated one).

    Uses ``quarto render`` when the Quarto CLI is on PATH; otherwise the built-in renderer. Writes
    ``<out>/index.html`` linking every report. Returns the files written, index last.
    """
    from vrueval.render import quarto

    formats = _check_formats(formats)
    root = Path(root).resolve()
    config = load_project(root)
    project = config.get("project") or {}
    if out is None:
        out = root / str(project.get("output-dir", "_site"))
    out = Path(out).resolve()
    if config.get("quartodoc") and not reports:
        # The API reference pages are written from the docstrings before the project's
        # documents are listed, so a new public name is rendered the same run.
        reference.build(root, config["quartodoc"])
    files = _resolve_reports(root, reports) if reports else report_files(root, config)
    if not files:
        raise RenderError(f"no .qmd reports to render under {root}")
    if params and not reports:
        raise RenderError("--param applies to the reports named on the command line; name one")
    written: list[Path] = []
    if quarto.available() and not params:
        for path in files:
            own = document_formats(qmd.read(path).front_matter, formats)
            written += quarto.render_project(root, out, [path], own) if own else []
    else:
        failed: list[str] = []
        jobs = [
            (path, variant)
            for path in files
            for variant in (
                [dict(params)] if params else params_mod.each(qmd.read(path).front_matter)
            )
        ]
        calls = [
            {
                "path": path,
                "out_dir": out / _relative(path, root).parent,
                "formats": formats,
                "force": force,
                "project": config,
                "cache_dir": out,
                "params": variant,
            }
            for path, variant in jobs
        ]
        # the other reports still render when one fails; the index drops that one
        for (path, variant), (done, error) in zip(jobs, render_all(calls), strict=True):
            written += done
            if error is not None:
                failed.append(
                    f"{_relative(path, root)} {variant or ''}: {error}".replace(" : ", ": ")
                )
        if failed:
            if not (root / "index.qmd").is_file():
                write_index(root, out, files, config)
            raise RenderError(f"{len(failed)} report(s) failed:\n" + "\n".join(failed))
    if not (root / "index.qmd").is_file():  # else that document is the index
        written.append(write_index(root, out, files, config))
    return written


Outcome = tuple[list[Path], str | None]  # files written, or the error that stopped them


def render_all(calls: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    """``render_document(**call)`` for each call, side by side where the settings allow.

    The current settings (:func:`vrueval.compute.current`; ``vrueval render --jobs N`` puts
    them in the environment) give N jobs. Documents whose pages are current are found here
    first, in this process (no worker starts for a cached re-render); the others render on
    ``workers = min(N, stale documents)`` local processes, one document a task, and each
    document's kernel gets ``N // workers`` jobs for its own parallel work, so documents x
    inner jobs never exceed N (on a cluster ``address``, the inner work keeps N: it runs
    there, not on these cores). Documents render on this machine whatever the backend, since
    their pages are written here; only the work inside them goes to Dask or Ray.

    Returns each call's outcome in call order: the files written and ``None``, or no files and
    the error's text (a failing document does not stop the others).
    """
    from vrueval.compute import current, pmap

    settings = current()
    outcomes: dict[int, Outcome] = {}
    stale: list[int] = []
    for i, call in enumerate(calls):
        if not call.get("force"):
            try:
                outcomes[i] = (render_document(**call, check=True), None)
                continue
            except Exception:  # stale, or an error the render itself will report
                pass
        stale.append(i)
    workers = 1 if settings.backend == "sequential" else min(settings.jobs, len(stale))
    if workers <= 1:
        for i in stale:
            outcomes[i] = _render_one(calls[i])
    else:
        # on a cluster the inner work runs there: it keeps all N jobs
        inner = settings if settings.address else settings.override(jobs=settings.jobs // workers)
        environment = _environment(inner)
        tasks = [(calls[i], environment) for i in stale]
        done = pmap(
            _render_task, tasks, jobs=workers, backend="loky", chunk=1, probe=False,
            label=lambda task: Path(task[0]["path"]).name, desc="documents",
        )  # fmt: skip
        outcomes.update(zip(stale, done, strict=True))
    return [outcomes[i] for i in range(len(calls))]


def _render_task(task: tuple[Mapping[str, Any], dict[str, str]]) -> Outcome:
    """One document in a worker, in the environment this process had (a reused worker was
    started earlier, perhaps with other variables: SOURCE_DATE_EPOCH, MPLBACKEND, BLAS
    threads), so its kernel sees what a serial render's kernel would."""
    call, environment = task
    os.environ.clear()
    os.environ.update(environment)
    return _render_one(call)


def _render_one(call: Mapping[str, Any]) -> Outcome:
    """One document, its error caught as text."""
    try:
        return render_document(**call), None
    except Exception as err:
        return [], str(err)


def _environment(inner: Compute) -> dict[str, str]:
    """This process's environment with the compute settings a document's kernel reads
    (:data:`vrueval.compute.settings.ENVIRONMENT`) set to ``inner``."""
    from vrueval.compute.settings import ENVIRONMENT

    environment = dict(os.environ)
    for key, value in inner.to_dict().items():
        environment.pop(ENVIRONMENT[key], None)
        if value is not None:
            environment[ENVIRONMENT[key]] = str(value)
    return environment


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return Path(path.name)


# Headings of the index's groups, by the folder a document is in (others: the folder's name).
INDEX_GROUPS = {
    "reports": "Reports",
    "docs/tutorials": "Tutorials",
    "docs/replications": "Replications",
    "docs": "Documentation",
}


def _index_groups(
    root: Path, files: Sequence[Path], config: Mapping[str, Any]
) -> dict[str, list[Path]]:
    """Documents grouped by folder, in order; of the API reference only its index page."""
    reference_dir = (config.get("quartodoc") or {}).get("dir")
    groups: dict[str, list[Path]] = {}
    for path in files:
        folder = _relative(path, root).parent.as_posix()
        if reference_dir and folder == str(reference_dir).strip("/"):
            if path.stem != "index":
                continue
            heading = str((config.get("quartodoc") or {}).get("title") or "API reference")
        else:
            heading = INDEX_GROUPS.get(folder, folder if folder != "." else "Reports")
        groups.setdefault(heading, []).append(path)
    return groups


def write_index(root: Path, out: Path, files: Sequence[Path], config: Mapping[str, Any]) -> Path:
    """``<out>/index.html``: the site title and a link to each report's HTML and PDF, grouped
    by folder (reports, tutorials, the API reference) when there is more than one."""
    groups = _index_groups(root, files, config)
    sections = []
    for heading, paths in groups.items():
        rows = _index_rows(root, out, paths)
        title = f"<h2>{html.escape(heading)}</h2>\n" if len(groups) > 1 else ""
        sections.append(f'{title}<ul class="report-list">\n{chr(10).join(rows)}\n</ul>\n')
    site = (
        (config.get("project") or {}).get("title")
        or (config.get("website") or {}).get("title")
        or "Reports"
    )
    body = "".join(sections)
    return _write_index_page(out, str(site), body)


def _index_rows(root: Path, out: Path, paths: Sequence[Path]) -> list[str]:
    """One list item a document, in the order of their front matter's ``order:`` (as Quarto
    listings sort), then by path."""
    fronts = {path: qmd.read(path).front_matter for path in paths}

    def order(path: Path) -> tuple[float, str]:
        value = fronts[path].get("order")
        return (float(value) if isinstance(value, int | float) else float("inf"), str(path))

    rows = []
    for path in sorted(paths, key=order):
        front = fronts[path]
        rel = _relative(path, root).with_suffix("")
        title = str(front.get("title") or front.get("pagetitle") or path.stem)
        links = [
            f'<a href="{html.escape(str(rel.with_suffix(s)))}">{label}</a>'
            for s, label in ((".html", "HTML"), (".pdf", "PDF"))
            if (out / rel.with_suffix(s)).exists()
        ]
        main = links[0].split(">", 1)[0] + f">{html.escape(title)}</a>" if links else title
        about = front.get("subtitle") or front.get("description") or ""
        rows.append(
            f"<li>{main}<br><small>{html.escape(str(about))}"
            f"{' · ' if about and links else ''}{' · '.join(links)}</small></li>"
        )
    return rows


def _write_index_page(out: Path, site: str, body: str) -> Path:
    document = {
        "pandoc-api-version": [1, 23, 1, 1],
        "meta": {"title": {"t": "MetaInlines", "c": [{"t": "Str", "c": str(site)}]}},
        "blocks": [{"t": "RawBlock", "c": ["html", body]}],
    }
    target = out / "index.html"
    store = cache_mod.Cache(out)
    key = _output_key(cache_mod.sha256_bytes(json.dumps(document).encode()), "html", {})
    if store.outputs_current("index", key, [target]):
        return target
    with tempfile.TemporaryDirectory(prefix="vrueval-index-") as tmp:
        pandoc.to_html(document, {}, target, Path(tmp))
    store.store_outputs("index", key, [target])
    return target


def _log(enabled: bool, message: str) -> None:
    if enabled:
        print(f"vrueval render: {message}", file=sys.stderr)
