"""The governance stack's decision path: who may decide, and through what (docs/security.md, path 4)."""

from __future__ import annotations

import json

import pytest
from tf_json import actions, config, iam_role_policy, resources, statements

from modules.naming import Names

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
APPROVER = f"{CONFIG.platform.name_prefix}-model-approver"
DECIDING = {"sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage"}


@pytest.fixture(scope="module")
def gov(synth):
    return synth.stacks["governance"]


def test_the_decision_function_runs_as_the_role_the_group_policy_names(gov):
    [function] = [f for f in resources(gov, "aws_lambda_function").values()
                  if f["function_name"] == NAMES.function(NAMES.DECISION_FUNCTION)]
    [role] = [r for r in resources(gov, "aws_iam_role").values() if r["name"] == NAMES.decision_function_role_arn.split("/")[-1]]
    assert function["role"].startswith("${aws_iam_role.") and role["name"] in NAMES.decision_function_role_arn
    _, policy = iam_role_policy(gov, role["name"])
    assert not [s for s in statements(policy) if s["Effect"] == "Deny" and DECIDING & set(actions(s))], \
        "the decision function carries the Denies it alone is exempt from"
    assert any(s["Effect"] == "Allow" and "sagemaker:UpdateModelPackage" in actions(s) for s in statements(policy))


def test_every_other_role_is_denied_setting_a_decision(synth):
    exempt = NAMES.decision_function_role_arn.split("/")[-1]
    for stack_name, stack in synth.stacks.items():
        for role in resources(stack, "aws_iam_role").values():
            if role["name"] == exempt or not any(p["role"].endswith(".id}") for p in resources(stack, "aws_iam_role_policy").values()):
                continue
            try:
                _, policy = iam_role_policy(stack, role["name"])
            except (AssertionError, StopIteration, KeyError, ValueError):
                continue  # roles without an inline policy of ours (service roles built elsewhere)
            denied = {(a, k) for s in statements(policy) if s["Effect"] == "Deny" for a in actions(s)
                      for k in s.get("Condition", {}).get("Null", {})}
            for key in ("sagemaker:ModelApprovalStatus", "sagemaker:ModelLifeCycle:stage", "sagemaker:ModelLifeCycle:stageStatus"):
                assert ("sagemaker:UpdateModelPackage", key) in denied, f"{stack_name}: {role['name']} may set {key}"


def test_approvers_decide_only_through_the_iam_authorised_api(gov):
    _, policy = iam_role_policy(gov, APPROVER)
    allowed = {a for s in statements(policy) if s["Effect"] == "Allow" for a in actions(s)}
    assert "sagemaker:UpdateModelPackage" not in allowed and "execute-api:Invoke" in allowed
    [api] = [name for name, body in resources(gov, "aws_api_gateway_rest_api").items() if body["name"] == NAMES.decision_api]
    methods = [m for m in resources(gov, "aws_api_gateway_method").values() if api in m["rest_api_id"]]
    assert methods and all(m["authorization"] == "AWS_IAM" for m in methods)
    [policy_resource] = [p for p in resources(gov, "aws_api_gateway_rest_api_policy").values() if api in p["rest_api_id"]]
    document = json.loads(policy_resource["policy"])
    invokers = json.dumps([s for s in document["Statement"] if s["Effect"] == "Allow"])
    assert f"arn:aws:iam::{NAMES.governance_account}:role/{APPROVER}" in invokers
