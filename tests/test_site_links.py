"""No broken internal link in the built site (`make report` -> _site/): reports, tutorials and
the API reference, with their cross-references."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_tools import SITE
from site_links import broken_links


def test_link_checker_finds_missing_pages_and_anchors(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="docs/a.html#here">ok</a> <a href="docs/a.html#gone">bad id</a>'
        '<a href="docs/missing.html">bad page</a> <a href="https://example.org/x">external</a>'
        '<img src="data:image/png;base64,AAAA"> <a href="#top">self</a><h1 id="top">t</h1>'
        '<a href="../outside.html">outside</a>'
    )
    (tmp_path / "docs" / "a.html").write_text('<h2 id="here">x</h2><a href="../index.html">up</a>')
    assert broken_links(tmp_path) == [
        "index.html: docs/a.html#gone (no id 'gone' in a.html)",
        "index.html: docs/missing.html (no such file)",
        "index.html: ../outside.html (outside the site)",
    ]


@pytest.mark.skipif(not SITE.is_dir(), reason="no built site: run `make report` first")
def test_built_site_has_no_broken_internal_link():
    assert broken_links(SITE) == []


@pytest.mark.skipif(not SITE.is_dir(), reason="no built site: run `make report` first")
def test_built_site_links_the_docs_from_the_index():
    index = (SITE / "index.html").read_text(encoding="utf-8")
    assert 'href="docs/reference/index.html"' in index
    tutorials = sorted((Path(__file__).resolve().parents[1] / "docs" / "tutorials").glob("*.qmd"))
    assert tutorials
    for qmd in tutorials:
        assert f'href="docs/tutorials/{qmd.stem}.html"' in index, qmd.name
        assert (SITE / "docs" / "tutorials" / f"{qmd.stem}.html").is_file()
    gallery = sorted((Path(__file__).resolve().parents[1] / "docs" / "replications").glob("*.qmd"))
    assert gallery
    for qmd in gallery:
        assert f'href="docs/replications/{qmd.stem}.html"' in index, qmd.name
        assert (SITE / "docs" / "replications" / f"{qmd.stem}.html").is_file()
    assert re.search(r"<h[23]>Replications</h[23]>", index)
    reference = SITE / "docs" / "reference"
    assert len(list(reference.glob("*.html"))) > 50
