"""The render cache is keyed on what determines a page, and only a complete page counts.

A report re-executes when its document, a spec or a data file it reads, the package source or
bundled data, the lock file or the render options change; with none of these changed, nothing
is rendered; a truncated page is re-rendered; a failed render leaves no page behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vrueval.render import cache, options, qmd

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vrueval"


@pytest.fixture
def package_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the package source and bundled data for the cache to hash (edits stay here)."""
    copy = tmp_path / "pkg" / "vrueval"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", copy)
    return copy


def _key(path: Path) -> str:
    document = qmd.read(path)
    return cache.execution_key(document, options.execute_options({}, document.front_matter))


REPORTS = ["west_midlands_hes", "vru_vs_comparators", "before_the_vru", "methods_validation"]


def test_real_reports_rekey_after_a_bundled_data_file_or_an_estimator_changes(package_copy):
    paths = [ROOT / "reports" / f"{name}.qmd" for name in REPORTS]
    before = {p.name: _key(p) for p in paths}
    assert before == {p.name: _key(p) for p in paths}  # nothing changed: same keys

    parquet = package_copy / "data" / "bundled" / "hes_sharp_object.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"\0")
    after_data = {p.name: _key(p) for p in paths}
    assert all(after_data[n] != before[n] for n in before)

    estimator = package_copy / "inference" / "arma_gls.py"
    estimator.write_text(estimator.read_text() + "\n# changed\n")
    after_code = {p.name: _key(p) for p in paths}
    assert all(after_code[n] != after_data[n] for n in before)


def test_key_follows_spec_data_files_declared_inputs_lock_and_options(tmp_path, package_copy):
    (tmp_path / "analyses").mkdir()
    (tmp_path / "data.csv").write_text("unit,period,value\na,2020,1\n")
    (tmp_path / "analyses" / "demo.toml").write_text(
        '[analysis]\nname = "demo"\ndesign = "ITS"\n\n'
        '[data]\nfiles = ["../data.csv"]\nformat = "csv"\noutcome = "value"\n'
    )
    (tmp_path / "ref.json").write_text("{}")
    source = tmp_path / "report.qmd"
    source.write_text('---\ninputs: ["ref.json"]\n---\n\n```{python}\nr = run("demo")\n```\n')
    key = _key(source)
    assert key == _key(source)

    (tmp_path / "data.csv").write_text("unit,period,value\na,2020,2\n")
    key, old = _key(source), key
    assert key != old, "a spec's data file changed"

    (tmp_path / "ref.json").write_text('{"x": 1}')
    key, old = _key(source), key
    assert key != old, "a declared input changed"

    (tmp_path / cache.LOCK_FILE).write_text("numpy==2.0.0\n")
    key, old = _key(source), key
    assert key != old, "the lock file appeared"
    (tmp_path / cache.LOCK_FILE).write_text("numpy==2.0.1\n")
    key, old = _key(source), key
    assert key != old, "the lock file changed"

    document = qmd.read(source)
    defaults = options.execute_options({}, {})
    assert cache.execution_key(document, {**defaults, "fig-dpi": 300}) != cache.execution_key(
        document, defaults
    )


# -- end to end, with the real kernel and pandoc ------------------------------------------------

pytest.importorskip("nbclient")

DOC = """\
---
title: "Cached"
inputs: ["numbers.txt"]
---

```{python}
print("value", open("numbers.txt").read().strip())
```
"""


@pytest.fixture
def project(tmp_path, package_copy, monkeypatch):
    from vrueval.render import project as project_mod

    (tmp_path / "_quarto.yml").write_text("project:\n  type: default\n")
    (tmp_path / "numbers.txt").write_text("1\n")
    (tmp_path / "report.qmd").write_text(DOC)
    calls: list[str] = []
    real_execute = project_mod.execute

    def counting(document, defaults):
        calls.append(document.path.name)
        return real_execute(document, defaults)

    monkeypatch.setattr(project_mod, "execute", counting)
    return tmp_path, calls


def _render(root: Path) -> Path:
    from vrueval.render import render_project

    render_project(root, root / "_site", formats=("html",))
    return root / "_site" / "report.html"


def test_render_reexecutes_only_when_an_input_changes(project, package_copy, monkeypatch):
    monkeypatch.setenv("VRUEVAL_RENDERER", "builtin")
    root, calls = project
    page = _render(root)
    assert calls == ["report.qmd"] and "value 1" in page.read_text()

    stamp = page.stat().st_mtime_ns
    _render(root)
    assert calls == ["report.qmd"], "nothing changed: nothing executes"
    assert page.stat().st_mtime_ns == stamp, "nothing changed: nothing is rewritten"

    (root / "numbers.txt").write_text("2\n")
    _render(root)
    assert calls == ["report.qmd"] * 2 and "value 2" in page.read_text()

    source = package_copy / "designs" / "its" / "models.py"
    source.write_text(source.read_text() + "\n# an estimator changed\n")
    _render(root)
    assert len(calls) == 3


def test_truncated_page_is_rendered_again(project, monkeypatch):
    monkeypatch.setenv("VRUEVAL_RENDERER", "builtin")
    root, calls = project
    page = _render(root)
    whole = page.read_bytes()
    page.write_bytes(whole[: len(whole) // 2])
    _render(root)
    assert page.read_bytes() == whole
    assert calls == ["report.qmd"], "the execution was cached; only the page was rebuilt"


def test_failed_render_leaves_no_page_that_looks_valid(project, monkeypatch):
    from vrueval.render.project import RenderError

    monkeypatch.setenv("VRUEVAL_RENDERER", "builtin")
    root, _calls = project
    page = _render(root)
    assert page.exists()
    (root / "report.qmd").write_text(DOC.replace("print(", "raise RuntimeError(1); print("))
    with pytest.raises(RenderError, match=r"1 report\(s\) failed:\nreport.qmd: .*RuntimeError"):
        _render(root)
    assert not page.exists()
    index = (root / "_site" / "index.html").read_text()
    assert 'href="report.html"' not in index
