"""sagemaker_authorization: registry writes and CreateModel are refused by IAM semantics over identity,
boundary and group resource policies, before any patch stores a field or emits an event."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV, PROD, REGION
from sandbox_registry import DEPLOY, INFERENCE, READ, REGISTER, group_policy, shared_group

from mlgov_core import release
from sandbox.accounts import assume
from sandbox.patches._policy import condition_holds

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
WRITES = ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:DeleteModelPackage", "sagemaker:CreateModel")
READ_ONLY = {"Sid": "Read", "Effect": "Allow", "Action": "sagemaker:DescribeModelPackage", "Resource": "*"}
ALLOW_WRITES = {"Sid": "Writes", "Effect": "Allow", "Action": list(WRITES), "Resource": "*"}
# dev.py's approval Deny: IgnoreCase, so "approved" cannot slip past "Approved"
DENY_DECISION = {"Sid": "DenyApprovalDecision", "Effect": "Deny", "Action": list(WRITES[:2]), "Resource": "*",
                 "Condition": {"StringEqualsIgnoreCase": {"sagemaker:ModelApprovalStatus": ["Approved", "Rejected"]}}}  # fmt: skip
PENDING = "PendingManualApproval"


def _role(aws, account: str, statements: list[dict], boundary: list[dict] | None = None) -> str:
    """A role that exists in the account's IAM with these inline statements (and boundary); returns its ARN."""
    iam = aws("iam", account)
    name = f"role-{uuid.uuid4().hex[:8]}"
    extra = {}
    if boundary is not None:
        doc = json.dumps({"Version": "2012-10-17", "Statement": boundary})
        extra["PermissionsBoundary"] = iam.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=doc)["Policy"]["Arn"]
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **extra)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return arn


def _as(sandbox_url: str, role_arn: str):
    return assume(sandbox_url, REGION, role_arn, "alice").client("sagemaker")


def _denied(call, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    return error.value.response["Error"]["Message"]


def _register(sm, group: str, **extra) -> str:
    return sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=INFERENCE, **extra)["ModelPackageArn"]


def _event_queue(aws, package_arn: str) -> str:
    """An SQS queue that receives the registry events of one package from the governance default bus."""
    sqs, events = aws("sqs", GOV), aws("events", GOV)
    url = sqs.create_queue(QueueName=f"authz-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"authz-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.sagemaker"], "resources": [package_arn]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    return url


def _events(aws, url: str) -> list[dict]:
    messages = aws("sqs", GOV).receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"])["detail"] for m in messages]


def test_identity_deny_refuses_update_and_leaves_no_trace(aws, sandbox_url, caplog):
    """A conditioned identity Deny refuses "approved"; the package keeps its status and no event is emitted."""
    group, _ = shared_group(aws, {DEV: (*REGISTER, "sagemaker:UpdateModelPackage")})
    sm = _as(sandbox_url, _role(aws, DEV, [ALLOW_WRITES, DENY_DECISION]))
    pkg = _register(sm, f"arn:aws:sagemaker:{REGION}:{GOV}:model-package-group/{group}", ModelApprovalStatus=PENDING)
    queue = _event_queue(aws, pkg)

    message = _denied(sm.update_model_package, ModelPackageArn=pkg, ModelApprovalStatus="approved")
    assert message.startswith(f"User: arn:aws:sts::{DEV}:assumed-role/")
    assert message.endswith(f"is not authorized to perform: sagemaker:UpdateModelPackage on resource: {pkg} "
                            "with an explicit deny in an identity-based policy")  # fmt: skip
    assert "DenyApprovalDecision" in caplog.text  # the deciding Sid is in the server log
    assert sm.describe_model_package(ModelPackageName=pkg)["ModelApprovalStatus"] == PENDING
    assert _events(aws, queue) == []

    # the same role may still write what the Deny does not cover: the queue does receive events
    sm.update_model_package(ModelPackageArn=pkg, CustomerMetadataProperties={"note": "retrained"})
    assert [e["CustomerMetadataProperties"] for e in _events(aws, queue)] == [{"note": "retrained"}]


def test_registration_deny_refuses_create_and_stores_nothing(aws, sandbox_url):
    """A refused CreateModelPackage creates no version: the next allowed one is still version 1."""
    group, _ = shared_group(aws, {DEV: REGISTER})
    sm = _as(sandbox_url, _role(aws, DEV, [ALLOW_WRITES, DENY_DECISION]))
    group_arn = f"arn:aws:sagemaker:{REGION}:{GOV}:model-package-group/{group}"
    _denied(sm.create_model_package, ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE, ModelApprovalStatus="Approved")
    assert sm.list_model_packages(ModelPackageGroupName=group_arn)["ModelPackageSummaryList"] == []
    assert _register(sm, group_arn, ModelApprovalStatus=PENDING).endswith(f"model-package/{group}/1")


def test_resource_policy_deny_refuses_same_account_role_but_not_the_decider(aws, sandbox_url):
    """registry_guards.decisions_only_by: Null + ArnNotEquals on aws:PrincipalArn, for every principal of the account."""
    decider = _role(aws, GOV, [ALLOW_WRITES])
    other = _role(aws, GOV, [ALLOW_WRITES])
    only_decider = {"Sid": "OnlyDecisionFunctionSetsApprovalStatus", "Effect": "Deny",
                    "Principal": {"AWS": f"arn:aws:iam::{GOV}:root"}, "Action": "sagemaker:UpdateModelPackage", "Resource": "*",
                    "Condition": {"Null": {"sagemaker:ModelApprovalStatus": "false"},
                                  "ArnNotEquals": {"aws:PrincipalArn": decider}}}  # fmt: skip
    group, _ = shared_group(aws, {}, extra=(only_decider,))
    pkg = _register(aws("sagemaker", GOV), group)

    message = _denied(_as(sandbox_url, other).update_model_package, ModelPackageArn=pkg, ModelApprovalStatus="Approved")
    assert message.endswith("with an explicit deny in a resource-based policy")
    _denied(aws("sagemaker", GOV).update_model_package, ModelPackageArn=pkg, ModelApprovalStatus="Approved")  # administrator too
    _as(sandbox_url, other).update_model_package(ModelPackageArn=pkg, ApprovalDescription="no status: Null guard")
    _as(sandbox_url, decider).update_model_package(ModelPackageArn=pkg, ModelApprovalStatus="Approved")
    assert aws("sagemaker", GOV).describe_model_package(ModelPackageName=pkg)["ModelApprovalStatus"] == "Approved"


def test_same_account_needs_an_identity_allow(aws, sandbox_url):
    """In the owner's account a group policy naming only the account delegates to IAM: no identity Allow, no write."""
    group, _ = shared_group(aws, {GOV: REGISTER})
    message = _denied(_as(sandbox_url, _role(aws, GOV, [READ_ONLY])).create_model_package,
                      ModelPackageGroupName=group, InferenceSpecification=INFERENCE)  # fmt: skip
    assert message.endswith("because no identity-based policy allows the sagemaker:CreateModelPackage action")


def test_cross_account_needs_the_group_policy_allow(aws, sandbox_url):
    """Across accounts both halves must allow: the group policy and the caller's identity policy."""
    _, group_arn = shared_group(aws, {})
    sm = _as(sandbox_url, _role(aws, DEV, [ALLOW_WRITES]))
    message = _denied(sm.create_model_package, ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE)
    assert message.endswith("because no resource-based policy allows the sagemaker:CreateModelPackage action")

    aws("sagemaker", GOV).put_model_package_group_policy(
        ModelPackageGroupName=group_arn, ResourcePolicy=json.dumps(group_policy(group_arn, {DEV: REGISTER})))
    assert _register(sm, group_arn).endswith("/1")
    message = _denied(_as(sandbox_url, _role(aws, DEV, [READ_ONLY])).create_model_package,
                      ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE)  # fmt: skip
    assert message.endswith("because no identity-based policy allows the sagemaker:CreateModelPackage action")


def test_cross_account_create_model_from_a_shared_version(aws, sandbox_url):
    """CreateModel from another account's version is governed by that version's group policy."""
    group, _ = shared_group(aws, {DEV: REGISTER})
    pkg = _register(aws("sagemaker", GOV), group)
    sm = aws("sagemaker", DEV)
    _denied(sm.create_model, ModelName="refused", ExecutionRoleArn=f"arn:aws:iam::{DEV}:role/x",
            PrimaryContainer={"ModelPackageName": pkg})  # fmt: skip
    with pytest.raises(ClientError):
        sm.describe_model(ModelName="refused")

    deployable, _ = shared_group(aws, {DEV: DEPLOY})
    pkg = _register(aws("sagemaker", GOV), deployable)
    name = f"m-{uuid.uuid4().hex[:6]}"
    sm.create_model(ModelName=name, ExecutionRoleArn=f"arn:aws:iam::{DEV}:role/x", Containers=[{"ModelPackageName": pkg}])
    assert sm.describe_model(ModelName=name)["ModelName"] == name


def test_permissions_boundary_must_allow_and_its_deny_refuses(aws, sandbox_url):
    group, _ = shared_group(aws, {})
    boundary = [{"Sid": "OnlyRegister", "Effect": "Allow", "Action": ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"],
                 "Resource": "*"},
                {"Sid": "NoApprovals", "Effect": "Deny", "Action": "sagemaker:UpdateModelPackage", "Resource": "*",
                 "Condition": {"Null": {"sagemaker:ModelApprovalStatus": "false"}}}]  # fmt: skip
    sm = _as(sandbox_url, _role(aws, GOV, [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}], boundary))
    pkg = _register(sm, group, ModelApprovalStatus=PENDING)
    message = _denied(sm.delete_model_package, ModelPackageName=pkg)
    assert message.endswith("because no permissions boundary allows the sagemaker:DeleteModelPackage action")
    assert _denied(sm.update_model_package, ModelPackageArn=pkg, ModelApprovalStatus="Rejected").endswith(
        "with an explicit deny in a permissions boundary")
    assert sm.describe_model_package(ModelPackageName=pkg)["ModelApprovalStatus"] == PENDING
    sm.update_model_package(ModelPackageArn=pkg, ApprovalDescription="metadata only")


def test_if_exists_on_a_negated_operator_denies_a_request_without_the_key(aws, sandbox_url):
    """Why registry_guards pairs StringNotEquals with Null instead of ...IfExists: IfExists holds when the key is absent."""
    group, _ = shared_group(aws, {})
    if_exists = {"Sid": "OnlyDevIfExists", "Effect": "Deny", "Action": "sagemaker:CreateModelPackage", "Resource": "*",
                 "Condition": {"StringNotEqualsIgnoreCaseIfExists": {"sagemaker:ModelLifeCycle:stage": "Dev"}}}  # fmt: skip
    null_guard = {**if_exists, "Sid": "OnlyDevWhenSet",
                  "Condition": {"StringNotEqualsIgnoreCase": {"sagemaker:ModelLifeCycle:stage": "Dev"},
                                "Null": {"sagemaker:ModelLifeCycle:stage": "false"}}}  # fmt: skip
    with_if_exists = _as(sandbox_url, _role(aws, GOV, [ALLOW_WRITES, if_exists]))
    with_null = _as(sandbox_url, _role(aws, GOV, [ALLOW_WRITES, null_guard]))
    dev_stage = {"Stage": "dev", "StageStatus": "Pending"}

    _denied(with_if_exists.create_model_package, ModelPackageGroupName=group, InferenceSpecification=INFERENCE)
    _register(with_if_exists, group, ModelLifeCycle=dev_stage)
    _register(with_null, group)
    _register(with_null, group, ModelLifeCycle=dev_stage)
    for sm in (with_if_exists, with_null):
        _denied(sm.create_model_package, ModelPackageGroupName=group, InferenceSpecification=INFERENCE,
                ModelLifeCycle={"Stage": "Prod", "StageStatus": "Approved"})  # fmt: skip


def test_caller_not_in_iam_is_only_subject_to_the_resource_policy(aws):
    """The sandbox's Terraform role and raw test keys are not in IAM: they act as the account's administrator."""
    _, open_arn = shared_group(aws, {DEV: REGISTER})
    assert _register(aws("sagemaker", DEV), open_arn).endswith("/1")  # no identity policy anywhere, still allowed
    _, closed_arn = shared_group(aws, {})
    _denied(aws("sagemaker", DEV).create_model_package, ModelPackageGroupName=closed_arn, InferenceSpecification=INFERENCE)
    no_delete = {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "sagemaker:DeleteModelPackage", "Resource": "*"}
    group, _ = shared_group(aws, {}, extra=(no_delete,))
    pkg = _register(aws("sagemaker", GOV), group)  # same account, no policy allows: the administrator may
    _denied(aws("sagemaker", GOV).delete_model_package, ModelPackageName=pkg)
    assert aws("sagemaker", GOV).describe_model_package(ModelPackageName=pkg)["ModelPackageArn"] == pkg


def test_principal_org_id_only_for_accounts_the_sandbox_puts_in_the_organization(aws):
    """aws:PrincipalOrgID is the organisation of the caller's account (patches/_organization.py); absent outside one."""
    from sandbox.patches._organization import organization, set_organization

    current = organization()
    before = (current["id"], current["accounts"])

    in_org = {"Sid": "OrgRegisters", "Effect": "Allow", "Principal": "*", "Action": "sagemaker:CreateModelPackage",
              "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-mlgov"}}}  # fmt: skip
    _, group_arn = shared_group(aws, {}, extra=(in_org,))
    try:
        set_organization(None, [])
        _denied(aws("sagemaker", DEV).create_model_package, ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE)
        set_organization("o-other", [DEV])
        _denied(aws("sagemaker", DEV).create_model_package, ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE)
        set_organization("o-mlgov", [GOV])  # the group owner's organisation, but the caller's account is not in it
        _denied(aws("sagemaker", DEV).create_model_package, ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE)
        set_organization("o-mlgov", [GOV, DEV])
        assert _register(aws("sagemaker", DEV), group_arn).endswith("/1")
    finally:
        set_organization(*before)


@pytest.mark.parametrize(("operator", "values", "context", "expected"), [
    ("ArnNotEquals", {"aws:PrincipalArn": f"arn:aws:iam::{GOV}:role/decider"}, {"aws:principalarn": [f"arn:aws:iam::{GOV}:role/decider"]}, False),
    ("ArnNotEquals", {"aws:PrincipalArn": f"arn:aws:iam::{GOV}:role/decider"}, {"aws:principalarn": [f"arn:aws:iam::{GOV}:role/other"]}, True),
    ("ArnLike", {"aws:PrincipalArn": "arn:aws:iam::*:role/decider"}, {"aws:principalarn": [f"arn:aws:iam::{GOV}:role/decider"]}, True),
    # a wildcard never spans an ARN's colons
    ("ArnLike", {"aws:PrincipalArn": "arn:aws:iam::*"}, {"aws:principalarn": [f"arn:aws:iam::{GOV}:role/decider"]}, False),
    ("Null", {"sagemaker:ModelLifeCycle:stageStatus": "true"}, {}, True),
    ("Null", {"SageMaker:ModelLifeCycle:StageStatus": "false"}, {"sagemaker:modellifecycle:stagestatus": ["Pending"]}, True),  # key names: any case
    ("StringEqualsIgnoreCase", {"sagemaker:ModelApprovalStatus": ["Approved"]}, {"sagemaker:modelapprovalstatus": ["APPROVED"]}, True),
    ("StringEquals", {"sagemaker:ModelApprovalStatus": ["Approved"]}, {"sagemaker:modelapprovalstatus": ["APPROVED"]}, False),
])  # fmt: skip
def test_condition_operators(operator, values, context, expected):
    assert condition_holds(operator, values, context) is expected


def test_kit_group_policy_grants_what_the_committed_governance_stack_grants():
    """The kits' shared groups (tests/registry_sharing.py) must not allow more or less than the real stack."""
    stack = json.loads((Path(__file__).resolve().parents[2] / "terraform" / "governance" / "main.tf.json").read_text())
    policies = stack["resource"]["aws_sagemaker_model_package_group_policy"].values()
    assert policies
    for resource in policies:
        committed = [s for s in json.loads(resource["resource_policy"])["Statement"] if s["Effect"] == "Allow"]
        group_arn = committed[0]["Resource"][0]
        accounts = [p.split(":")[4] for s in committed for p in s["Principal"]["AWS"]]
        # Prod only reads the source group and deploys from its release group (mlgov_core.release).
        source_group_reader = PROD if not release.is_release_group(group_arn.rsplit("/", 1)[-1]) else None
        kit = group_policy(group_arn, {a: REGISTER if a == DEV else READ if a == source_group_reader else DEPLOY
                                       for a in accounts})["Statement"]

        def shape(statements):
            return sorted((tuple(s["Principal"]["AWS"]), tuple(sorted(s["Action"])), tuple(sorted(s["Resource"]))) for s in statements)

        assert shape(kit) == shape(committed)
