"""moto evaluates no identity policy on S3 object requests (only with INITIAL_NO_AUTH_ACTION_COUNT, which would govern every service); AWS refuses a request that the caller's identity policy or permissions boundary explicitly denies."""

from __future__ import annotations

import logging
from typing import Any

from ._authorize import resolve
from ._common import wrap
from ._policy import applicable

log = logging.getLogger(__name__)

# moto names the permission of a HEAD after the method; S3 authorises HeadObject as s3:GetObject.
IAM_ACTION = {"s3:HeadObject": "s3:GetObject"}


def identity_denies(access_key: str, account: str, action: str, resource: str, context: dict[str, list[str]]) -> tuple[str, ...]:
    """Sids of the caller's identity-policy and boundary Denies that apply; () for callers not in IAM."""
    caller = resolve(access_key, account)
    if caller.identity is None:
        return ()
    who, context = caller.as_dict(), {**context, **caller.context()}
    statements = [s for p in (*caller.identity, caller.boundary) if p for s in applicable(p, action, resource, who, context)]
    return tuple(s.get("Sid", "?") for s in statements if s.get("Effect") == "Deny")


def apply() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    from . import s3_bucket_policy

    @wrap(FakeBucket, "get_permission")
    def get_permission(orig: Any, self: Any, action: str, resource: str) -> Any:
        current = getattr(s3_bucket_policy._request, "value", None)
        if current is not None and current[1]:  # unsigned requests carry no identity
            request, access_key, account = current
            _, context = s3_bucket_policy.request_context(request, access_key, account)
            denies = identity_denies(access_key, account, IAM_ACTION.get(action, action), resource, context)
            if denies:
                log.warning("s3: %s on %s denied by identity statements %s", action, resource, list(denies))
                return PermissionResult.DENIED
        return orig(self, action, resource)
