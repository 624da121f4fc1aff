"""sts_cloudtrail_events and events_rule_state: AssumeRole's CloudTrail record reaches rules as on AWS,
only those whose State receives read-only management events, and through an SNS target to a subscriber."""

from __future__ import annotations

import json
import uuid

import boto3
from botocore.config import Config
import pytest
from sandbox_accounts import DEV, GOV, REGION

RECORD = {"source": ["aws.sts"], "detail-type": ["AWS API Call via CloudTrail"]}


def _queue(aws) -> tuple[str, str]:
    sqs = aws("sqs", GOV)
    url = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _received(aws, url: str) -> list[dict]:
    sqs, out = aws("sqs", GOV), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        out += [json.loads(m["Body"]) for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def _rule(aws, role_arn: str, state: str, target_arn: str, **target) -> str:
    events, name = aws("events", GOV), f"r-{uuid.uuid4().hex[:8]}"
    pattern = {**RECORD, "detail": {"eventName": ["AssumeRole"], "requestParameters": {"roleArn": [role_arn]},
                                    "errorCode": [{"exists": False}]}}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State=state)
    events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": target_arn, **target}])
    return name


def _sts(sandbox_url: str, **credentials):
    # No client-side validation: the failed call below must reach the emulator.
    return boto3.client("sts", endpoint_url=sandbox_url, region_name=REGION,
                        config=Config(parameter_validation=False), **credentials)


def _session_sts(sandbox_url: str, role_arn: str, session_name: str):
    creds = _sts(sandbox_url).assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return _sts(sandbox_url, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"])


@pytest.fixture
def role_arn() -> str:
    return f"arn:aws:iam::{GOV}:role/glass-{uuid.uuid4().hex[:8]}"


def test_assume_role_puts_its_cloudtrail_record_on_the_role_owners_default_bus(aws, sandbox_url, role_arn):
    url, queue_arn = _queue(aws)
    _rule(aws, role_arn, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", queue_arn)
    caller = _session_sts(sandbox_url, f"arn:aws:iam::{GOV}:role/sso/operators", "alice")
    caller_arn = caller.get_caller_identity()["Arn"]
    answer = caller.assume_role(RoleArn=role_arn, RoleSessionName="incident-1", SourceIdentity="alice@example.com",
                                DurationSeconds=900)
    [event] = _received(aws, url)
    assert (event["source"], event["detail-type"], event["account"], event["region"]) == (
        "aws.sts", "AWS API Call via CloudTrail", GOV, REGION)
    detail = event["detail"]
    assert (detail["eventSource"], detail["eventName"], detail["readOnly"], detail["managementEvent"]) == (
        "sts.amazonaws.com", "AssumeRole", True, True)
    assert detail["requestParameters"] == {"roleArn": role_arn, "roleSessionName": "incident-1",
                                           "sourceIdentity": "alice@example.com", "durationSeconds": 900}
    assert detail["responseElements"]["assumedRoleUser"]["arn"] == answer["AssumedRoleUser"]["Arn"]
    assert "credentials" not in detail["responseElements"]
    identity = detail["userIdentity"]
    assert (identity["type"], identity["arn"], identity["accountId"]) == ("AssumedRole", caller_arn, GOV)
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == f"arn:aws:iam::{GOV}:role/sso/operators"
    assert detail["recipientAccountId"] == GOV and detail["resources"][0]["ARN"] == role_arn
    assert "errorCode" not in detail


def test_a_caller_of_another_account_is_named_by_account_and_principal_id_only(aws, sandbox_url, role_arn):
    url, queue_arn = _queue(aws)
    _rule(aws, role_arn, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", queue_arn)
    _session_sts(sandbox_url, f"arn:aws:iam::{DEV}:role/ops", "bob").assume_role(RoleArn=role_arn, RoleSessionName="x1")
    [event] = _received(aws, url)
    identity = event["detail"]["userIdentity"]
    assert identity["type"] == "AWSAccount" and identity["accountId"] == DEV and "arn" not in identity
    assert identity["principalId"].endswith(":bob")
    assert "sourceIdentity" not in event["detail"]["requestParameters"]


@pytest.mark.parametrize(("state", "delivered"), [
    ("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", True), ("ENABLED", False), ("DISABLED", False)])
def test_only_a_rule_enabled_for_all_management_events_receives_the_read_only_record(aws, sandbox_url, role_arn,
                                                                                      state, delivered):
    url, queue_arn = _queue(aws)
    _rule(aws, role_arn, state, queue_arn)
    _sts(sandbox_url).assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert len(_received(aws, url)) == (1 if delivered else 0)


def test_an_enabled_rule_still_receives_events_that_are_not_read_only_cloudtrail_records(aws):
    url, queue_arn = _queue(aws)
    events, name = aws("events", GOV), f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["mlgov.test"]}), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": queue_arn}])
    events.put_events(Entries=[{"Source": "mlgov.test", "DetailType": "x", "Detail": json.dumps({"readOnly": True})}])
    assert len(_received(aws, url)) == 1
    events.disable_rule(Name=name)
    events.put_events(Entries=[{"Source": "mlgov.test", "DetailType": "x", "Detail": "{}"}])
    assert _received(aws, url) == []


def test_a_failed_assume_role_records_nothing(aws, sandbox_url, role_arn):
    url, queue_arn = _queue(aws)
    _rule(aws, role_arn, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", queue_arn)
    with pytest.raises(Exception, match="roleSessionName"):
        _sts(sandbox_url).assume_role(RoleArn=role_arn, RoleSessionName="x" * 65)
    assert _received(aws, url) == []


def test_an_sns_target_with_an_input_transformer_reaches_a_subscriber(aws, sandbox_url, role_arn):
    """The path of the break-glass alarm: rule -> SNS topic (input transformer) -> a subscribed queue."""
    url, queue_arn = _queue(aws)
    sns = aws("sns", GOV)
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    _rule(aws, role_arn, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", topic, InputTransformer={
        "InputPathsMap": {"caller": "$.detail.userIdentity.arn", "session": "$.detail.requestParameters.roleSessionName"},
        "InputTemplate": '{"caller": "<caller>", "session": "<session>"}'})
    caller = _session_sts(sandbox_url, f"arn:aws:iam::{GOV}:role/sso/operators", "carol")
    caller.assume_role(RoleArn=role_arn, RoleSessionName="incident-2")
    assert _received(aws, url) == [{"caller": caller.get_caller_identity()["Arn"], "session": "incident-2"}]
