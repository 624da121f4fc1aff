"""The governance account's CloudTrail trail as synthesized: what it records, how its files are protected,
and that ``organization_trail: true`` creates none of it.

Key and bucket policy decisions use the sandbox's IAM evaluator (the one applied to S3 requests there).
"""

from __future__ import annotations

import json

import pytest
from tf_json import as_list, config, one, refers_to, resources, statements

from mlgov_config import AccountRole
from modules.naming import Names
from sandbox.patches._policy import evaluate

CONFIG = config()
NAMES = Names.from_config(CONFIG)
GOV = CONFIG.platform.account_id(AccountRole.GOVERNANCE)
REGION = CONFIG.platform.home_region
TRAIL_NAME = f"{CONFIG.platform.name_prefix}-governance-audit"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{GOV}:trail/{TRAIL_NAME}"
CLOUDTRAIL = {"account": "", "arn": "", "role_arn": "", "service": "cloudtrail.amazonaws.com"}
LOG_OBJECT = f"arn:aws:s3:::{NAMES.audit_trail_bucket}/AWSLogs/{GOV}/CloudTrail/{REGION}/2026/12/01/x.json.gz"


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def trail(governance) -> dict:
    [body] = resources(governance, "aws_cloudtrail").values()
    return body


@pytest.fixture(scope="module")
def bucket_policy(governance) -> dict:
    [name] = [n for n, b in resources(governance, "aws_s3_bucket").items() if b["bucket"] == NAMES.audit_trail_bucket]
    [body] = [b for b in resources(governance, "aws_s3_bucket_policy").values() if refers_to(b["bucket"], "aws_s3_bucket", name)]
    return json.loads(body["policy"])


def _selectors(trail: dict) -> list[dict[str, dict[str, list[str]]]]:
    """Each advanced selector as {field: {operator: values}}."""
    return [{f["field"]: {op: v for op, v in f.items() if op != "field"} for f in as_list(s["field_selector"])}
            for s in as_list(trail["advanced_event_selector"])]


def test_the_trail_records_every_management_event_and_the_table_and_bucket_data_events(trail):
    selectors = _selectors(trail)
    management = [s for s in selectors if s["eventCategory"] == {"equals": ["Management"]}]
    assert management == [{"eventCategory": {"equals": ["Management"]}}], "read and write: no readOnly filter"
    data = {s["resources.type"]["equals"][0]: s["resources.ARN"] for s in selectors if s["eventCategory"] == {"equals": ["Data"]}}
    assert data["AWS::DynamoDB::Table"] == {"equals": [f"arn:aws:dynamodb:{REGION}:{GOV}:table/{NAMES.governance_table}"]}
    assert data["AWS::S3::Object"] == {"starts_with": sorted(
        [f"{NAMES.artifact_bucket_arn()}/", f"arn:aws:s3:::{NAMES.audit_archive_bucket}/"])}
    assert trail["is_multi_region_trail"] is True and trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True


def test_the_trail_is_encrypted_with_its_own_key_whose_policy_binds_cloudtrail_to_this_trail(governance, trail):
    key_name = trail["kms_key_id"].split(".")[1]
    key = resources(governance, "aws_kms_key")[key_name]
    assert key["enable_key_rotation"] is True
    policy = json.loads(key["policy"])
    encrypt = {"aws:sourcearn": [TRAIL_ARN], "kms:encryptioncontext:aws:cloudtrail:arn": [TRAIL_ARN]}
    assert evaluate(policy, "kms:GenerateDataKey", "*", CLOUDTRAIL, encrypt, "key policy") == "PERMITTED"
    other_trail = {**encrypt, "aws:sourcearn": [f"arn:aws:cloudtrail:{REGION}:999999999999:trail/x"]}
    assert evaluate(policy, "kms:GenerateDataKey", "*", CLOUDTRAIL, other_trail, "key policy") == "NEUTRAL"
    no_context = {"aws:sourcearn": [TRAIL_ARN]}
    assert evaluate(policy, "kms:GenerateDataKey", "*", CLOUDTRAIL, no_context, "key policy") == "NEUTRAL"
    assert evaluate(policy, "kms:Decrypt", "*", CLOUDTRAIL, encrypt, "key policy") == "NEUTRAL", "CloudTrail only encrypts"


def test_the_log_bucket_is_locked_and_admits_only_this_trail(governance, trail, bucket_policy):
    [name] = [n for n, b in resources(governance, "aws_s3_bucket").items() if b["bucket"] == NAMES.audit_trail_bucket]
    assert refers_to(trail["s3_bucket_name"], "aws_s3_bucket", name)
    [lock] = [b for b in resources(governance, "aws_s3_bucket_object_lock_configuration").values()
              if refers_to(b["bucket"], "aws_s3_bucket", name)]
    retention = one(one(lock["rule"])["default_retention"])
    assert retention == {"mode": "COMPLIANCE", "days": CONFIG.platform.governance.trail.retention_days}
    write = {"aws:securetransport": ["true"], "aws:sourcearn": [TRAIL_ARN], "s3:x-amz-acl": ["bucket-owner-full-control"]}
    assert evaluate(bucket_policy, "s3:PutObject", LOG_OBJECT, CLOUDTRAIL, write) == "PERMITTED"
    assert evaluate(bucket_policy, "s3:PutObject", LOG_OBJECT, CLOUDTRAIL,
                    {**write, "aws:sourcearn": [f"arn:aws:cloudtrail:{REGION}:999999999999:trail/x"]}) == "NEUTRAL"
    admin = {"account": GOV, "arn": f"arn:aws:sts::{GOV}:assumed-role/admin/s", "role_arn": f"arn:aws:iam::{GOV}:role/admin"}
    for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"):
        assert evaluate(bucket_policy, action, LOG_OBJECT, admin, {"aws:securetransport": ["true"]}) == "DENIED", action


def test_a_searchable_copy_goes_to_an_encrypted_log_group_with_retention(governance, trail):
    [(name, group)] = [(n, g) for n, g in resources(governance, "aws_cloudwatch_log_group").items()
                       if g["name"] == f"/aws/cloudtrail/{TRAIL_NAME}"]
    assert trail["cloud_watch_logs_group_arn"] == f"${{aws_cloudwatch_log_group.{name}.arn}}:*"
    assert group["retention_in_days"] == CONFIG.platform.governance.log_retention_days and group["kms_key_id"]
    [role] = [r for r in resources(governance, "aws_iam_role").values() if r["name"] == f"{TRAIL_NAME}-cloudwatch-logs"]
    [trust] = statements(json.loads(role["assume_role_policy"]))
    assert trust["Principal"] == {"Service": ["cloudtrail.amazonaws.com"]}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}


def test_with_an_organization_trail_no_trail_and_no_trail_bucket_are_created_but_the_break_glass_alarm_is(tmp_path):
    # In-process: one stack only, the same code path main.py runs.
    from cdktf import App

    from mlgov_config.terraform_text import terraform_config
    from stacks.governance import GovernanceStack

    platform = CONFIG.platform
    settings = platform.governance.model_copy(update={"trail": platform.governance.trail.model_copy(update={"organization_trail": True})})
    changed = CONFIG.model_copy(update={"platform": platform.model_copy(update={"governance": settings})})
    app = App(outdir=str(tmp_path))
    GovernanceStack(app, terraform_config(changed))
    app.synth()
    [path] = tmp_path.glob("stacks/*/cdk.tf.json")
    stack = json.loads(path.read_text())
    assert resources(stack, "aws_cloudtrail") == {}
    assert NAMES.audit_trail_bucket not in {b["bucket"] for b in resources(stack, "aws_s3_bucket").values()}
    assert resources(stack, "aws_dynamodb_table"), "the rest of the governance stack is still there"
    # The break-glass alarm reads the organisation trail's events as it reads ours: it stays.
    [alarm] = [r for r in resources(stack, "aws_cloudwatch_event_rule").values() if r["name"] == "mlgov-break-glass-used"]
    assert alarm["state"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
