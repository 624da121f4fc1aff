"""Which Chromium the browser tests drive: skipped with the reason when it is absent locally, a
failure under CI (CI set, as .ci/run sets it), where .ci/run installs it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from page_check import CANDIDATES, CHROMIUM_ENV, chromium_path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "browser"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_chromium() -> str:
    """The Chromium to drive; skips with the reason when there is none, fails instead under CI."""
    found = chromium_path()
    if found is None:
        reason = (f"no Chromium at {', '.join(CANDIDATES)} or ${CHROMIUM_ENV} "
                  "(apt-get install chromium; .ci/run installs it)")
        if under_ci():
            pytest.fail(f"{reason}: under CI the browser tests must run, not skip")
        pytest.skip(reason)
    return found
