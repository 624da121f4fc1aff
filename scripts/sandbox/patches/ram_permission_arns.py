"""moto ignores CreateResourceShare's permissionArns, so the sandbox reported the default permission and every re-plan replaced shares created with a specific managed permission."""

from __future__ import annotations

import json
from typing import Any

from ._common import wrap


def permission(arn: str, resource_type: str | None) -> dict[str, Any]:
    """A ListResourceSharePermissions entry for an AWS-managed permission ARN (arn:aws:ram::aws:permission/<name>)."""
    name = arn.rsplit("/", 1)[-1]
    default = name.startswith("AWSRAMDefaultPermission")
    return {
        "arn": arn, "name": name, "resourceType": resource_type or "", "version": "1", "defaultVersion": True,
        "isResourceTypeDefault": default, "permissionType": "AWS_MANAGED", "status": "ASSOCIATED",
    }  # fmt: skip


def apply() -> None:
    from moto.ram.models import ResourceShare
    from moto.ram.responses import ResourceAccessManagerResponse as R

    from .ram_sharing import SAGEMAKER_GROUP_PERMISSION, _share

    @wrap(ResourceShare, "__init__")
    def init(orig: Any, self: Any, account_id: str, region: str, **kwargs: Any) -> None:
        orig(self, account_id, region, **kwargs)
        self.permission_arns = list(kwargs.get("permissionArns") or [])

    @wrap(R, "list_resource_share_permissions")
    def list_permissions(orig: Any, self: Any) -> str:
        share = _share(self, self._get_param("resourceShareArn"))
        if not getattr(share, "permission_arns", None):
            return orig(self)  # none given: RAM attaches the resource type's default permission
        groups = any(":model-package-group/" in r for r in share.resource_arns) or "SageMakerModelPackageGroup" in str(share.permission_arns)
        kind = SAGEMAKER_GROUP_PERMISSION["resourceType"] if groups else None
        return json.dumps({"permissions": [permission(arn, kind) for arn in share.permission_arns]})
