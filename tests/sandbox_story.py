"""The one sandbox apply the end-to-end and security tests share (applying the four stacks and
running the lifecycle costs several minutes: never more than once per test session)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlgov_config import load_config
from sandbox.demo import Deployed, deployed_sandbox
from sandbox.lifecycle import LifecycleResult, run_lifecycle
from sandbox.stacks import synth_stacks

REPO_ROOT = Path(__file__).resolve().parents[1]
GROUP_DESCRIPTION_LINE = "  description: Central registry of credit-risk model versions\n"
# The story's one change to config/: Terraform template sequences in the group's description, which
# Terraform would evaluate if the stacks did not escape them (mlgov_config/terraform_text.py).
LITERAL_DESCRIPTION = "Central registry of credit-risk models; literal: ${path.cwd} %{ if true }x%{ endif } $${already}"


@dataclass(frozen=True)
class Story:
    deployed: Deployed
    lifecycle: LifecycleResult


def story_config(target: Path) -> Path:
    """config/ with LITERAL_DESCRIPTION as the credit-risk group's description."""
    shutil.copytree(REPO_ROOT / "config", target)
    use_case = target / "use_cases" / "credit-risk.yaml"
    text = use_case.read_text()
    assert text.count(GROUP_DESCRIPTION_LINE) == 1, f"{use_case}: the group description line changed"
    use_case.write_text(text.replace(GROUP_DESCRIPTION_LINE, f"  description: '{LITERAL_DESCRIPTION}'\n"))
    return target


@pytest.fixture(scope="session")
def sandbox_story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """The story's config synthesized once and applied, the demo's lifecycle run; the server runs until the
    session ends. Its Terraform differs from the committed terraform/ only by the group's description."""
    work = tmp_path_factory.mktemp("sandbox")
    config_dir = story_config(work / "story-config")
    synth_stacks(config_dir, work / "story-terraform")
    with deployed_sandbox(load_config(config_dir), work, terraform_root=work / "story-terraform") as deployed:
        yield Story(deployed, run_lifecycle(deployed, config_dir))
