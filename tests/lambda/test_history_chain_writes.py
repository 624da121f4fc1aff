"""Every history writer links to the partition's chain head; racing writers still leave one valid chain."""

import boto3
import pytest
from botocore.exceptions import ClientError
from metrics_testkit import LOCATION, SETTINGS, qa_event
from sync_testkit import TABLE, history_of, load_event, version_items

from mlgov_core import aws, chain, keys, store
from mlgov_core.metrics_sync import record_metrics_report
from mlgov_core.sync import record_registry_change


def _head() -> dict | None:
    return next((i for i in version_items() if i["sk"] == keys.CHAIN_SORT_KEY), None)


def _verify() -> list[chain.Break]:
    return chain.verify_chain(history_of(), _head())


def test_sequential_changes_form_one_chain_in_write_order(settings, package_arn):
    record_registry_change(load_event("approved_for_test"), settings)
    record_registry_change(load_event("registered"), settings)  # older, arrives late: appended, not inserted
    assert _verify() == []
    by_seq = sorted(history_of(), key=lambda i: i[chain.SEQ])
    assert [i["last_modified"] for i in by_seq] == ["2025-03-05T08:02:09.905Z", "2025-03-04T10:15:28.412Z"]
    assert _head()[chain.LENGTH] == 2 and _head()[chain.HEAD_SK] == by_seq[-1]["sk"]


def test_a_duplicate_leaves_the_chain_as_it_was(settings, package_arn):
    record_registry_change(load_event("registered"), settings)
    head = _head()
    assert record_registry_change(dict(load_event("registered"), id="again"), settings)["result"] == "duplicate"
    assert _head() == head and _verify() == []


def _race(other):
    """Run ``other`` once, between our head read and our transaction (the window a concurrent writer has)."""
    fired = []

    def before_write(**_):
        if not fired:
            fired.append(True)
            other()

    aws.client("dynamodb").meta.events.register("before-call.dynamodb.TransactWriteItems", before_write)
    return fired


def _other_client():
    return boto3.client("dynamodb")  # a second writer: its own client, not hooked


def test_two_registry_events_racing_on_one_partition_yield_one_chain(settings, package_arn):
    fired = _race(lambda: record_registry_change(load_event("approved_for_test"), settings, dynamodb=_other_client()))
    outcome = record_registry_change(load_event("registered"), settings)
    assert fired and outcome["result"] == "stale"  # re-read after losing the race: the newer state is kept
    assert len(history_of()) == 2
    assert _verify() == []
    assert sorted(i[chain.SEQ] for i in history_of()) == [1, 2]


def test_a_metrics_report_racing_a_registry_event_yields_one_chain(settings, package_arn):
    boto3.client("sagemaker").update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved")
    record_registry_change(load_event("registered"), settings)
    fired = _race(lambda: record_registry_change(load_event("approved_for_test"), settings, dynamodb=_other_client()))
    outcome = record_metrics_report(qa_event(), SETTINGS, registry_location=LOCATION,
                                    now=lambda: "2025-03-06T09:30:03.000Z")
    assert fired and outcome["result"] == "recorded"
    assert {i["item_type"] for i in history_of()} == {"history", "metrics"}
    assert len(history_of()) == 3 and _verify() == []


def test_a_head_that_keeps_moving_fails_the_invocation_and_writes_nothing_of_ours(settings, package_arn, monkeypatch):
    record_registry_change(load_event("registered"), settings)

    def move_head(**_):  # someone else links before every one of our attempts
        boto3.client("dynamodb").update_item(
            TableName=TABLE, Key={"pk": {"S": keys.version_pk("fraud-detection", 1)}, "sk": {"S": keys.CHAIN_SORT_KEY}},
            UpdateExpression="SET chain_head = :h", ExpressionAttributeValues={":h": {"S": f"moved-{len(moves)}"}})
        moves.append(1)

    moves: list[int] = []
    aws.client("dynamodb").meta.events.register("before-call.dynamodb.TransactWriteItems", move_head)
    with pytest.raises(store.ChainContention, match="chain head moved"):
        record_registry_change(load_event("approved_for_test"), settings)
    assert len(moves) == store.MAX_ATTEMPTS
    assert len(history_of()) == 1  # the event is not recorded half-way; Lambda retries it, then the DLQ keeps it


def test_throttling_inside_the_transaction_is_not_taken_for_contention(settings, package_arn):
    def throttled(**_):
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        reasons = [{"Code": "None"}, {"Code": "ThrottlingError"}, {"Code": "None"}]
        raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")

    aws.client("dynamodb").meta.events.register("before-call.dynamodb.TransactWriteItems", throttled)
    with pytest.raises(ClientError, match="TransactionCanceled"):
        record_registry_change(load_event("registered"), settings)
    assert version_items() == []


def test_reconcile_repairs_into_the_same_chain(settings, package_arn):
    from mlgov_core import reconcile

    record_registry_change(load_event("registered"), settings)  # the Lambda saw registration only
    boto3.client("sagemaker").update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved")
    report = reconcile.reconcile(TABLE, {"fraud-detection": "fraud"})
    assert report.fixed == 1
    assert len(history_of()) == 2 and _verify() == []


def test_a_head_read_cancelled_by_a_concurrent_transaction_is_read_again(settings, package_arn):
    conflicts = []

    def conflict_once(**_):
        if not conflicts:
            conflicts.append(1)
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}]
            raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactGetItems")

    aws.client("dynamodb").meta.events.register("before-call.dynamodb.TransactGetItems", conflict_once)
    assert record_registry_change(load_event("registered"), settings)["result"] == "recorded"
    assert conflicts and _verify() == []
