"""The workflows keep the hardening of issue 11; each rule is also shown catching a broken copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlgov_config import load_config
from workflow_rules import Workflows, all_problems

REPO_ROOT = Path(__file__).resolve().parents[2]
GITHUB = REPO_ROOT / ".github"
GITOPS = load_config(REPO_ROOT / "config").platform.gitops


def _problems(github_dir: Path) -> list[str]:
    return all_problems(Workflows.load(github_dir), GITOPS.environments, GITOPS.main_branch)


def test_the_workflows_keep_every_rule():
    assert _problems(GITHUB) == []


def test_the_three_workflows_and_the_setup_action_are_all_checked():
    loaded = Workflows.load(GITHUB)
    assert set(loaded.docs) == {"pull-request.yml", "deploy.yml", "drift.yml"}
    assert "actions/setup/action.yml" in loaded.texts


# (case, file, text as committed, broken text, words the problem must contain)
BROKEN = [
    ("action pinned by tag", "workflows/deploy.yml",
     "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "actions/checkout@v7", "not pinned"),
    ("pin without its version", "actions/setup/action.yml",
     "@dfe3c3f87815947d99a8997f908cb6525fc44e9e # v4.0.1", "@dfe3c3f87815947d99a8997f908cb6525fc44e9e", "not pinned"),
    ("short SHA", "workflows/drift.yml",
     "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1", "actions/download-artifact@3e5f45b # v8.0.1", "not pinned"),
    ("default top-level permissions", "workflows/drift.yml", "\npermissions: {}\n", "\n", "top-level permissions"),
    ("id-token where no role is assumed", "workflows/pull-request.yml",
     "  synth:\n    name: committed Terraform equals a fresh synth\n    runs-on: ubuntu-24.04\n    timeout-minutes: 20\n    permissions:\n      contents: read\n",
     "  synth:\n    name: committed Terraform equals a fresh synth\n    runs-on: ubuntu-24.04\n    timeout-minutes: 20\n    permissions:\n      contents: read\n      id-token: write\n",
     "synth: id-token: write exactly where a role is assumed"),
    ("issues write outside its job", "workflows/pull-request.yml",
     "      pull-requests: write  #", "      issues: write\n      pull-requests: write  #", "comment: issues: write is not needed"),
    ("contents write", "workflows/deploy.yml", "      contents: read\n", "      contents: write\n", "contents: write is not needed"),
    ("credentials left in git config", "workflows/pull-request.yml", "persist-credentials: false", "persist-credentials: true",
     "without persist-credentials: false"),
    ("pull_request_target", "workflows/pull-request.yml", "  pull_request:\n    branches: [main]",
     "  pull_request_target:\n    branches: [main]", "forbidden trigger pull_request_target"),
    ("auto-approve", "workflows/deploy.yml", "make apply STACK=prod", "make apply STACK=prod TF_CLI_ARGS_apply=-auto-approve",
     "-auto-approve"),
    ("terraform called directly", "workflows/deploy.yml", "make apply STACK=dev", "terraform apply build/plans/dev/tfplan",
     "runs 'terraform' itself"),
    ("plan JSON uploaded", "workflows/deploy.yml", "build/plans/test/manifest.json", "build/plans/test/plan.json",
     "uploads build/plans/test/plan.json"),
    ("plan folder uploaded", "workflows/deploy.yml", "build/plans/dev/tfplan.sha256", "build/plans/dev/", "name each file"),
    ("artifact kept a week", "workflows/deploy.yml", "retention-days: 1", "retention-days: 7", "not 1"),
    ("prod applied before test", "workflows/deploy.yml", "    needs: apply-test\n", "    needs: apply-dev\n",
     "plan-prod: needs 'apply-dev', expected 'apply-test'"),
    ("prod outside its environment", "workflows/deploy.yml", "    environment: prod", "    environment: production",
     "apply-prod: environment 'production', config says 'prod'"),
    ("cancelled deploy", "workflows/deploy.yml", "      group: mlgov-stack-prod\n      cancel-in-progress: false",
     "      group: mlgov-stack-prod\n      cancel-in-progress: true", "cancel-in-progress: true"),
    ("no mlgov check before prod", "workflows/deploy.yml",
     "      - name: mlgov check\n        run: make mlgov-check\n      - name: Plan\n        id: plan\n        env:\n"
     "          TF_VAR_assume_role_arn: ${{ steps.roles.outputs.account_plan_role_arn }}\n        run: |\n          make plan STACK=prod",
     "      - name: Plan\n        id: plan\n        env:\n"
     "          TF_VAR_assume_role_arn: ${{ steps.roles.outputs.account_plan_role_arn }}\n        run: |\n          make plan STACK=prod",
     "make mlgov-check must run before prod"),
    ("sha256 not checked", "workflows/deploy.yml", "PLANNED: ${{ needs.plan-governance.outputs.plan_sha256 }}", "PLANNED: ''",
     "its sha256 checked"),
    ("apply in a pull request", "workflows/pull-request.yml", "        run: make plan STACK=prod", "        run: make apply STACK=prod",
     "pull-request.yml: applies"),
    ("a pull request plans with the Terraform role", "workflows/pull-request.yml",
     "TF_VAR_assume_role_arn: ${{ steps.roles.outputs.prod_plan_role_arn }}",
     "TF_VAR_assume_role_arn: ${{ steps.roles.outputs.terraform_role_arn }}", "expected the account's plan role"),
    ("a plan without the account plan role", "workflows/deploy.yml",
     "          TF_VAR_assume_role_arn: ${{ steps.roles.outputs.account_plan_role_arn }}\n", "", "make plan STACK with TF_VAR_assume_role_arn ''"),
    ("drift with the pipeline's own plan role", "workflows/drift.yml", "outputs.account_plan_role_arn }}", "outputs.plan_role_arn }}",
     "expected the account's plan role"),
    ("an apply as the plan role", "workflows/deploy.yml",
     "TF_VAR_assume_role_arn: ${{ steps.roles.outputs.terraform_role_arn }}\n        run: make apply STACK=test",
     "TF_VAR_assume_role_arn: ${{ steps.roles.outputs.test_plan_role_arn }}\n        run: make apply STACK=test",
     "expected the account's Terraform role"),
    ("drift of three stacks", "workflows/drift.yml", "stack: [governance, dev, test, prod]", "stack: [governance, dev, test]",
     "not every stack"),
    ("deploy from another branch", "workflows/deploy.yml", "  push:\n    branches: [main]", "  push:\n    branches: [release]",
     "expected push to main only"),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c[0] for c in BROKEN])
def test_each_rule_catches_a_broken_copy(tmp_path, case):
    _, rel, old, new, words = case
    github = tmp_path / ".github"
    shutil.copytree(GITHUB, github)
    target = github / rel
    text = target.read_text()
    assert old in text, f"{rel} no longer holds {old!r}: update the case"
    target.write_text(text.replace(old, new, 1))
    problems = _problems(github)
    assert any(words in p for p in problems), problems
