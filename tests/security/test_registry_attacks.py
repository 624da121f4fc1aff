"""Attack paths on the registry (docs/security.md, paths 2 to 5), played against the applied stacks.

Every refusal comes from a real mechanism: the group resource policy and the callers' role policies
as the committed Terraform put them, evaluated by the sandbox (patches/sagemaker_authorization.py),
or the decision function. Each test also shows that nothing changed, and each control has a
mutation check: without the statement the same attack succeeds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mlgov_config import AccountRole
from sandbox.attacks import build_model_from, decide_directly, personas, register_decided
from sandbox.lifecycle import REGISTRANT, USE_CASE
from policy_mutation import (both, extra_role_policy, group_policy, managed_policy_mutated, mutated, role_policy,
                             with_actions, without_boundary, without_statements)

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]
REPO_ROOT = Path(__file__).resolve().parents[2]

DECIDED_REGISTRATIONS = [
    {"ModelApprovalStatus": "Approved"},
    {"ModelApprovalStatus": "approved"},
    {"ModelLifeCycle": {"Stage": "Prod", "StageStatus": "Approved"}},
    {"ModelApprovalStatus": "PendingManualApproval", "ModelLifeCycle": {"Stage": "Dev", "StageStatus": "Approved"}},
    {"ModelApprovalStatus": "Rejected"},
]


@pytest.fixture(scope="module")
def world(sandbox_story) -> dict[str, Any]:
    deployed, lifecycle = sandbox_story.deployed, sandbox_story.lifecycle
    who = personas(deployed)
    admin_sm = who["governance_admin"].client("sagemaker")
    first = lifecycle.model_package_arns[lifecycle.first]
    inference = admin_sm.describe_model_package(ModelPackageName=first)["InferenceSpecification"]
    return {"deployed": deployed, "lifecycle": lifecycle, "who": who, "admin_sm": admin_sm, "inference": inference,
            "group_arn": deployed.names.group_arn(USE_CASE)}


def _candidate(world: dict[str, Any], session: str = "mallory") -> str:
    """A fresh candidate, registered the allowed way by a data scientist."""
    scientist = world["deployed"].person(AccountRole.DEV, f"{world['deployed'].config.platform.name_prefix}-data-scientist", session)
    arn = scientist.client("sagemaker").create_model_package(
        ModelPackageGroupName=world["group_arn"], InferenceSpecification=world["inference"],
        ModelApprovalStatus="PendingManualApproval", ModelLifeCycle={"Stage": "Dev", "StageStatus": "Pending"},
    )["ModelPackageArn"]
    world["deployed"].sandbox.drain()
    return arn


@pytest.mark.parametrize("fields", DECIDED_REGISTRATIONS, ids=lambda f: json.dumps(f))
@pytest.mark.parametrize("attacker", ["data_scientist", "dev_admin"])
def test_no_dev_principal_registers_a_decided_version(world, attacker, fields):
    outcome = register_decided(world["who"][attacker].client("sagemaker"), world["admin_sm"], world["group_arn"],
                               world["inference"], **fields)
    assert outcome.refused and outcome.answer.startswith("AccessDeniedException"), outcome.line()
    assert "explicit deny" in outcome.answer and outcome.unchanged


def test_mutation_without_the_registration_guard_statements_dev_registers_an_approved_version(world):
    """The dev administrator has no role policy of ours: only the group policy stands in the way."""
    with group_policy(world["admin_sm"], USE_CASE, lambda sid: sid.startswith("DevRegisters")):
        outcome = register_decided(world["who"]["dev_admin"].client("sagemaker"), world["admin_sm"], world["group_arn"],
                                   world["inference"], ModelApprovalStatus="Approved")
    assert not outcome.refused, outcome.line()
    # The detective control behind it: the registration guard rejects what slipped through.
    arn = outcome.answer.rsplit(" ", 1)[-1]
    world["deployed"].sandbox.drain()
    described = world["admin_sm"].describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Rejected"
    assert described["ModelLifeCycle"]["StageStatus"] == "Rejected" and "registration guard" in described["ApprovalDescription"]


@pytest.mark.parametrize("attacker", ["approver", "governance_admin", "metrics_ingest", "data_scientist"])
def test_nobody_but_the_decision_function_sets_approval_or_lifecycle(world, attacker):
    arn = _candidate(world)
    outcome = decide_directly(world["who"][attacker].client("sagemaker"), world["admin_sm"], arn, stage="Test")
    assert outcome.refused and outcome.answer.startswith("AccessDeniedException"), outcome.line()
    assert outcome.unchanged


def test_mutation_without_the_group_policy_denies_the_governance_admin_approves_directly(world):
    arn = _candidate(world)
    with group_policy(world["admin_sm"], USE_CASE, lambda sid: sid.startswith("OnlyDecisionFunction")):
        outcome = decide_directly(world["who"]["governance_admin"].client("sagemaker"), world["admin_sm"], arn, stage="Test")
    assert not outcome.refused and not outcome.unchanged, outcome.line()


def test_mutation_metrics_ingest_needs_its_role_denies_the_group_policy_and_its_boundary_removed(world):
    """Three controls on the compromised Lambda: its own role's Denies, the group policy's and its
    permissions boundary's (modules/role_boundary.py); each one alone holds."""
    prefix = world["deployed"].config.platform.name_prefix
    iam = world["who"]["governance_admin"].client("iam")
    ingest = world["who"]["metrics_ingest"].client("sagemaker")
    role = f"{prefix}-metrics-ingest-lambda"
    no_group_deny = lambda: group_policy(world["admin_sm"], USE_CASE, lambda sid: sid.startswith("OnlyDecisionFunction"))
    arn = _candidate(world)
    with role_policy(iam, role, "least-privilege", lambda sid: sid.startswith("NoDecision")):
        assert decide_directly(ingest, world["admin_sm"], arn, stage="Test").refused, "the group policy alone must hold"
        with no_group_deny():
            bounded = decide_directly(ingest, world["admin_sm"], arn, stage="Test")
            with without_boundary(iam, role):
                outcome = decide_directly(ingest, world["admin_sm"], arn, stage="Test")
    assert bounded.refused and "explicit deny in a permissions boundary" in bounded.answer, bounded.line()
    assert bounded.unchanged
    assert not outcome.refused and not outcome.unchanged, outcome.line()
    with no_group_deny(), without_boundary(iam, role):
        assert decide_directly(ingest, world["admin_sm"], _candidate(world), stage="Test").refused, \
            "the role's own Denies alone must hold"


# A compromised governance administrator widens the approver: an inline policy of its own that allows
# approving directly, the role's Denies stripped, the group policy's Deny removed.
WIDENED = [{"Sid": "CompromisedAdminWidens", "Effect": "Allow", "Action": ["sagemaker:UpdateModelPackage"],
            "Resource": ["arn:aws:sagemaker:*:*:model-package/*"]}]


def test_a_widened_approver_is_still_refused_by_its_permissions_boundary(world):
    prefix = world["deployed"].config.platform.name_prefix
    iam = world["who"]["governance_admin"].client("iam")
    approver = world["who"]["approver"].client("sagemaker")
    role = f"{prefix}-model-approver"
    boundary = iam.get_role(RoleName=role)["Role"].get("PermissionsBoundary", {})
    assert boundary.get("PermissionsBoundaryArn", "").endswith(f":policy/{prefix}-role-boundary"), boundary
    arn = _candidate(world)
    with extra_role_policy(iam, role, "widened", WIDENED), \
            role_policy(iam, role, "least-privilege", lambda sid: sid.startswith("NoDecision")), \
            group_policy(world["admin_sm"], USE_CASE, lambda sid: sid.startswith("OnlyDecisionFunction")):
        outcome = decide_directly(approver, world["admin_sm"], arn, stage="Prod")
        with without_boundary(iam, role):
            mutated_outcome = decide_directly(approver, world["admin_sm"], arn, stage="Prod")
    assert outcome.refused and outcome.answer.startswith("AccessDeniedException"), outcome.line()
    assert "explicit deny in a permissions boundary" in outcome.answer and outcome.unchanged
    # The mutation check: with the boundary dropped the widened approver approves straight to Prod.
    assert not mutated_outcome.refused and not mutated_outcome.unchanged, mutated_outcome.line()


def _widened_for_iam(world: dict[str, Any]) -> tuple[Any, Any, str, str, list[dict[str, Any]]]:
    """(admin IAM, approver IAM, role, its boundary ARN, the inline policy a compromised administrator adds:
    take off or replace its own boundary, create any role)."""
    deployed = world["deployed"]
    prefix, account = deployed.config.platform.name_prefix, deployed.config.platform.account_id(AccountRole.GOVERNANCE)
    role = f"{prefix}-model-approver"
    widened = [{"Sid": "CompromisedAdminWidensIam", "Effect": "Allow", "Resource": [f"arn:aws:iam::{account}:role/{role}"],
                "Action": ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"]},
               {"Sid": "CompromisedAdminAllowsRoles", "Effect": "Allow", "Action": ["iam:CreateRole"],
                "Resource": [f"arn:aws:iam::{account}:role/*"]}]
    return (world["who"]["governance_admin"].client("iam"), world["who"]["approver"].client("iam"), role,
            f"arn:aws:iam::{account}:policy/{prefix}-role-boundary", widened)


def _iam_refusal(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call(**kwargs)
    error = refused.value.response
    assert error["Error"]["Code"] == "AccessDenied" and error["ResponseMetadata"]["HTTPStatusCode"] == 403, error
    return error["Error"]["Message"]


def _escape_attempts(iam: Any, approver: Any, role: str, boundary: str) -> list[str]:
    """Take the boundary off, swap it for the decider's (no registry guard), create an unbounded role;
    the refusals' messages, after checking nothing changed."""
    swap, new_role = boundary.replace("-role-boundary", "-decider-boundary"), "escaped-approver"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    messages = [_iam_refusal(approver.delete_role_permissions_boundary, RoleName=role),
                _iam_refusal(approver.put_role_permissions_boundary, RoleName=role, PermissionsBoundary=swap),
                _iam_refusal(approver.create_role, RoleName=new_role, AssumeRolePolicyDocument=trust)]
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert new_role not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    return messages


def test_a_widened_role_cannot_take_off_or_swap_its_boundary_or_create_an_unbounded_role(world):
    iam, approver, role, boundary, widened = _widened_for_iam(world)
    with extra_role_policy(iam, role, "widened-iam", widened):
        messages = _escape_attempts(iam, approver, role, boundary)
    actions = ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:CreateRole")
    for action, message in zip(actions, messages):
        assert action in message and message.endswith("with an explicit deny in a permissions boundary"), message


def test_mutation_the_boundary_denies_hold_when_its_allow_names_iam_and_without_them_the_role_escapes(world):
    """The boundary allows no IAM write at all (IAM actions are listed one by one, only iam:PassRole in
    test/prod), so its self-escalation Denies matter once that list names IAM: with iam:* added they
    still refuse; with iam:* added and the Denies removed the widened role takes its boundary off."""
    iam, approver, role, boundary, widened = _widened_for_iam(world)
    denies = ("DenyBoundaryRemoval", "DenyUnboundedPrincipals")
    with extra_role_policy(iam, role, "widened-iam", widened):
        with managed_policy_mutated(iam, boundary, without_statements(denies)):
            no_allow = _escape_attempts(iam, approver, role, boundary)
        with managed_policy_mutated(iam, boundary, with_actions("UsedServices", ("iam:*",))):
            denied = _escape_attempts(iam, approver, role, boundary)
        try:
            with managed_policy_mutated(iam, boundary, both(with_actions("UsedServices", ("iam:*",)), without_statements(denies))):
                approver.delete_role_permissions_boundary(RoleName=role)
                escaped = iam.get_role(RoleName=role)["Role"].get("PermissionsBoundary")
        finally:
            iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
    assert all("because no permissions boundary allows" in m for m in no_allow), no_allow
    assert all(m.endswith("with an explicit deny in a permissions boundary") for m in denied), denied
    assert escaped is None, "the mutation: without the Denies a boundary that allows IAM lets the role take it off"


def _mlgov(world: dict[str, Any], *args: str) -> subprocess.CompletedProcess:
    from sandbox.lifecycle import Mlgov

    lifecycle, deployed = world["lifecycle"], world["deployed"]
    runner = Mlgov(deployed.sandbox.url, lifecycle.config_dir, deployed.work_root, deployed.config.platform.home_region)
    command = [sys.executable, "-m", "mlgov_cli", "--config", str(lifecycle.config_dir), *args]
    return subprocess.run(command, env=runner.env, capture_output=True, text=True, check=False)


def test_the_registrant_cannot_approve_through_the_decision_path_under_any_role_name(world):
    arn = _candidate(world, session=REGISTRANT)
    version = arn.rsplit("/", 1)[-1]
    before = world["admin_sm"].describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
    answer = _mlgov(world, "approve", USE_CASE, version, "--stage", "Test", "--reason", "mine", "--approver", REGISTRANT)
    assert answer.returncode == 1, answer.stdout + answer.stderr
    assert "separation of duties" in answer.stderr and "Traceback" not in answer.stderr
    assert world["admin_sm"].describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == before


def test_forged_qa_evidence_is_rejected_at_registration_and_never_read_by_the_gates(world):
    """A registrant types QA results and a far-future report time into the metadata they may write."""
    deployed = world["deployed"]
    scientist = world["who"]["data_scientist"].client("sagemaker")
    forged = {"qa:auc": "0.99", "qa:p95_latency_ms": "1", "qa:reported_at": "2099-01-01T00:00:00Z",
              "registered_by": "someone-else@example.com"}
    arn = scientist.create_model_package(
        ModelPackageGroupName=world["group_arn"], InferenceSpecification=world["inference"],
        ModelApprovalStatus="PendingManualApproval", CustomerMetadataProperties=forged)["ModelPackageArn"]
    deployed.sandbox.drain()
    described = world["admin_sm"].describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Rejected", "the registration guard lets forged evidence through"
    assert not set(forged) & set(described.get("CustomerMetadataProperties", {})), "the forged keys stayed"
    version = arn.rsplit("/", 1)[-1]
    answer = _mlgov(world, "approve", USE_CASE, version, "--stage", "Test", "--reason", "x", "--approver", "carol@example.com")
    assert answer.returncode == 1 and "rejected" in answer.stderr


def test_mutation_without_the_guard_forged_qa_still_fails_the_prod_gates(world):
    """With the guard's rule disabled the forged version stays a candidate; the gates still read only
    what metrics-ingest recorded, so its Prod approval is refused."""
    deployed = world["deployed"]
    events = world["who"]["governance_admin"].client("events")
    rule = f"{deployed.config.platform.name_prefix}-registration-guard"
    events.disable_rule(Name=rule)
    try:
        arn = world["who"]["data_scientist"].client("sagemaker").create_model_package(
            ModelPackageGroupName=world["group_arn"], InferenceSpecification=world["inference"],
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties={"qa:auc": "0.99", "qa:p95_latency_ms": "1"})["ModelPackageArn"]
        deployed.sandbox.drain()
    finally:
        events.enable_rule(Name=rule)
    assert world["admin_sm"].describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "PendingManualApproval"
    version = arn.rsplit("/", 1)[-1]
    approver = ("--approver", "carol@example.com")
    assert _mlgov(world, "approve", USE_CASE, version, "--stage", "Test", "--reason", "x", *approver).returncode == 0
    answer = _mlgov(world, "approve", USE_CASE, version, "--stage", "Prod", "--reason", "x", *approver)
    assert answer.returncode == 1 and "no recorded value for auc" in answer.stderr, answer.stderr


def test_a_rewritten_history_item_breaks_the_chain_and_verify_names_it(world):
    """Path 6 (detective): break glass, the one principal the table's policy lets overwrite an item
    (tests/security/test_table_attacks.py), edits who approved; `mlgov history --verify` names the item."""
    deployed, lifecycle = world["deployed"], world["lifecycle"]
    dynamodb = world["who"]["break_glass"].client("dynamodb")
    from mlgov_core import keys

    version = str(lifecycle.first)
    assert _mlgov(world, "history", USE_CASE, version, "--verify").returncode == 0
    items = dynamodb.query(TableName=deployed.names.governance_table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": keys.version_pk(USE_CASE, lifecycle.first)}})["Items"]
    target = next(i for i in items if i["sk"]["S"].startswith(keys.HISTORY_PREFIX) and i.get("item_type", {}).get("S") == "history"
                  and i.get("status", {}).get("S") == "Approved")
    try:
        dynamodb.put_item(TableName=deployed.names.governance_table, Item={**target, "approved_by": {"S": "mallory"}})
        answer = _mlgov(world, "history", USE_CASE, version, "--verify")
        assert answer.returncode == 1 and target["sk"]["S"] in answer.stdout + answer.stderr, answer.stdout + answer.stderr
    finally:
        dynamodb.put_item(TableName=deployed.names.governance_table, Item=target)
    assert _mlgov(world, "history", USE_CASE, version, "--verify").returncode == 0


# --- path 4b: prod builds models only from releases (mlgov_core.release) ---------------------------


def _approved_for_test_only(world: dict[str, Any]) -> str:
    arn = _candidate(world)
    answer = _mlgov(world, "approve", USE_CASE, arn.rsplit("/", 1)[-1], "--stage", "Test", "--reason", "QA run next",
                    "--approver", "carol")
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert world["admin_sm"].describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    return arn


def _prod_model_role(world: dict[str, Any]) -> str:
    names = world["deployed"].names
    return f"arn:aws:iam::{world['deployed'].config.platform.account_id(AccountRole.PROD)}:role/" \
           f"{names.endpoint(USE_CASE, 'prod')}-model"


def _with_prod_deploy_restored(document: dict[str, Any]) -> dict[str, Any]:
    """The source group as it was before releases: prod's Allow includes CreateModel, no Deny."""
    statements = [s for s in document["Statement"] if s.get("Sid") != "ProdDeploysOnlyReleases"]
    for s in statements:
        if s.get("Sid") == "ProdAccount":
            s["Action"] = sorted(set(s["Action"]) | {"sagemaker:CreateModel"})
    return {**document, "Statement": statements}


@pytest.mark.parametrize("attacker", ["prod_deployer", "prod_admin"])
def test_prod_cannot_build_a_model_from_a_version_approved_only_for_test(world, attacker):
    arn = _approved_for_test_only(world)
    outcome = build_model_from(world["who"][attacker].client("sagemaker"), arn,
                               f"{world['deployed'].config.platform.name_prefix}-attack-{attacker}", _prod_model_role(world))
    assert outcome.refused and outcome.answer.startswith("AccessDeniedException"), outcome.line()
    assert "explicit deny" in outcome.answer and outcome.unchanged


def test_mutation_with_prod_deploy_rights_on_the_source_group_prod_builds_a_test_only_version(world):
    """The prod administrator has no role policy of ours: only the source group's policy stands in the way."""
    arn = _approved_for_test_only(world)
    sagemaker = world["admin_sm"]
    with mutated(lambda: sagemaker.get_model_package_group_policy(ModelPackageGroupName=USE_CASE)["ResourcePolicy"],
                 lambda p: sagemaker.put_model_package_group_policy(ModelPackageGroupName=USE_CASE, ResourcePolicy=p),
                 _with_prod_deploy_restored):
        outcome = build_model_from(world["who"]["prod_admin"].client("sagemaker"), arn,
                                   f"{world['deployed'].config.platform.name_prefix}-attack-mutated", _prod_model_role(world))
    assert not outcome.refused and not outcome.unchanged, outcome.line()


@pytest.mark.parametrize("attacker", ["approver", "governance_admin"])
def test_nobody_but_the_decision_function_writes_a_prod_release(world, attacker):
    release_group = world["deployed"].names.release_group(USE_CASE)
    releases = lambda: world["admin_sm"].list_model_packages(ModelPackageGroupName=release_group)["ModelPackageSummaryList"]
    before = releases()
    with pytest.raises(ClientError) as refused:
        world["who"][attacker].client("sagemaker").create_model_package(
            ModelPackageGroupName=release_group, InferenceSpecification=world["inference"], ModelApprovalStatus="Approved")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert releases() == before


def test_mutation_without_the_release_group_deny_the_governance_admin_releases_and_the_guard_withdraws_it(world):
    release_group = world["deployed"].names.release_group(USE_CASE)
    with group_policy(world["admin_sm"], release_group, ("OnlyDecisionFunctionReleases",)):
        arn = world["who"]["governance_admin"].client("sagemaker").create_model_package(
            ModelPackageGroupName=release_group, InferenceSpecification=world["inference"],
            ModelApprovalStatus="Approved")["ModelPackageArn"]
    world["deployed"].sandbox.drain()
    described = world["admin_sm"].describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Rejected", "the registration guard withdraws a release it did not make"
    assert "not by the decision function" in described["ApprovalDescription"]


@pytest.mark.parametrize("account", list(AccountRole), ids=lambda a: a.value)
def test_every_role_the_stacks_applied_keeps_its_boundary_in_the_sandbox(world, account):
    """The boundaries the attacks above rely on are on the applied roles (moto keeps PermissionsBoundary)."""
    deployed = world["deployed"]
    prefix, operator = deployed.config.platform.name_prefix, deployed.config.platform.terraform_role_name
    committed = json.loads((REPO_ROOT / "terraform" / account.value / "main.tf.json").read_text())
    roles = sorted(r["name"] for r in committed["resource"]["aws_iam_role"].values())
    iam = deployed.session(account, operator, "boundary-review").client("iam")
    decider = deployed.names.decision_function_role_arn.rsplit("/", 1)[-1]
    applied = {name: iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
               for name in roles}
    account_id = deployed.config.platform.account_id(account)
    expected = {name: f"arn:aws:iam::{account_id}:policy/{prefix}-{'decider' if name == decider else 'role'}-boundary"
                for name in roles}
    assert applied == expected
