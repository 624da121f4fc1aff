"""SageMaker managed MLflow tracking server with its own encrypted artifact bucket and execution role.

Experiments and runs live here, in the dev account. Registration into the central registry is an
explicit CreateModelPackage into the shared group (DESIGN.md section 2), never MLflow's own
registration; ``grant_use`` hands out the MLflow, S3 and KMS rights together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sagemaker_mlflow_tracking_server import SagemakerMlflowTrackingServer
from constructs import Construct

from modules.encryption_key import EncryptionKey, EncryptionKeyProps
from modules import partition
from modules.policy import Statement, document
from modules.registry_guards import role_policy
from modules.secure_bucket import SecureBucket, SecureBucketProps
from modules.stateful import prevent_destroy

TRACKING_SERVER_SIZES = ("Small", "Medium", "Large")
# Create/Update/DescribeMlflowTrackingServer use this shape ("Tue:03:30").
MAINTENANCE_WINDOW = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]")
# Major.minor only: aws provider 5.100.0 normalizes the version it reads back to major.minor, and
# mlflow_version forces replacement, so a pinned "2.16.2" would plan a new server on every run.
MLFLOW_VERSION = re.compile(r"[0-9]+\.[0-9]+")
SERVER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}")

# Logging runs, metrics, params, inputs and artifacts (metadata; the bytes go to S3 directly from
# the client) and updating one's own runs. Deliberately absent: DeleteExperiment/DeleteRun (audit
# evidence) and MLflow's model registry writes (CreateRegisteredModel, CreateModelVersion,
# TransitionModelVersionStage): versions are registered into the shared SageMaker group only.
MLFLOW_LOG_ACTIONS = (
    "sagemaker-mlflow:CreateExperiment", "sagemaker-mlflow:CreateRun", "sagemaker-mlflow:UpdateRun",
    "sagemaker-mlflow:LogBatch", "sagemaker-mlflow:LogInputs", "sagemaker-mlflow:LogMetric",
    "sagemaker-mlflow:LogModel", "sagemaker-mlflow:LogParam", "sagemaker-mlflow:SetExperimentTag",
    "sagemaker-mlflow:SetTag",
)
# Reading every experiment and run of the server, its artifacts' listing and the MLflow UI.
MLFLOW_READ_ACTIONS = (
    "sagemaker-mlflow:AccessUI", "sagemaker-mlflow:GetExperiment", "sagemaker-mlflow:GetExperimentByName",
    "sagemaker-mlflow:GetMetricHistory", "sagemaker-mlflow:GetRun", "sagemaker-mlflow:ListArtifacts",
    "sagemaker-mlflow:SearchExperiments", "sagemaker-mlflow:SearchRuns",
)
# Finding the server and opening its UI (the presigned URL carries the caller's identity).
SERVER_ACCESS_ACTIONS = ("sagemaker:CreatePresignedMlflowTrackingServerUrl", "sagemaker:DescribeMlflowTrackingServer")


@dataclass(frozen=True)
class MlflowTrackingProps:
    tracking_server_name: str
    owner_account: str
    region: str
    # Global S3 name: include the account id and region.
    artifact_bucket_name: str
    # The account's access-log bucket (a SecureBucket with is_access_log_target=True).
    access_log_target: SecureBucket
    key_alias: str
    role_name: str
    # Pinned, major.minor (see MLFLOW_VERSION); a new version means a new server (ForceNew).
    mlflow_version: str = "2.16"
    # Small serves teams of up to about 25 users (AWS guidance); the cheapest size.
    tracking_server_size: str = "Small"
    # Patching happens in this weekly window (UTC) instead of whenever AWS chooses.
    weekly_maintenance_window_start: str = "Sun:02:00"
    artifact_prefix: str = "mlflow"
    noncurrent_version_retention_days: int = 365

    def __post_init__(self) -> None:
        if not SERVER_NAME.fullmatch(self.tracking_server_name):
            raise ValueError(f"MlflowTrackingProps.tracking_server_name: {self.tracking_server_name!r} does not match {SERVER_NAME.pattern}")
        if self.tracking_server_size not in TRACKING_SERVER_SIZES:
            raise ValueError(f"MlflowTrackingProps.tracking_server_size: {self.tracking_server_size!r} not one of {TRACKING_SERVER_SIZES}")
        if not MLFLOW_VERSION.fullmatch(self.mlflow_version):
            raise ValueError(f"MlflowTrackingProps.mlflow_version: {self.mlflow_version!r} must be major.minor (e.g. '2.16'); "
                             "the provider reads back major.minor and would replace the server on every plan")
        if not MAINTENANCE_WINDOW.fullmatch(self.weekly_maintenance_window_start):
            raise ValueError(f"MlflowTrackingProps.weekly_maintenance_window_start: {self.weekly_maintenance_window_start!r} "
                             "must look like 'Sun:02:00'")
        if self.owner_account not in self.artifact_bucket_name or self.region not in self.artifact_bucket_name:
            raise ValueError(f"MlflowTrackingProps.artifact_bucket_name: {self.artifact_bucket_name!r} must contain the account id "
                             f"{self.owner_account} and region {self.region} (S3 names are global)")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", self.artifact_prefix):
            raise ValueError(f"MlflowTrackingProps.artifact_prefix: {self.artifact_prefix!r} must be one plain path segment")


class MlflowTracking(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: MlflowTrackingProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        here = partition.of(self)
        self.arn = here.arn("sagemaker", props.region, props.owner_account, f"mlflow-tracking-server/{props.tracking_server_name}")
        self.key = EncryptionKey(self, "key", EncryptionKeyProps(
            alias=props.key_alias,
            description="mlgov MLflow artifacts (experiments and runs) in the dev account",
            owner_account=props.owner_account,
            region=props.region,
        ))
        self.bucket = SecureBucket(self, "artifacts", SecureBucketProps(
            bucket_name=props.artifact_bucket_name,
            owner_account=props.owner_account,
            kms_key_arn=self.key.arn,
            access_log_target=props.access_log_target,
            noncurrent_version_retention_days=props.noncurrent_version_retention_days,
        ))
        self.artifact_store_uri = f"s3://{props.artifact_bucket_name}/{props.artifact_prefix}"
        self.role = IamRole(
            self, "role", name=props.role_name,
            description="Execution role of the MLflow tracking server: its artifact bucket and key only",
            assume_role_policy=document([Statement(
                sid="SageMakerInThisAccount", actions=("sts:AssumeRole",),
                principals={"Service": (here.service_principal("sagemaker"),)},
                # Confused-deputy guard: only SageMaker acting for this account may assume the role.
                conditions={"StringEquals": {"aws:SourceAccount": props.owner_account}},
            )]),
        )
        # No sagemaker:* rights: AddTags, CreateModelPackage(Group), UpdateModelPackage and
        # DescribeModelPackageGroup are only needed for automatic model registration, which is off.
        IamRolePolicy(self, "role-policy", name="least-privilege", role=self.role.id,
                      policy=role_policy(here, self._artifact_statements("Server")))
        self.server = SagemakerMlflowTrackingServer(
            self, "server",
            tracking_server_name=props.tracking_server_name,
            artifact_store_uri=self.artifact_store_uri,
            role_arn=self.role.arn,
            mlflow_version=props.mlflow_version,
            tracking_server_size=props.tracking_server_size,
            weekly_maintenance_window_start=props.weekly_maintenance_window_start,
            # Off on purpose: SageMaker would register MLflow models into a group of its own
            # ("<model name>-<hash>"), outside the shared central group and its RAM share, group
            # policy and governance events. Versions are registered explicitly into the shared group.
            automatic_model_registration=False,
            lifecycle=prevent_destroy(),
        )

    def _artifact_statements(self, sid_prefix: str) -> list[Statement]:
        """Get/Put/List under the artifact prefix, and the key that encrypts it."""
        arn, prefix = self.bucket.arn, self.props.artifact_prefix
        return [
            Statement(sid=f"{sid_prefix}ListArtifacts", actions=("s3:ListBucket",), resources=(arn,),
                      conditions={"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}}),
            Statement(sid=f"{sid_prefix}ReadWriteArtifacts", actions=("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
                      resources=(f"{arn}/{prefix}/*",)),
            self.key.use_statement(f"{sid_prefix}ArtifactKey"),
        ]

    def grant_use(self, sid_prefix: str) -> list[Statement]:
        """Log runs, metrics, params and artifacts to this server and read them back (data scientists)."""
        return [
            Statement(sid=f"{sid_prefix}Server", actions=SERVER_ACCESS_ACTIONS, resources=(self.arn,)),
            Statement(sid=f"{sid_prefix}LogAndRead", actions=MLFLOW_LOG_ACTIONS + MLFLOW_READ_ACTIONS, resources=(self.arn,)),
            *self._artifact_statements(sid_prefix),
        ]
