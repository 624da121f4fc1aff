"""moto evaluates no IAM for SageMaker registry writes and no model package group resource policy; AWS refuses a write that an explicit Deny or a missing Allow forbids."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from ._authorize import Caller, decide, resolve
from ._common import parse_arn, wrap
from ._organization import principal_org_context
from .sagemaker_cross_account import group_name, owner_backend

log = logging.getLogger(__name__)


def _package_arn(response: Any, value: str) -> str:
    """A package ARN from a name or ARN (names resolve in the caller's own account, as on AWS)."""
    backend = owner_backend(response.sagemaker_backend, value)
    return backend.model_package_name_mapping.get(value, value)


def _new_package_arn(response: Any) -> tuple[str, str] | None:
    """(ARN the version will get, owner account) for CreateModelPackage; None when moto will refuse it anyway."""
    group_value = response._get_param("ModelPackageGroupName")
    if not group_value:
        name = response._get_param("ModelPackageName")
        return (f"arn:aws:sagemaker:{response.region}:{response.current_account}:model-package/{name}", response.current_account) if name else None
    backend = owner_backend(response.sagemaker_backend, group_value)
    group = group_name(group_value)
    if group not in backend.model_package_groups:
        return None
    version = 1 + sum(p.model_package_group_name == group for p in backend.model_packages.values())  # moto's numbering
    return f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:model-package/{group}/{version}", backend.account_id


def group_policy(package_arn: str) -> dict[str, Any] | None:
    """The resource policy of the group a versioned package belongs to (model-package/<group>/<n>)."""
    from moto.sagemaker.models import sagemaker_backends

    arn = parse_arn(package_arn)
    parts = arn["resource"].split("/") if arn else []
    if len(parts) != 3:  # an unversioned package has no group, so no resource policy
        return None
    group = sagemaker_backends[arn["account"]][arn["region"]].model_package_groups.get(parts[1])
    policy = getattr(group, "resource_policy", None)
    return json.loads(policy) if policy else None


def governed(response: Any, action: str) -> Iterator[tuple[str, str]]:
    """(resource ARN, owner account) pairs the action must be authorized on."""
    if action == "CreateModelPackage":
        target = _new_package_arn(response)
        if target:
            yield target
    elif action in ("UpdateModelPackage", "DeleteModelPackage"):
        value = response._get_param("ModelPackageArn" if action == "UpdateModelPackage" else "ModelPackageName")
        arn = _package_arn(response, value) if value else None
        if parse_arn(arn):
            yield arn, parse_arn(arn)["account"]
    elif action == "CreateModel":  # only a model made from a (possibly shared) registry version
        containers = [response._get_param("PrimaryContainer") or {}, *(response._get_param("Containers") or [])]
        for value in {c["ModelPackageName"] for c in containers if c.get("ModelPackageName")}:
            arn = _package_arn(response, value)
            if parse_arn(arn):
                yield arn, parse_arn(arn)["account"]


def request_context(response: Any, caller: Caller) -> dict[str, list[str]]:
    """Condition keys of a SageMaker request; a registry key is present only when the request sets the field."""
    context = {**caller.context(), "aws:securetransport": ["true"]}  # the SageMaker API is HTTPS-only on AWS
    context.update(principal_org_context(caller.account))
    status = response._get_param("ModelApprovalStatus")
    if status is not None:
        context["sagemaker:modelapprovalstatus"] = [status]
    lifecycle = response._get_param("ModelLifeCycle") or {}
    for field, key in (("Stage", "sagemaker:modellifecycle:stage"), ("StageStatus", "sagemaker:modellifecycle:stagestatus")):
        if lifecycle.get(field) is not None:
            context[key] = [lifecycle[field]]
    return context


def authorize(response: Any, action: str) -> None:
    """Raise AccessDeniedException unless IAM would allow the request; nothing has been touched yet."""
    from moto.core.exceptions import JsonRESTError

    targets = list(governed(response, action))
    if not targets:
        return
    caller = resolve(response.access_key, response.current_account)
    context = request_context(response, caller)
    for resource, owner in targets:
        decision = decide(caller, f"sagemaker:{action}", resource, owner, context, group_policy(resource))
        if not decision.allowed:
            log.warning("sagemaker: %s on %s by %s refused %s %s", action, resource, caller.arn, decision.reason, list(decision.sids))
            raise JsonRESTError(
                "AccessDeniedException",
                f"User: {caller.arn} is not authorized to perform: sagemaker:{action} on resource: {resource} {decision.reason}",
            )  # fmt: skip


def apply() -> None:
    from moto.sagemaker.responses import SageMakerResponse as R

    for method, action in (("create_model_package", "CreateModelPackage"), ("update_model_package", "UpdateModelPackage"),
                           ("delete_model_package", "DeleteModelPackage"), ("create_model", "CreateModel")):  # fmt: skip
        def checked(orig: Any, self: Any, _action: str = action) -> Any:
            authorize(self, _action)
            return orig(self)

        wrap(R, method)(checked)
