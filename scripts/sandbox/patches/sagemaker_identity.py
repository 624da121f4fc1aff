"""moto reports a fake Studio user profile as CreatedBy and no LastModifiedBy; AWS reports the caller's IAM
identity, with the session's SourceIdentity once one is set (patches/sts_source_identity.py)."""

from __future__ import annotations

from typing import Any

from ._authorize import resolve
from ._common import caller_identity, wrap
from .sagemaker_cross_account import find_package


def apply() -> None:
    from moto.sagemaker.responses import SageMakerResponse as R

    def user_context(response: Any) -> dict[str, Any]:
        principal_id, arn = caller_identity(response.access_key, response.current_account)
        source_identity = resolve(response.access_key, response.current_account).source_identity
        return {"IamIdentity": {"Arn": arn, "PrincipalId": principal_id,
                                **({"SourceIdentity": source_identity} if source_identity else {})}}

    @wrap(R, "create_model_package")
    def create_model_package(orig: Any, self: Any) -> Any:
        result = orig(self)
        pkg = find_package(result.result["ModelPackageArn"])
        pkg.created_by = user_context(self)
        pkg.last_modified_by = pkg.created_by
        pkg.last_modified_time = pkg.creation_time
        return result

    @wrap(R, "update_model_package")
    def update_model_package(orig: Any, self: Any) -> Any:
        result = orig(self)
        find_package(result.result["ModelPackageArn"]).last_modified_by = user_context(self)
        return result
