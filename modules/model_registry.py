"""Central model registry: one model package group per use case, shared to consumer accounts.

Sharing needs both halves: the group resource policy says what each consumer account may do, and a
RAM share (one per consumer role, because a share carries one permission per resource type) makes
the group visible there. The policy uses account-root principals and explicit actions; a role
principal or a "*" action would block RAM from promoting the policy-based share.

The same policy carries the explicit Denies of modules/registry_guards.py for every principal of
every account that can reach the group, the governance account's own included: dev registers only
candidates, and only the decision function sets approval status or lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.ram_principal_association import RamPrincipalAssociation
from cdktf_cdktf_provider_aws.ram_resource_association import RamResourceAssociation
from cdktf_cdktf_provider_aws.ram_resource_share import RamResourceShare
from cdktf_cdktf_provider_aws.sagemaker_model_package_group import SagemakerModelPackageGroup
from cdktf_cdktf_provider_aws.sagemaker_model_package_group_policy import SagemakerModelPackageGroupPolicy
from constructs import Construct

from mlgov_config import AccountRole
from modules.naming import Names
from modules.policy import Statement, account_root, document
from modules.registry_guards import decisions_only_by, registration_guard

READ_ACTIONS = ("sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages")
# Dev registers candidates but never approves: no UpdateModelPackage, no deletes.
CONSUMER_ACTIONS: dict[AccountRole, tuple[str, ...]] = {
    AccountRole.DEV: READ_ACTIONS + ("sagemaker:CreateModelPackage",),
    AccountRole.TEST: READ_ACTIONS + ("sagemaker:CreateModel",),
    AccountRole.PROD: READ_ACTIONS + ("sagemaker:CreateModel",),
}


@dataclass(frozen=True)
class SharedGroup:
    name: str
    description: str
    use_case: str
    consumers: dict[AccountRole, str]  # role -> account id


@dataclass(frozen=True)
class ModelRegistryProps:
    names: Names
    groups: tuple[SharedGroup, ...]
    # The only principal allowed to set ModelApprovalStatus / ModelLifeCycle (the decision function's role).
    decider_role_arn: str
    # RAM permission ARNs per consumer role, from config (AWS has not documented the managed names).
    ram_permissions: dict[AccountRole, list[str]] = field(default_factory=dict)
    allow_external_principals: bool = False

    def __post_init__(self) -> None:
        if self.allow_external_principals:
            raise ValueError("ModelRegistryProps.allow_external_principals: sharing outside the organization is not allowed")


class ModelRegistry(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ModelRegistryProps) -> None:
        super().__init__(scope, construct_id)
        self.groups: dict[str, SagemakerModelPackageGroup] = {}
        for group in props.groups:
            self._group(props, group)

    def _group(self, props: ModelRegistryProps, group: SharedGroup) -> None:
        names = props.names
        resource = SagemakerModelPackageGroup(
            self, f"{group.name}-group", model_package_group_name=group.name,
            model_package_group_description=group.description, tags={"mlgov:use-case": group.use_case},
        )
        self.groups[group.name] = resource
        if not group.consumers:
            return
        SagemakerModelPackageGroupPolicy(
            self, f"{group.name}-policy", model_package_group_name=resource.model_package_group_name,
            resource_policy=group_policy(names, group, props.decider_role_arn),
        )
        for role, account in sorted(group.consumers.items(), key=lambda kv: kv[0].value):
            share = RamResourceShare(
                self, f"{group.name}-{role.value}-share", name=f"{names.prefix}-{group.name}-{role.value}",
                allow_external_principals=props.allow_external_principals,
                permission_arns=props.ram_permissions.get(role) or None,
            )
            RamResourceAssociation(self, f"{group.name}-{role.value}-resource", resource_share_arn=share.arn, resource_arn=resource.arn)
            RamPrincipalAssociation(self, f"{group.name}-{role.value}-principal", resource_share_arn=share.arn, principal=account)


def group_policy(names: Names, group: SharedGroup, decider_role_arn: str) -> str:
    """The group resource policy: what each consumer account may do, and the Denies that hold for all."""
    resources = (names.group_arn(group.name), names.group_packages_arn(group.name))
    consumers = sorted(group.consumers.items(), key=lambda kv: kv[0].value)
    every_account = {"AWS": tuple(sorted({account_root(names.governance_account)} | {account_root(a) for _, a in consumers}))}
    dev = group.consumers.get(AccountRole.DEV)
    return document([
        *(Statement(sid=f"{role.value.capitalize()}Account", actions=CONSUMER_ACTIONS[role],
                    principals={"AWS": (account_root(account),)}, resources=resources)
          for role, account in consumers),
        *(registration_guard(resources, {"AWS": (account_root(dev),)}, sid_prefix="DevRegisters") if dev else []),
        *decisions_only_by(decider_role_arn, resources, every_account),
    ])
