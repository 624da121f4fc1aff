"""IAM's request decision over identity policies, a permissions boundary and a resource policy, for callers known to moto's STS/IAM."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ._common import caller_identity
from ._policy import applicable, principal_match

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who signed a request. identity is None when the principal is not in the account's IAM: the
    sandbox's Terraform role and raw test keys are never created there, and they stand for the
    account's administrator (every action allowed by identity; Denies of resource policies still apply)."""

    account: str
    arn: str  # arn:aws:sts::<acct>:assumed-role/<role>/<session>, or the IAM user's ARN
    principal_arn: str  # aws:PrincipalArn: the role's ARN for an assumed role
    identity: tuple[dict[str, Any], ...] | None
    boundary: dict[str, Any] | None = None
    source_identity: str | None = None  # sts:SourceIdentity of its session (patches/sts_source_identity.py)

    def as_dict(self) -> dict[str, str]:
        """The caller shape of _policy's principal matching."""
        return {"account": self.account, "arn": self.arn, "role_arn": self.principal_arn}

    def context(self) -> dict[str, list[str]]:
        """The global condition keys every request of this caller carries (aws:SourceIdentity only once set)."""
        keys = {"aws:principalarn": [self.principal_arn], "aws:principalaccount": [self.account]}
        if self.source_identity:
            keys["aws:sourceidentity"] = [self.source_identity]
        return keys


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # AWS's message tail after "... on resource: <arn> "
    sids: tuple[str, ...] = ()


def snapshot(values: Any) -> list[Any]:
    """A copy of moto's dict values, taken in one step: the server is threaded, and Terraform creates
    roles and policies while other requests are being authorised (iterating the live view then fails
    with "dictionary changed size during iteration")."""
    return list(values)


def role_by_arn(iam: Any, arn: str) -> Any:
    """The role in moto's IAM backend with this ARN, or None."""
    return next((r for r in snapshot(iam.get_roles()) if r.arn == arn), None)


def _document(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    text = value if value.lstrip().startswith("{") else unquote(value)  # moto keeps some documents URL-encoded
    return json.loads(text)


def _managed(policy: Any) -> dict[str, Any]:
    return _document(next(v.document for v in policy.versions if v.is_default))


def _boundary(iam: Any, arn: str | None) -> dict[str, Any] | None:
    if not arn:
        return None
    policy = iam.managed_policies.get(arn)
    if policy is None:  # AWS would not have let it be set; allow nothing rather than everything
        log.warning("authorization: permissions boundary %s not found, it allows nothing", arn)
        return {"Statement": []}
    return _managed(policy)


def resolve(access_key: str, account: str) -> Caller:
    """The caller of a request from its access key: an assumed role, an IAM user, or neither."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    _, arn = caller_identity(access_key, account)
    iam = iam_backends[account]["aws"]
    assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        source_identity = getattr(assumed, "source_identity", None)
        role = role_by_arn(iam, assumed.role_arn)
        if role is None:
            return Caller(account, arn, assumed.role_arn, None, source_identity=source_identity)
        identity = (*map(_document, snapshot(role.policies.values())), *map(_managed, snapshot(role.managed_policies.values())))
        return Caller(account, arn, assumed.role_arn, identity, _boundary(iam, role.permissions_boundary_arn),
                      source_identity)
    user = iam.get_user_from_access_key_id(access_key)
    if user is None:
        return Caller(account, arn, arn, None)
    groups = iam.get_groups_for_user(user.name)
    identity = (
        *map(_document, snapshot(user.policies.values())), *map(_managed, snapshot(user.managed_policies.values())),
        *(_document(d) for g in groups for d in snapshot(g.policies.values())),
        *(_managed(p) for g in groups for p in snapshot(g.managed_policies.values())),
    )  # fmt: skip
    # moto keeps no user boundary; patches/iam_authorization.py stores it on the user.
    return Caller(account, user.arn, user.arn, identity, _boundary(iam, getattr(user, "permissions_boundary_arn", None)))


def decide(caller: Caller, action: str, resource: str, owner_account: str, context: dict[str, list[str]],
           resource_policy: dict[str, Any] | None) -> Decision:  # fmt: skip
    """IAM's evaluation logic: an explicit Deny anywhere refuses; a boundary must allow; in the owner's
    account an identity Allow or a resource-policy Allow naming the caller suffices; across accounts
    both the identity and the resource policy must allow.

    Simplified: the boundary limits resource-policy grants too (AWS exempts grants to the session ARN),
    and session policies of AssumeRole are not evaluated.
    """
    who = caller.as_dict()
    identity = None if caller.identity is None else [s for p in caller.identity for s in applicable(p, action, resource, who, context)]
    boundary = None if caller.identity is None or caller.boundary is None else applicable(caller.boundary, action, resource, who, context)
    granted = applicable(resource_policy, action, resource, who, context)
    for statements, where in ((identity, "an identity-based policy"), (boundary, "a permissions boundary"),
                              (granted, "a resource-based policy")):  # fmt: skip
        denies = tuple(s.get("Sid", "?") for s in statements or () if s.get("Effect") == "Deny")
        if denies:
            return Decision(False, f"with an explicit deny in {where}", denies)

    def allows(statements: list[dict[str, Any]] | None, kinds: tuple[str, ...] = ()) -> tuple[str, ...]:
        return tuple(s.get("Sid", "?") for s in statements or () if s.get("Effect") == "Allow"
                     and (not kinds or principal_match(s.get("Principal"), who) in kinds))  # fmt: skip

    by_identity = ("(administrator)",) if identity is None else allows(identity)
    by_boundary = ("(none)",) if boundary is None else allows(boundary)
    missing = f"the {action} action"
    if not by_boundary:
        return Decision(False, f"because no permissions boundary allows {missing}")
    if caller.account == owner_account:
        by_resource = allows(granted, ("any", "principal"))  # naming the account only delegates to its IAM
        if by_identity or by_resource:
            return Decision(True, "allowed", by_identity + by_resource)
        return Decision(False, f"because no identity-based policy allows {missing}")
    if not by_identity:
        return Decision(False, f"because no identity-based policy allows {missing}")
    by_resource = allows(granted)
    if not by_resource:
        return Decision(False, f"because no resource-based policy allows {missing}")
    return Decision(True, "allowed", by_identity + by_resource)
