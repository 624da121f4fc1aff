"""record_metrics_report against moto: table items, registry update for QA, order- and duplicate-safety."""

from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ClientError
from metrics_testkit import (
    LOCATION,
    PROD_ACCOUNT,
    SETTINGS,
    item,
    production_event,
    qa_event,
    registry_metadata,
    state_change_event_from_registry,
)
from sync_testkit import GROUP, TABLE, CallCounter, history_of, state_of, version_items

from mlgov_core import aws, keys
from mlgov_core.metrics import MetricsEventError
from mlgov_core.metrics_sync import record_metrics_report
from mlgov_core.sync import record_registry_change

LATER = "2025-03-07T10:00:00.000Z"


@pytest.fixture
def registered(table, package_arn) -> str:
    """Version 1, approved for test, with the metadata registration gives it."""
    boto3.client("sagemaker").update_model_package(
        ModelPackageArn=package_arn,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"registered_by": "alice@example.com", "metric:auc": "0.913"},
    )
    return package_arn


@pytest.fixture
def calls(aws_env) -> CallCounter:
    return CallCounter(aws.client("sagemaker"), aws.client("dynamodb"))


@pytest.fixture
def update_requests(aws_env) -> list[dict]:
    requests: list[dict] = []
    aws.client("sagemaker").meta.events.register(
        "before-parameter-build.sagemaker.UpdateModelPackage", lambda params, **_: requests.append(dict(params))
    )
    return requests


def record(event, **kwargs):
    return record_metrics_report(event, SETTINGS, registry_location=LOCATION, **kwargs)


def test_qa_report_is_recorded_and_written_to_the_registry(registered, calls, update_requests):
    outcome = record(qa_event(), now=lambda: "2025-03-06T09:30:03.000Z")
    assert (outcome["result"], outcome["registry_updated"]) == ("recorded", True)
    assert calls.calls == {
        "sagemaker.DescribeModelPackage": 1,
        "dynamodb.TransactGetItems": 1,  # the chain head (store.write_change)
        "dynamodb.TransactWriteItems": 1,
        "sagemaker.UpdateModelPackage": 1,
    }
    latest = item(keys.metrics_sk("qa"))
    assert latest["item_type"] == "metrics_latest"
    assert latest["metrics"] == {"auc": Decimal("0.912"), "f1": Decimal("0.838"),
                                 "latency_p95_ms": Decimal("41.5"), "requests": Decimal("5000")}
    assert (latest["stage"], latest["kind"], latest["reported_from_account"]) == ("Test", "qa", "210987654321")
    assert (latest["window_start"], latest["window_end"]) == ("2025-03-06T09:00:00.000Z", "2025-03-06T09:30:00.000Z")
    assert latest["model_package_arn"] == registered
    [history] = history_of()
    assert history["item_type"] == "metrics"
    assert (history["change_day"], history["metrics"]) == ("2025-03-06", latest["metrics"])
    assert history["idempotency_key"] == latest["idempotency_key"]

    metadata = registry_metadata(registered)
    assert {k: v for k, v in metadata.items() if k.startswith("qa:")} == {
        "qa:auc": "0.912", "qa:f1": "0.838", "qa:latency_p95_ms": "41.5", "qa:requests": "5000",
        "qa:reported_at": "2025-03-06T09:30:01.250Z",
        "qa:reported_by": "arn:aws:sts::210987654321:assumed-role/mlgov-qa-runner/run-17",
    }
    assert metadata["registered_by"] == "alice@example.com" and metadata["metric:auc"] == "0.913"
    # Only the qa:* keys were sent: no approval status, nothing else from a possibly stale read.
    [sent] = update_requests
    assert set(sent) == {"ModelPackageArn", "CustomerMetadataProperties"}
    assert all(k.startswith("qa:") for k in sent["CustomerMetadataProperties"])
    described = boto3.client("sagemaker").describe_model_package(ModelPackageName=registered)
    assert described["ModelApprovalStatus"] == "Approved"


def test_registry_sync_then_shows_the_qa_metrics_in_the_state(registered, settings):
    record(qa_event())
    outcome = record_registry_change(state_change_event_from_registry(registered), settings)
    assert outcome["result"] == "recorded"
    state = state_of()
    assert state["qa_metrics"] == {"auc": Decimal("0.912"), "f1": Decimal("0.838"),
                                   "latency_p95_ms": Decimal("41.5"), "requests": Decimal("5000")}
    assert state["metrics"] == {"auc": Decimal("0.913")}  # training metrics stay apart
    assert state["customer_metadata"]["qa:reported_at"] == "2025-03-06T09:30:01.250Z"
    assert state["stage_status"] == "Dev#Approved"  # the state item is still the registry's projection


def test_production_reports_are_kept_per_variant_without_touching_the_registry(table, calls):
    a = record(production_event())
    b = record(production_event(variant="variant-b", model_package_arn=None, metrics={"invocations": 2011}))
    assert (a["result"], b["result"]) == ("recorded", "recorded")
    assert not a["registry_updated"] and not b["registry_updated"]
    assert item(keys.metrics_sk("production", "variant-a"))["metrics"]["invocations"] == Decimal("18234")
    assert item(keys.metrics_sk("production", "variant-b"))["metrics"] == {"invocations": Decimal("2011")}
    assert item(keys.metrics_sk("production", "variant-a"))["window_start"] == "2025-03-10T11:00:00.000Z"
    assert len(history_of()) == 2
    assert not any(name.startswith("sagemaker.") for name in calls.calls)
    assert calls.calls["dynamodb.TransactWriteItems"] == 2


def test_older_report_after_a_newer_one_keeps_the_newer_everywhere(registered):
    assert record(qa_event(reported_at=LATER, metrics={"auc": 0.95}))["result"] == "recorded"
    outcome = record(qa_event())  # reported the day before
    assert (outcome["result"], outcome["registry_updated"]) == ("stale", False)
    assert item(keys.metrics_sk("qa"))["metrics"] == {"auc": Decimal("0.95")}
    assert sorted(h["reported_at"] for h in history_of()) == ["2025-03-06T09:30:01.250Z", LATER]
    metadata = registry_metadata(registered)
    assert (metadata["qa:auc"], metadata["qa:reported_at"]) == ("0.95", LATER)
    assert "qa:f1" not in metadata  # the newer report's keys only


def test_older_production_report_does_not_overwrite(table):
    newer = "2025-03-11T00:00:00.000Z"  # the fixture reports 2025-03-10
    record(production_event(reported_at=newer, model_package_arn=None, metrics={"invocations": 1}))
    assert record(production_event())["result"] == "stale"
    assert item(keys.metrics_sk("production", "variant-a"))["reported_at"] == newer


def test_duplicate_report_writes_nothing_and_updates_the_registry_once(registered, update_requests):
    record(qa_event(), now=lambda: "2025-03-06T09:30:03.000Z")
    before = version_items()
    again = dict(qa_event(), id="a-second-delivery")
    outcome = record(again, now=lambda: "2025-03-06T09:45:00.000Z")
    assert (outcome["result"], outcome["registry_updated"]) == ("duplicate", False)
    assert version_items() == before  # recorded_at and event_id not rewritten
    assert len(update_requests) == 1


def test_the_same_numbers_written_differently_are_the_same_report(table):
    record(production_event(metrics={"invocations": 100, "error_rate": 0.5}))
    rewritten = production_event(metrics={"error_rate": 0.50, "invocations": 100.0})
    assert record(rewritten)["result"] == "duplicate"


def test_newer_qa_report_replaces_the_older_qa_keys(registered, update_requests):
    record(qa_event())
    record(qa_event(reported_at=LATER, metrics={"auc": 0.95}))
    metadata = registry_metadata(registered)
    assert sorted(k for k in metadata if k.startswith("qa:")) == ["qa:auc", "qa:reported_at", "qa:reported_by"]
    assert update_requests[1]["CustomerMetadataPropertiesToRemove"] == ["qa:f1", "qa:latency_p95_ms", "qa:requests"]


def test_a_failed_registry_update_is_repaired_by_the_retry(registered, update_requests):
    def deny_once(**_):
        aws.client("sagemaker").meta.events.unregister("before-call.sagemaker.UpdateModelPackage", deny_once)
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "UpdateModelPackage")

    aws.client("sagemaker").meta.events.register("before-call.sagemaker.UpdateModelPackage", deny_once)
    with pytest.raises(ClientError, match="Throttling"):
        record(qa_event())
    assert "qa:auc" not in registry_metadata(registered)
    assert item(keys.metrics_sk("qa")) is not None  # the table was written first
    outcome = record(qa_event())  # Lambda's retry of the same event
    assert (outcome["result"], outcome["registry_updated"]) == ("duplicate", True)
    assert registry_metadata(registered)["qa:auc"] == "0.912"
    assert len(history_of()) == 1


def test_qa_report_for_a_version_not_in_the_registry_is_refused(table, aws_env):
    with pytest.raises(MetricsEventError, match=r"model_version=1: .* not in the registry"):
        record(qa_event())
    assert version_items() == []


def test_qa_report_that_would_overflow_the_registry_metadata_is_refused(registered):
    boto3.client("sagemaker").update_model_package(
        ModelPackageArn=registered, CustomerMetadataProperties={f"note:{i}": "x" for i in range(30)}
    )
    many = {f"m{i}": i for i in range(20)}
    with pytest.raises(MetricsEventError, match="registry metadata entries"):
        record(qa_event(metrics=many))
    assert version_items() == []


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        (qa_event(metrics=None), "detail.metrics=<missing>"),
        (qa_event(metrics={}), "detail.metrics={}"),
        (qa_event(metrics={"auc": float("nan")}), "detail.metrics.auc=nan: must be a finite number"),
        (qa_event(metrics={"AUC-roc": 0.9}), "detail.metrics.AUC-roc.[key]='AUC-roc'"),
        (production_event(variant=None), "detail.variant=<missing>: required for kind 'production'"),
        (dict(qa_event(), account=PROD_ACCOUNT), "account='345678901234': qa metrics are accepted only from"),
        (dict(production_event(), account="210987654321"), "production metrics are accepted only from account 3456"),
        (qa_event(stage="Staging"), "detail.stage='Staging'"),
        (qa_event(kind="canary"), "detail.kind='canary'"),
        (qa_event(stage="Prod"), "detail.stage='Prod': kind 'qa' is reported from stage 'Test'"),
        (qa_event(schema_version=2), "detail.schema_version=2: unsupported schema version"),
        (qa_event(model_package_group="other-group"), "model_package_group='other-group': not a group"),
        (qa_event(model_package_arn="arn:aws:sagemaker:eu-west-1:999999999999:model-package/fraud-detection/1"),
         "detail.model_package_arn='arn:aws:sagemaker:eu-west-1:999999999999"),
        (qa_event(reported_at="2999-01-01T00:00:00Z"), "detail.reported_at='2999-01-01T00:00:00.000Z': more than 5"),
    ],
)
def test_malformed_reports_raise_naming_field_and_value_and_write_nothing(registered, update_requests, event, needle):
    with pytest.raises(MetricsEventError) as raised:
        record(event)
    assert needle in str(raised.value)
    assert version_items() == [] and update_requests == []


def test_metrics_items_stay_out_of_the_state_indexes_and_show_in_recent_changes(registered, settings):
    record_registry_change(state_change_event_from_registry(registered), settings)
    record(qa_event())
    record(production_event())
    table = boto3.resource("dynamodb").Table(TABLE)

    def query(index, value):
        return table.query(IndexName=index.name, KeyConditionExpression=f"{index.partition_key} = :v",
                           ExpressionAttributeValues={":v": value})["Items"]

    assert [i["item_type"] for i in query(keys.BY_GROUP, GROUP)] == ["state"]
    assert [i["item_type"] for i in query(keys.BY_USE_CASE, "fraud")] == ["state"]
    assert {i["item_type"] for i in query(keys.BY_CHANGE_DAY, "2025-03-06")} == {"metrics"}
    assert {i["item_type"] for i in query(keys.BY_CHANGE_DAY, "2025-03-10")} == {"metrics"}
