"""The account stacks' provider role from the ephemeral variable (stacks/account_stack.py), against the sandbox:
a plan with the account's plan role works and its saved plan does not record the role, so the apply
must be given one again; a role of another account is refused before any AWS call."""

from __future__ import annotations

import json

import pytest
from sandbox_accounts import DEV, GOV, REGION
from sandbox_terraform import write_component

from mlgov_config import load_config
from sandbox.stacks import OVERRIDE_FILE, override
from terraform_cli import Terraform
from tests.sandbox.conftest import REPO_ROOT

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]

GITOPS = load_config(REPO_ROOT / "config").platform.gitops


def test_the_plan_role_is_not_kept_in_a_saved_plan_and_other_accounts_roles_are_refused(sandbox_url, tmp_path):
    source = write_component("dev", "access-logs", tmp_path / "source")
    tf = Terraform.copy_of(source, tmp_path / "work")
    (tf.workdir / OVERRIDE_FILE).write_text(json.dumps(override(sandbox_url, REGION)))
    tf.init()
    plan_role = f"arn:aws:iam::{DEV}:role/{GITOPS.account_plan_role_name}"

    tf.run("plan", "-no-color", "-input=false", "-var", f"assume_role_arn={plan_role}", "-out=pr.tfplan")

    shown = tf.run("show", "-json", "pr.tfplan").stdout
    assert json.loads(shown)["planned_values"]["root_module"]["resources"], "the plan plans the component"
    assert plan_role not in shown, "an ephemeral variable's value must not be stored in the saved plan"
    again = tf.run("apply", "-no-color", "-input=false", "pr.tfplan", check=False)
    assert again.returncode != 0 and "assume_role_arn" in again.stderr, again.stderr[-2000:]

    foreign = tf.run("plan", "-no-color", "-input=false", "-var", f"assume_role_arn=arn:aws:iam::{GOV}:role/{GITOPS.account_plan_role_name}",
                     check=False)
    assert foreign.returncode == 1 and "must be a role of this stack's account" in foreign.stderr, foreign.stderr[-2000:]
