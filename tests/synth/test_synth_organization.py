"""aws:PrincipalOrgID: every resource policy of the governance stack that trusts another account denies
principals outside ``platform.organization_id`` (decided with the sandbox's IAM evaluator)."""

from __future__ import annotations

import json

import pytest
from tf_json import config, resources, statements

from mlgov_config import AccountRole
from modules.naming import Names
from sandbox.patches._policy import evaluate

CONFIG = config()
NAMES = Names.from_config(CONFIG)
ORG = CONFIG.platform.organization_id
DEV = CONFIG.platform.account_id(AccountRole.DEV)
CALLER = {"account": DEV, "arn": f"arn:aws:sts::{DEV}:assumed-role/ds/s", "role_arn": f"arn:aws:iam::{DEV}:role/ds"}
MEMBER = {"aws:securetransport": ["true"], "aws:principalorgid": [ORG]}
OUTSIDER = {"aws:securetransport": ["true"]}  # no aws:PrincipalOrgID: the account is in no organisation
OTHER_ORG = {"aws:securetransport": ["true"], "aws:principalorgid": ["o-someoneelse"]}


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


def _policies(governance: dict) -> dict[str, tuple[dict, str, str]]:
    """what -> (policy, an action a consumer uses, its resource)."""
    [bucket] = [json.loads(b["policy"]) for b in resources(governance, "aws_s3_bucket_policy").values()
                if NAMES.artifact_bucket in b["policy"] and "ConsumersRead" in b["policy"]]
    [bus] = [json.loads(b["policy"]) for b in resources(governance, "aws_cloudwatch_event_bus_policy").values()]
    [repository] = [json.loads(b["policy"]) for b in resources(governance, "aws_ecr_repository_policy").values()]
    [key] = [json.loads(k["policy"]) for k in resources(governance, "aws_kms_key").values() if "CrossAccountDecrypt" in k["policy"]]
    return {
        "artifact bucket": (bucket, "s3:GetObject", f"{NAMES.artifact_bucket_arn()}/models/credit-risk/x/model.json"),
        "metrics bus": (bus, "events:PutEvents", NAMES.metrics_bus_arn()),
        "model repository": (repository, "ecr:BatchGetImage", NAMES.model_repository_arn()),
        "artifact key": (key, "kms:Decrypt", "*"),
    }


def test_the_platform_config_names_an_organization():
    assert ORG and ORG.startswith("o-")


@pytest.mark.parametrize("what", ["artifact bucket", "metrics bus", "model repository", "artifact key"])
def test_principals_outside_the_organization_are_denied(governance, what):
    policy, action, resource = _policies(governance)[what]
    [deny] = [s for s in statements(policy) if s.get("Sid") == "DenyOutsideOrganization"]
    resource = deny.get("Resource", [resource])[-1] if what == "metrics bus" else resource  # the bus ARN is a reference
    assert deny["Effect"] == "Deny" and deny["Condition"]["StringNotEqualsIfExists"] == {"aws:PrincipalOrgID": ORG}
    assert evaluate(policy, action, resource, CALLER, OUTSIDER) == "DENIED"
    assert evaluate(policy, action, resource, CALLER, OTHER_ORG) == "DENIED"
    assert evaluate(policy, action, resource, CALLER, MEMBER) != "DENIED"
    # AWS service principals carry no aws:PrincipalOrgID (S3 log delivery, CloudTrail): not refused by it.
    service = {"account": "", "arn": "", "role_arn": "", "service": "logging.s3.amazonaws.com"}
    assert evaluate({"Statement": [deny]}, action, resource, service, {"aws:principalisawsservice": ["true"]}) == "NEUTRAL"


def test_the_registry_group_policy_carries_no_organization_condition(governance):
    """RAM promotes the group's policy-based share; AWS documents only the plain account-root Allow forms there
    (DESIGN.md section 2), so the organisation boundary of the registry is the RAM share's
    allow_external_principals = false instead."""
    for body in resources(governance, "aws_sagemaker_model_package_group_policy").values():
        assert "aws:PrincipalOrgID" not in body["resource_policy"]
    for share in resources(governance, "aws_ram_resource_share").values():
        assert share["allow_external_principals"] is False
