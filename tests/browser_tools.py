"""Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by Playwright.

Never a browser downloaded by `playwright install`. Pages may load only file:, data: and about:
URLs; anything else is blocked and reported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

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

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"headless browser test needs Debian's chromium at {CHROMIUM}"
)


def launch_browser() -> Any:
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


def assert_clean(report: dict[str, Any]) -> None:
    assert report["errors"] == [], report["errors"]
    assert report["outside"] == [], f"requests left file://: {report['outside']}"
    for image in report["images"]:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image


def shot_path(name: str, fallback: Path) -> Path:
    folder = Path(SHOTS) if SHOTS else fallback
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def download_links(browser: Any, path: Path) -> list[dict[str, str]]:
    """The page's download links as the browser resolves them: text, href and absolute URL."""
    page = browser.new_page()
    page.goto(path.resolve().as_uri(), wait_until="load")
    links = page.evaluate(
        """() => Array.from(document.querySelectorAll('a[download]')).map(a => ({
            text: a.textContent, href: a.getAttribute('href'), url: a.href}))"""
    )
    page.close()
    return list(links)
