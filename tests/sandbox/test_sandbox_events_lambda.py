"""sagemaker_events, events_lambda_targets, lambda_invoke, lambda_layers, lambda_dead_letter and lambda_runner."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import requests
from sandbox_accounts import DEV, GOV, REGION
from sandbox_functions import create_python_function
from sandbox_registry import REGISTER, shared_group

POWERTOOLS_LAYER = f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7"
PATTERN = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"]}
INFERENCE = {"Containers": [{"Image": "img:1"}], "SupportedContentTypes": ["a"], "SupportedResponseMIMETypes": ["a"]}

RECORDER = """
import os, boto3
def handler(event, context):
    detail = event.get("detail", event)
    boto3.client("dynamodb").put_item(TableName=os.environ["TABLE"], Item={
        "pk": {"S": detail.get("ModelPackageArn", "direct")},
        "status": {"S": detail.get("ModelApprovalStatus", "-")},
        "caller": {"S": boto3.client("sts").get_caller_identity()["Account"]},
        "fn": {"S": context.function_name}})
    return {"recorded": True}
"""
POWERTOOLS = """
from aws_lambda_powertools import Logger
logger = Logger(service="mlgov")
@logger.inject_lambda_context
def handler(event, context):
    logger.info("hello", extra={"n": event["n"]})
    return {"fn": context.function_name, "remaining": context.get_remaining_time_in_millis() > 0}
"""
FAILING = """
def handler(event, context):
    raise RuntimeError("boom")
"""


def _function(aws, source: str, **extra) -> str:
    return create_python_function(aws, source, Layers=[POWERTOOLS_LAYER], **extra)


def _recorder(aws, table: str) -> str:
    """RECORDER with the one grant it needs (the sandbox enforces the role's policy on DynamoDB writes)."""
    write = {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": [f"arn:aws:dynamodb:{REGION}:{GOV}:table/{table}"]}
    return _function(aws, RECORDER, statements=(write,), Environment={"Variables": {"TABLE": table}})


def _queue(aws, name: str) -> tuple[str, str]:
    sqs = aws("sqs", GOV)
    url = sqs.create_queue(QueueName=f"{name}-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _drain(sandbox_url: str) -> None:
    response = requests.post(f"{sandbox_url}/_mlgov/drain", timeout=180)
    assert response.json() == {"drained": True}


@pytest.fixture
def table(aws) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    aws("dynamodb", GOV).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )  # fmt: skip
    return name


def test_registry_write_emits_event_to_owner_bus_and_runs_lambda(aws, sandbox_url, table):
    """sagemaker_events + events_lambda_targets + lambda_layers + lambda_runner (function side effect in its account)."""
    fn_arn = _recorder(aws, table)
    assert aws("lambda", GOV).get_function(FunctionName=fn_arn)["Configuration"]["Layers"][0]["Arn"] == POWERTOOLS_LAYER
    queue_url, queue_arn = _queue(aws, "capture")
    events = aws("events", GOV)
    rule = f"r-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule, EventPattern=json.dumps(PATTERN))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}, {"Id": "fn", "Arn": fn_arn}])
    try:
        _, group_arn = shared_group(aws, {DEV: REGISTER})
        lifecycle = {"Stage": "Development", "StageStatus": "InProgress"}
        pkg = aws("sagemaker", DEV).create_model_package(
            ModelPackageGroupName=group_arn, InferenceSpecification=INFERENCE, ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties={"owner": "ds"}, ModelLifeCycle=lifecycle,
        )["ModelPackageArn"]  # fmt: skip
        aws("sagemaker", GOV).update_model_package(ModelPackageArn=pkg, ModelApprovalStatus="Approved")
        _drain(sandbox_url)
    finally:
        events.remove_targets(Rule=rule, Ids=["q", "fn"])
        events.delete_rule(Name=rule)

    messages = aws("sqs", GOV).receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [b["detail"]["ModelApprovalStatus"] for b in bodies] == ["PendingManualApproval", "Approved"]
    first = bodies[0]
    assert (first["source"], first["detail-type"], first["account"], first["region"]) == (
        "aws.sagemaker", PATTERN["detail-type"][0], GOV, REGION,
    )  # fmt: skip
    assert first["resources"] == [pkg]
    assert first["detail"]["ModelLifeCycle"] == lifecycle
    assert first["detail"]["CustomerMetadataProperties"] == {"owner": "ds"}
    assert first["detail"]["CreationTime"].endswith("Z")

    item = aws("dynamodb", GOV).get_item(TableName=table, Key={"pk": {"S": pkg}})["Item"]
    assert item["status"]["S"] == "Approved"  # the later event ran last
    assert item["caller"]["S"] == GOV  # credentials of the function's account
    log = requests.get(f"{sandbox_url}/_mlgov/invocations", timeout=10).json()["invocations"]
    mine = [e for e in log if e["function_arn"] == fn_arn]
    assert [e["status"] for e in mine] == ["Success", "Success"]


def test_failing_function_retried_then_on_failure_destination(aws, sandbox_url):
    """lambda_runner async retries + event invoke config OnFailure destination; function DeadLetterConfig."""
    _, dest_arn = _queue(aws, "onfailure")
    dest_url = aws("sqs", GOV).get_queue_url(QueueName=dest_arn.split(":")[-1])["QueueUrl"]
    dlq_url, dlq_arn = _queue(aws, "dlq")
    lam = aws("lambda", GOV)
    with_dest = _function(aws, FAILING)
    lam.put_function_event_invoke_config(
        FunctionName=with_dest, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": dest_arn}}
    )
    with_dlq = _function(aws, FAILING, DeadLetterConfig={"TargetArn": dlq_arn})
    assert lam.get_function_configuration(FunctionName=with_dlq)["DeadLetterConfig"] == {"TargetArn": dlq_arn}
    events = aws("events", GOV)
    rule = f"r-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["mlgov.test"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "a", "Arn": with_dest}, {"Id": "b", "Arn": with_dlq}])
    try:
        entry = {"Source": "mlgov.test", "DetailType": "t", "Detail": json.dumps({"n": 1})}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
        _drain(sandbox_url)
    finally:
        events.remove_targets(Rule=rule, Ids=["a", "b"])
        events.delete_rule(Name=rule)

    record = json.loads(aws("sqs", GOV).receive_message(QueueUrl=dest_url)["Messages"][0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"]["detail"] == {"n": 1}
    assert record["responsePayload"]["errorMessage"] == "boom"
    dead = aws("sqs", GOV).receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"])["Messages"][0]
    assert json.loads(dead["Body"])["detail"] == {"n": 1}
    assert "boom" in dead["MessageAttributes"]["ErrorMessage"]["StringValue"]
    log = requests.get(f"{sandbox_url}/_mlgov/invocations", timeout=10).json()["invocations"]
    assert [e["attempt"] for e in log if e["function_arn"] == with_dest] == [1, 2]
    assert [e["attempt"] for e in log if e["function_arn"] == with_dlq] == [1, 2, 3]


def test_direct_invoke_runs_locally(aws, table):
    """lambda_invoke: RequestResponse runs the code; errors come back as FunctionError."""
    lam = aws("lambda", GOV)
    ok = _recorder(aws, table)
    response = lam.invoke(FunctionName=ok, Payload=json.dumps({"ModelPackageArn": "x"}), LogType="Tail")
    assert json.loads(response["Payload"].read()) == {"recorded": True}
    assert "FunctionError" not in response
    pt = _function(aws, POWERTOOLS)
    response = lam.invoke(FunctionName=pt, Payload=json.dumps({"n": 1}), LogType="Tail")
    assert json.loads(response["Payload"].read()) == {"fn": pt.split(":")[-1], "remaining": True}
    assert '"message":"hello"' in base64.b64decode(response["LogResult"]).decode()
    bad = lam.invoke(FunctionName=_function(aws, FAILING), Payload=b"{}")
    assert bad["FunctionError"] == "Unhandled"
    assert json.loads(bad["Payload"].read())["errorType"] == "RuntimeError"
