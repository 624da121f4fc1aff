"""The analytics lake as synthesized: a secure bucket, a least-privilege projection function, its stream
mapping (filter, bisection, bounded retries and age, DLQ with alarm) and the config objects from config."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from tf_json import actions, config, iam_role_policy, one, refers_to, resources, statements

from mlgov_config import AccountRole
from mlgov_core import lake
from modules.naming import Names

CONFIG = config()
NAMES = Names.from_config(CONFIG)
FUNCTION = NAMES.function("lake-projection")
LAKE_ARN = f"arn:aws:s3:::{NAMES.analytics_lake_bucket}"


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def bucket(governance) -> str:
    [name] = [n for n, b in resources(governance, "aws_s3_bucket").items() if b["bucket"] == NAMES.analytics_lake_bucket]
    return name


def _of_bucket(governance: dict, type_: str, bucket: str) -> dict:
    [body] = [b for b in resources(governance, type_).values() if refers_to(b["bucket"], "aws_s3_bucket", bucket)]
    return body


def test_bucket_is_kms_encrypted_versioned_private_tls_only_and_logged(governance, bucket):
    sse = one(one(_of_bucket(governance, "aws_s3_bucket_server_side_encryption_configuration", bucket)["rule"])
              ["apply_server_side_encryption_by_default"])
    assert sse["sse_algorithm"] == "aws:kms" and "governance-key" in sse["kms_master_key_id"]
    assert one(_of_bucket(governance, "aws_s3_bucket_versioning", bucket)["versioning_configuration"])["status"] == "Enabled"
    block = _of_bucket(governance, "aws_s3_bucket_public_access_block", bucket)
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    policy = json.loads(_of_bucket(governance, "aws_s3_bucket_policy", bucket)["policy"])
    assert any(s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
               for s in statements(policy))
    assert "aws_s3_bucket" in _of_bucket(governance, "aws_s3_bucket_logging", bucket)["target_bucket"]
    rules = _of_bucket(governance, "aws_s3_bucket_lifecycle_configuration", bucket)["rule"]
    assert any(r.get("noncurrent_version_expiration") for r in rules)


def test_only_the_projection_and_the_backfill_operator_write_or_delete_rows(governance, bucket):
    policy = json.loads(_of_bucket(governance, "aws_s3_bucket_policy", bucket)["policy"])
    [deny] = [s for s in statements(policy) if s.get("Sid") == "DenyForeignRowWriters"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": ["*"]}
    assert sorted(actions(deny)) == ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject"]
    assert sorted(deny["Resource"]) == [f"{LAKE_ARN}/{p}/*" for p in ("history", "metrics", "versions")]
    account = CONFIG.platform.account_id(AccountRole.GOVERNANCE)
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": sorted([
        f"arn:aws:iam::{account}:role/{FUNCTION}-lambda", f"arn:aws:iam::{account}:role/{CONFIG.platform.terraform_role_name}"])}}


def test_function_role_is_least_privilege(governance):
    _, inline = iam_role_policy(governance, f"{FUNCTION}-lambda")
    granted = {a: s["Resource"] for s in statements(inline) for a in actions(s)}
    assert not any("*" in a for a in granted)
    writes = {a: r for a, r in granted.items() if a.startswith("s3:")}
    assert sorted(writes) == ["s3:DeleteObject", "s3:PutObject"]
    assert sorted(writes["s3:PutObject"]) == [f"{LAKE_ARN}/{p}/*" for p in ("history", "metrics", "versions")]
    assert "dynamodb:Query" in granted and "dynamodb:Scan" not in granted and "dynamodb:PutItem" not in granted
    assert {"dynamodb:GetRecords", "kms:Decrypt", "kms:GenerateDataKey"} <= set(granted)


def test_stream_mapping_filters_bisects_and_dead_letters(governance):
    [mapping] = [b for b in resources(governance, "aws_lambda_event_source_mapping").values()
                 if "analytics-lake" in b["function_name"]]
    assert mapping["bisect_batch_on_function_error"] is True
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert 0 < mapping["maximum_retry_attempts"] <= 10 and mapping["maximum_record_age_in_seconds"] == 86400
    assert mapping["batch_size"] == 100 and "analytics-lake_dlq" in one(mapping["destination_config"]["on_failure"])["destination_arn"]
    patterns = [json.loads(f["pattern"]) for f in mapping["filter_criteria"]["filter"]]
    assert [p["dynamodb"]["Keys"]["sk"]["S"] for p in patterns] == [["STATE"], [{"prefix": "HIST#"}]]
    assert patterns[1]["eventName"] == ["INSERT"]
    alarms = [a for a in resources(governance, "aws_cloudwatch_metric_alarm").values()
              if a.get("dimensions", {}).get("QueueName") == NAMES.dead_letter_queue("lake-projection")]
    assert len(alarms) == 1 and alarms[0]["threshold"] == 1


def test_config_objects_are_the_projection_of_config_encrypted_with_the_key(governance):
    objects = {b["key"]: b for b in resources(governance, "aws_s3_object").values() if "analytics-lake" in b["bucket"]}
    expected = lake.config_objects(CONFIG)
    assert set(objects) == set(expected)
    for key, body in objects.items():
        assert base64.b64decode(body["content_base64"]) == expected[key]
        assert body["server_side_encryption"] == "aws:kms" and "governance-key" in body["kms_key_id"]
    [use_case] = [json.loads(line) for line in gzip.decompress(expected["use_cases/use_cases.json.gz"]).splitlines()]
    assert use_case["line_of_business"] == CONFIG.use_cases["credit-risk"].line_of_business
