"""The tutorials and the replications gallery, checked from their sources (no built site needed):
each is rendered by the project, links only to pages that exist (a reference link names a public
name), and is reachable from the tutorials' start page or the gallery's index.

The built site is checked too: tests/test_site_links.py (no broken internal link; every page
linked from the site index) and tests/test_browser.py (every page loads without console errors).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vrueval.render import qmd, reference
from vrueval.render.project import _index_groups, load_project, report_files

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.qmd"))
GALLERY = sorted((ROOT / "docs" / "replications").glob("*.qmd"))
PAGES = TUTORIALS + GALLERY
# a markdown link's target: [text](target) with no scheme
LINK = re.compile(r"\]\((?![a-z]+:)([^)\s]+)\)")


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```\{python\}.*?```", "", text, flags=re.S)  # code, not links
    return LINK.findall(text)


def test_every_docs_page_is_rendered_and_grouped() -> None:
    config = load_project(ROOT)
    rendered = set(report_files(ROOT, config))
    assert TUTORIALS and GALLERY
    for page in PAGES:
        assert page.resolve() in rendered, f"{page.name} is not in _quarto.yml's render list"
    groups = _index_groups(ROOT, [p.resolve() for p in PAGES], config)
    assert set(groups) == {"Tutorials", "Replications"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_docs_links_lead_to_pages(page: Path) -> None:
    public = set(reference.public_names()) | {"index"}
    for link in _links(page):
        path, _, fragment = link.partition("#")
        if not path:
            continue
        target = (page.parent / path).resolve()
        if target.parent == (ROOT / "docs" / "reference").resolve():
            assert target.stem in public, f"{page.name}: {link} is no public name's page"
            if fragment:
                assert fragment.startswith("vrueval."), f"{page.name}: {link}"
        else:
            assert target.is_file(), f"{page.name}: {link} leads nowhere"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_docs_pages_execute_their_code_and_say_what_they_are(page: Path) -> None:
    document = qmd.read(page)
    front = document.front_matter
    assert front.get("title") and front.get("subtitle"), page.name
    assert isinstance(front.get("order"), int), f"{page.name}: no order in the index"
    if page.stem != "index":  # the gallery's index only links the pages: no kernel to start
        assert "```{python}" in page.read_text(encoding="utf-8"), f"{page.name} runs no code"


def test_tutorials_start_page_and_gallery_index_link_every_page() -> None:
    start = (ROOT / "docs" / "tutorials" / "choosing-a-design.qmd").read_text(encoding="utf-8")
    for page in TUTORIALS:
        if page.stem != "choosing-a-design":
            assert f"({page.name})" in start, f"choosing-a-design does not link {page.name}"
    assert "(../replications/index.qmd)" in start
    index = (ROOT / "docs" / "replications" / "index.qmd").read_text(encoding="utf-8")
    for page in GALLERY:
        if page.stem != "index":
            assert f"({page.name})" in index, f"the gallery index does not link {page.name}"


def test_orders_are_distinct_within_each_folder() -> None:
    for pages in (TUTORIALS, GALLERY):
        orders = [qmd.read(p).front_matter["order"] for p in pages]
        assert len(orders) == len(set(orders)), [p.name for p in pages]
