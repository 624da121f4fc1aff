"""The data scientist against the artifact bucket as the construct generates it (policy and Object Lock
from the synthesized governance stack): released artifacts cannot be overwritten or deleted.

The mutation test removes the write-once statement and shows the same overwrite then succeeds, so the
refusal comes from that control and not from something else in the sandbox.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV, REGION

from mlgov_config import AccountRole, load_config
from modules.naming import Names
from sandbox.accounts import assume

ARTIFACT_BUCKET = Names.from_config(load_config(Path(__file__).resolve().parents[2] / "config")).artifact_bucket
ROLE = f"arn:aws:iam::{DEV}:role/mlgov-data-scientist"
MODEL_KEY = "models/credit-risk/" + "a" * 64 + "/model.tar.gz"


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def generated(synth) -> dict[str, Any]:
    """The artifact bucket's policy and Object Lock rule as synthesized for the governance account."""
    stack = synth.stacks[AccountRole.GOVERNANCE.value]["resource"]
    [(address, _)] = [(n, b) for n, b in stack["aws_s3_bucket"].items() if b["bucket"] == ARTIFACT_BUCKET]
    ref = f"${{aws_s3_bucket.{address}.id}}"
    [policy] = [b["policy"] for b in stack["aws_s3_bucket_policy"].values() if b["bucket"] == ref]
    [lock] = [b["rule"] for b in stack["aws_s3_bucket_object_lock_configuration"].values() if b["bucket"] == ref]
    retention = lock["default_retention"]
    return {"policy": json.loads(policy), "default_retention": retention[0] if isinstance(retention, list) else retention}


@pytest.fixture
def store(aws, sandbox_url, generated):
    """A fresh bucket (governance account) with the generated policy, lock and KMS default encryption."""
    gov = aws("s3", GOV)
    name = f"mlgov-imm-{uuid.uuid4().hex[:10]}"
    key_arn = aws("kms", GOV).create_key(Description="artifact key")["KeyMetadata"]["Arn"]
    gov.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True)
    lock = generated["default_retention"]
    gov.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": lock["mode"], "Days": lock["days"]}}})
    gov.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]})
    policy = _for_bucket(generated["policy"], name, key_arn)
    gov.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    scientist = assume(sandbox_url, REGION, ROLE, "ds@example.com").client("s3")
    return {"name": name, "gov": gov, "ds": scientist, "policy": policy}


def _for_bucket(policy: dict[str, Any], bucket: str, key_arn: str) -> dict[str, Any]:
    """The generated policy for this test's bucket, the key reference resolved to a real key."""
    text = json.dumps(policy).replace(ARTIFACT_BUCKET, bucket)
    return json.loads(re.sub(r"\$\{aws_kms_key\.[^}]+\.arn\}", key_arn, text))


def _put(client: Any, bucket: str, key: str, body: bytes, conditional: bool = True) -> dict[str, Any]:
    extra = {"IfNoneMatch": "*"} if conditional else {}
    return client.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256", **extra)


def test_fresh_conditional_create_succeeds_and_is_locked(store):
    written = _put(store["ds"], store["name"], MODEL_KEY, b"model v1")
    head = store["gov"].head_object(Bucket=store["name"], Key=MODEL_KEY)
    assert head["VersionId"] == written["VersionId"] and head["ObjectLockMode"] == "COMPLIANCE"


def test_overwrite_of_a_released_key_is_refused(store):
    bucket, ds = store["name"], store["ds"]
    _put(ds, bucket, MODEL_KEY, b"model v1")
    with pytest.raises(ClientError) as plain:  # the write-once Deny: no If-None-Match
        _put(ds, bucket, MODEL_KEY, b"tampered", conditional=False)
    assert _code(plain)[1] == 403
    with pytest.raises(ClientError) as conditional:  # allowed by the policy, refused by S3: the key exists
        _put(ds, bucket, MODEL_KEY, b"tampered")
    assert _code(conditional) == ("PreconditionFailed", 412)
    assert store["gov"].get_object(Bucket=bucket, Key=MODEL_KEY)["Body"].read() == b"model v1"
    versions = store["gov"].list_object_versions(Bucket=bucket, Prefix=MODEL_KEY).get("Versions", [])
    assert len(versions) == 1


def test_data_scientist_cannot_delete(store):
    bucket, ds = store["name"], store["ds"]
    version = _put(ds, bucket, MODEL_KEY, b"model v1")["VersionId"]
    for extra in ({}, {"VersionId": version}):
        with pytest.raises(ClientError) as denied:
            ds.delete_object(Bucket=bucket, Key=MODEL_KEY, **extra)
        assert _code(denied)[1] == 403, extra
    assert store["gov"].get_object(Bucket=bucket, Key=MODEL_KEY)["Body"].read() == b"model v1"


def test_object_lock_keeps_a_version_even_from_the_administrator_without_the_policy(store):
    """The governance administrator removes the bucket policy: COMPLIANCE retention still refuses."""
    bucket, gov = store["name"], store["gov"]
    version = _put(store["ds"], bucket, MODEL_KEY, b"model v1")["VersionId"]
    gov.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError) as locked:
        gov.delete_object(Bucket=bucket, Key=MODEL_KEY, VersionId=version, BypassGovernanceRetention=True)
    assert _code(locked) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as shorten:  # s3_object_lock_retention
        gov.put_object_retention(Bucket=bucket, Key=MODEL_KEY, VersionId=version, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)})
    assert _code(shorten) == ("AccessDenied", 403)
    assert gov.get_object(Bucket=bucket, Key=MODEL_KEY, VersionId=version)["Body"].read() == b"model v1"


def test_only_governance_writes_baselines(store):
    bucket = store["name"]
    with pytest.raises(ClientError) as denied:
        _put(store["ds"], bucket, "baselines/credit-risk/v1/statistics.json", b"{}")
    assert _code(denied)[1] == 403
    _put(store["gov"], bucket, "baselines/credit-risk/v1/statistics.json", b"{}", conditional=False)


def test_mutation_without_the_write_once_statement_the_overwrite_succeeds(store):
    bucket, ds = store["name"], store["ds"]
    _put(ds, bucket, MODEL_KEY, b"model v1")
    weakened = {**store["policy"], "Statement": [s for s in store["policy"]["Statement"] if s.get("Sid") != "DenyModelOverwrite"]}
    assert len(weakened["Statement"]) == len(store["policy"]["Statement"]) - 1
    store["gov"].put_bucket_policy(Bucket=bucket, Policy=json.dumps(weakened))
    _put(ds, bucket, MODEL_KEY, b"tampered", conditional=False)
    assert store["gov"].get_object(Bucket=bucket, Key=MODEL_KEY)["Body"].read() == b"tampered"
