"""`make pipeline-roles`: the role ARNs a workflow assumes come from config, in config's partition."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.config_edits import move_to_region

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "pipeline_roles.py"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    return target


def _run(config_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--config", str(config_dir), *args],
                          capture_output=True, text=True, check=False, timeout=120)


# Each account's read-only plan role, which a plan's provider assumes (TF_VAR_assume_role_arn).
ACCOUNT_PLAN_ROLES = {f"{stack}_plan_role_arn": f"arn:aws:iam::{account}:role/mlgov-terraform-plan" for stack, account in
                      (("governance", "111111111111"), ("dev", "222222222222"), ("test", "333333333333"), ("prod", "444444444444"))}


def _values(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_a_stack_gets_its_environment_and_its_own_apply_role(config_dir, tmp_path):
    platform = config_dir / "platform.yaml"
    platform.write_text(platform.read_text()
                        .replace("apply_role_prefix: mlgov-gitops-apply", "apply_role_prefix: ci-apply")
                        .replace("    prod: prod", "    prod: production"))
    out = tmp_path / "github_output"
    out.write_text("earlier=kept\n")
    proc = _run(config_dir, "--stack", "prod", "--github-output", str(out))
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    values = _values(out.read_text())
    assert values == {"earlier": "kept", "region": "eu-west-1", "governance_account": "111111111111",
                      "plan_role_arn": "arn:aws:iam::111111111111:role/mlgov-gitops-plan",
                      "environment": "production", "apply_role_arn": "arn:aws:iam::111111111111:role/ci-apply-prod",
                      **ACCOUNT_PLAN_ROLES, "account_plan_role_arn": "arn:aws:iam::444444444444:role/mlgov-terraform-plan",
                      "terraform_role_arn": "arn:aws:iam::444444444444:role/mlgov-terraform"}


def test_without_a_stack_the_plan_roles_are_printed(config_dir):
    proc = _run(config_dir)
    assert proc.returncode == 0, proc.stderr
    assert _values(proc.stdout) == {"region": "eu-west-1", "governance_account": "111111111111",
                                    "plan_role_arn": "arn:aws:iam::111111111111:role/mlgov-gitops-plan", **ACCOUNT_PLAN_ROLES}


def test_the_arns_are_in_the_home_regions_partition(config_dir):
    move_to_region(config_dir, "cn-north-1")
    values = _values(_run(config_dir, "--stack", "dev").stdout)
    assert values["apply_role_arn"] == "arn:aws-cn:iam::111111111111:role/mlgov-gitops-apply-dev"


@pytest.mark.parametrize("args, words", [
    (["--stack", "staging"], "STACK='staging' is not a stack; the stacks are governance, dev, test, prod"),
])
def test_an_unknown_stack_is_one_line_and_exit_2(config_dir, args, words):
    proc = _run(config_dir, *args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == words


def test_a_config_without_gitops_names_the_file_and_field(config_dir):
    platform = config_dir / "platform.yaml"
    text = platform.read_text()
    platform.write_text(text[:text.index("\n# The pull-request pipeline")] + "\n")
    proc = _run(config_dir)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"{platform}: gitops: not set; the pipeline's roles are named there"


def test_the_example_lets_the_plan_role_read_as_the_compliance_officer():
    """`make mlgov-check` in the pull-request and deploy plan jobs assumes <prefix>-compliance-officer."""
    from mlgov_config import load_config
    from pipeline_roles import pipeline_roles

    config = load_config(REPO_ROOT / "config")
    plan_role = pipeline_roles(config, None, "config/platform.yaml")["plan_role_arn"]
    assert plan_role in config.platform.role_trust.compliance_officer
