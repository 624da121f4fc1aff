"""An IAM role assumable by named principals, with one inline least-privilege policy."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules import partition
from modules.policy import Statement, document
from modules.registry_guards import role_policy


@dataclass(frozen=True)
class AccountRoleProps:
    role_name: str
    description: str
    # Role ARNs allowed to assume this role; an account root would trust every principal in it.
    trusted_principals: tuple[str, ...]
    statements: tuple[Statement, ...]
    # MFA is enforced where people sign in (IAM Identity Center); aws:MultiFactorAuthPresent is absent
    # in the role-chained sessions that assume this role, so a trust condition on it would lock them out.
    max_session_seconds: int = 3600
    # People's roles: AssumeRole must set sts:SourceIdentity (the person), which then persists through
    # role chaining, cannot be changed within the session, and is what the registry records next to the
    # session ARN. Pipeline roles (deployer, metrics publisher) act for no person and turn it off.
    require_source_identity: bool = True

    def __post_init__(self) -> None:
        if not self.trusted_principals:
            raise ValueError(f"AccountRoleProps.trusted_principals: role {self.role_name!r} must trust at least one role ARN")
        for arn in self.trusted_principals:
            if arn.endswith(":root") or ":role/" not in arn:
                raise ValueError(f"AccountRoleProps.trusted_principals: {arn!r} is not a role ARN")


def trust_statement(props: AccountRoleProps) -> Statement:
    actions = ("sts:AssumeRole", "sts:TagSession")
    if not props.require_source_identity:
        return Statement(sid="TrustedPrincipals", actions=actions, principals={"AWS": props.trusted_principals})
    # sts:SetSourceIdentity must be allowed to set it (and to carry one in from a chained session);
    # the Null condition refuses every AssumeRole that has none, inherited or passed.
    return Statement(sid="TrustedPeople", actions=(*actions, "sts:SetSourceIdentity"),
                     principals={"AWS": props.trusted_principals},
                     conditions={"Null": {"sts:SourceIdentity": "false"}})


class AssumableRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AccountRoleProps) -> None:
        super().__init__(scope, construct_id)
        self.role = IamRole(
            self, "role", name=props.role_name, description=props.description,
            max_session_duration=props.max_session_seconds,
            assume_role_policy=document([trust_statement(props)]),
        )
        # Whatever else the role may do, it never sets a version's approval status or lifecycle.
        IamRolePolicy(self, "policy", name="least-privilege", role=self.role.id, policy=role_policy(partition.of(self), props.statements))

    @property
    def arn(self) -> str:
        return self.role.arn
