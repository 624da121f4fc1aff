"""moto ignores ListModelPackageGroups(CrossAccountFilterOption=CrossAccount): groups shared with the caller through RAM are never listed."""

from __future__ import annotations

from typing import Any

from ._common import parse_arn, wrap


def shared_group_arns(account_id: str, region: str) -> list[str]:
    """ARNs of model package groups in other accounts shared (active RAM share) with account_id."""
    from moto.ram.models import ram_backends

    return [
        arn
        for account in list(ram_backends.values())
        for share in account[region].resource_shares
        if share.status == "ACTIVE" and account_id in share.principals and share.account_id != account_id
        for arn in share.resource_arns
        if ":model-package-group/" in arn
    ]


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.sagemaker.models import sagemaker_backends
    from moto.sagemaker.responses import SageMakerResponse as R

    @wrap(R, "list_model_package_groups")
    def list_model_package_groups(orig: Any, self: Any) -> Any:
        if self._get_param("CrossAccountFilterOption") != "CrossAccount":
            return orig(self)
        summaries = []
        for arn in shared_group_arns(self.current_account, self.region):
            parts = parse_arn(arn)
            assert parts is not None
            group = sagemaker_backends[parts["account"]][parts["region"]].model_package_groups.get(arn.split("/", 1)[1])
            name_contains = self._get_param("NameContains")
            if group is not None and (not name_contains or name_contains in group.model_package_group_name):
                summaries.append(group.gen_response_object())
        return ActionResult({"ModelPackageGroupSummaryList": summaries})
