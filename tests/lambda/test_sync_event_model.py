"""Event parsing: detail fields optional, the identifying three required, errors name field and value."""

import pytest
from sync_testkit import load_event, with_detail

from mlgov_core.events import MalformedEventError, parse_event


@pytest.mark.parametrize("name", ["registered", "approved_for_test", "registered_epoch_ms"])
def test_fixtures_parse(name):
    event = parse_event(load_event(name))
    assert event.detail.ModelPackageGroupName == "fraud-detection"
    assert event.detail.ModelPackageVersion == 1


def test_only_arn_group_and_version_are_needed():
    event = load_event("registered")
    required = ("ModelPackageArn", "ModelPackageGroupName", "ModelPackageVersion")
    event["detail"] = {k: event["detail"][k] for k in required}
    parsed = parse_event(event)
    assert parsed.detail.ModelApprovalStatus is None
    assert parsed.last_modified == "2025-03-04T10:15:30.000Z"  # the event's own time as fallback


def test_non_string_metadata_values_are_kept_as_strings():
    parsed = parse_event(with_detail(load_event("registered"), CustomerMetadataProperties={"metric:auc": 0.9}))
    assert parsed.detail.CustomerMetadataProperties == {"metric:auc": "0.9"}


def _without_time(event):
    event.pop("time")
    return with_detail(event, LastModifiedTime=None)


def _set(key, value):
    def change(event):
        event[key] = value
        return event

    return change


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: with_detail(e, ModelPackageArn=None), "detail.ModelPackageArn=<missing>"),
        (lambda e: with_detail(e, ModelPackageArn="not-an-arn"), "detail.ModelPackageArn='not-an-arn'"),
        (lambda e: with_detail(e, ModelPackageGroupName=None), "detail.ModelPackageGroupName=<missing>"),
        (lambda e: with_detail(e, ModelPackageGroupName="bad_name!"), "detail.ModelPackageGroupName='bad_name!'"),
        (lambda e: with_detail(e, ModelPackageVersion=None), "detail.ModelPackageVersion=<missing>"),
        (lambda e: with_detail(e, ModelPackageVersion="two"), "detail.ModelPackageVersion='two'"),
        (lambda e: with_detail(e, ModelPackageVersion=1.5), "detail.ModelPackageVersion=1.5"),
        (lambda e: with_detail(e, ModelPackageVersion=True), "detail.ModelPackageVersion=True"),
        (lambda e: with_detail(e, ModelPackageVersion=0), "detail.ModelPackageVersion=0"),
        # Free text for SageMaker, but within its pattern (names outside the stage mapping are recorded).
        (
            lambda e: with_detail(e, ModelLifeCycle={"Stage": "Pre Prod", "StageStatus": "Approved"}),
            "detail.ModelLifeCycle.Stage='Pre Prod'",
        ),
        (
            lambda e: with_detail(e, ModelLifeCycle={"Stage": "Test", "StageStatus": "Done!"}),
            "detail.ModelLifeCycle.StageStatus='Done!'",
        ),
        (lambda e: with_detail(e, ModelLifeCycle={"Stage": "Test"}), "detail.ModelLifeCycle.StageStatus=<missing>"),
        (lambda e: with_detail(e, ModelApprovalStatus="Maybe"), "detail.ModelApprovalStatus='Maybe'"),
        (lambda e: with_detail(e, LastModifiedTime="last tuesday"), "detail.LastModifiedTime='last tuesday'"),
        (_without_time, "detail.LastModifiedTime: missing"),
        (_set("detail-type", "SageMaker Endpoint State Change"), "detail-type='SageMaker Endpoint State Change'"),
        (_set("source", "aws.s3"), "source='aws.s3'"),
        (_set("detail", None), "detail=None"),
        (lambda e: [e], "event: expected a JSON object, got list"),
        (lambda e: "{}", "event: expected a JSON object, got str"),
    ],
)
def test_malformed_events_name_field_and_value(mutate, expected):
    with pytest.raises(MalformedEventError) as raised:
        parse_event(mutate(load_event("registered")))
    assert expected in str(raised.value)
