"""Dev account: MLflow tracking server, and the data-scientist and lead roles that register versions
into the shared groups."""

from __future__ import annotations

from constructs import Construct

from mlgov_config import AccountRole, MlgovConfig
from modules.artifact_store import ArtifactStoreRef
from modules.iam_role import AccountRoleProps, AssumableRole
from modules.mlflow_tracking import MlflowTracking, MlflowTrackingProps
from modules.policy import Statement
from modules.registry_guards import any_package
from modules.secure_bucket import SecureBucket, SecureBucketProps
from stacks.account_stack import AccountStack

# ListModelPackages: `mlgov register` refuses to register the same MLflow run twice.
REGISTER_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:ListModelPackages")
LEAD_READ_ACTIONS = ("sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages")
# Deleting would erase audit evidence; the group policy belongs to the governance account.
FORBIDDEN_ACTIONS = (
    "sagemaker:DeleteModelPackage", "sagemaker:DeleteModelPackageGroup", "sagemaker:DeleteModelPackageGroupPolicy",
    "sagemaker:PutModelPackageGroupPolicy",
)


class DevStack(AccountStack):
    role = AccountRole.DEV

    def __init__(self, scope: Construct, config: MlgovConfig) -> None:
        super().__init__(scope, config)
        names, region = self.names, config.platform.home_region
        groups = [uc.model_package_group.name for uc in config.use_cases.values() if AccountRole.DEV in uc.shared_with]
        group_arns = tuple(names.group_arn(g) for g in groups)
        package_arns = tuple(names.group_packages_arn(g) for g in groups)
        store = ArtifactStoreRef.from_names(names)

        # S3 names are global: account id and region keep them unique per installation.
        access_logs = SecureBucket(self, "access-logs", SecureBucketProps(
            bucket_name=names.access_log_bucket_for(self.account_id),
            owner_account=self.account_id, kms_key_arn=None, is_access_log_target=True,
            expire_current_after_days=365,
        ))
        mlflow = MlflowTracking(self, "mlflow", MlflowTrackingProps(
            tracking_server_name=names.mlflow_tracking_server,
            owner_account=self.account_id, region=region,
            artifact_bucket_name=names.mlflow_artifact_bucket(self.account_id),
            access_log_target=access_logs,
            key_alias=names.mlflow_key_alias,
            role_name=names.role("mlflow-tracking-server"),
            **_mlflow_settings(config),
        ))

        # Any registry, any account: the Deny also covers groups dev might own some day. The Denies on
        # approval status and lifecycle come with every role we create (modules/registry_guards.py).
        registry = any_package(self.partition)
        guards = (Statement(sid="NoDelete", effect="Deny", actions=FORBIDDEN_ACTIONS, resources=registry),)
        register = Statement(sid="RegisterVersions", actions=REGISTER_ACTIONS, resources=group_arns + package_arns)
        scientist = (register, *store.grant_write("Artifacts"), *mlflow.grant_use("Mlflow"), *guards)
        lead = (
            *scientist,
            # Every version of the use cases, whoever registered it. Artifacts (all of models/ in the
            # governance store) and every MLflow experiment are readable through the scientist's grants.
            Statement(sid="ReadUseCases", actions=LEAD_READ_ACTIONS, resources=group_arns + package_arns),
        )
        trust = config.platform.role_trust
        AssumableRole(self, "data-scientist", AccountRoleProps(
            role_name=names.role("data-scientist"), trusted_principals=tuple(trust.data_scientist), statements=scientist,
            description="Tracks experiments in MLflow and registers candidate versions into the shared groups; cannot approve or delete",
        ))
        AssumableRole(self, "data-science-lead", AccountRoleProps(
            role_name=names.role("data-science-lead"), trusted_principals=tuple(trust.data_science_lead), statements=lead,
            description="Data scientist rights plus reading every version and artifact of the use cases; cannot approve or delete",
        ))
        self.bound_roles()


def _mlflow_settings(config: MlgovConfig) -> dict:
    settings = config.platform.dev.mlflow
    return {
        "mlflow_version": settings.mlflow_version,
        "tracking_server_size": settings.tracking_server_size,
        "weekly_maintenance_window_start": settings.weekly_maintenance_window_start,
        "noncurrent_version_retention_days": settings.artifact_noncurrent_version_retention_days,
    }
