"""What the renderer adds to every report page: the header (date, version, commit, data
vintage), CSV downloads under tables and each analysis's effects as XLSX, a cache kept out of
the published folder, and a failed chunk failing the render by name."""

from __future__ import annotations

import datetime as dt
import io
import re
import types
from pathlib import Path

import pandas as pd
import pytest
from browser_tools import download_links, needs_chromium

from vrueval import __version__
from vrueval.analysis.runner import git_commit
from vrueval.render import cache
from vrueval.render.execute import ExecutionError

pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]

PAGE = f"""---
title: "Downloads"
---

```{{python}}
#| label: setup
#| include: false
from pathlib import Path
import pandas as pd
from vrueval import reporting as rp
ld = rp.run("ld_homicide", root=Path({str(ROOT)!r}))
```

```{{python}}
#| label: tbl-effects
#| tbl-cap: "Effects, rounded for display."
rp.show(rp.effects_table(ld.result))
```

```{{python}}
#| label: tbl-small
#| tbl-cap: "A table shown as it is downloaded."
rp.show(pd.DataFrame({{"Area": ["A", "B"], "Count": [1, 2]}}))
```
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from vrueval.render import render_document

    folder = tmp_path_factory.mktemp("page")
    source = folder / "downloads.qmd"
    source.write_text(PAGE, encoding="utf-8")
    site = folder / "_site"
    paths = render_document(source, site, ("html",), log=False)
    html = paths[0].read_text(encoding="utf-8")
    return {"source": source, "site": site, "html": html, "folder": folder}


def _expected_effects() -> pd.DataFrame:
    from vrueval import reporting as rp

    return pd.DataFrame(rp.run("ld_homicide", ROOT).document["effects"])


def test_header_states_date_version_commit_and_vintage(page):
    body = " ".join(re.sub(r"<[^>]+>", " ", page["html"].split("<body>", 1)[1]).split())
    assert f"Rendered: {dt.datetime.now(dt.UTC).date().isoformat()}" in body
    assert f"vrueval: {__version__}" in body
    assert f"Commit: {git_commit(page['folder'])}" in body
    # the editions the analysis's data came from, as its provenance records them
    for edition in ("YE Mar 2003 to YE Dec 2018", "YE Jun 2025"):
        assert edition in body, edition
    assert body.index("Rendered:") < body.index("Effects, rounded for display")


def test_tables_download_as_csv_with_the_unrounded_numbers(page):
    html, site = page["html"], page["site"]
    hrefs = re.findall(r'<a href="([^"]+\.csv)" download>', html)
    assert hrefs == ["downloads_files/tbl-effects.csv", "downloads_files/tbl-small.csv"]
    effects = pd.read_csv(site / hrefs[0])
    expected = _expected_effects()
    assert list(effects["term"]) == list(expected["term"])
    for column in ("estimate", "std_error", "conf_low", "conf_high", "p_value"):
        assert effects[column].tolist() == expected[column].tolist(), column  # exact
    small = pd.read_csv(site / hrefs[1])
    assert small.to_dict("list") == {"Area": ["A", "B"], "Count": [1, 2]}


def test_each_analysis_effects_download_as_xlsx(page):
    html, site = page["html"], page["site"]
    hrefs = re.findall(r'<a href="([^"]+\.xlsx)" download>', html)
    assert hrefs == ["downloads_files/ld_homicide-effects.xlsx"]
    data = (site / hrefs[0]).read_bytes()
    table = pd.read_excel(io.BytesIO(data), engine="openpyxl")
    expected = _expected_effects()
    # openpyxl writes 16 significant digits (Excel keeps 15): equal to the last digit or so
    for column in ("estimate", "conf_low", "conf_high", "p_value"):
        assert table[column].tolist() == pytest.approx(expected[column].tolist(), rel=1e-15)
    assert list(table["term"]) == list(expected["term"])


def test_workbook_bytes_do_not_depend_on_the_clock(monkeypatch):
    """openpyxl stamps the save time into docProps/core.xml; two saves a year apart must agree."""
    import openpyxl.writer.excel as excel_writer

    from vrueval.render.downloads import effects_xlsx

    records = _expected_effects().to_dict("records")

    class Clock(dt.datetime):
        offset = dt.timedelta(0)

        @classmethod
        def now(cls, tz=None):
            return dt.datetime.now(tz) + cls.offset

    clock = types.SimpleNamespace(datetime=Clock, timezone=dt.timezone)
    monkeypatch.setattr(excel_writer, "datetime", clock)
    first = effects_xlsx(records)
    Clock.offset = dt.timedelta(days=365, seconds=1)
    assert effects_xlsx(records) == first, "the same numbers must give the same bytes"


def test_cache_is_not_published(page):
    site = page["site"]
    assert not [p for p in site.rglob(".*")], "hidden files in the published folder"
    assert sorted(p.name for p in site.iterdir()) == ["downloads.html", "downloads_files"]
    assert cache.cache_folder(site).is_dir()
    assert site not in cache.cache_folder(site).parents


def test_cached_render_keeps_and_checks_the_downloads(page):
    from vrueval.render import render_document

    csv = page["site"] / "downloads_files" / "tbl-small.csv"
    csv.write_text("tampered\n", encoding="utf-8")
    render_document(page["source"], page["site"], ("html",), log=False)
    assert csv.read_text(encoding="utf-8").startswith("Area,Count")


def test_failed_chunk_fails_the_render_by_name(tmp_path):
    from vrueval.render import render_document

    source = tmp_path / "broken.qmd"
    source.write_text(
        "# x\n\n```{python}\n#| label: tbl-broken\nrows = {}\nrows['missing']\n```\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    with pytest.raises(ExecutionError, match=r"chunk 'tbl-broken' failed: KeyError: 'missing'"):
        render_document(source, out, ("html",), log=False)
    assert not (out / "broken.html").exists()


def test_error_output_never_reaches_the_page():
    from vrueval.render import compose
    from vrueval.render.qmd import Chunk

    chunk = Chunk(lang="python", code="1/0", options={"label": "fig-x"}, line=3)
    error = [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero"}]
    with pytest.raises(ExecutionError, match="chunk 'fig-x' failed: ZeroDivisionError"):
        compose.cell_blocks(0, chunk, error, {"label": "fig-x"}, {}, [], Path("."))


@needs_chromium
def test_download_links_resolve_in_the_browser(page, browser):
    from urllib.parse import unquote, urlparse

    site = page["site"]
    links = download_links(browser, site / "downloads.html")
    files = {Path(unquote(urlparse(link["url"]).path)) for link in links}
    assert {f.name for f in files} == {
        "tbl-effects.csv",
        "tbl-small.csv",
        "ld_homicide-effects.xlsx",
    }
    for path in files:
        assert path.is_file() and path.parent == site / "downloads_files", path
    effects = pd.read_csv(site / "downloads_files" / "tbl-effects.csv")
    assert effects["estimate"].tolist() == _expected_effects()["estimate"].tolist()
