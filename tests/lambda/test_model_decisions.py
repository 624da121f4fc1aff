"""The governed decision (mlgov_core.decision) and the decision function's two doors, against moto."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3
import pytest
from metrics_testkit import LOCATION, SETTINGS, qa_event
from sync_testkit import GROUP, TABLE, USE_CASE

from mlgov_core import decision, keys, release
from mlgov_core.metrics_sync import record_metrics_report


APPROVER = "arn:aws:sts::123456789012:assumed-role/mlgov-model-approver/carol"
SETTINGS_FOR_DECISIONS = decision.DecisionSettings(
    table_name=TABLE, use_case_by_group={GROUP: USE_CASE},
    gates_by_group={GROUP: {"Test": [], "Prod": ["auc >= 0.75"]}},
)


INFERENCE = {"Containers": [{"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/m@sha256:" + "a" * 64}],
             "SupportedContentTypes": ["application/json"], "SupportedResponseMIMETypes": ["application/json"]}


def _request(stage: str = "Test", verdict: str = "Approved", version: int = 1) -> decision.DecisionRequest:
    return decision.parse_request({"group": GROUP, "version": version, "stage": stage, "decision": verdict,
                                   "reason": "QA passed, CAB-1"})


def _decide(package_arn: str, request: decision.DecisionRequest, decided_by: str = APPROVER,
            sagemaker: Any = None) -> decision.Outcome:
    from mlgov_core import evidence

    dynamodb = boto3.client("dynamodb")
    return decision.decide(
        request, decided_by, SETTINGS_FOR_DECISIONS, package_arn=package_arn,
        sagemaker=sagemaker or boto3.client("sagemaker"), dynamodb=dynamodb,
        qa_metrics=lambda g, v: evidence.recorded_qa_metrics(dynamodb, g, v, table_name=TABLE))


def _registry(arn: str) -> dict[str, Any]:
    return boto3.client("sagemaker").describe_model_package(ModelPackageName=arn)


def _claim(stage: str) -> dict | None:
    return boto3.resource("dynamodb").Table(TABLE).get_item(
        Key={"pk": keys.version_pk(GROUP, 1), "sk": f"DECISION#{stage}"}).get("Item")


def _registrant(arn: str) -> str:
    return _registry(arn)["CreatedBy"]["IamIdentity"]["Arn"]


def test_an_approval_for_test_is_written_and_claimed(table, package_arn):
    outcome = _decide(package_arn, _request())
    registry = _registry(package_arn)
    assert registry["ModelApprovalStatus"] == "Approved"
    assert registry["ModelLifeCycle"]["Stage"] == "Test" and registry["ModelLifeCycle"]["StageStatus"] == "Approved"
    assert registry["CustomerMetadataProperties"]["approved_by"] == decision.metadata_value(APPROVER)
    assert outcome.previous == "Dev/Pending (PendingManualApproval)"
    assert _claim("Test")["decided_by"] == APPROVER


def test_the_registrant_cannot_decide_under_another_role(table, aws_env):
    credentials = boto3.client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/mlgov-data-scientist", RoleSessionName="alice")["Credentials"]
    scientist = boto3.client("sagemaker", aws_access_key_id=credentials["AccessKeyId"],
                             aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    arn = scientist.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
                                         InferenceSpecification=INFERENCE)["ModelPackageArn"]
    assert _registrant(arn).endswith("assumed-role/mlgov-data-scientist/alice")
    with pytest.raises(decision.Refused, match="separation of duties: alice registered"):
        _decide(arn, _request(), decided_by="arn:aws:sts::123456789012:assumed-role/mlgov-model-approver/alice")
    assert _registry(arn)["ModelApprovalStatus"] == "PendingManualApproval"
    assert _claim("Test") is None


def test_no_skipping_to_prod(table, package_arn):
    with pytest.raises(decision.Refused, match="no skipping"):
        _decide(package_arn, _request("Prod"))
    assert "ModelLifeCycle" not in _registry(package_arn) or _registry(package_arn)["ModelLifeCycle"]["Stage"] == "Dev"


def test_prod_gates_read_recorded_evidence_not_metadata(table, package_arn):
    _decide(package_arn, _request())
    # A forged QA result in metadata is not evidence.
    boto3.client("sagemaker").update_model_package(ModelPackageArn=package_arn,
                                                   CustomerMetadataProperties={"qa:auc": "0.99"})
    with pytest.raises(decision.Refused, match="no recorded value for auc"):
        _decide(package_arn, _request("Prod"))
    record_metrics_report(qa_event(metrics={"auc": 0.81}), SETTINGS, registry_location=LOCATION)
    outcome = _decide(package_arn, _request("Prod"))
    assert [(str(r.gate), r.value, r.passed) for r in outcome.gate_results] == [("auc >= 0.75", 0.81, True)]
    assert _registry(package_arn)["ModelLifeCycle"]["Stage"] == "Prod"


def test_a_second_decision_for_the_same_stage_is_refused_by_the_claim(table, package_arn):
    """Two approvers at the same moment: the one whose claim lands second is refused, the registry is untouched."""
    boto3.client("dynamodb").put_item(TableName=TABLE, Item={
        "pk": {"S": keys.version_pk(GROUP, 1)}, "sk": {"S": "DECISION#Test"}, "claim_id": {"S": "other"}})
    with pytest.raises(decision.Refused, match="already recorded"):
        _decide(package_arn, _request("Test", "Rejected"))
    assert _registry(package_arn)["ModelApprovalStatus"] == "PendingManualApproval"


def test_a_failed_registry_write_withdraws_the_claim(table, package_arn):
    class FailingUpdate:
        def __init__(self) -> None:
            self.real = boto3.client("sagemaker")

        def describe_model_package(self, **kw: Any) -> Any:
            return self.real.describe_model_package(**kw)

        def update_model_package(self, **kw: Any) -> Any:
            raise RuntimeError("registry unavailable")

    with pytest.raises(RuntimeError):
        _decide(package_arn, _request(), sagemaker=FailingUpdate())
    withdrawn = _claim("Test")
    assert withdrawn is not None and withdrawn.get(decision.WITHDRAWN_AT), withdrawn  # marked, never deleted
    _decide(package_arn, _request())  # and the decision can be made once the registry answers
    claim = _claim("Test")
    assert claim["claim_id"] != withdrawn["claim_id"] and decision.WITHDRAWN_AT not in claim


@pytest.mark.parametrize("body, field", [
    ({"group": GROUP, "version": "1", "stage": "Test", "decision": "Approved", "reason": "x"}, "version"),
    ({"group": GROUP, "version": True, "stage": "Test", "decision": "Approved", "reason": "x"}, "version"),
    ({"group": "bad name", "version": 1, "stage": "Test", "decision": "Approved", "reason": "x"}, "group"),
    ({"group": GROUP, "version": 1, "stage": "Dev", "decision": "Approved", "reason": "x"}, "stage"),
    ({"group": GROUP, "version": 1, "stage": "Test", "decision": "Pending", "reason": "x"}, "decision"),
    ({"group": GROUP, "version": 1, "stage": "Test", "decision": "Approved", "reason": "  "}, "reason"),
    ({"group": GROUP, "version": 1, "stage": "Test", "decision": "Approved", "reason": "x", "approver": "me"}, "unknown"),
])
def test_bad_requests_name_the_field(body, field):
    with pytest.raises(decision.BadRequest, match=field):
        decision.parse_request(body)


# --- the function's two doors -----------------------------------------------------------------


@pytest.fixture
def function_env(table, monkeypatch):
    topic = boto3.client("sns").create_topic(Name="alarms")["TopicArn"]
    queue = boto3.client("sqs").create_queue(QueueName="alarm-mail")["QueueUrl"]
    queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    for name, value in {
        "GOVERNANCE_TABLE_NAME": TABLE, "USE_CASE_BY_GROUP": json.dumps({GROUP: USE_CASE}),
        "GATES_BY_GROUP": json.dumps(SETTINGS_FOR_DECISIONS.gates_by_group),
        "MODEL_PACKAGE_ARN_PREFIX": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/",
        "ALARM_TOPIC_ARN": topic, "POWERTOOLS_SERVICE_NAME": "model-decisions",
    }.items():
        monkeypatch.setenv(name, value)
    return queue


class _Context:
    function_name, memory_limit_in_mb, aws_request_id = "mlgov-model-decisions", 256, "req-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:mlgov-model-decisions"


def _api_event(body: Any, user_arn: str | None = APPROVER) -> dict[str, Any]:
    return {
        "resource": "/decisions", "path": "/decisions", "httpMethod": "POST", "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body) if not isinstance(body, str) else body, "isBase64Encoded": False,
        "requestContext": {"resourcePath": "/decisions", "httpMethod": "POST", "stage": "v1", "requestId": "r",
                           "identity": {"userArn": user_arn, "accountId": "123456789012", "sourceIp": "127.0.0.1"}},
    }


def test_the_api_door_credits_the_verified_caller(function_env, package_arn):
    from model_decisions.handler import lambda_handler

    answer = lambda_handler(_api_event({"group": GROUP, "version": 1, "stage": "Test", "decision": "Approved",
                                        "reason": "looks good"}), _Context())
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["decided_by"] == APPROVER
    refused = lambda_handler(_api_event({"group": GROUP, "version": 1, "stage": "Test", "decision": "Rejected",
                                         "reason": "changed my mind"}), _Context())
    assert refused["statusCode"] == 409 and "already Approved" in json.loads(refused["body"])["message"]
    bad = lambda_handler(_api_event("{not json"), _Context())
    assert bad["statusCode"] == 400


def _registration_event(arn: str) -> dict[str, Any]:
    described = _registry(arn)
    from mlgov_core import timeparse

    created = timeparse.to_iso(described["CreationTime"])
    return {
        "version": "0", "id": "evt-1", "detail-type": "SageMaker Model Package State Change", "source": "aws.sagemaker",
        "account": "123456789012", "time": created, "region": "eu-west-1", "resources": [arn],
        "detail": {"ModelPackageGroupName": GROUP, "ModelPackageVersion": 1, "ModelPackageArn": arn,
                   "ModelApprovalStatus": described["ModelApprovalStatus"], "CreationTime": created,
                   "LastModifiedTime": created,
                   "CustomerMetadataProperties": described.get("CustomerMetadataProperties", {})},
    }


def test_the_guard_rejects_a_preapproved_registration_and_raises_the_alarm(function_env, aws_env):
    from model_decisions.handler import lambda_handler

    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"qa:auc": "0.99", "registered_by": "someone-else"}, InferenceSpecification=INFERENCE,
    )["ModelPackageArn"]
    outcome = lambda_handler(_registration_event(arn), _Context())
    assert outcome == {"arn": arn, "checked": True, "rejected": True}
    registry = _registry(arn)
    assert registry["ModelApprovalStatus"] == "Rejected"
    assert (registry["ModelLifeCycle"]["Stage"], registry["ModelLifeCycle"]["StageStatus"]) == ("Dev", "Rejected")
    assert "qa:auc" not in registry["CustomerMetadataProperties"] and "registered_by" not in registry["CustomerMetadataProperties"]
    mail = boto3.client("sqs").receive_message(QueueUrl=function_env).get("Messages", [])
    assert len(mail) == 1 and arn in mail[0]["Body"]


def test_the_guard_leaves_a_candidate_registration_alone(function_env, package_arn):
    from model_decisions.handler import lambda_handler

    assert lambda_handler(_registration_event(package_arn), _Context()) == {"arn": package_arn, "checked": True, "rejected": False}
    assert _registry(package_arn)["ModelApprovalStatus"] == "PendingManualApproval"
    assert boto3.client("sqs").receive_message(QueueUrl=function_env).get("Messages", []) == []


# --- who the history credits ------------------------------------------------------------------

DECIDER_ROLE = "arn:aws:iam::123456789012:role/mlgov-model-decisions-lambda"


def _credited(last_modified_by: str, metadata: dict[str, str]) -> str | None:
    from sync_testkit import load_event, with_detail

    from mlgov_core import records
    from mlgov_core.events import parse_event
    from mlgov_core.registry import PackageDescription

    event = parse_event(with_detail(load_event("approved_for_test"), CustomerMetadataProperties=metadata))
    described = PackageDescription(found=True, created_by="arn:aws:sts::111122223333:assumed-role/mlgov-data-scientist/alice",
                                   last_modified_by=last_modified_by, last_modified_time=event.last_modified)
    return records.resolve_identities(event.detail, event.last_modified, described, DECIDER_ROLE)[1]


def test_a_decision_written_by_the_decision_function_credits_the_caller_it_verified():
    function = "arn:aws:sts::123456789012:assumed-role/mlgov-model-decisions-lambda/mlgov-model-decisions"
    assert _credited(function, {"approved_by": APPROVER}) == APPROVER


@pytest.mark.parametrize("writer", [
    "arn:aws:sts::123456789012:assumed-role/mlgov-model-approver/carol",   # an approver around the function
    "arn:aws:sts::999999999999:assumed-role/mlgov-model-decisions-lambda/x",  # the same role name, another account
    "arn:aws:sts::123456789012:assumed-role/mlgov-model-decisions-lambda-copy/x",
])
def test_anyone_else_is_credited_as_the_registry_recorded_them(writer):
    assert _credited(writer, {"approved_by": "arn:aws:sts::123456789012:assumed-role/mlgov-model-approver/dave"}) == writer


# --- prod releases (mlgov_core.release) -------------------------------------------------------

RELEASE_GROUP = release.release_group(GROUP)
RELEASING = dataclasses.replace(SETTINGS_FOR_DECISIONS, released_groups=frozenset({GROUP}))


def _approved_for_test_with_qa(package_arn: str) -> None:
    _decide(package_arn, _request())
    record_metrics_report(qa_event(metrics={"auc": 0.81}), SETTINGS, registry_location=LOCATION)


def _decide_releasing(package_arn: str, request: decision.DecisionRequest, sagemaker: Any = None) -> decision.Outcome:
    from mlgov_core import evidence

    dynamodb = boto3.client("dynamodb")
    return decision.decide(request, APPROVER, RELEASING, package_arn=package_arn,
                           sagemaker=sagemaker or boto3.client("sagemaker"), dynamodb=dynamodb,
                           qa_metrics=lambda g, v: evidence.recorded_qa_metrics(dynamodb, g, v, table_name=TABLE))


def test_a_prod_approval_creates_the_release_prod_builds_from(table, package_arn):
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=RELEASE_GROUP)
    _approved_for_test_with_qa(package_arn)
    outcome = _decide_releasing(package_arn, _request("Prod"))
    assert outcome.release_arn == package_arn.replace(f"/{GROUP}/", f"/{RELEASE_GROUP}/")
    released, source = _registry(outcome.release_arn), _registry(package_arn)
    assert released["ModelApprovalStatus"] == "Approved"
    assert released["InferenceSpecification"] == source["InferenceSpecification"]
    assert released["CustomerMetadataProperties"] == {release.SOURCE_ARN_KEY: package_arn, release.SOURCE_VERSION_KEY: "1"}
    assert source["CustomerMetadataProperties"][release.RELEASE_KEY] == "1"
    assert release.problems(released, GROUP, 1, 1) == []
    assert outcome.as_dict()["release"] == 1


def test_a_test_approval_releases_nothing(table, package_arn):
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=RELEASE_GROUP)
    outcome = _decide_releasing(package_arn, _request())
    assert outcome.release_arn is None
    assert boto3.client("sagemaker").list_model_packages(ModelPackageGroupName=RELEASE_GROUP)["ModelPackageSummaryList"] == []


def test_a_prod_approval_that_cannot_be_written_withdraws_its_release(table, package_arn):
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=RELEASE_GROUP)
    _approved_for_test_with_qa(package_arn)

    class SourceWriteFails:
        def __init__(self) -> None:
            self.real = boto3.client("sagemaker")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def update_model_package(self, **kw: Any) -> Any:
            if kw["ModelPackageArn"] == package_arn:
                raise RuntimeError("registry unavailable")
            return self.real.update_model_package(**kw)

    with pytest.raises(RuntimeError):
        _decide_releasing(package_arn, _request("Prod"), sagemaker=SourceWriteFails())
    withdrawn = _registry(package_arn.replace(f"/{GROUP}/", f"/{RELEASE_GROUP}/"))
    assert withdrawn["ModelApprovalStatus"] == "Rejected"
    assert release.problems(withdrawn, GROUP, 1, 1) == [f"release 1 of {RELEASE_GROUP} is Rejected, not Approved"]
    assert _claim("Prod").get(decision.WITHDRAWN_AT), "the claim is withdrawn (marked, never deleted)"
    assert _registry(package_arn)["ModelLifeCycle"]["Stage"] == "Test"


@pytest.mark.parametrize("described, number, expected", [
    (None, 3, "release 3 of fraud-detection-prod-release does not exist"),
    ({"ModelApprovalStatus": "Approved", "CustomerMetadataProperties": {"source_version": "2"}}, 1, "release of version 2, not of version 1"),
    ({"ModelApprovalStatus": "Approved"}, 1, "release of version (none)"),
])
def test_a_release_that_is_not_this_versions_is_a_problem(described, number, expected):
    assert expected in " ".join(release.problems(described, GROUP, 1, number))


def _release_by(role_name: str) -> str:
    credentials = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::123456789012:role/{role_name}",
                                                  RoleSessionName="writer")["Credentials"]
    writer = boto3.client("sagemaker", aws_access_key_id=credentials["AccessKeyId"],
                          aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=RELEASE_GROUP)
    return writer.create_model_package(ModelPackageGroupName=RELEASE_GROUP, ModelApprovalStatus="Approved",
                                       InferenceSpecification=INFERENCE)["ModelPackageArn"]


def _release_event(arn: str) -> dict[str, Any]:
    event = _registration_event(arn)
    event["detail"]["ModelPackageGroupName"] = RELEASE_GROUP
    return event


def test_the_guard_withdraws_a_release_the_decision_function_did_not_create(function_env, aws_env, monkeypatch):
    from model_decisions.handler import lambda_handler

    monkeypatch.setenv("DECISION_ROLE_ARN", DECIDER_ROLE)
    arn = _release_by("mlgov-operator")
    assert lambda_handler(_release_event(arn), _Context()) == {"arn": arn, "checked": True, "rejected": True}
    assert _registry(arn)["ModelApprovalStatus"] == "Rejected"
    mail = boto3.client("sqs").receive_message(QueueUrl=function_env).get("Messages", [])
    assert len(mail) == 1 and "not by the decision function" in mail[0]["Body"]


def test_the_guard_leaves_the_decision_functions_release_alone(function_env, aws_env, monkeypatch):
    from model_decisions.handler import lambda_handler

    monkeypatch.setenv("DECISION_ROLE_ARN", DECIDER_ROLE)
    arn = _release_by("mlgov-model-decisions-lambda")
    assert lambda_handler(_release_event(arn), _Context()) == {"arn": arn, "checked": True, "rejected": False}
    assert _registry(arn)["ModelApprovalStatus"] == "Approved"


def test_the_registrants_source_identity_names_them_whatever_the_session_name(table, aws_env):
    """CreatedBy's SourceIdentity (set when the people's role was assumed) is the registrant for SoD."""
    credentials = boto3.client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/mlgov-data-scientist", RoleSessionName="laptop-7",
        SourceIdentity="dave")["Credentials"]
    scientist = boto3.client("sagemaker", aws_access_key_id=credentials["AccessKeyId"],
                             aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    boto3.client("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    arn = scientist.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
                                         InferenceSpecification=INFERENCE)["ModelPackageArn"]
    assert _registry(arn)["CreatedBy"]["IamIdentity"]["SourceIdentity"] == "dave"
    with pytest.raises(decision.Refused, match="separation of duties: dave registered .*source identity dave"):
        _decide(arn, _request(), decided_by="arn:aws:sts::123456789012:assumed-role/mlgov-model-approver/dave")
    assert _registry(arn)["ModelApprovalStatus"] == "PendingManualApproval" and _claim("Test") is None
    outcome = _decide(arn, _request())  # carol is someone else
    assert outcome.decided_by == APPROVER
