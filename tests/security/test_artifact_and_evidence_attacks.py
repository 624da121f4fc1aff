"""Attack paths on released artifacts and on the metrics path (docs/security.md, paths 1 and 7).

Refused by the artifact bucket's policy (evaluated by patches/s3_bucket_policy.py), by S3 Object
Lock in COMPLIANCE mode (patches/s3_object_lock_retention.py) and by the metrics bus policy
(patches/events_cross_account_bus.py), all as the committed Terraform applied them.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from mlgov_config import AccountRole
from policy_mutation import bucket_policy, bus_policy, without_condition_key
from sandbox.attacks import overwrite_artifact, report_qa

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]


def _code(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def test_dev_cannot_overwrite_the_artifact_a_released_version_references(released):
    outcome = overwrite_artifact(released["scientist_s3"], released["admin_s3"], released["bucket"], released["key"])
    assert outcome.refused and outcome.answer.startswith("AccessDenied"), outcome.line()
    assert outcome.unchanged
    # A conditional create (the only write allowed under models/) cannot replace an existing key either.
    assert _code(lambda: released["scientist_s3"].put_object(Bucket=released["bucket"], Key=released["key"], Body=b"x",
                                                         IfNoneMatch="*")) == "PreconditionFailed"


def test_nobody_deletes_a_released_artifact_or_its_versions(released):
    s3, bucket, key = released["admin_s3"], released["bucket"], released["key"]
    version = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
    for who in ("data_scientist", "governance_admin"):
        client = released["who"][who].client("s3")
        assert _code(lambda: client.delete_object(Bucket=bucket, Key=key)) == "AccessDenied"
        assert _code(lambda: client.delete_object(Bucket=bucket, Key=key, VersionId=version)) == "AccessDenied"
    assert s3.head_object(Bucket=bucket, Key=key)["VersionId"] == version


def test_mutation_without_the_write_once_statement_dev_overwrites_a_model_file(released):
    canary = f"models/credit-risk/{uuid.uuid4().hex}/model.json"
    released["scientist_s3"].put_object(Bucket=released["bucket"], Key=canary, Body=b"{}", IfNoneMatch="*")
    with bucket_policy(released["admin_s3"], released["bucket"], ("DenyModelOverwrite",)):
        outcome = overwrite_artifact(released["scientist_s3"], released["admin_s3"], released["bucket"], canary)
    assert not outcome.refused and not outcome.unchanged, outcome.line()


def test_object_lock_holds_when_the_bucket_policy_no_longer_denies_deletes(released):
    """Defence in depth: without the policy's Deny the administrator still cannot delete a locked version;
    the same delete succeeds on a bucket of the same account without Object Lock (the mutation)."""
    s3, bucket, key = released["admin_s3"], released["bucket"], released["key"]
    version = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
    with bucket_policy(s3, bucket, ("DenyReleasedChanges",)):
        assert _code(lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=version)) == "AccessDenied"
    assert s3.head_object(Bucket=bucket, Key=key)["VersionId"] == version

    unlocked = f"mutant-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=unlocked, CreateBucketConfiguration={"LocationConstraint": released["deployed"].config.platform.home_region})
    s3.put_bucket_versioning(Bucket=unlocked, VersioningConfiguration={"Status": "Enabled"})
    copied = s3.put_object(Bucket=unlocked, Key=key, Body=b"{}")["VersionId"]
    s3.delete_object(Bucket=unlocked, Key=key, VersionId=copied)
    assert "Versions" not in s3.list_object_versions(Bucket=unlocked)


def _report(session, bus_arn: str, version: int = 1) -> None:
    report_qa(session, bus_arn, version, auc=0.99, reported_at="2099-01-01T00:00:00Z")


def test_the_test_deployer_cannot_attest_qa(released):
    """The pipeline role that deploys is not the QA publisher: the bus refuses its report."""
    deployed = released["deployed"]
    with pytest.raises(ClientError) as refused:
        _report(released["who"]["test_deployer"], deployed.names.metrics_bus_arn())
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_mutation_without_the_publisher_condition_the_deployer_is_accepted(released):
    deployed = released["deployed"]
    events = released["who"]["governance_admin"].client("events")
    with bus_policy(events, deployed.names.metrics_bus, without_condition_key("aws:PrincipalArn")):
        # Accepted now (a version that does not exist, so no real evidence is touched).
        _report(released["who"]["test_deployer"], deployed.names.metrics_bus_arn(), version=999_999)


def test_a_publisher_cannot_report_for_the_other_kind(released):
    """The prod publisher reports production metrics; QA (the Prod gate's evidence) only comes from test."""
    deployed = released["deployed"]
    before = _qa_item(deployed)
    publisher = deployed.session(AccountRole.PROD, f"{deployed.config.platform.name_prefix}-metrics-publisher", "prod")
    try:
        _report(publisher, deployed.names.metrics_bus_arn())
    except ClientError:
        pass  # refused at the bus: fine too
    deployed.sandbox.drain()
    assert _qa_item(deployed) == before, "a QA report from the prod account was recorded as evidence"


def _qa_item(deployed) -> str:
    from mlgov_core import keys

    item = deployed.governance().client("dynamodb").get_item(
        TableName=deployed.names.governance_table,
        Key={"pk": {"S": keys.version_pk("credit-risk", 1)}, "sk": {"S": keys.metrics_sk("qa")}}).get("Item")
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
