"""Step 5 of the seed: record one registry change in the governance table.

The event is a claim; the registry's DescribeModelPackage answer (read anyway, for the identities)
is what decides which version a change belongs to and how late it can be. Events that contradict
it are refused with InconsistentEventError (the handler re-raises, so the event ends in the DLQ with
its reason in the log) and nothing is written under any version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from mlgov_core import records, registry, rules, store, timeparse
from mlgov_core.events import InconsistentEventError, ModelPackageStateChangeEvent, parse_event
from mlgov_core.registry import PackageDescription
from mlgov_core.settings import SyncSettings

# How far the clocks of the event's writer, the registry and this function may disagree. A change
# claimed later than this after the registry's own LastModifiedTime (or after now, for a version the
# registry no longer has), or earlier than this before the version's CreationTime, did not happen
# to this version: taken as newest, it would make the real next change look stale.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Logged (WARNING) for every change recorded with a lifecycle outside the stage mapping; the
# governance stack's log metric filter counts this message and alarms (modules/log_alarm.py).
UNMAPPED_LOG_MESSAGE = "registry lifecycle outside the stage mapping"


def record_registry_change(
    event: Any,
    settings: SyncSettings,
    *,
    sagemaker: Any = None,
    dynamodb: Any = None,
    now: Callable[[], str] = timeparse.now_iso,
) -> dict[str, Any]:
    """Parse, read identities (one DescribeModelPackage), check, write (store.write_change: one transaction).

    Returns {"result": "recorded" | "duplicate" | "stale", ...}. Raises MalformedEventError for an
    event that cannot be recorded (InconsistentEventError for one that lies about its version or
    time). A version deleted before we could describe it is still recorded, with unknown
    identities, because the history must not lose the change.
    """
    parsed = parse_event(event)
    detail = parsed.detail
    described = registry.describe_package(detail.ModelPackageArn, client=sagemaker)
    recorded_at = now()
    check_against_registry(parsed, described, recorded_at)
    state, history = records.build_items(
        parsed, described, use_case=settings.use_case_for(detail.ModelPackageGroupName), recorded_at=recorded_at,
        decider_role_arn=settings.decider_role_arn, stage_names=dict(settings.stage_names),
    )
    result = store.write_change(settings.table_name, state, history, client=dynamodb)
    return {
        "result": result.value,
        "version_id": state["version_id"],
        "last_modified": state["last_modified"],
        "idempotency_key": state["idempotency_key"],
        "registry_found": described.found,
        "stage": state["stage"],
        **{k: state[k] for k in rules.REGISTRY_LIFECYCLE_FIELDS if k in state},
    }


def check_against_registry(event: ModelPackageStateChangeEvent, described: PackageDescription, now: str) -> None:
    """InconsistentEventError unless the registry's answer is about this version and this change could be its.

    Identity: the registry's ARN, group and version equal the event's. Time: the event's change lies
    between the version's CreationTime and the registry's LastModifiedTime (now, if the version is
    gone), each widened by MAX_CLOCK_SKEW. An earlier change than the registry's latest is normal
    (SageMaker sends events in no guaranteed order) and is recorded as history.
    """
    detail, claimed = event.detail, timeparse.to_datetime(event.last_modified)
    problems = []
    if described.found:
        if described.arn is not None and described.arn.casefold() != detail.ModelPackageArn.casefold():
            problems.append(f"the registry answered for {described.arn!r}")
        if described.group is not None and described.group != detail.ModelPackageGroupName:
            problems.append(f"the registry's group is {described.group!r}, the event says {detail.ModelPackageGroupName!r}")
        if described.version is not None and described.version != detail.ModelPackageVersion:
            problems.append(f"the registry's version is {described.version}, the event says {detail.ModelPackageVersion}")
    latest, latest_what = described.last_modified_time or now, "the registry's LastModifiedTime"
    if not described.found or described.last_modified_time is None:
        latest_what = "now"
    if claimed > timeparse.to_datetime(latest) + MAX_CLOCK_SKEW:
        problems.append(f"LastModifiedTime {event.last_modified} is later than {latest_what} {latest} "
                        f"by more than the allowed clock skew ({MAX_CLOCK_SKEW})")
    if claimed > timeparse.to_datetime(now) + MAX_CLOCK_SKEW and latest_what != "now":
        problems.append(f"LastModifiedTime {event.last_modified} is in the future (now {now})")
    if described.creation_time and claimed < timeparse.to_datetime(described.creation_time) - MAX_CLOCK_SKEW:
        problems.append(f"LastModifiedTime {event.last_modified} is before the version was created "
                        f"({described.creation_time}): a change of an earlier version with the same number")
    if problems:
        raise InconsistentEventError(f"refused event for {detail.ModelPackageArn}: " + "; ".join(problems))
