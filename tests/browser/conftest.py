"""Browser tests: headless Debian Chromium. Skipped with the reason when it is absent locally, a
failure under CI (CI set, as .ci/run sets it), where .ci/run installs it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cli"))  # the governance table kit that `mlgov report` is tested with

from page_check import CANDIDATES, CHROMIUM_ENV, chromium_path  # noqa: E402

SCREENSHOTS = HERE.parents[1] / "build" / "browser"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def chromium() -> str:
    found = chromium_path()
    if found is None:
        reason = (f"no Chromium at {', '.join(CANDIDATES)} or ${CHROMIUM_ENV} "
                  "(apt-get install chromium; .ci/run installs it)")
        if under_ci():
            pytest.fail(f"{reason}: under CI the browser tests must run, not skip")
        pytest.skip(reason)
    return found


@pytest.fixture
def screenshot_path(request: pytest.FixtureRequest) -> Path:
    """build/browser/<test name>.png: kept after the run for a person to look at."""
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
    return SCREENSHOTS / f"{name}.png"
