"""moto looks registry resources up by name in the caller's own account, so a group or package ARN of another account (cross-account registry) fails."""

from __future__ import annotations

from typing import Any

from ._common import parse_arn, wrap


def owner_backend(backend: Any, value: str | None) -> Any:
    """The sagemaker backend owning the resource named by an ARN (the caller's backend otherwise)."""
    from moto.sagemaker.models import sagemaker_backends

    arn = parse_arn(value)
    if arn is None or arn["service"] != "sagemaker":
        return backend
    return sagemaker_backends[arn["account"]][arn["region"] or backend.region_name]


def group_name(value: str | None) -> str | None:
    """Model package group name from a name or a model-package-group ARN."""
    arn = parse_arn(value)
    if arn and arn["resource"].startswith("model-package-group/"):
        return arn["resource"].split("/", 1)[1]
    return value


def find_package(arn: str) -> Any:
    """The ModelPackage object for a package ARN, from its owner's backend."""
    from moto.sagemaker.models import sagemaker_backends

    parts = parse_arn(arn)
    assert parts is not None, arn
    return sagemaker_backends[parts["account"]][parts["region"]].model_packages[arn]


def apply() -> None:
    from moto.sagemaker.models import SageMakerModelBackend as B

    @wrap(B, "create_model_package")
    def create_model_package(orig: Any, self: Any, **kw: Any) -> Any:
        owner = owner_backend(self, kw.get("model_package_group_name"))
        kw["model_package_group_name"] = group_name(kw.get("model_package_group_name"))
        return orig(owner, **kw)

    @wrap(B, "describe_model_package_group")
    def describe_model_package_group(orig: Any, self: Any, model_package_group_name: str) -> Any:
        owner = owner_backend(self, model_package_group_name)
        return orig(owner, group_name(model_package_group_name))

    @wrap(B, "list_model_packages")
    def list_model_packages(orig: Any, self: Any, *args: Any, **kw: Any) -> Any:
        return orig(owner_backend(self, kw.get("model_package_group_name")), *args, **kw)

    @wrap(B, "describe_model_package")
    def describe_model_package(orig: Any, self: Any, model_package_name: str) -> Any:
        return orig(owner_backend(self, model_package_name), model_package_name)

    @wrap(B, "update_model_package")
    def update_model_package(orig: Any, self: Any, model_package_arn: str, **kw: Any) -> Any:
        return orig(owner_backend(self, model_package_arn), model_package_arn, **kw)
