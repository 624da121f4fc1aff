"""Browser tests' fixtures: the Chromium to drive (browser_kit) and where screenshots are kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cli"))  # the governance table kit that `mlgov report` is tested with

from browser_kit import SCREENSHOTS, require_chromium  # noqa: E402


@pytest.fixture(scope="session")
def chromium() -> str:
    return require_chromium()


@pytest.fixture
def screenshot_path(request: pytest.FixtureRequest) -> Path:
    """build/browser/<test name>.png: kept after the run for a person to look at."""
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
    return SCREENSHOTS / f"{name}.png"
