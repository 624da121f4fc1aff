"""events_cross_account_bus: PutEvents onto another account's custom bus by ARN, gated by the bus policy, runs the bus's Lambda rule."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV, REGION
from sandbox_functions import create_python_function

OTHER = "333333333333"
ECHO = "def handler(event, context):\n    return event\n"


def _entry(bus_arn: str, source: str = "mlgov.metrics") -> dict:
    return {"EventBusName": bus_arn, "Source": source, "DetailType": "QA Metrics", "Detail": json.dumps({"auc": 0.81})}


@pytest.fixture(scope="module")
def bus(aws) -> tuple[str, str]:
    """(bus ARN, Lambda ARN): a governance bus accepting mlgov.metrics from DEV; a rule on it runs the Lambda."""
    events = aws("events", GOV)
    name = f"mlgov-metrics-{uuid.uuid4().hex[:6]}"
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowTestProd", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{DEV}:root"]},
        "Action": "events:PutEvents", "Resource": arn, "Condition": {"StringEquals": {"events:source": ["mlgov.metrics"]}}}]}
    events.put_permission(EventBusName=name, Policy=json.dumps(policy))  # what aws_cloudwatch_event_bus_policy calls
    function = create_python_function(aws, ECHO)
    events.put_rule(Name="metrics", EventBusName=name, EventPattern=json.dumps({"source": ["mlgov.metrics"]}))
    events.put_targets(Rule="metrics", EventBusName=name, Targets=[{"Id": "ingest", "Arn": function}])
    return arn, function


def test_allowed_sender_reaches_the_owner_bus_rule(aws, sandbox_url, bus):
    bus_arn, function = bus
    requests.delete(f"{sandbox_url}/_mlgov/invocations", timeout=10)
    response = aws("events", DEV).put_events(Entries=[_entry(bus_arn)])
    assert response["FailedEntryCount"] == 0 and response["Entries"][0]["EventId"]
    assert requests.post(f"{sandbox_url}/_mlgov/drain", timeout=180).json() == {"drained": True}
    runs = [i for i in requests.get(f"{sandbox_url}/_mlgov/invocations", timeout=10).json()["invocations"] if i["function_arn"] == function]
    assert len(runs) == 1 and runs[0]["status"] == "Success", runs
    event = runs[0]["payload"]
    assert (event["source"], event["detail-type"], event["detail"]) == ("mlgov.metrics", "QA Metrics", {"auc": 0.81})
    assert (event["account"], event["region"]) == (DEV, REGION)  # the sender's account, as on AWS
    assert runs[0]["source"].startswith(f"events:arn:aws:events:{REGION}:{GOV}:rule/")


def test_policy_refuses_other_source_or_account(aws, bus):
    bus_arn, _ = bus
    with pytest.raises(ClientError) as wrong_source:
        aws("events", DEV).put_events(Entries=[_entry(bus_arn, source="someone.else")])
    assert wrong_source.value.response["Error"]["Code"] == "AccessDeniedException"
    assert bus_arn in wrong_source.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as wrong_account:
        aws("events", OTHER).put_events(Entries=[_entry(bus_arn)])
    assert wrong_account.value.response["Error"]["Code"] == "AccessDeniedException"


def test_bus_without_policy_refuses_and_missing_bus_is_not_found(aws):
    events = aws("events", GOV)
    bare = events.create_event_bus(Name=f"bare-{uuid.uuid4().hex[:6]}")["EventBusArn"]
    with pytest.raises(ClientError) as denied:
        aws("events", DEV).put_events(Entries=[_entry(bare)])
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as missing:
        aws("events", DEV).put_events(Entries=[_entry(f"arn:aws:events:{REGION}:{GOV}:event-bus/nope")])
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # the owner itself still uses its own bus by ARN (moto's path)
    assert events.put_events(Entries=[_entry(bare)])["FailedEntryCount"] == 0


def _assumed(sandbox_url: str, account: str, role: str, service: str = "events"):
    import boto3

    sts = boto3.client("sts", endpoint_url=sandbox_url, region_name=REGION)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="run-1")["Credentials"]
    return boto3.client(service, endpoint_url=sandbox_url, region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def test_narrowed_bus_policy_admits_the_qa_publisher_and_refuses_the_deployer(aws, sandbox_url):
    """The policy modules/metrics_bus.py writes: the test account's root narrowed by aws:PrincipalArn."""
    from mlgov_config.regions import partition_of
    from modules.metrics_bus import MetricsBusProps, publisher_role_arn

    events = aws("events", GOV)
    name = f"mlgov-metrics-{uuid.uuid4().hex[:6]}"
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    props = MetricsBusProps(bus_name=name, sender_accounts=(OTHER,), sender_role_arns=(publisher_role_arn(partition_of(REGION), OTHER, "mlgov"),))
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "PublisherRolesOfSenderAccounts", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root"]},
        "Action": "events:PutEvents", "Resource": arn,
        "Condition": {"StringEquals": {"events:source": ["mlgov.metrics"]},
                      "ArnEquals": {"aws:PrincipalArn": list(props.sender_role_arns)}}}]}
    events.put_permission(EventBusName=name, Policy=json.dumps(policy))
    accepted = _assumed(sandbox_url, OTHER, "mlgov-metrics-publisher").put_events(Entries=[_entry(arn)])
    assert accepted["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as refused:
        _assumed(sandbox_url, OTHER, "mlgov-deployer").put_events(Entries=[_entry(arn)])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "mlgov-deployer" in refused.value.response["Error"]["Message"]
