"""terraform apply of the committed QuickSight resources on the sandbox, then a second plan with no changes.

Only the dashboard's resources (data source, data sets, dashboard, the service role's policy and its
attachment) are taken from terraform/governance/main.tf.json, unchanged but for references to other
resources of the stack (the key), which become literal ARNs; the e2e suite applies the whole stack.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sandbox_accounts import GOV, REGION
from sandbox_terraform import copy_lock_file

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK = REPO_ROOT / "terraform" / "governance" / "main.tf.json"
OWN = ("aws_quicksight_data_source", "aws_quicksight_data_set", "aws_quicksight_dashboard")
REFERENCE = re.compile(r"\$\{(?P<type>aws_[a-z0-9_]+)\.(?P<name>[^.}]+)\.arn\}")


def dashboard_only(stack: dict) -> dict:
    resources = stack["resource"]
    kept = {t: dict(resources[t]) for t in OWN if t in resources}
    (attachment_name, attachment), = resources["aws_iam_role_policy_attachment"].items()
    policy = REFERENCE.fullmatch(attachment["policy_arn"])["name"]
    kept["aws_iam_role_policy_attachment"] = {attachment_name: attachment}
    kept["aws_iam_policy"] = {policy: resources["aws_iam_policy"][policy]}
    names = {(t, n) for t, bodies in kept.items() for n in bodies}

    def literal(match: re.Match) -> str:
        if (match["type"], match["name"]) in names:
            return match.group(0)
        return f"arn:aws:kms:{REGION}:{GOV}:key/{match['name']}"  # the only outside reference is the governance key

    text = REFERENCE.sub(literal, json.dumps(kept))
    return {"provider": stack["provider"], "terraform": {"required_providers": stack["terraform"]["required_providers"]},
            "variable": stack.get("variable", {}), "resource": json.loads(text)}


def test_the_dashboard_applies_and_a_second_plan_is_clean(aws, sandbox_url, tmp_path):
    from mlgov_config import load_config
    from sandbox.quicksight_subscription import subscribe
    from sandbox.stacks import apply_stack, replan_changes

    stack = json.loads(STACK.read_text())
    source = tmp_path / "source"
    source.mkdir()
    (source / "main.tf.json").write_text(json.dumps(dashboard_only(stack), indent=1))
    copy_lock_file("governance", source)
    subscribe(aws("iam", GOV), load_config(REPO_ROOT / "config").platform.governance.dashboard.service_role_name)

    result = apply_stack(source, tmp_path / "work", sandbox_url, REGION)

    assert result.failed == {}
    assert len(result.applied) == sum(len(b) for b in dashboard_only(stack)["resource"].values())
    assert replan_changes(tmp_path / "work") == []
    described = aws("quicksight", GOV).describe_dashboard_definition(AwsAccountId=GOV, DashboardId="mlgov-governance")
    assert [s["Name"] for s in described["Definition"]["Sheets"]] == ["Overview", "Inventory", "Audit trail", "Quality", "Monitoring"]
