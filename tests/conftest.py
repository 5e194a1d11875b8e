"""Shared fixtures: where the real data lives (../shared/data beside the clone)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the real data folder {SHARED_DATA} is missing (it sits beside the clone)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every page test (see browser_tools)."""
    from browser_tools import launch_browser

    yield from launch_browser()
