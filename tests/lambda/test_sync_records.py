"""Pure mapping from event to items: stage resolution, identities, idempotency key, metrics, sparse GSIs."""

from decimal import Decimal

import pytest
from sync_testkit import load_event, with_detail

from mlgov_core import keys, records
from mlgov_core.events import parse_event
from mlgov_core.registry import NOT_FOUND, PackageDescription

APPROVED_AT = "2025-03-05T08:02:09.905Z"
DESCRIBED = PackageDescription(
    found=True,
    created_by="arn:aws:sts::111122223333:assumed-role/mlgov-data-scientist/alice",
    last_modified_by="arn:aws:sts::123456789012:assumed-role/mlgov-approver/bob",
    last_modified_time=APPROVED_AT,
)


def _items(event, described=DESCRIBED, use_case="fraud"):
    return records.build_items(parse_event(event), described, use_case=use_case, recorded_at="2025-03-06T00:00:00.000Z")


def test_lifecycle_sets_stage_status_and_description():
    state, _ = _items(load_event("approved_for_test"))
    assert (state["stage"], state["status"], state["stage_description"]) == (
        "Test",
        "Approved",
        "QA run 17 passed; deploy to test",
    )
    assert state["stage_status"] == "Test#Approved"


@pytest.mark.parametrize(
    ("approval", "status"),
    [("PendingManualApproval", "Pending"), ("Approved", "Approved"), ("Rejected", "Rejected"), (None, "Pending")],
)
def test_without_lifecycle_the_version_is_in_dev_with_its_approval_status(approval, status):
    event = with_detail(load_event("approved_for_test"), ModelLifeCycle=None, ModelApprovalStatus=approval)
    state, _ = _items(event)
    assert (state["stage"], state["status"]) == ("Dev", status)
    assert state["approval_status"] == (approval or "PendingManualApproval")


def test_idempotency_key_ignores_the_event_id_but_not_the_change():
    event = load_event("registered")
    renamed = dict(event, id="another-delivery")
    later = with_detail(event, LastModifiedTime="2025-03-04T10:15:28.413Z")
    approved = with_detail(event, ModelApprovalStatus="Approved")
    key = _items(event)[0]["idempotency_key"]
    assert _items(renamed)[0]["idempotency_key"] == key
    assert _items(later)[0]["idempotency_key"] != key
    assert _items(approved)[0]["idempotency_key"] != key
    assert len(key) == 16 and int(key, 16) >= 0


def test_history_sort_key_orders_by_change_time():
    _, history = _items(load_event("registered"))
    assert history["sk"] == keys.history_sk("2025-03-04T10:15:28.412Z", history["idempotency_key"])
    assert history["change_day"] == "2025-03-04"
    assert history["change_key"].startswith("2025-03-04T10:15:28.412Z#")


def test_metrics_are_numbers_from_metric_prefixed_metadata():
    event = with_detail(
        load_event("registered"),
        CustomerMetadataProperties={"metric:auc": "0.913", "metric:rows": "12000", "metric:bad": "n/a",
                                    "metric:nan": "NaN", "metric:": "1", "owner": "alice"},
    )
    state, _ = _items(event)
    assert state["metrics"] == {"auc": Decimal("0.913"), "rows": Decimal("12000")}
    assert state["customer_metadata"]["owner"] == "alice"


def test_gsi_partition_keys_only_on_the_item_type_the_index_serves():
    state, history = _items(load_event("registered"))
    for index in (keys.BY_GROUP, keys.BY_STAGE_STATUS, keys.BY_USE_CASE):
        assert index.partition_key in state and index.partition_key not in history
    assert keys.BY_CHANGE_DAY.partition_key in history and keys.BY_CHANGE_DAY.partition_key not in state
    assert (state["item_type"], history["item_type"]) == ("state", "history")


def test_registered_by_is_created_by_and_metadata_only_a_claim():
    state, history = _items(load_event("registered"))  # its metadata says registered_by alice@example.com
    assert state["registered_by"] == history["registered_by"] == DESCRIBED.created_by
    assert state["claimed_registered_by"] == "alice@example.com"
    anonymous = with_detail(load_event("registered"), CustomerMetadataProperties={"metric:auc": "0.9"})
    state, _ = _items(anonymous)
    assert state["registered_by"] == DESCRIBED.created_by and "claimed_registered_by" not in state


def test_approved_by_is_the_last_modifier_of_this_decision():
    state, _ = _items(load_event("approved_for_test"))
    assert state["approved_by"] == DESCRIBED.last_modified_by


def test_approved_by_unknown_when_the_registry_already_shows_a_later_change():
    later = PackageDescription(True, DESCRIBED.created_by, "arn:aws:sts::123456789012:assumed-role/x/carol",
                               "2025-03-05T09:00:00.000Z")
    state, _ = _items(load_event("approved_for_test"), described=later)
    assert "approved_by" not in state


def test_approved_by_unknown_while_pending():
    event = with_detail(load_event("approved_for_test"), ModelApprovalStatus="PendingManualApproval")
    state, _ = _items(event)
    assert "approved_by" not in state


def test_rejection_names_the_rejecter():
    event = with_detail(load_event("approved_for_test"), ModelApprovalStatus="Rejected", ModelLifeCycle=None)
    state, _ = _items(event)
    assert state["approved_by"] == DESCRIBED.last_modified_by
    assert state["stage_status"] == "Dev#Rejected"


def test_deleted_version_has_unknown_identities_whatever_metadata_says():
    state, _ = _items(load_event("approved_for_test"), described=NOT_FOUND)
    assert "registered_by" not in state and "approved_by" not in state and "changed_by" not in state
    assert state["claimed_registered_by"] == "alice@example.com"


def test_metadata_decider_is_never_credited_last_modified_by_is():
    # An approver (or anyone allowed to write metadata) leaves approved_by naming someone else: the
    # registry's LastModifiedBy for this change is the decider, the metadata only a claim.
    metadata = {**load_event("approved_for_test")["detail"]["CustomerMetadataProperties"],
                "approved_by": "arn:aws:sts::123456789012:assumed-role/mlgov-model-approver/carol"}
    event = with_detail(load_event("approved_for_test"), CustomerMetadataProperties=metadata)
    state, history = _items(event)
    assert state["approved_by"] == history["changed_by"] == DESCRIBED.last_modified_by
    assert history["claimed_decided_by"] == metadata["approved_by"]
    rejected = with_detail(event, ModelApprovalStatus="Rejected",
                           CustomerMetadataProperties={**metadata, "rejected_by": "dave"})
    state, _ = _items(rejected)
    assert (state["approved_by"], state["claimed_decided_by"]) == (DESCRIBED.last_modified_by, "dave")


def test_a_matching_metadata_decider_is_no_claim():
    metadata = {"approved_by": DESCRIBED.last_modified_by}
    state, _ = _items(with_detail(load_event("approved_for_test"), CustomerMetadataProperties=metadata))
    assert "claimed_decided_by" not in state


def test_the_registrys_source_identities_are_recorded_with_the_identities_they_belong_to():
    described = PackageDescription(True, DESCRIBED.created_by, DESCRIBED.last_modified_by, APPROVED_AT,
                                   created_by_source_identity="alice", last_modified_by_source_identity="bob")
    state, history = _items(load_event("approved_for_test"), described=described)
    assert history["registered_by_source_identity"] == state["registered_by_source_identity"] == "alice"
    assert history["changed_by_source_identity"] == "bob"
    # A later change by someone else: neither its identity nor its source identity is this change's.
    later = PackageDescription(True, DESCRIBED.created_by, DESCRIBED.last_modified_by, "2025-03-05T09:00:00.000Z",
                               created_by_source_identity="alice", last_modified_by_source_identity="bob")
    _, history = _items(load_event("approved_for_test"), described=later)
    assert history["registered_by_source_identity"] == "alice" and "changed_by_source_identity" not in history
    # Sessions without one (older items, pipeline roles): the attributes are absent, not empty.
    _, history = _items(load_event("approved_for_test"))
    assert "registered_by_source_identity" not in history and "changed_by_source_identity" not in history


def test_the_source_identity_is_part_of_the_chained_content():
    from mlgov_core import chain

    described = PackageDescription(True, DESCRIBED.created_by, DESCRIBED.last_modified_by, APPROVED_AT,
                                   created_by_source_identity="alice")
    _, history = _items(load_event("approved_for_test"), described=described)
    edited = {**history, "registered_by_source_identity": "mallory"}
    assert chain.item_hash(chain.GENESIS, history) != chain.item_hash(chain.GENESIS, edited)
