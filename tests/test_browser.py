"""Open rendered pages in headless Chromium: no console errors, every image loaded, no network.

Uses Debian's chromium (/usr/bin/chromium) through Playwright's Python package; never a browser
downloaded by `playwright install`. The fixture report is always checked; pages of a built site
(`make report` -> _site/) are checked too when present.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from render_fixture import rendered

CHROMIUM = Path(os.environ.get("VRUEVAL_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SITE = Path(__file__).resolve().parents[1] / "_site"
# Set VRUEVAL_SCREENSHOTS=DIR to keep full-page screenshots for a person to look at.
SHOTS = os.environ.get("VRUEVAL_SCREENSHOTS")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"headless browser test needs Debian's chromium at {CHROMIUM}"
)


@pytest.fixture(scope="module")
def browser() -> Any:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def inspect_page(browser: Any, path: Path, screenshot: Path | None = None) -> dict[str, Any]:
    """Load ``path`` and report console errors, page errors, non-file requests and images."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "about:")):
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    images = page.evaluate(
        """() => Array.from(document.images).map(i => ({
            src: i.currentSrc.slice(0, 30), complete: i.complete,
            width: i.naturalWidth, height: i.naturalHeight}))"""
    )
    text = page.inner_text("body")
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return {"errors": errors, "outside": outside, "images": images, "text": text}


def _assert_clean(report: dict[str, Any]) -> None:
    assert report["errors"] == [], report["errors"]
    assert report["outside"] == [], f"requests left file://: {report['outside']}"
    for image in report["images"]:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image


def _shot(name: str, fallback: Path) -> Path:
    folder = Path(SHOTS) if SHOTS else fallback
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def test_fixture_page_loads_cleanly(browser, tmp_path):
    site = rendered()
    shot = _shot("fixture", tmp_path)
    report = inspect_page(browser, Path(site["html_path"]), screenshot=shot)
    _assert_clean(report)
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
    _assert_clean(inspect_page(browser, page, screenshot=_shot(name, tmp_path)))
