"""Central model registry: one model package group per use case, shared to consumer accounts.

Sharing needs both halves: the group resource policy says what each consumer account may do, and a
RAM share (one per consumer role, because a share carries one permission per resource type) makes
the group visible there. The policy uses account-root principals and explicit actions; a role
principal or a "*" action would block RAM from promoting the policy-based share.

The same policy carries the explicit Denies of modules/registry_guards.py for every principal of
every account that can reach the group, the governance account's own included: dev registers only
candidates, and only the decision function sets approval status or lifecycle.

A group shared with prod gets a release group (mlgov_core.release), shared with prod alone: prod may
build models only from there, and only the decision function writes there (at Prod approvals). The
source group gives prod read access but no CreateModel, so a version approved only for Test cannot
become a prod model.
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
from mlgov_config.models import USE_CASE_TAG
from modules.naming import Names
from modules.policy import Statement, account_root, document
from modules.registry_guards import CREATE, UPDATE, decisions_only_by, registration_guard
from modules.stateful import prevent_destroy

READ_ACTIONS = ("sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages")
DEPLOY = "sagemaker:CreateModel"
# Dev registers candidates but never approves: no UpdateModelPackage, no deletes. Prod deploys only
# from the release group (RELEASE_CONSUMER_ACTIONS).
CONSUMER_ACTIONS: dict[AccountRole, tuple[str, ...]] = {
    AccountRole.DEV: READ_ACTIONS + (CREATE,),
    AccountRole.TEST: READ_ACTIONS + (DEPLOY,),
    AccountRole.PROD: READ_ACTIONS,
}
RELEASE_CONSUMER_ACTIONS = READ_ACTIONS + (DEPLOY,)
RELEASE_WRITES = (CREATE, UPDATE, "sagemaker:DeleteModelPackage")


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
        resource = self._shared_group(props, group.name, group.description, group.use_case, group.consumers,
                                      group_policy(props.names, group, props.decider_role_arn))
        self.groups[group.name] = resource
        prod = group.consumers.get(AccountRole.PROD)
        if prod:
            name = props.names.release_group(group.name)
            self.groups[name] = self._shared_group(
                props, name, f"Prod releases of {group.name}: written only by the decision function at Prod approval",
                group.use_case, {AccountRole.PROD: prod}, release_group_policy(props.names, group.name, prod, props.decider_role_arn))

    def _shared_group(self, props: ModelRegistryProps, name: str, description: str, use_case: str,
                      consumers: dict[AccountRole, str], policy: str) -> SagemakerModelPackageGroup:
        names = props.names
        resource = SagemakerModelPackageGroup(
            self, f"{name}-group", model_package_group_name=name,
            model_package_group_description=description, tags={USE_CASE_TAG: use_case},
            lifecycle=prevent_destroy(),
        )
        if not consumers:
            return resource
        SagemakerModelPackageGroupPolicy(
            self, f"{name}-policy", model_package_group_name=resource.model_package_group_name, resource_policy=policy,
        )
        for role, account in sorted(consumers.items(), key=lambda kv: kv[0].value):
            share = RamResourceShare(
                self, f"{name}-{role.value}-share", name=names.ram_share(name, role),
                allow_external_principals=props.allow_external_principals,
                permission_arns=props.ram_permissions.get(role) or None,
            )
            RamResourceAssociation(self, f"{name}-{role.value}-resource", resource_share_arn=share.arn, resource_arn=resource.arn)
            RamPrincipalAssociation(self, f"{name}-{role.value}-principal", resource_share_arn=share.arn, principal=account)
        return resource


def group_policy(names: Names, group: SharedGroup, decider_role_arn: str) -> str:
    """The group resource policy: what each consumer account may do, and the Denies that hold for all."""
    resources = (names.group_arn(group.name), names.group_packages_arn(group.name))
    consumers = sorted(group.consumers.items(), key=lambda kv: kv[0].value)
    every_account = {"AWS": tuple(sorted({account_root(names.partition, names.governance_account)} | {account_root(names.partition, a) for _, a in consumers}))}
    dev, prod = group.consumers.get(AccountRole.DEV), group.consumers.get(AccountRole.PROD)
    return document([
        *(Statement(sid=f"{role.value.capitalize()}Account", actions=CONSUMER_ACTIONS[role],
                    principals={"AWS": (account_root(names.partition, account),)}, resources=resources)
          for role, account in consumers),
        *(registration_guard(resources, {"AWS": (account_root(names.partition, dev),)}, sid_prefix="DevRegisters") if dev else []),
        # Also against a RAM permission that grants more than this policy: prod deploys releases only.
        *([Statement(sid="ProdDeploysOnlyReleases", effect="Deny", actions=(DEPLOY,),
                     principals={"AWS": (account_root(names.partition, prod),)}, resources=resources)] if prod else []),
        *decisions_only_by(decider_role_arn, resources, every_account),
    ])


def release_group_policy(names: Names, group: str, prod_account: str, decider_role_arn: str) -> str:
    """Prod reads and deploys its releases; nobody but the decision function writes them."""
    release = names.release_group(group)
    resources = (names.group_arn(release), names.group_packages_arn(release))
    every_account = {"AWS": tuple(sorted({account_root(names.partition, names.governance_account), account_root(names.partition, prod_account)}))}
    return document([
        Statement(sid="ProdAccount", actions=RELEASE_CONSUMER_ACTIONS, principals={"AWS": (account_root(names.partition, prod_account),)},
                  resources=resources),
        Statement(sid="OnlyDecisionFunctionReleases", effect="Deny", actions=RELEASE_WRITES, principals=every_account,
                  resources=resources, conditions={"ArnNotEquals": {"aws:PrincipalArn": decider_role_arn}}),
    ])
