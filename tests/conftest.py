"""Shared fixtures: where the real data lives (the repository's own data/ folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW_DATA = ROOT / "data"


@pytest.fixture(scope="session")
def raw_data() -> Path:
    if not RAW_DATA.is_dir():
        pytest.fail(f"the real data folder {RAW_DATA} is missing")
    return RAW_DATA


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every page test (see browser_tools)."""
    from browser_tools import launch_browser

    yield from launch_browser()
