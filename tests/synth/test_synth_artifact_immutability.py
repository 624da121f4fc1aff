"""What a registered version references cannot change: Object Lock, write-once models/, no deletes,
governance-owned baselines, and the artifact key usable only through S3/ECR.

Decisions on the synthesized bucket policy use the sandbox's IAM evaluator (the one the sandbox
applies to every S3 request), so a statement that does not do what its Sid says fails here.
"""

from __future__ import annotations

import json

import pytest
from tf_json import actions, as_list, config, iam_role_policy, one, refers_to, resources, statements

from mlgov_config import AccountRole
from modules.artifact_store import IMMUTABILITY_ACTIONS
from modules.naming import Names
from sandbox.patches.s3_bucket_policy import evaluate

CONFIG = config()
NAMES = Names.from_config(CONFIG)
PREFIX = CONFIG.platform.name_prefix
ACCOUNTS = {role: CONFIG.platform.account_id(role) for role in AccountRole}
BUCKET_ARN = NAMES.artifact_bucket_arn()
MODEL = f"{BUCKET_ARN}/models/credit-risk/{'a' * 64}/model.tar.gz"
BASELINE = f"{BUCKET_ARN}/baselines/credit-risk/v1/statistics.json"
VIA = sorted([f"s3.{NAMES.region}.amazonaws.com", f"ecr.{NAMES.region}.amazonaws.com"])
TLS = {"aws:securetransport": ["true"]}
DEV_ROLES = (f"{PREFIX}-data-scientist", f"{PREFIX}-data-science-lead")


def caller(role: AccountRole, role_name: str = "admin") -> tuple[dict[str, str], dict[str, list[str]]]:
    account = ACCOUNTS[role]
    who = {"account": account, "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/s",
           "role_arn": f"arn:aws:iam::{account}:role/{role_name}"}
    # Every configured account is in the organisation (tests/synth/test_synth_organization.py plays outsiders).
    return who, {**TLS, "aws:principalaccount": [account], "aws:principalarn": [who["role_arn"]],
                 "aws:principalorgid": [CONFIG.platform.organization_id]}


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def artifact_bucket(governance) -> tuple[str, dict]:
    [(name, body)] = [(n, b) for n, b in resources(governance, "aws_s3_bucket").items() if b["bucket"] == NAMES.artifact_bucket]
    return name, body


@pytest.fixture(scope="module")
def bucket_policy(governance, artifact_bucket) -> dict:
    name, _ = artifact_bucket
    [policy] = [b for b in resources(governance, "aws_s3_bucket_policy").values() if refers_to(b["bucket"], "aws_s3_bucket", name)]
    return json.loads(policy["policy"])


def decide(policy: dict, action: str, resource: str, role: AccountRole, extra: dict[str, list[str]] | None = None) -> str:
    who, context = caller(role)
    return evaluate(policy, action, resource, who, {**context, **(extra or {})})


def test_object_lock_enabled_at_creation_with_compliance_retention_from_config(governance, artifact_bucket):
    name, bucket = artifact_bucket
    assert bucket.get("object_lock_enabled") is True, "Object Lock can only be switched on when the bucket is created"
    [lock] = [b for b in resources(governance, "aws_s3_bucket_object_lock_configuration").values()
              if refers_to(b["bucket"], "aws_s3_bucket", name)]
    retention = one(one(lock["rule"])["default_retention"])
    assert retention == {"mode": "COMPLIANCE", "days": CONFIG.platform.governance.artifact_retention_days}
    assert any(d.startswith("aws_s3_bucket_versioning.") for d in lock.get("depends_on", [])), "lock after versioning"


def test_only_the_artifact_bucket_is_locked(synth):
    """The access-log targets must not be locked (log delivery refuses default retention).

    The audit archive (tests/synth/test_synth_history_archive.py) and the trail's bucket
    (tests/synth/test_synth_audit_trail.py) are the other locked buckets."""
    locked = (NAMES.artifact_bucket, NAMES.audit_archive_bucket, NAMES.audit_trail_bucket)
    for stack_name, stack in synth.stacks.items():
        for body in resources(stack, "aws_s3_bucket").values():
            assert bool(body.get("object_lock_enabled")) == (body["bucket"] in locked), (stack_name, body["bucket"])


@pytest.mark.parametrize("role", list(AccountRole))
def test_plain_put_into_models_is_denied_to_everyone(bucket_policy, role):
    assert decide(bucket_policy, "s3:PutObject", MODEL, role) == "DENIED"
    # any other If-None-Match value is no conditional create either
    assert decide(bucket_policy, "s3:PutObject", MODEL, role, {"s3:if-none-match": ['"etag"']}) == "DENIED"


def test_conditional_create_is_not_denied_and_dev_may_write(bucket_policy):
    assert decide(bucket_policy, "s3:PutObject", MODEL, AccountRole.DEV, {"s3:if-none-match": ["*"]}) == "PERMITTED"
    assert decide(bucket_policy, "s3:PutObject", MODEL, AccountRole.GOVERNANCE, {"s3:if-none-match": ["*"]}) != "DENIED"


def test_write_once_statement_is_what_refuses_the_overwrite(bucket_policy):
    """Mutation: without the write-once Deny, the same plain PUT by dev is permitted."""
    mutated = {**bucket_policy, "Statement": [s for s in statements(bucket_policy) if s.get("Sid") != "DenyModelOverwrite"]}
    assert decide(mutated, "s3:PutObject", MODEL, AccountRole.DEV) == "PERMITTED"


@pytest.mark.parametrize("action", ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention",
                                    "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold"])
@pytest.mark.parametrize("resource", [MODEL, BASELINE])
@pytest.mark.parametrize("role", list(AccountRole))
def test_nothing_released_can_be_deleted_or_unlocked(bucket_policy, action, resource, role):
    assert decide(bucket_policy, action, resource, role) == "DENIED"


def test_delete_denies_name_every_principal(bucket_policy):
    [deny] = [s for s in statements(bucket_policy) if s.get("Sid") == "DenyReleasedChanges"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": ["*"]} and "Condition" not in deny
    assert sorted(actions(deny)) == sorted(IMMUTABILITY_ACTIONS)


@pytest.mark.parametrize("role", [AccountRole.DEV, AccountRole.TEST, AccountRole.PROD])
def test_only_governance_writes_baselines(bucket_policy, role):
    for conditional in ({}, {"s3:if-none-match": ["*"]}):
        assert decide(bucket_policy, "s3:PutObject", BASELINE, role, conditional) == "DENIED"
    assert decide(bucket_policy, "s3:PutObject", BASELINE, AccountRole.GOVERNANCE) != "DENIED"


@pytest.mark.parametrize("role", [AccountRole.TEST, AccountRole.PROD])
def test_consumers_read_models_and_baselines_only(bucket_policy, role):
    assert decide(bucket_policy, "s3:GetObject", MODEL, role) == "PERMITTED"
    assert decide(bucket_policy, "s3:GetObject", BASELINE, role) == "PERMITTED"
    assert decide(bucket_policy, "s3:GetObject", f"{BUCKET_ARN}/scratch/x", role) == "NEUTRAL"
    assert decide(bucket_policy, "s3:PutObject", MODEL, role, {"s3:if-none-match": ["*"]}) == "NEUTRAL"


def test_no_writer_grant_includes_a_delete(bucket_policy):
    for statement in statements(bucket_policy):
        if statement["Effect"] == "Allow":
            assert not [a for a in actions(statement) if "Delete" in a or "Retention" in a], statement


@pytest.mark.parametrize("role_name", DEV_ROLES)
def test_dev_roles_put_models_only_and_never_delete(synth, role_name):
    _, policy = iam_role_policy(synth.stacks[AccountRole.DEV.value], role_name)
    allowed = [(a, r) for s in statements(policy) if s["Effect"] == "Allow" for a in actions(s) for r in as_list(s.get("Resource", []))]
    assert not [a for a, _ in allowed if a.startswith("s3:Delete") or a in ("s3:*", "s3:PutObjectRetention")], allowed
    puts = sorted({r for a, r in allowed if a == "s3:PutObject" and r.startswith(BUCKET_ARN)})
    assert puts == [f"{BUCKET_ARN}/models/*"], "dev writes artifacts only under models/ (never baselines/)"


def _artifact_key_grants(stack: dict) -> list[dict]:
    return [s for role in resources(stack, "aws_iam_role_policy").values() for s in statements(json.loads(role["policy"]))
            if s["Effect"] == "Allow" and any(r.startswith(NAMES.artifact_key_pattern_arn()[:-1]) for r in as_list(s.get("Resource", [])))]


@pytest.mark.parametrize("stack_name", ["dev", "test", "prod"])
def test_cross_account_key_grants_work_only_through_s3_and_ecr(synth, stack_name):
    grants = _artifact_key_grants(synth.stacks[stack_name])
    assert grants, f"{stack_name}: no artifact key grant found"
    for grant in grants:
        assert sorted(as_list(grant["Condition"]["StringEquals"]["kms:ViaService"])) == VIA, grant


def test_artifact_key_policy_limits_other_accounts_to_s3_and_ecr(governance):
    [key] = [b for b in resources(governance, "aws_kms_key").values() if "artifacts" in b["description"]]
    for statement in statements(json.loads(key["policy"])):
        principals = as_list(statement.get("Principal", {}).get("AWS", []))
        foreign = [p for p in principals if ACCOUNTS[AccountRole.GOVERNANCE] not in p]
        if foreign and statement["Effect"] == "Allow":
            assert sorted(statement["Condition"]["StringEquals"]["kms:ViaService"]) == VIA, statement


def test_prod_monitor_reads_and_decrypts_the_baseline(synth):
    prod = synth.stacks[AccountRole.PROD.value]
    baseline = CONFIG.use_cases["credit-risk"].deployments.prod.monitoring.baseline_s3_uri
    assert baseline.startswith(f"s3://{NAMES.artifact_bucket}/baselines/")
    monitors = [json.loads(b["policy"]) for b in resources(prod, "aws_iam_role_policy").values()
                if any(s.get("Sid") == "ReadBaseline" for s in statements(json.loads(b["policy"])))]
    assert monitors
    for policy in monitors:
        sids = {s["Sid"]: s for s in statements(policy)}
        assert sids["ReadBaseline"]["Resource"] == [f"arn:aws:s3:::{baseline.removeprefix('s3://')}*"]
        assert sorted(sids["DecryptBaseline"]["Condition"]["StringEquals"]["kms:ViaService"]) == VIA
