"""IAM policy documents as data, checked at synth time.

Every policy in the generated Terraform is built here, so the platform rules live in one place:
an Allow never has a ``*`` action or a ``*`` principal, and has a wildcard resource only where AWS
offers no resource-level permission (the caller says why in ``any_resource_reason``); a ``service:*``
action only in a permissions boundary (``service_wildcard_reason``). Deny
statements may use wildcards: they only take rights away (TLS-only, encryption-only guards).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mlgov_config.regions import Partition


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ()
    effect: str = "Allow"
    # Deny only: "everything but these" (an Allow of everything but a few is a wildcard in disguise).
    not_resources: tuple[str, ...] = ()
    principals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    conditions: dict[str, dict[str, Any]] = field(default_factory=dict)
    any_resource_reason: str = ""
    # Only permissions boundaries (modules/role_boundary.py) Allow "service:*": they cap, identity policies grant.
    service_wildcard_reason: str = ""

    def __post_init__(self) -> None:
        if not self.sid.isalnum():
            raise PolicyError(f"statement id {self.sid!r} must be alphanumeric")
        if self.not_resources and (self.effect != "Deny" or self.resources):
            raise PolicyError(f"statement {self.sid!r}: not_resources only in a Deny without resources")
        if self.effect == "Deny":
            return
        for action in self.actions:
            if action == "*" or (action.endswith(":*") and not self.service_wildcard_reason):
                raise PolicyError(f"statement {self.sid!r}: action {action!r} is a wildcard; list the actions")
        for kind, values in self.principals.items():
            if kind == "*" or "*" in values:
                raise PolicyError(f"statement {self.sid!r}: principal {kind}={values!r} is a wildcard")
        if "*" in self.resources and not self.any_resource_reason:
            raise PolicyError(f"statement {self.sid!r}: resource '*' needs any_resource_reason")

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Sid": self.sid, "Effect": self.effect, "Action": sorted(self.actions)}
        if self.principals:
            out["Principal"] = {k: sorted(v) for k, v in sorted(self.principals.items())}
        # Trust policies and resource policies name no Resource; IAM rejects the field there.
        if self.resources:
            out["Resource"] = list(self.resources)
        if self.not_resources:
            out["NotResource"] = list(self.not_resources)
        if self.conditions:
            out["Condition"] = self.conditions
        return out


def document(statements: list[Statement]) -> str:
    sids = [s.sid for s in statements]
    if len(set(sids)) != len(sids):
        raise PolicyError(f"duplicate statement ids in {sids}")
    return json.dumps({"Version": "2012-10-17", "Statement": [s.render() for s in statements]}, indent=2)


def account_root(partition: Partition, account_id: str) -> str:
    return partition.iam_arn(account_id, "root")


def deny_outside_organization(actions: tuple[str, ...], resources: tuple[str, ...],
                              organization_id: str | None) -> list[Statement]:
    """For a resource policy that trusts other accounts: no principal outside the organisation, whatever
    the Allows name (an account that left it, a mistyped account id). AWS service principals carry no
    aws:PrincipalOrgID and are exempt. Nothing when no organisation is configured."""
    if not organization_id:
        return []
    return [Statement(sid="DenyOutsideOrganization", effect="Deny", actions=actions, resources=resources,
                      principals={"AWS": ("*",)},
                      conditions={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": organization_id},
                                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}})]


def deny_insecure_transport(resources: tuple[str, ...], service: str) -> Statement:
    return Statement(
        sid="DenyInsecureTransport",
        effect="Deny",
        actions=(f"{service}:*",),
        resources=resources,
        principals={"AWS": ("*",)},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )
