"""platform.gitops: the pipeline's repository, environments, role names and lock platforms, refused by field."""

from __future__ import annotations

import pytest

from config_edits import PLATFORM, refusal, replace_line
from mlgov_config import load_config

# (case, the line as shipped, the line edited, words the refusal must contain)
REFUSED = [
    ("repository without an owner", "  repository: example-org/mlgov", "  repository: mlgov", "gitops.repository"),
    ("owner with a trailing hyphen", "  repository: example-org/mlgov", "  repository: example-/mlgov", "gitops.repository"),
    ("repository with a wildcard", "  repository: example-org/mlgov", "  repository: example-org/*", "gitops.repository"),
    ("branch with a wildcard", "  main_branch: main", "  main_branch: '*'", "main_branch"),
    ("environment shared by two stacks", "    test: test", "    test: prod", "share environment 'prod'"),
    ("environment missing", "    dev: dev\n", "", "missing stack(s) ['dev']"),
    ("unknown stack", "    prod: prod", "    prod: prod\n    staging: staging", "unknown stack(s) ['staging']"),
    ("environment with a slash", "    prod: prod", "    prod: prod/eu", "'prod/eu' is not a GitHub environment name"),
    ("plan role path", "  plan_role_name: mlgov-gitops-plan", "  plan_role_name: ci/mlgov-gitops-plan", "plan_role_name"),
    ("unknown lock platform", "  lock_platforms: [linux_amd64]",
     "  lock_platforms: [linux_amd64, linux_x64]", "'linux_x64' is not a Terraform platform"),
    ("lock platform twice", "  lock_platforms: [linux_amd64]",
     "  lock_platforms: [linux_amd64, linux_amd64]", "listed more than once"),
    ("no lock platform", "  lock_platforms: [linux_amd64]", "  lock_platforms: []",
     "lock_platforms"),
    ("unknown key", "  main_branch: main", "  main_branch: main\n  auto_approve: true", "auto_approve"),
    ("no organisation to deny outsiders", "organization_id: o-exampleorg1\n", "", "gitops needs organization_id"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_bad_gitops_setting_is_refused_naming_file_and_field(config_dir, case):
    _, old, new, words = case
    replace_line(config_dir, PLATFORM, old, new)
    message = refusal(config_dir)
    assert PLATFORM in message and words in message, message


def test_the_shipped_gitops_settings(config_dir):
    gitops = load_config(config_dir).platform.gitops
    assert gitops.repository == "example-org/mlgov" and gitops.main_branch == "main"
    assert gitops.environments == {"governance": "governance", "dev": "dev", "test": "test", "prod": "prod"}
    assert gitops.apply_role_name("prod") == "mlgov-gitops-apply-prod"
    assert gitops.lock_platforms == ["linux_amd64"]


def test_without_the_section_no_pipeline_is_configured(config_dir):
    text = (config_dir / PLATFORM).read_text()
    (config_dir / PLATFORM).write_text(text[:text.index("\n# The pull-request pipeline")] + "\n")
    assert load_config(config_dir).platform.gitops is None
