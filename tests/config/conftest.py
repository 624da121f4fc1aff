"""Fixtures for the config tests: each test gets its own copy of the real config directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REAL_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of config/ that a test may mutate freely."""
    target = tmp_path / "config"
    shutil.copytree(REAL_CONFIG_DIR, target)
    return target
