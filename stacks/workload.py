"""Test and prod accounts (baseline): the deployer role that turns approved versions into endpoints.

The endpoints themselves arrive with the deployment-path issue; this stack already pins the
account, backend and tags so that issue only adds content.
"""

from __future__ import annotations

from constructs import Construct

from mlgov_config import AccountRole, MlgovConfig
from modules.artifact_store import ArtifactStoreRef
from modules.iam_role import AccountRoleProps, AssumableRole
from modules.policy import Statement
from stacks.account_stack import AccountStack

DEPLOY_ACTIONS = (
    "sagemaker:CreateEndpoint", "sagemaker:CreateEndpointConfig", "sagemaker:CreateModel",
    "sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel", "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel", "sagemaker:UpdateEndpoint",
    "sagemaker:UpdateEndpointWeightsAndCapacities",
)


class WorkloadStack(AccountStack):
    def __init__(self, scope: Construct, config: MlgovConfig) -> None:
        super().__init__(scope, config)
        names, prefix = self.names, config.platform.name_prefix
        groups = [uc.model_package_group.name for uc in config.use_cases.values() if self.role in uc.shared_with]
        own = f"arn:aws:sagemaker:{names.region}:{self.account_id}"
        statements = [
            Statement(sid="ManageEndpoints", actions=DEPLOY_ACTIONS, resources=(
                f"{own}:model/{prefix}-*", f"{own}:endpoint-config/{prefix}-*", f"{own}:endpoint/{prefix}-*")),
            *ArtifactStoreRef.from_names(names).grant_read("Artifacts"),
        ]
        if groups:
            statements.insert(1, Statement(
                sid="ReadSharedVersions", actions=("sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"),
                resources=tuple(names.group_arn(g) for g in groups) + tuple(names.group_packages_arn(g) for g in groups)))
        AssumableRole(self, "deployer", AccountRoleProps(
            role_name=f"{prefix}-deployer", trusted_principals=tuple(config.platform.role_trust.deployer), statements=tuple(statements),
            description=f"Deploys approved model versions in the {self.role.value} account",
        ))


class TestStack(WorkloadStack):
    role = AccountRole.TEST


class ProdStack(WorkloadStack):
    role = AccountRole.PROD
