"""record_registry_change against moto: one read and one write per event, idempotent, order-safe."""

from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodb.responses import DynamoHandler
from sync_testkit import GROUP, TABLE, history_of, load_event, state_of, version_items, with_detail

from mlgov_core import aws, keys, registry, rules, timeparse
from mlgov_core.settings import SyncSettings
from mlgov_core.sync import record_registry_change

LATER = "2025-03-05T08:02:09.905Z"


def test_new_event_costs_one_describe_one_head_read_and_one_transaction(settings, package_arn, calls):
    outcome = record_registry_change(load_event("registered"), settings)
    assert outcome["result"] == "recorded"
    # The head read is the hash chain's price: the new item's hash needs the previous one's (store.py).
    assert calls.calls == {"sagemaker.DescribeModelPackage": 1, "dynamodb.TransactGetItems": 1,
                           "dynamodb.TransactWriteItems": 1}
    state = state_of()
    assert state["use_case"] == "fraud"
    assert state["version"] == 1 and state["version_key"] == "000001"
    described = boto3.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    assert state["registered_by"] == registry.identity_name(described["CreatedBy"]) is not None  # never metadata
    assert state["claimed_registered_by"] == "alice@example.com"
    assert state["stage_status"] == "Dev#Pending"
    assert state["metrics"] == {"auc": Decimal("0.913"), "f1": Decimal("0.842")}
    assert state["last_modified"] == "2025-03-04T10:15:28.412Z"
    assert len(history_of()) == 1


def test_duplicate_change_with_new_event_id_writes_nothing(settings, package_arn):
    first = load_event("registered")
    record_registry_change(first, settings, now=lambda: "2025-03-04T10:15:31.000Z")
    before = version_items()
    again = dict(first, id="a-second-delivery-of-the-same-change")
    outcome = record_registry_change(again, settings, now=lambda: "2025-03-04T10:20:00.000Z")
    assert outcome["result"] == "duplicate"
    assert version_items() == before  # same count, and recorded_at/event_id not rewritten


def test_epoch_ms_copy_of_an_iso_event_is_a_duplicate(settings, package_arn):
    record_registry_change(load_event("registered"), settings)
    assert record_registry_change(load_event("registered_epoch_ms"), settings)["result"] == "duplicate"
    assert len(version_items()) == 3  # state, history, chain head


def test_older_event_after_newer_keeps_newer_state_and_both_histories(settings, package_arn, calls):
    record_registry_change(load_event("approved_for_test"), settings)
    outcome = record_registry_change(load_event("registered"), settings)
    assert outcome["result"] == "stale"
    state = state_of()
    assert (state["last_modified"], state["stage_status"]) == (LATER, "Test#Approved")
    assert sorted(h["last_modified"] for h in history_of()) == ["2025-03-04T10:15:28.412Z", LATER]
    # The head read shows the newer state, so the older event writes history and head in one transaction.
    assert calls.calls["dynamodb.TransactWriteItems"] == 2 and "dynamodb.PutItem" not in calls.calls
    assert record_registry_change(load_event("registered"), settings)["result"] == "duplicate"
    assert len(version_items()) == 4  # state, two history items, chain head


def test_newer_event_after_older_replaces_state(settings, package_arn):
    record_registry_change(load_event("registered"), settings)
    assert record_registry_change(load_event("approved_for_test"), settings)["result"] == "recorded"
    assert state_of()["stage_status"] == "Test#Approved"
    assert len(history_of()) == 2


def test_unknown_group_is_recorded_as_unassigned(table, package_arn):
    outcome = record_registry_change(load_event("registered"), SyncSettings(table_name=table))
    assert outcome["result"] == "recorded"
    assert state_of()["use_case"] == rules.UNASSIGNED_USE_CASE


def test_deleted_version_is_still_recorded(settings, aws_env):
    # No package in the registry: DescribeModelPackage fails with "not found".
    outcome = record_registry_change(load_event("approved_for_test"), settings)
    assert (outcome["result"], outcome["registry_found"]) == ("recorded", False)
    state = state_of()
    assert "registered_by" not in state  # unknown: metadata is only a claim
    assert state["claimed_registered_by"] == "alice@example.com"
    assert "approved_by" not in state


def test_other_registry_errors_are_not_swallowed(settings, package_arn):
    def deny(**_):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeModelPackage")

    aws.client("sagemaker").meta.events.register("before-call.sagemaker.DescribeModelPackage", deny)
    with pytest.raises(ClientError, match="AccessDenied"):
        record_registry_change(load_event("registered"), settings)
    assert version_items() == []


def _approve_in_registry(arn: str) -> str:
    sagemaker = boto3.client("sagemaker")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    return timeparse.to_iso(sagemaker.describe_model_package(ModelPackageName=arn)["LastModifiedTime"])


def test_approved_by_comes_from_the_registry_for_this_change(settings, package_arn):
    approved_at = _approve_in_registry(package_arn)
    record_registry_change(with_detail(load_event("approved_for_test"), LastModifiedTime=approved_at), settings)
    state = state_of()
    # The identity the registry reports for the change (the sandbox patch: the caller ARN) is the approver.
    described = boto3.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    assert state["approved_by"] == registry.identity_name(described["LastModifiedBy"]) is not None
    assert state["registered_by"] == registry.identity_name(described["CreatedBy"])


def test_approved_by_unknown_when_registry_moved_on(settings, package_arn):
    _approve_in_registry(package_arn)
    # The event is for an earlier approval than the one the registry now shows.
    record_registry_change(load_event("approved_for_test"), settings)
    assert "approved_by" not in state_of()


def test_registered_by_falls_back_to_created_by(settings, package_arn):
    event = with_detail(load_event("registered"), CustomerMetadataProperties=None)
    record_registry_change(event, settings)
    described = boto3.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    assert state_of()["registered_by"] == registry.identity_name(described["CreatedBy"]) is not None


def test_indexes_are_sparse_and_serve_their_queries(settings, package_arn):
    record_registry_change(load_event("registered"), settings)
    record_registry_change(load_event("approved_for_test"), settings)
    table = boto3.resource("dynamodb").Table(TABLE)

    def query(index, value):
        return table.query(
            IndexName=index.name,
            KeyConditionExpression=f"{index.partition_key} = :v",
            ExpressionAttributeValues={":v": value},
        )["Items"]

    assert [i["item_type"] for i in query(keys.BY_GROUP, GROUP)] == ["state"]
    assert [i["item_type"] for i in query(keys.BY_USE_CASE, "fraud")] == ["state"]
    assert [i["item_type"] for i in query(keys.BY_STAGE_STATUS, "Test#Approved")] == ["state"]
    assert query(keys.BY_STAGE_STATUS, "Dev#Pending") == []  # the state moved on
    assert {i["item_type"] for i in query(keys.BY_CHANGE_DAY, "2025-03-04")} == {"history"}
    assert len(query(keys.BY_CHANGE_DAY, "2025-03-05")) == 1


def _throttle_first(monkeypatch, operation: str, failures: int, code: str) -> list[int]:
    """Make moto's DynamoDB answer the first ``failures`` HTTP attempts of ``operation`` with a throttling error.

    Injected in the emulated service, not in botocore, so every retry is a real HTTP attempt that
    botocore's retry handler has to classify.
    """
    attempts: list[int] = []
    original = getattr(DynamoHandler, operation)

    def maybe_throttle(self):
        attempts.append(1)
        if len(attempts) <= failures:
            raise DynamodbException(ERROR_TYPE_PREFIX + code, "Rate of requests exceeds the allowed throughput.")
        return original(self)

    monkeypatch.setattr(DynamoHandler, operation, maybe_throttle)
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _: None)  # keep the backoff, skip the wait
    return attempts


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_dynamodb_throttling_is_retried(settings, package_arn, monkeypatch, code):
    attempts = _throttle_first(monkeypatch, "transact_write_items", 3, code)
    assert record_registry_change(load_event("registered"), settings)["result"] == "recorded"
    assert len(attempts) == 4
    assert len(version_items()) == 3  # state, history, chain head


def test_throttling_beyond_the_retry_budget_fails_the_invocation(settings, package_arn, monkeypatch):
    attempts = _throttle_first(monkeypatch, "transact_write_items", 99, "ProvisionedThroughputExceededException")
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        record_registry_change(load_event("registered"), settings)
    assert len(attempts) == 5
    assert version_items() == []


def test_cancellation_for_a_conflict_is_raised_not_taken_for_a_duplicate(settings, package_arn):
    def conflict(**_):
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
        raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")

    aws.client("dynamodb").meta.events.register("before-call.dynamodb.TransactWriteItems", conflict)
    with pytest.raises(ClientError, match="TransactionCanceled"):
        record_registry_change(load_event("registered"), settings)
