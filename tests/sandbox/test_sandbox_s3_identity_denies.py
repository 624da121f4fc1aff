"""s3_identity_denies: an S3 object request that the caller's identity policy explicitly denies is refused."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import GOV, REGION

from sandbox.accounts import assume


def test_an_identity_deny_refuses_the_object_read_and_only_that(aws, sandbox_url):
    iam, s3 = aws("iam", GOV), aws("s3", GOV)
    bucket, role = f"mlgov-deny-{uuid.uuid4().hex[:8]}", f"reader-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="data/a", Body=b"secret")
    s3.put_object(Bucket=bucket, Key="config/a", Body=b"settings")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{GOV}:root"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Reads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Sid": "NoData", "Effect": "Deny", "Action": "s3:GetObject", "NotResource": f"arn:aws:s3:::{bucket}/config/*"}]}))
    reader = assume(sandbox_url, REGION, f"arn:aws:iam::{GOV}:role/{role}", "reader").client("s3")

    with pytest.raises(ClientError) as refused:
        reader.get_object(Bucket=bucket, Key="data/a")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError, match="403"):
        reader.head_object(Bucket=bucket, Key="data/a")  # HEAD is authorised as s3:GetObject
    assert reader.get_object(Bucket=bucket, Key="config/a")["Body"].read() == b"settings"

    iam.delete_role_policy(RoleName=role, PolicyName="p")
    assert reader.get_object(Bucket=bucket, Key="data/a")["Body"].read() == b"secret"
