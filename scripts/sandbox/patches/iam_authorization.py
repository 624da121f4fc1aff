"""moto authorises no IAM call, so a role whose permissions boundary denies taking it off, replacing it or changing its policy may still do all three; AWS refuses what an explicit Deny or a missing Allow forbids."""

from __future__ import annotations

import logging
from typing import Any

from ._authorize import decide, resolve, snapshot
from ._common import add_method, wrap

log = logging.getLogger(__name__)

# The IAM writes that widen a principal or a boundary; reads and other writes stay ungoverned here.
ROLE_ACTIONS = ("CreateRole", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary", "PutRolePolicy",
                "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "UpdateAssumeRolePolicy")
USER_ACTIONS = ("CreateUser", "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary", "PutUserPolicy",
                "AttachUserPolicy")
POLICY_ACTIONS = ("CreatePolicyVersion", "DeletePolicy", "DeletePolicyVersion", "SetDefaultPolicyVersion")
# AWS sets iam:PermissionsBoundary from the request for these; iam:PolicyARN for attach/detach.
BOUNDARY_IN_REQUEST = ("CreateRole", "CreateUser", "PutRolePermissionsBoundary", "PutUserPermissionsBoundary")
POLICY_IN_REQUEST = ("AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy")


def access_denied(message: str) -> Exception:
    """IAM's AccessDenied (403) in IAM's query-protocol error document, not moto's EC2-style Errors list."""
    from moto.core.exceptions import AccessDeniedError
    from xmltodict import unparse

    error = AccessDeniedError("", "")
    error.message = message
    error.description = unparse({"ErrorResponse": {
        "@xmlns": "https://iam.amazonaws.com/doc/2010-05-08/",
        "Error": {"Type": "Sender", "Code": "AccessDenied", "Message": message},
        "RequestId": "mlgov-sandbox"}}, full_document=True)
    return error


def _entity_arn(response: Any, kind: str, name: str) -> str:
    """The role/user ARN as AWS builds it: the stored entity's (with its path), or the one it will get."""
    backend = response.backend
    stored = snapshot(backend.roles.values() if kind == "role" else backend.users.values())
    found = next((e for e in stored if e.name == name), None)
    if found is not None:
        return found.arn
    path = response._get_param("Path") or "/"
    return f"arn:aws:iam::{response.current_account}:{kind}{path}{name}"


def target(response: Any, action: str) -> tuple[str, dict[str, list[str]]]:
    """(resource ARN, IAM condition keys) of one governed request."""
    if action in POLICY_ACTIONS:
        resource = response._get_param("PolicyArn") or ""
    elif action in ROLE_ACTIONS:
        resource = _entity_arn(response, "role", response._get_param("RoleName") or "")
    else:
        resource = _entity_arn(response, "user", response._get_param("UserName") or "")
    keys: dict[str, list[str]] = {}
    if action in BOUNDARY_IN_REQUEST and response._get_param("PermissionsBoundary"):
        keys["iam:permissionsboundary"] = [response._get_param("PermissionsBoundary")]
    if action in POLICY_IN_REQUEST and response._get_param("PolicyArn"):
        keys["iam:policyarn"] = [response._get_param("PolicyArn")]
    return resource, keys


def authorize(response: Any, action: str) -> None:
    """Raise IAM's AccessDenied unless IAM would allow the request; nothing has been changed yet.

    IAM has no resource policies: a caller not in IAM (the administrator) is always allowed."""
    caller = resolve(response.access_key, response.current_account)
    resource, keys = target(response, action)
    context = {**caller.context(), "aws:securetransport": ["true"], **keys}  # the IAM API is HTTPS-only on AWS
    decision = decide(caller, f"iam:{action}", resource, response.current_account, context, None)
    if not decision.allowed:
        log.warning("iam: %s on %s by %s refused %s %s", action, resource, caller.arn, decision.reason, list(decision.sids))
        raise access_denied(f"User: {caller.arn} is not authorized to perform: iam:{action} on resource: {resource} {decision.reason}")


def _user_boundary(response: Any, arn: str | None) -> None:
    user = response.backend.get_user(response._get_param("UserName"))
    user.permissions_boundary_arn = arn
    # GetUser/CreateUser serialise the attribute named after the shape member (botocore.xform_name).
    user.permissions_boundary = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn} if arn else None


def apply() -> None:
    import re

    from moto.core.responses import EmptyResult
    from moto.iam.responses import IamResponse as R

    # moto 5.2.5 has no user boundaries: CreateUser drops PermissionsBoundary, Put/Delete are not implemented.
    @add_method(R, "put_user_permissions_boundary")
    def put_user_permissions_boundary(self: Any) -> Any:
        _user_boundary(self, self._get_param("PermissionsBoundary"))
        return EmptyResult()

    @add_method(R, "delete_user_permissions_boundary")
    def delete_user_permissions_boundary(self: Any) -> Any:
        _user_boundary(self, None)
        return EmptyResult()

    def bounded_user(orig: Any, self: Any) -> Any:
        result = orig(self)
        if self._get_param("PermissionsBoundary"):
            _user_boundary(self, self._get_param("PermissionsBoundary"))
        return result

    wrap(R, "create_user")(bounded_user)

    for action in (*ROLE_ACTIONS, *USER_ACTIONS, *POLICY_ACTIONS):
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()

        def checked(orig: Any, self: Any, _action: str = action) -> Any:
            authorize(self, _action)
            return orig(self)

        wrap(R, method)(checked)
