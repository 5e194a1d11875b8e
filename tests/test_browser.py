"""Open rendered pages in headless Chromium: no console errors, every image loaded, no network.

Uses Debian's chromium (/usr/bin/chromium) through Playwright's Python package; never a browser
downloaded by `playwright install`. The fixture report is always checked; pages of a built site
(`make report` -> _site/) are checked too when present.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_tools import SITE, assert_clean, inspect_page, needs_chromium, shot_path
from render_fixture import rendered

pytestmark = needs_chromium


def test_fixture_page_loads_cleanly(browser, tmp_path):
    site = rendered()
    shot = shot_path("fixture", tmp_path)
    report = inspect_page(browser, Path(site["html_path"]), screenshot=shot)
    assert_clean(report)
    assert len(report["images"]) == 2
    assert all(i["src"].startswith("data:image/png") for i in report["images"])
    assert "The answer is 42" in report["text"]
    assert "Figure 1: A rising trend" in report["text"]
    assert shot.stat().st_size > 10_000


SITE_PAGES = sorted(SITE.glob("**/*.html")) if SITE.is_dir() else []


@pytest.mark.skipif(not SITE_PAGES, reason="no built site: run `make report` first")
@pytest.mark.parametrize("page", SITE_PAGES, ids=lambda p: str(p.relative_to(SITE)))
def test_built_site_pages_load_cleanly(browser, page, tmp_path):
    name = str(page.relative_to(SITE).with_suffix("")).replace("/", "_")
    assert_clean(inspect_page(browser, page, screenshot=shot_path(name, tmp_path)))
