"""The audit archive as synthesized: Object Lock COMPLIANCE, writes only by history-archive and only as
creates, no deletes; the stream mapping passes history items only, retries with bisection, dead-letters.

Bucket policy decisions use the sandbox's IAM evaluator (the one applied to every S3 request there).
"""

from __future__ import annotations

import json

import pytest
from tf_json import actions, as_list, config, iam_role_policy, one, refers_to, resources, statements

from mlgov_config import AccountRole
from mlgov_core import archive, keys
from modules.naming import Names
from sandbox.patches.s3_bucket_policy import evaluate

CONFIG = config()
NAMES = Names.from_config(CONFIG)
GOV = CONFIG.platform.account_id(AccountRole.GOVERNANCE)
FUNCTION = NAMES.function("history-archive")
ARCHIVER = f"arn:aws:iam::{GOV}:role/{FUNCTION}-lambda"
OBJECT = f"arn:aws:s3:::{NAMES.audit_archive_bucket}/history/dt=2026-12-01/MODEL%23a%23000001__HIST%23x.json.gz"
CREATE = {"s3:if-none-match": ["*"]}


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def bucket(governance) -> tuple[str, dict]:
    [(name, body)] = [(n, b) for n, b in resources(governance, "aws_s3_bucket").items()
                      if b["bucket"] == NAMES.audit_archive_bucket]
    return name, body


@pytest.fixture(scope="module")
def policy(governance, bucket) -> dict:
    [body] = [b for b in resources(governance, "aws_s3_bucket_policy").values() if refers_to(b["bucket"], "aws_s3_bucket", bucket[0])]
    return json.loads(body["policy"])


@pytest.fixture(scope="module")
def mapping(governance) -> dict:
    [body] = [b for b in resources(governance, "aws_lambda_event_source_mapping").values()
              if "history-archive" in b["function_name"]]
    return body


def decide(policy: dict, action: str, role_arn: str, extra: dict | None = None) -> str:
    who = {"account": GOV, "arn": role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/s",
           "role_arn": role_arn}
    context = {"aws:securetransport": ["true"], "aws:principalaccount": [GOV], "aws:principalarn": [role_arn], **(extra or {})}
    return evaluate(policy, action, OBJECT, who, context)


def test_the_archive_is_locked_in_compliance_mode_for_the_configured_days(governance, bucket):
    name, body = bucket
    assert body.get("object_lock_enabled") is True
    [lock] = [b for b in resources(governance, "aws_s3_bucket_object_lock_configuration").values()
              if refers_to(b["bucket"], "aws_s3_bucket", name)]
    assert one(one(lock["rule"])["default_retention"]) == {
        "mode": "COMPLIANCE", "days": CONFIG.platform.governance.audit_retention_days}


def test_only_the_archive_function_writes_and_only_creates(policy):
    assert decide(policy, "s3:PutObject", ARCHIVER, CREATE) != "DENIED"
    assert decide(policy, "s3:PutObject", ARCHIVER) == "DENIED"  # an overwrite would stack a locked version
    admin = f"arn:aws:iam::{GOV}:role/mlgov-terraform"
    assert decide(policy, "s3:PutObject", admin, CREATE) == "DENIED"  # not even the account's administrators


def test_the_writer_deny_is_what_keeps_others_out(policy):
    """Mutation: without DenyForeignWriters an administrator's conditional create is no longer denied."""
    mutated = {**policy, "Statement": [s for s in statements(policy) if s.get("Sid") != "DenyForeignWriters"]}
    assert decide(mutated, "s3:PutObject", f"arn:aws:iam::{GOV}:role/mlgov-terraform", CREATE) != "DENIED"


@pytest.mark.parametrize("action", ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention",
                                    "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold"])
def test_nobody_deletes_or_unlocks(policy, action):
    assert decide(policy, action, ARCHIVER) == "DENIED"
    assert decide(policy, action, f"arn:aws:iam::{GOV}:role/mlgov-terraform") == "DENIED"


def test_stream_mapping_passes_history_items_only_and_never_drops_a_batch(governance, mapping):
    assert refers_to(mapping["event_source_arn"], "aws_dynamodb_table", next(iter(resources(governance, "aws_dynamodb_table"))))
    assert mapping["event_source_arn"].endswith(".stream_arn}")
    [pattern] = [json.loads(f["pattern"]) for f in as_list(one(mapping["filter_criteria"])["filter"])]
    assert pattern == {"dynamodb": {"Keys": {keys.SORT_KEY: {"S": [{"prefix": keys.HISTORY_PREFIX}]}}}}
    assert mapping["bisect_batch_on_function_error"] is True
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["starting_position"] == "TRIM_HORIZON"
    destination = one(one(mapping["destination_config"])["on_failure"])["destination_arn"]
    [(queue_name, queue)] = [(n, q) for n, q in resources(governance, "aws_sqs_queue").items() if destination == f"${{aws_sqs_queue.{n}.arn}}"]
    alarms = [a for a in resources(governance, "aws_cloudwatch_metric_alarm").values()
              if a.get("dimensions") == {"QueueName": queue["name"]}]
    assert alarms and alarms[0]["threshold"] == 1 and alarms[0]["alarm_actions"], "the DLQ alarms on its first message"


def test_function_reads_the_stream_and_writes_only_archive_prefixes(governance):
    _, inline = iam_role_policy(governance, f"{FUNCTION}-lambda")
    allowed = [(a, r) for s in statements(inline) if s["Effect"] == "Allow" for a in actions(s) for r in as_list(s["Resource"])]
    s3 = sorted({r for a, r in allowed if a.startswith("s3:")})
    assert s3 == sorted(f"arn:aws:s3:::{NAMES.audit_archive_bucket}/{p}/*" for p in (archive.HISTORY_PREFIX, archive.CHANGES_PREFIX))
    assert not [a for a, _ in allowed if a.startswith("dynamodb:") and a not in (
        "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")]
    assert all(r.endswith("/stream/*") for a, r in allowed if a.startswith("dynamodb:"))


def test_a_changed_history_item_alarms(governance):
    [alarm] = [a for a in resources(governance, "aws_cloudwatch_metric_alarm").values()
               if a.get("metric_name") == archive.CHANGED_METRIC]
    assert (alarm["namespace"], alarm["dimensions"], alarm["threshold"]) == (archive.METRIC_NAMESPACE, {"service": "history-archive"}, 1)
    assert alarm["alarm_actions"]


def test_table_writers_may_read_the_chain_head(governance):
    for function in ("registry-sync", "metrics-ingest"):
        _, inline = iam_role_policy(governance, f"{NAMES.function(function)}-lambda")
        [grant] = [s for s in statements(inline) if s.get("Sid") == "WriteGovernanceTable"]
        assert "dynamodb:GetItem" in actions(grant), f"{function}: TransactGetItems of the chain head needs GetItem"
