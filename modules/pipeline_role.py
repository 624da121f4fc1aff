"""A role the delivery pipeline assumes: trusted by one statement (OIDC runs or one role), one inline policy."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules import partition
from modules.policy import Statement, document
from modules.registry_guards import role_policy


@dataclass(frozen=True)
class PipelineRoleProps:
    role_name: str
    description: str
    trust: Statement
    statements: tuple[Statement, ...]
    # A plan or an apply of one stack; GitHub's token lives an hour anyway.
    max_session_seconds: int = 3600

    def __post_init__(self) -> None:
        if not self.trust.principals or self.trust.effect != "Allow":
            raise ValueError(f"PipelineRoleProps.trust: role {self.role_name!r} needs an Allow naming its principals")


class PipelineRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: PipelineRoleProps) -> None:
        super().__init__(scope, construct_id)
        self.role = IamRole(self, "role", name=props.role_name, description=props.description,
                            max_session_duration=props.max_session_seconds, assume_role_policy=document([props.trust]))
        # role_policy adds the registry guard: not even the pipeline sets an approval by hand.
        IamRolePolicy(self, "policy", name="least-privilege", role=self.role.id,
                      policy=role_policy(partition.of(self), props.statements))

    @property
    def arn(self) -> str:
        return self.role.arn
