"""End-to-end: render a .qmd fixture (real kernel, pandoc, Typst) and check what a reader gets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from render_fixture import rendered

pytest.importorskip("nbclient")
pytest.importorskip("typst")


@pytest.fixture(scope="module")
def site() -> dict:
    return rendered()


def _body(html: str) -> str:
    return html.split("<body>", 1)[1]


def test_title_block_and_project_options(site):
    html = site["html"]
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="en-GB"' in html  # _quarto.yml lang
    assert '<h1 class="title">Fixture report</h1>' in html
    assert '<p class="author">A. Analyst</p>' in html and "2024-05-01" in html
    assert 'id="TOC"' in html  # toc from the project's html format block
    assert '<span class="header-section-number">2</span> Method' in html  # number-sections


def test_inline_expressions(site):
    assert "The answer is 42, the place is West Midlands and the ratio is 0.88." in " ".join(
        site["html"].split()
    )


def test_figures_numbered_captioned_and_embedded(site):
    body = _body(site["html"])
    figures = re.findall(r'<figure id="(fig-[a-z]+)"[^>]*>\s*<img ([^>]*)>', body)
    assert [f[0] for f in figures] == ["fig-trend", "fig-second"]
    for _ident, img in figures:
        assert 'src="data:image/png;base64,' in img
    assert 'alt="Line chart rising from 0 to 27"' in figures[0][1]  # fig-alt
    assert "<figcaption>Figure 1: A <em>rising</em> trend</figcaption>" in body
    assert "<figcaption>Figure 2: A second figure</figcaption>" in body


def test_cross_references_link_to_their_targets(site):
    body = " ".join(_body(site["html"]).split())
    assert '<a href="#fig-trend" class="quarto-xref">Figure 1</a>' in body
    assert '<a href="#tbl-effects" class="quarto-xref">Table 1</a>' in body
    assert '<a href="#sec-method" class="quarto-xref">Section 2</a>' in body
    assert '<a href="#fig-second" class="quarto-xref">Figure 2</a>' in body
    assert '<a href="#fig-trend" class="quarto-xref">1</a> without its prefix' in body
    assert "?@" not in body


def test_dataframe_becomes_captioned_table(site):
    body = _body(site["html"])
    table = re.search(r'<table id="tbl-effects"[^>]*>(.*?)</table>', body, re.DOTALL)
    assert table is not None
    assert "<caption>Table 1: Effects table</caption>" in table.group(1)
    assert "level_change" in table.group(1) and "0.912" in table.group(1)
    assert "<style" not in body  # pandas' scoped style is dropped


def test_callouts(site):
    body = _body(site["html"])
    assert 'class="callout callout-note"' in body and "<strong>Read this first</strong>" in body
    assert 'class="callout callout-warning"' in body and "<strong>Mind the gap</strong>" in body
    assert 'class="callout callout-tip"' in body and "<strong>Tip</strong>" in body


def test_cell_options_echo_output_include_warning(site):
    body = _body(site["html"])
    assert "answer = 6 * 7" not in body  # execute: echo false (project) hides code
    assert "hidden entirely" not in body  # include: false
    assert "echoed code and its output" in body and 'class="sourceCode python cell-code"' in body
    assert "output suppressed" not in body  # output: false
    assert "<strong>markdown from code</strong>" in body  # output: asis
    assert "a visible warning" in body and "a silenced warning" not in body


def test_html_is_self_contained(site):
    html = site["html"]
    assert not re.search(r'(?:src|href)\s*=\s*"(?:https?:)?//', html)
    assert "<script" not in html  # no MathJax, no code folding JS
    assert "<link" not in html.split("</head>")[0].replace('<link rel="', "")  # no stylesheets


def test_pdf_written_by_typst(site):
    pdf = Path(site["pdf_path"]).read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))
    assert pages >= 2  # title, toc-less body, two figures


def test_cached_render_skips_execution_and_conversion(site, monkeypatch):
    """Checked by what runs, not by the clock (a loaded machine makes timings meaningless)."""
    from vrueval.render import pandoc, project, render_document

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cached render executed or converted the document")

    monkeypatch.setattr(project, "execute", must_not_run)
    monkeypatch.setattr(pandoc, "to_html", must_not_run)
    monkeypatch.setattr(pandoc, "to_pdf", must_not_run)
    paths = render_document(site["source"], site["out"], ("html", "pdf"), log=False)
    assert paths == [site["html_path"], site["pdf_path"]]


def test_fresh_output_dir_reuses_cached_execution(site, tmp_path, monkeypatch):
    """Same inputs, fresh output dir, cache copied: no kernel starts (execution is cached)."""
    import shutil

    from vrueval.render import cache, project

    out = tmp_path / "out"
    shutil.copytree(cache.cache_folder(Path(site["out"])), cache.cache_folder(out))

    def refuse(*_args, **_kwargs):
        raise AssertionError("re-executed although nothing changed")

    monkeypatch.setattr(project, "execute", refuse)
    written = project.render_document(site["source"], out, ("html",), log=False, force=False)
    assert written == [out / "fixture.html"]


def test_render_project_writes_reports_and_index(site, tmp_path, monkeypatch):
    from vrueval.render import render_project

    monkeypatch.setenv("VRUEVAL_RENDERER", "builtin")
    root = Path(site["root"])
    out = tmp_path / "_site"
    written = render_project(root, out, formats=("html",))
    assert written == [out / "reports" / "fixture.html", out / "index.html"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="reports/fixture.html">Fixture report</a>' in index
    assert "Fixture site" in index
    with pytest.raises(ValueError, match="allowed"):
        render_project(root, out, formats=("docx",))


def test_execution_error_names_file_and_line(tmp_path):
    from vrueval.render import render_document
    from vrueval.render.execute import ExecutionError

    source = tmp_path / "broken.qmd"
    source.write_text("# x\n\n```{python}\n1 / 0\n```\n", encoding="utf-8")
    with pytest.raises(ExecutionError, match=r"broken.qmd:3: chunk failed: ZeroDivisionError"):
        render_document(source, tmp_path / "out", ("html",), log=False)


def test_quarto_on_path_is_used(site, tmp_path, monkeypatch):
    """With `quarto` on PATH, rendering delegates to it (a stand-in records the calls)."""
    from vrueval.render import render_project

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.txt"
    fake = bin_dir / "quarto"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {log}\n'
        'out=""; prev=""; to=""\n'
        'for a in "$@"; do [ "$prev" = "--output-dir" ] && out="$a";'
        ' [ "$prev" = "--to" ] && to="$a"; prev="$a"; done\n'
        'ext=html; [ "$to" = typst ] && ext=pdf\n'
        'mkdir -p "$out/reports" && echo "<html></html>" > "$out/reports/fixture.$ext"\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.delenv("VRUEVAL_RENDERER", raising=False)
    out = tmp_path / "_site"
    written = render_project(Path(site["root"]), out)
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls == [
        f"render reports/fixture.qmd --to html --output-dir {out}",
        f"render reports/fixture.qmd --to typst --output-dir {out}",
    ]
    assert written[:2] == [out / "reports" / "fixture.html", out / "reports" / "fixture.pdf"]
    assert written[-1] == out / "index.html"
