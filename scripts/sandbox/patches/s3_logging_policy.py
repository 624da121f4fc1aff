"""moto's PutBucketLogging accepts the target's policy only in one literal shape (scalar Service and Resource, exact prefix); AWS evaluates the policy, so lists and wildcard resources work."""

from __future__ import annotations

import fnmatch
import json
from typing import Any


LOG_SERVICE = "logging.s3.amazonaws.com"


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def admits_log_delivery(policy: dict[str, Any], bucket_arn: str, prefix: str) -> bool:
    """True if an Allow statement lets the log service put objects under ``prefix``."""
    target = f"{bucket_arn}/{prefix}example-log-object"
    for stmt in policy.get("Statement", []):
        principal = stmt.get("Principal", {})
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if stmt.get("Effect") != "Allow" or LOG_SERVICE not in services:
            continue
        if not any(a in ("s3:PutObject", "s3:*", "*") for a in _as_list(stmt.get("Action"))):
            continue
        if any(fnmatch.fnmatchcase(target, r) for r in _as_list(stmt.get("Resource"))):
            return True
    return False


def apply() -> None:
    from moto.s3.models import FakeBucket

    orig = FakeBucket._log_permissions_enabled_policy  # a staticmethod: plain function via the class
    if getattr(orig, "_mlgov_wrapped", False):
        return

    def check(target_bucket: Any, target_prefix: str | None) -> bool:
        if orig(target_bucket, target_prefix):
            return True
        if not target_bucket.policy:
            return False
        bucket_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
        return admits_log_delivery(json.loads(target_bucket.policy.decode()), bucket_arn, target_prefix or "")

    check._mlgov_wrapped = True  # type: ignore[attr-defined]
    FakeBucket._log_permissions_enabled_policy = staticmethod(check)
