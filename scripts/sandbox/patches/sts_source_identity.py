"""moto's STS drops AssumeRole's SourceIdentity and evaluates no trust policy: keep the source identity
on the session (inherited through role chaining, never changed) and decide AssumeRole by the target
role's trust policy, so a role that requires sts:SourceIdentity refuses a session without one."""

from __future__ import annotations

import logging
import re
from typing import Any

from ._authorize import Caller, resolve, role_by_arn
from ._common import parse_arn, wrap
from ._policy import applicable

log = logging.getLogger(__name__)

# AWS: 2 to 64 characters of letters, digits, _ and . , + = @ - ; the aws: prefix is reserved (no colon anyway).
SOURCE_IDENTITY = re.compile(r"[\w.,+=@-]{2,64}", re.ASCII)


def _target_role(role_arn: str) -> Any:
    from moto.iam.models import iam_backends

    parts = parse_arn(role_arn)
    if parts is None:
        return None
    return role_by_arn(iam_backends[parts["account"]]["aws"], role_arn)


def _trust_statements(trust: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """A caller not in IAM stands for the account's administrator (the sandbox's convention, see
    _authorize.Caller): every Principal matches it, including a service it stands in for (as the Lambda
    runner does), and the conditions still apply, except on a service principal's statement: the keys
    only the service supplies (aws:SourceAccount, aws:SourceArn) cannot come from a caller."""
    if caller.identity is not None:
        return trust
    statements = []
    for stmt in trust.get("Statement", []):
        principal = stmt.get("Principal")
        service = isinstance(principal, dict) and "Service" in principal
        statements.append({k: v for k, v in stmt.items()
                           if k not in ("Principal", "NotPrincipal") and not (service and k == "Condition")})
    return {"Statement": statements}


def refusal(caller: Caller, role: Any, actions: list[str], context: dict[str, list[str]]) -> str | None:
    """Why the trust policy of ``role`` refuses these STS actions to the caller, or None if it allows them all."""
    import json

    trust = role.assume_role_policy_document
    trust = json.loads(trust) if isinstance(trust, str) else trust
    trust = _trust_statements(trust, caller)
    who = caller.as_dict()
    for action in actions:
        statements = applicable(trust, action, role.arn, who, context)
        denies = [s.get("Sid", "?") for s in statements if s.get("Effect") == "Deny"]
        if denies:
            return f"{action}: explicit deny in the trust policy ({denies})"
        if not any(s.get("Effect") == "Allow" for s in statements):
            return f"{action}: no statement of the trust policy allows it"
    return None


def apply() -> None:
    from moto.sts.exceptions import STSClientError, STSValidationError
    from moto.sts.responses import TokenResponse as R

    @wrap(R, "assume_role")
    def assume_role(orig: Any, self: Any) -> Any:
        role_arn, session_name = self._get_param("RoleArn"), self._get_param("RoleSessionName")
        requested = self._get_param("SourceIdentity")
        if requested is not None and (not SOURCE_IDENTITY.fullmatch(requested) or requested.lower().startswith("aws:")):
            raise STSValidationError(f"1 validation error detected: Value '{requested}' at 'sourceIdentity' failed to "
                                  "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
        caller = resolve(self.get_access_key(), self.current_account)
        inherited = caller.source_identity
        if inherited and requested and requested != inherited:  # AWS: the value cannot change within the session chain
            raise STSClientError("AccessDenied", f"User: {caller.arn} is not authorized to perform: sts:SetSourceIdentity on resource: "
                               f"{role_arn}: the session's source identity {inherited!r} cannot be changed")
        source_identity = requested or inherited
        role = _target_role(role_arn)
        if role is not None:  # a role that does not exist: moto's behaviour (the Terraform provider's roles)
            actions = ["sts:AssumeRole", *(["sts:SetSourceIdentity"] if source_identity else []),
                       *(["sts:TagSession"] if self._get_param("Tags") else [])]
            # A chained call carries the inherited value as both aws:SourceIdentity and sts:SourceIdentity.
            context = {**caller.context(), "sts:rolesessionname": [session_name]}
            if source_identity:
                context["sts:sourceidentity"] = [source_identity]
            why = refusal(caller, role, actions, context)
            if why:
                log.warning("sts: AssumeRole of %s by %s refused: %s", role_arn, caller.arn, why)
                raise STSClientError("AccessDenied", f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn} ({why})")
        result = orig(self)
        if source_identity:
            result.result["Credentials"].source_identity = source_identity
            result.result["SourceIdentity"] = source_identity
        return result
