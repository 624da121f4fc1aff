"""Step 5 of the seed: record one registry change in the governance table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlgov_core import records, registry, store, timeparse
from mlgov_core.events import parse_event
from mlgov_core.settings import SyncSettings


def record_registry_change(
    event: Any,
    settings: SyncSettings,
    *,
    sagemaker: Any = None,
    dynamodb: Any = None,
    now: Callable[[], str] = timeparse.now_iso,
) -> dict[str, Any]:
    """Parse, read identities (one DescribeModelPackage), write (store.write_change: the chain head, one transaction).

    Returns {"result": "recorded" | "duplicate" | "stale", ...}. Raises MalformedEventError for an
    event that cannot be recorded. A version deleted before we could describe it is still recorded,
    with unknown identities, because the history must not lose the change.
    """
    parsed = parse_event(event)
    detail = parsed.detail
    described = registry.describe_package(detail.ModelPackageArn, client=sagemaker)
    state, history = records.build_items(
        parsed, described, use_case=settings.use_case_for(detail.ModelPackageGroupName), recorded_at=now(),
        decider_role_arn=settings.decider_role_arn,
    )
    result = store.write_change(settings.table_name, state, history, client=dynamodb)
    return {
        "result": result.value,
        "version_id": state["version_id"],
        "last_modified": state["last_modified"],
        "idempotency_key": state["idempotency_key"],
        "registry_found": described.found,
    }
