"""PutBucketLogging accepts a target policy that AWS accepts: list-valued Service/Resource, wildcard prefix."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from sandbox.patches.s3_logging_policy import admits_log_delivery

ARN = "arn:aws:s3:::logs-bucket"


def _policy(resource, service=("logging.s3.amazonaws.com",), effect="Allow"):
    return {"Statement": [{"Effect": effect, "Principal": {"Service": list(service)}, "Action": ["s3:PutObject"], "Resource": resource}]}


@pytest.mark.parametrize(("policy", "prefix", "expected"), [
    (_policy([f"{ARN}/s3/*"]), "s3/source-bucket/", True),
    (_policy(f"{ARN}/*"), "anything/", True),
    (_policy([f"{ARN}/other/*"]), "s3/source-bucket/", False),
    (_policy([f"{ARN}/s3/*"], service=("cloudtrail.amazonaws.com",)), "s3/x/", False),
    (_policy([f"{ARN}/s3/*"], effect="Deny"), "s3/x/", False),
])
def test_policy_evaluation(policy, prefix, expected):
    assert admits_log_delivery(policy, ARN, prefix) is expected


def test_bucket_logging_with_list_valued_policy(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="mlgov-test-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.create_bucket(Bucket="mlgov-test-source", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    config = {"LoggingEnabled": {"TargetBucket": "mlgov-test-logs", "TargetPrefix": "s3/mlgov-test-source/"}}
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        s3.put_bucket_logging(Bucket="mlgov-test-source", BucketLoggingStatus=config)
    s3.put_bucket_policy(Bucket="mlgov-test-logs", Policy=json.dumps(_policy(["arn:aws:s3:::mlgov-test-logs/s3/*"])))
    s3.put_bucket_logging(Bucket="mlgov-test-source", BucketLoggingStatus=config)
    assert s3.get_bucket_logging(Bucket="mlgov-test-source")["LoggingEnabled"]["TargetBucket"] == "mlgov-test-logs"
