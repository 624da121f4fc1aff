"""Timestamps in one normalized form: UTC ISO-8601 with milliseconds, ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

Fixed width and a single zone make string order equal time order, which the table's sort keys
and conditional writes rely on. SageMaker sends ISO strings in model package events and epoch
milliseconds in others; boto3 returns datetime objects. All three are accepted.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_EPOCH_MS = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_iso(value: str | int | float | datetime) -> str:
    """Normalize an ISO string, epoch milliseconds or datetime; ValueError if it is none of them."""
    return format_iso(to_datetime(value))


def to_datetime(value: str | int | float | datetime) -> datetime:
    if isinstance(value, bool):  # bool is an int subclass; never a timestamp
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)):
        moment = _from_epoch_ms(value)
    elif isinstance(value, str) and _EPOCH_MS.match(value.strip()):
        moment = _from_epoch_ms(float(value) if "." in value else int(value))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 timestamp: {value!r}") from None
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if moment.tzinfo is None:  # SageMaker and EventBridge times are UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_iso(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return format_iso(datetime.now(timezone.utc))


def day_of(normalized: str) -> str:
    """``YYYY-MM-DD`` of a normalized timestamp."""
    return normalized[:10]


def same_instant(event_time: str, described_time: str | None) -> bool:
    """Whether two normalized timestamps name the same change.

    An event time without a fractional part (``.000``) may be a second-precision rendering of the
    registry's millisecond time, so it matches any time within that second.
    """
    if described_time is None:
        return False
    if event_time == described_time:
        return True
    return event_time.endswith(".000Z") and event_time[:19] == described_time[:19]


def _from_epoch_ms(ms: float) -> datetime:
    # timedelta keeps integer milliseconds exact; ms / 1000 as a float would not (…123 -> …122999).
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"epoch milliseconds out of range: {ms!r}") from None
