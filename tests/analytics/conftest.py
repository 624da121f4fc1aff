"""The fixture lakes of tests/analytics (built by fixture_lake.build_lake)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_lake import build_lake


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return build_lake(tmp_path / "lake").root


@pytest.fixture
def breach_lake(tmp_path: Path) -> Path:
    return build_lake(tmp_path / "breach-lake", breach=True).root
