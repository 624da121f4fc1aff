"""QA evidence is what metrics-ingest recorded in the table, never qa:* metadata a registrant typed in."""

from decimal import Decimal

import boto3
import pytest
from metrics_testkit import LOCATION, SETTINGS, item, qa_event, registry_metadata
from sync_testkit import GROUP, TABLE

from mlgov_core import gates, keys
from mlgov_core.evidence import EvidenceError, recorded_qa_metrics, recorded_qa_report
from mlgov_core.metrics_sync import record_metrics_report

PROD_GATES = ["auc >= 0.9"]
FORGED = {"qa:auc": "0.99", "qa:reported_at": "2099-01-01T00:00:00.000Z", "qa:reported_by": "someone"}


@pytest.fixture
def forged(table, package_arn) -> str:
    """Version 1 whose registrant typed QA results and a far-future report time into its metadata."""
    boto3.client("sagemaker").update_model_package(ModelPackageArn=package_arn, CustomerMetadataProperties=FORGED)
    assert registry_metadata(package_arn)["qa:auc"] == "0.99"
    return package_arn


def _table():
    return boto3.resource("dynamodb").Table(TABLE)


def test_forged_qa_metadata_is_no_evidence_and_fails_the_gate(forged):
    assert recorded_qa_metrics(_table(), GROUP, 1) == {}
    [result] = gates.evaluate_all(PROD_GATES, recorded_qa_metrics(_table(), GROUP, 1))
    assert not result.passed and "no recorded value" in result.reason


def test_a_real_report_after_forged_metadata_is_recorded_and_replaces_it_in_the_registry(forged):
    outcome = record_metrics_report(qa_event(metrics={"auc": 0.8}), SETTINGS, registry_location=LOCATION)
    assert (outcome["result"], outcome["registry_updated"]) == ("recorded", True)
    metadata = registry_metadata(forged)
    # The far-future qa:reported_at did not make the real report look older.
    assert (metadata["qa:auc"], metadata["qa:reported_at"]) == ("0.8", "2025-03-06T09:30:01.250Z")
    assert recorded_qa_metrics(_table(), GROUP, 1) == {"auc": 0.8}
    [result] = gates.evaluate_all(PROD_GATES, recorded_qa_metrics(_table(), GROUP, 1))
    assert not result.passed  # judged on the recorded 0.8, not the typed 0.99


def test_forged_metadata_after_the_report_changes_no_evidence(forged):
    record_metrics_report(qa_event(metrics={"auc": 0.8}), SETTINGS, registry_location=LOCATION)
    boto3.client("sagemaker").update_model_package(ModelPackageArn=forged, CustomerMetadataProperties=FORGED)
    assert recorded_qa_metrics(_table(), GROUP, 1) == {"auc": 0.8}


def test_a_redelivered_report_repairs_registry_keys_edited_after_it(forged):
    record_metrics_report(qa_event(metrics={"auc": 0.8}), SETTINGS, registry_location=LOCATION)
    boto3.client("sagemaker").update_model_package(ModelPackageArn=forged, CustomerMetadataProperties=FORGED)
    again = record_metrics_report(dict(qa_event(metrics={"auc": 0.8}), id="redelivery"), SETTINGS, registry_location=LOCATION)
    assert (again["result"], again["registry_updated"]) == ("duplicate", True)  # still the table's latest
    assert registry_metadata(forged)["qa:auc"] == "0.8"


def test_low_level_client_reads_the_same_report(forged):
    record_metrics_report(qa_event(), SETTINGS, registry_location=LOCATION)
    report = recorded_qa_report(boto3.client("dynamodb"), GROUP, 1, table_name=TABLE)
    assert report["metrics"] == {"auc": 0.912, "f1": 0.838, "latency_p95_ms": 41.5, "requests": 5000.0}
    assert report["reported_from_account"] == "210987654321"
    assert report == recorded_qa_report(_table(), GROUP, 1)
    assert item(keys.metrics_sk("qa"))["metrics"]["auc"] == Decimal("0.912")


def test_an_item_that_is_not_a_qa_report_is_refused(table):
    _table().put_item(Item={"pk": keys.version_pk(GROUP, 1), "sk": keys.metrics_sk("qa"), "item_type": "metrics_latest",
                            "kind": "production", "stage": "Prod", "version_id": keys.version_id(GROUP, 1),
                            "metrics": {"auc": Decimal("0.99")}})
    with pytest.raises(EvidenceError, match=r"kind='production', expected 'qa'"):
        recorded_qa_metrics(_table(), GROUP, 1)
