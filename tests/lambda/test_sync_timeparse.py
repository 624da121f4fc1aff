"""Timestamps: every accepted form normalizes to one fixed-width UTC string whose order is time order."""

from datetime import datetime, timedelta, timezone

import pytest
from sync_testkit import load_event

from mlgov_core import timeparse
from mlgov_core.events import parse_event


def test_iso_and_epoch_ms_fixtures_parse_to_the_same_normalized_value():
    iso = parse_event(load_event("registered")).detail
    epoch = parse_event(load_event("registered_epoch_ms")).detail
    assert iso.LastModifiedTime == epoch.LastModifiedTime == "2025-03-04T10:15:28.412Z"
    assert iso.CreationTime == epoch.CreationTime


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-04T10:15:28.412Z",
        "2025-03-04T11:15:28.412+01:00",
        "2025-03-04T10:15:28.412",  # naive: UTC
        "2025-03-04T10:15:28.412999Z",  # sub-millisecond digits are dropped, not rounded up
        1741083328412,
        "1741083328412",
        1741083328412.9,
        datetime(2025, 3, 4, 11, 15, 28, 412000, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_every_form_normalizes_to_utc_milliseconds(value):
    assert timeparse.to_iso(value) == "2025-03-04T10:15:28.412Z"


def test_integer_milliseconds_stay_exact():
    # A float division would turn ...123 into ...122999 and so into .122.
    assert timeparse.to_iso(1614186014123) == "2021-02-24T17:00:14.123Z"


def test_string_order_is_time_order():
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    moments = [start + timedelta(milliseconds=step) for step in (0, 1, 9, 10, 999, 1000, 59_999, 86_400_000)]
    normalized = [timeparse.to_iso(m) for m in moments]
    assert normalized == sorted(normalized)
    assert len({len(n) for n in normalized}) == 1


@pytest.mark.parametrize("value", ["yesterday", "", None, True, 10**20, [1]])
def test_garbage_is_rejected(value):
    with pytest.raises(ValueError):
        timeparse.to_iso(value)


def test_second_precision_event_time_matches_the_registry_millisecond_time():
    assert timeparse.same_instant("2025-03-05T08:02:09.000Z", "2025-03-05T08:02:09.905Z")
    assert not timeparse.same_instant("2025-03-05T08:02:09.100Z", "2025-03-05T08:02:09.905Z")
    assert not timeparse.same_instant("2025-03-05T08:02:09.000Z", "2025-03-05T08:02:10.000Z")
    assert not timeparse.same_instant("2025-03-05T08:02:09.000Z", None)
