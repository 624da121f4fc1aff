"""Events that lie: the registry, not the event, decides which version a change belongs to and how late it is.

Against moto (the package_arn fixture: created 2025-03-04T10:15:28.412Z, last changed at the Test
approval 2025-03-05T08:02:09.905Z). A refused event raises InconsistentEventError, so the handler
re-raises it and Lambda dead-letters it with the reason logged, and nothing is written under any version.
"""

from __future__ import annotations

import boto3
import pytest
from sync_testkit import GROUP, history_of, load_event, state_of, version_items, with_detail

from mlgov_core import keys, timeparse
from mlgov_core.events import InconsistentEventError, parse_event
from mlgov_core.sync import MAX_CLOCK_SKEW, record_registry_change

NOW = "2025-03-06T12:00:00.000Z"
APPROVED_AT = "2025-03-05T08:02:09.905Z"
ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/fraud-detection/1"


def _at(moment: str, delta) -> str:
    return timeparse.format_iso(timeparse.to_datetime(moment) + delta)


def _all_items() -> list[dict]:
    return boto3.resource("dynamodb").Table("mlgov-governance-test").scan()["Items"]


def _refused(event: dict, settings, match: str) -> None:
    with pytest.raises(InconsistentEventError, match=match):
        record_registry_change(event, settings, now=lambda: NOW)
    assert _all_items() == []  # nothing filed, under this version or any other


# ------------------------------------------------------------------ time


@pytest.mark.parametrize("ahead", [MAX_CLOCK_SKEW * 2, MAX_CLOCK_SKEW * 1000])
def test_a_change_later_than_the_registry_knows_is_refused(settings, package_arn, ahead):
    event = with_detail(load_event("approved_for_test"), LastModifiedTime=_at(APPROVED_AT, ahead))
    _refused(event, settings, "later than the registry's LastModifiedTime")


def test_a_far_future_event_cannot_make_the_real_next_change_stale(settings, package_arn):
    future = with_detail(load_event("approved_for_test"), LastModifiedTime="2031-01-01T00:00:00.000Z")
    with pytest.raises(InconsistentEventError):
        record_registry_change(future, settings, now=lambda: NOW)
    # The real change, announced afterwards, is the newest state.
    assert record_registry_change(load_event("approved_for_test"), settings, now=lambda: NOW)["result"] == "recorded"
    assert state_of()["last_modified"] == APPROVED_AT


def test_epoch_milliseconds_far_ahead_are_refused_too(settings, package_arn):
    epoch_ms = int(timeparse.to_datetime("2030-06-01T00:00:00Z").timestamp() * 1000)
    _refused(with_detail(load_event("registered"), LastModifiedTime=epoch_ms), settings, "later than")


def test_within_the_clock_skew_is_accepted(settings, package_arn):
    event = with_detail(load_event("approved_for_test"), LastModifiedTime=_at(APPROVED_AT, MAX_CLOCK_SKEW / 2))
    assert record_registry_change(event, settings, now=lambda: NOW)["result"] == "recorded"


def test_an_older_change_than_the_registry_latest_is_history_not_a_lie(settings, package_arn):
    # SageMaker sends events in no guaranteed order: the registration arrives after the approval.
    record_registry_change(load_event("approved_for_test"), settings, now=lambda: NOW)
    assert record_registry_change(load_event("registered"), settings, now=lambda: NOW)["result"] == "stale"


def test_a_change_before_the_version_existed_is_refused(settings, package_arn):
    # A delayed event of an earlier version 1 (its group deleted and created again) must not join this one.
    event = with_detail(load_event("registered"), LastModifiedTime="2024-11-02T09:00:00.000Z",
                        CreationTime="2024-11-02T09:00:00.000Z")
    _refused(event, settings, "before the version was created")


def test_a_deleted_version_is_bounded_by_now(settings, aws_env):
    # No package in the registry: the only bound is the function's clock.
    future = with_detail(load_event("approved_for_test"), LastModifiedTime=_at(NOW, MAX_CLOCK_SKEW * 3))
    _refused(future, settings, "later than now")
    past = load_event("approved_for_test")
    assert record_registry_change(past, settings, now=lambda: NOW)["registry_found"] is False


def test_the_fallback_event_time_is_bounded_as_well(settings, package_arn):
    event = with_detail(load_event("approved_for_test"), LastModifiedTime=None)
    event["time"] = "2029-01-01T00:00:00Z"
    _refused(event, settings, "2029-01-01T00:00:00.000Z is later than")


# ------------------------------------------------------------------ identity


@pytest.mark.parametrize(("changes", "match"), [
    ({"ModelPackageGroupName": "churn-model"}, "ModelPackageGroupName='churn-model' but the ARN names group 'fraud-detection'"),
    ({"ModelPackageVersion": 2}, "ModelPackageVersion=2 but the ARN names version '1'"),
    ({"ModelPackageArn": ARN.replace("/1", "/7")}, "ModelPackageVersion=1 but the ARN names version '7'"),
    ({"ModelPackageArn": ARN.replace("fraud-detection", "churn-model")}, "the ARN names group 'churn-model'"),
    ({"ModelPackageArn": ARN.replace("123456789012", "999999999999")}, "account 999999999999 but the event comes from"),
    ({"ModelPackageArn": ARN.replace("eu-west-1", "us-east-1")}, "region 'us-east-1' but the event comes from"),
])
def test_an_event_whose_arn_names_another_version_is_refused(settings, package_arn, changes, match):
    _refused(with_detail(load_event("approved_for_test"), **changes), settings, match)


def test_the_group_check_reads_the_detail_not_the_filing_key():
    # Parsing alone refuses it: the history key (pk) would be built from the detail's group.
    event = with_detail(load_event("registered"), ModelPackageGroupName="churn-model")
    with pytest.raises(InconsistentEventError, match="churn-model"):
        parse_event(event)
    assert keys.version_pk("churn-model", 1) != keys.version_pk(GROUP, 1)


def test_an_envelope_from_another_account_is_refused(settings, package_arn):
    event = load_event("approved_for_test")
    event["account"] = "210987654321"
    _refused(event, settings, "comes from account '210987654321'")


def test_the_registry_group_must_be_the_event_group_exactly(settings, package_arn, monkeypatch):
    # The ARN check ignores case (SageMaker lower-cases some ARNs); the registry's exact name decides.
    event = with_detail(load_event("registered"), ModelPackageGroupName="Fraud-Detection")
    _refused(event, settings, "the registry's group is 'fraud-detection', the event says 'Fraud-Detection'")


def test_a_consistent_event_is_still_recorded_once(settings, package_arn):
    assert record_registry_change(load_event("registered"), settings, now=lambda: NOW)["result"] == "recorded"
    assert len(history_of()) == 1 and len(version_items()) == 3
