"""The one sandbox apply the end-to-end and security tests share (applying the four stacks and
running the lifecycle costs several minutes: never more than once per test session)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlgov_config import load_config
from sandbox.demo import Deployed, deployed_sandbox
from sandbox.lifecycle import LifecycleResult, run_lifecycle

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Story:
    deployed: Deployed
    lifecycle: LifecycleResult


@pytest.fixture(scope="session")
def sandbox_story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """The committed stacks applied and the demo's lifecycle run; the server runs until the session ends."""
    config = load_config(REPO_ROOT / "config")
    with deployed_sandbox(config, tmp_path_factory.mktemp("sandbox")) as deployed:
        yield Story(deployed, run_lifecycle(deployed, REPO_ROOT / "config"))
