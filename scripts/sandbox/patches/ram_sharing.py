"""moto's RAM refuses SageMaker model package groups, lacks Associate/DisassociateResourceShare and ListResourceSharePermissions, ignores GetResourceShares filters and drops tags."""

from __future__ import annotations

import json
from typing import Any

from ._common import add_method, wrap

# AWS-managed default permission RAM attaches when a model package group is shared.
SAGEMAKER_GROUP_PERMISSION = {
    "arn": "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSageMakerModelPackageGroup",
    "name": "AWSRAMDefaultPermissionSageMakerModelPackageGroup",
    "resourceType": "sagemaker:ModelPackageGroup",
    "version": "1",
    "defaultVersion": True,
    "isResourceTypeDefault": True,
    "permissionType": "AWS_MANAGED",
    "status": "ASSOCIATED",
}


def _share(response: Any, arn: str | None) -> Any:
    from moto.ram.exceptions import UnknownResourceException

    for share in response.ram_backend.resource_shares:
        if share.arn == arn and share.status != "DELETED":
            return share
    raise UnknownResourceException(f"ResourceShare {arn} could not be found.")


def _associations(share: Any, resources: list[str], principals: list[str], status: str) -> str:
    rows = [("RESOURCE", r) for r in resources] + [("PRINCIPAL", p) for p in principals]
    return json.dumps(
        {
            "resourceShareAssociations": [
                {"resourceShareArn": share.arn, "resourceShareName": share.name, "associatedEntity": entity,
                 "associationType": kind, "status": status, "external": False}
                for kind, entity in rows
            ]
        }
    )  # fmt: skip


def apply() -> None:
    import moto.ram.urls as urls
    from moto.ram.models import ResourceShare, ram_backends
    from moto.ram.responses import ResourceAccessManagerResponse as R

    if "model-package-group" not in ResourceShare.SHAREABLE_RESOURCES:
        ResourceShare.SHAREABLE_RESOURCES.append("model-package-group")
    for action in ("associateresourceshare", "disassociateresourceshare", "listresourcesharepermissions",
                   "tagresource", "untagresource"):  # fmt: skip
        urls.url_paths.setdefault("{0}/" + action + "$", R.dispatch)

    @wrap(ResourceShare, "__init__")
    def init(orig: Any, self: Any, account_id: str, region: str, **kwargs: Any) -> None:
        orig(self, account_id, region, **kwargs)
        self.tags = list(kwargs.get("tags") or [])

    @wrap(ResourceShare, "describe")
    def describe(orig: Any, self: Any) -> dict[str, Any]:
        return {**orig(self), "tags": getattr(self, "tags", [])}

    @wrap(R, "get_resource_shares")
    def get_resource_shares(orig: Any, self: Any) -> str:
        if self._get_param("resourceOwner") == "OTHER-ACCOUNTS":
            shares = [
                s.describe()
                for account in list(ram_backends.values())
                for s in account[self.region].resource_shares
                if self.current_account in s.principals and s.account_id != self.current_account
            ]
        else:
            shares = json.loads(orig(self))["resourceShares"]
        arns, name, status = (self._get_param(p) for p in ("resourceShareArns", "name", "resourceShareStatus"))
        shares = [
            s for s in shares
            if (not arns or s["resourceShareArn"] in arns) and (not name or s["name"] == name)
            and (not status or s["status"] == status)
        ]  # fmt: skip
        return json.dumps({"resourceShares": shares})

    @add_method(R, "associate_resource_share")
    def associate(self: Any) -> str:
        share = _share(self, self._get_param("resourceShareArn"))
        resources = [r for r in self._get_param("resourceArns", []) if r not in share.resource_arns]
        principals = [p for p in self._get_param("principals", []) if p not in share.principals]
        share.add_resources(resources)
        share.add_principals(principals)
        return _associations(share, resources, principals, "ASSOCIATED")

    @add_method(R, "disassociate_resource_share")
    def disassociate(self: Any) -> str:
        share = _share(self, self._get_param("resourceShareArn"))
        resources = [r for r in self._get_param("resourceArns", []) if r in share.resource_arns]
        principals = [p for p in self._get_param("principals", []) if p in share.principals]
        share.resource_arns = [r for r in share.resource_arns if r not in resources]
        share.principals = [p for p in share.principals if p not in principals]
        return _associations(share, resources, principals, "DISASSOCIATED")

    @add_method(R, "list_resource_share_permissions")
    def list_permissions(self: Any) -> str:
        share = _share(self, self._get_param("resourceShareArn"))
        perms = [SAGEMAKER_GROUP_PERMISSION] if any(":model-package-group/" in r for r in share.resource_arns) else []
        return json.dumps({"permissions": perms})

    @add_method(R, "tag_resource")
    def tag_resource(self: Any) -> str:
        share = _share(self, self._get_param("resourceShareArn"))
        new = {t["key"]: t.get("value") for t in self._get_param("tags", [])}
        share.tags = [t for t in share.tags if t["key"] not in new] + [{"key": k, "value": v} for k, v in new.items()]
        return "{}"

    @add_method(R, "untag_resource")
    def untag_resource(self: Any) -> str:
        share = _share(self, self._get_param("resourceShareArn"))
        keys = set(self._get_param("tagKeys", []))
        share.tags = [t for t in share.tags if t["key"] not in keys]
        return "{}"
