"""Dev account: the data-scientist and lead roles that register versions into the shared groups."""

from __future__ import annotations

from constructs import Construct

from mlgov_config import AccountRole, MlgovConfig
from modules.artifact_store import ArtifactStoreRef
from modules.iam_role import AccountRoleProps, AssumableRole
from modules.policy import Statement
from stacks.account_stack import AccountStack

REGISTER_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup")
LEAD_READ_ACTIONS = ("sagemaker:ListModelPackages",)
# Approval happens in the governance account; deleting would erase audit evidence.
FORBIDDEN_ACTIONS = (
    "sagemaker:DeleteModelPackage", "sagemaker:DeleteModelPackageGroup", "sagemaker:DeleteModelPackageGroupPolicy",
    "sagemaker:PutModelPackageGroupPolicy", "sagemaker:UpdateModelPackage",
)


class DevStack(AccountStack):
    role = AccountRole.DEV

    def __init__(self, scope: Construct, config: MlgovConfig) -> None:
        super().__init__(scope, config)
        names = self.names
        groups = [uc.model_package_group.name for uc in config.use_cases.values() if AccountRole.DEV in uc.shared_with]
        group_arns = tuple(names.group_arn(g) for g in groups)
        package_arns = tuple(names.group_packages_arn(g) for g in groups)
        store = ArtifactStoreRef.from_names(names)
        deny = Statement(sid="NoApprovalNoDelete", effect="Deny", actions=FORBIDDEN_ACTIONS,
                         resources=(f"arn:aws:sagemaker:{names.region}:{names.governance_account}:model-package*",))
        register = Statement(sid="RegisterVersions", actions=REGISTER_ACTIONS, resources=group_arns + package_arns)
        scientist = (register, *store.grant_write("Artifacts"), deny)
        lead = (*scientist, Statement(sid="ReadUseCases", actions=LEAD_READ_ACTIONS, resources=group_arns + package_arns))
        prefix, trust = config.platform.name_prefix, config.platform.role_trust
        AssumableRole(self, "data-scientist", AccountRoleProps(
            role_name=f"{prefix}-data-scientist", trusted_principals=tuple(trust.data_scientist), statements=scientist,
            description="Registers candidate model versions into the shared groups; cannot approve or delete",
        ))
        AssumableRole(self, "data-science-lead", AccountRoleProps(
            role_name=f"{prefix}-data-science-lead", trusted_principals=tuple(trust.data_science_lead), statements=lead,
            description="Data scientist rights plus reading every version of the use cases; cannot approve or delete",
        ))
