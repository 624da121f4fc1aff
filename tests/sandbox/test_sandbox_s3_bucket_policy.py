"""s3_bucket_policy: bucket policies are evaluated with IAM semantics against the request's condition keys."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV, REGION

from sandbox.patches._policy import condition_holds, evaluate

KEY_ARN = f"arn:aws:kms:{REGION}:{GOV}:key/11111111-2222-3333-4444-555555555555"
BUCKET_ARN = "arn:aws:s3:::b"
DEV_CALLER = {"account": DEV, "arn": f"arn:aws:sts::{DEV}:assumed-role/ds/s", "role_arn": f"arn:aws:iam::{DEV}:role/ds"}
TLS = {"aws:securetransport": ["true"]}
SSE = {"s3:x-amz-server-side-encryption": ["aws:kms"], "s3:x-amz-server-side-encryption-aws-kms-key-id": [KEY_ARN]}


def _deny(sid: str, conditions: dict, action: str = "s3:PutObject") -> dict:
    return {"Sid": sid, "Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": [action],
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"], "Condition": conditions}  # fmt: skip


def _policy(bucket_arn: str, header_conditions: str) -> dict:
    """The artifact bucket's statements; header_conditions "ifexists" as committed, "present" = deny only a wrong header."""
    def sse(key: str, value: str) -> dict:
        if header_conditions == "ifexists":
            return {"StringNotEqualsIfExists": {key: value}}
        return {"StringNotEquals": {key: value}, "Null": {key: "false"}}

    statements = [
        _deny("DenyInsecureTransport", {"Bool": {"aws:SecureTransport": "false"}}, "s3:*"),
        _deny("DenyUnencryptedUploads", sse("s3:x-amz-server-side-encryption", "aws:kms")),
        _deny("DenyOtherKmsKeys", sse("s3:x-amz-server-side-encryption-aws-kms-key-id", KEY_ARN)),
        {"Sid": "WritersPut", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{DEV}:root"]},
         "Action": ["s3:PutObject"], "Resource": [f"{BUCKET_ARN}/models/*"]},
    ]  # fmt: skip
    return json.loads(json.dumps({"Version": "2012-10-17", "Statement": statements}).replace(BUCKET_ARN, bucket_arn))


@pytest.mark.parametrize(("operator", "values", "context", "expected"), [
    ("Bool", {"aws:SecureTransport": "false"}, TLS, False),
    ("Bool", {"aws:SecureTransport": "false"}, {"aws:securetransport": ["false"]}, True),
    ("StringNotEquals", {"s3:x-amz-server-side-encryption": "aws:kms"}, {}, True),  # negated: a missing key holds
    ("StringNotEqualsIfExists", {"s3:x-amz-server-side-encryption": "aws:kms"}, {}, True),  # IfExists: holds too
    ("StringNotEqualsIfExists", {"s3:x-amz-server-side-encryption": "aws:kms"}, SSE, False),
    ("StringEquals", {"aws:PrincipalAccount": DEV}, {}, False),
    ("StringEqualsIfExists", {"aws:PrincipalAccount": DEV}, {}, True),
    ("Null", {"s3:x-amz-server-side-encryption": "false"}, {}, False),
    ("Null", {"s3:x-amz-server-side-encryption": "false"}, SSE, True),
    ("StringLike", {"s3:prefix": ["models/*", "x"]}, {"s3:prefix": ["models/a"]}, True),
])  # fmt: skip
def test_condition_operators(operator, values, context, expected):
    assert condition_holds(operator, values, context) is expected


@pytest.mark.parametrize(("header_conditions", "context", "expected"), [
    ("ifexists", TLS, "DENIED"),  # AWS: IfExists on a negated operator still denies a request without the header
    ("ifexists", {**TLS, **SSE}, "PERMITTED"),
    ("present", TLS, "PERMITTED"),  # no header: the bucket default encryption applies
    ("present", {**TLS, **SSE}, "PERMITTED"),
    ("present", {**TLS, **SSE, "s3:x-amz-server-side-encryption-aws-kms-key-id": ["other"]}, "DENIED"),
    ("present", {**TLS, "s3:x-amz-server-side-encryption": ["AES256"]}, "DENIED"),
    ("present", {"aws:securetransport": ["false"]}, "DENIED"),
])  # fmt: skip
def test_artifact_policy_decisions(header_conditions, context, expected):
    policy = _policy(BUCKET_ARN, header_conditions)
    assert evaluate(policy, "s3:PutObject", f"{BUCKET_ARN}/models/m/model.tar.gz", DEV_CALLER, context) == expected


def test_principal_scoped_deny_only_hits_that_principal():
    policy = {"Statement": [{"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{DEV}:role/ds"}, "Action": "s3:*", "Resource": "*"}]}
    assert evaluate(policy, "s3:GetObject", f"{BUCKET_ARN}/k", DEV_CALLER, TLS) == "DENIED"
    assert evaluate(policy, "s3:GetObject", f"{BUCKET_ARN}/k", {"account": GOV, "arn": "x", "role_arn": ""}, TLS) == "NEUTRAL"


def test_a_service_principal_statement_matches_only_that_service():
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
                             "Resource": "*"}]}
    service = {"account": "", "arn": "", "role_arn": "", "service": "cloudtrail.amazonaws.com"}
    assert evaluate(policy, "s3:PutObject", f"{BUCKET_ARN}/k", service, TLS) == "PERMITTED"
    assert evaluate(policy, "s3:PutObject", f"{BUCKET_ARN}/k", {**service, "service": "logging.s3.amazonaws.com"}, TLS) == "NEUTRAL"
    assert evaluate(policy, "s3:PutObject", f"{BUCKET_ARN}/k", DEV_CALLER, TLS) == "NEUTRAL"


def test_cross_account_upload_over_loopback(aws):
    """Plain HTTP on 127.0.0.1 counts as TLS; the SSE Deny statements decide on the request headers."""
    name = f"mlgov-policy-{uuid.uuid4().hex[:8]}"
    owner = aws("s3", GOV)
    owner.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    writer = aws("s3", DEV)

    owner.put_bucket_policy(Bucket=name, Policy=json.dumps(_policy(f"arn:aws:s3:::{name}", "present")))
    writer.put_object(Bucket=name, Key="models/a/model.tar.gz", Body=b"x")
    writer.put_object(Bucket=name, Key="models/b/model.tar.gz", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=KEY_ARN)
    with pytest.raises(ClientError, match="403|AccessDenied"):
        writer.put_object(Bucket=name, Key="models/c/model.tar.gz", Body=b"x", ServerSideEncryption="AES256")

    owner.put_bucket_policy(Bucket=name, Policy=json.dumps(_policy(f"arn:aws:s3:::{name}", "ifexists")))
    with pytest.raises(ClientError, match="403|AccessDenied"):
        writer.put_object(Bucket=name, Key="models/d/model.tar.gz", Body=b"x")
    writer.put_object(Bucket=name, Key="models/e/model.tar.gz", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=KEY_ARN)
    assert owner.get_object(Bucket=name, Key="models/e/model.tar.gz")["Body"].read() == b"x"


def test_a_policy_denial_answers_with_s3s_access_denied_error(aws):
    """Clients see the AccessDenied code S3 sends, not a bare 403."""
    name = f"mlgov-policy-{uuid.uuid4().hex[:8]}"
    owner = aws("s3", GOV)
    owner.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    owner.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "NoWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))
    with pytest.raises(ClientError) as refused:
        aws("s3", DEV).put_object(Bucket=name, Key="k", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
