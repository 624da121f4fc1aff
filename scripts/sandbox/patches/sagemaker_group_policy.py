"""moto implements neither the model package group resource policy (Put/Get/DeleteModelPackageGroupPolicy) nor DeleteModelPackageGroup/DeleteModelPackage."""

from __future__ import annotations

import json
from typing import Any

from ._common import add_method
from .sagemaker_cross_account import group_name, owner_backend


def _group(response: Any) -> Any:
    """The group named (or ARN'd) by ModelPackageGroupName, looked up in its owner's backend."""
    from moto.sagemaker.exceptions import ValidationError

    value = response._get_param("ModelPackageGroupName")
    backend = owner_backend(response.sagemaker_backend, value)
    group = backend.model_package_groups.get(group_name(value))
    if group is None:
        raise ValidationError(f"Cannot find Model Package Group {value}")  # provider's not-found text
    return backend, group


def apply() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse as R

    @add_method(R, "put_model_package_group_policy")
    def put_policy(self: Any) -> Any:
        _, group = _group(self)
        policy = self._get_param("ResourcePolicy")
        json.loads(policy)  # malformed JSON -> 500 like a bug, but AWS would reject it too
        group.resource_policy = policy
        return ActionResult({"ModelPackageGroupArn": group.arn})

    @add_method(R, "get_model_package_group_policy")
    def get_policy(self: Any) -> Any:
        _, group = _group(self)
        if not getattr(group, "resource_policy", None):
            raise ValidationError(f"Cannot find resource policy for Model Package Group {group.arn}")
        return ActionResult({"ResourcePolicy": group.resource_policy})

    @add_method(R, "delete_model_package_group_policy")
    def delete_policy(self: Any) -> Any:
        _, group = _group(self)
        group.resource_policy = None
        return EmptyResult()

    @add_method(R, "delete_model_package_group")
    def delete_group(self: Any) -> Any:
        backend, group = _group(self)
        del backend.model_package_groups[group.model_package_group_name]
        return EmptyResult()

    @add_method(R, "delete_model_package")
    def delete_package(self: Any) -> Any:
        value = self._get_param("ModelPackageName")
        backend = owner_backend(self.sagemaker_backend, value)
        arn = backend.model_package_name_mapping.get(value, value)
        if backend.model_packages.pop(arn, None) is None:
            raise ValidationError(f"Model package {value} not found")
        for key in [k for k, v in backend.model_package_name_mapping.items() if v == arn]:
            del backend.model_package_name_mapping[key]
        return EmptyResult()
