"""moto's PutObjectRetention lets anyone shorten a COMPLIANCE retention in force or switch it to GOVERNANCE; AWS refuses both (AccessDenied) until the retention date has passed."""

from __future__ import annotations

import datetime
from typing import Any

from ._common import wrap

COMPLIANCE = "COMPLIANCE"


def parse_until(value: Any) -> datetime.datetime | None:
    """A RetainUntilDate as moto stores it ("2026-12-02T09:17:19Z", with or without fractions), in UTC."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def weakens_compliance(current_mode: str | None, current_until: Any, new_mode: str | None, new_until: Any,
                       now: datetime.datetime | None = None) -> bool:
    """True if the change would weaken a COMPLIANCE retention that is still in force.

    Allowed (as on AWS): keeping COMPLIANCE with the same or a later date. Refused: an earlier date,
    no date, another mode, or removing the retention.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    until = parse_until(current_until)
    if current_mode != COMPLIANCE or until is None or until <= now:
        return False
    wanted = parse_until(new_until)
    return new_mode != COMPLIANCE or wanted is None or wanted < until


def apply() -> None:
    from moto.s3.exceptions import AccessDeniedByLock
    from moto.s3.models import S3Backend

    @wrap(S3Backend, "put_object_retention")
    def put_object_retention(orig: Any, self: Any, bucket_name: str, key_name: str, version_id: str | None,
                             retention: tuple[str | None, str | None]) -> None:  # fmt: skip
        key = self.get_object(bucket_name, key_name, version_id=version_id)
        if key is not None and weakens_compliance(key.lock_mode, key.lock_until, retention[0], retention[1]):
            raise AccessDeniedByLock
        orig(self, bucket_name, key_name, version_id, retention)
