"""Deterministic names and ARNs, derived from config only.

Stacks of different accounts never reference each other's Terraform state: the dev stack finds
the governance account's bucket, key alias, repository and groups through these names instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# mlgov_config.models, not the package: the loader checks these names, so it imports this module.
from mlgov_config.models import AccountRole, PlatformConfig, UseCaseConfig, artifact_bucket_name
from mlgov_config.regions import Partition, partition_of
from mlgov_core import release

if TYPE_CHECKING:
    from mlgov_config.models import MlgovConfig


@dataclass(frozen=True)
class Names:
    prefix: str
    region: str
    governance_account: str

    @classmethod
    def from_config(cls, config: "MlgovConfig") -> "Names":
        return cls.from_platform(config.platform)

    @classmethod
    def from_platform(cls, p: PlatformConfig) -> "Names":
        return cls(p.name_prefix, p.home_region, p.account_id(AccountRole.GOVERNANCE))

    @property
    def partition(self) -> Partition:
        """The one place the deployment's partition is derived (from the home region)."""
        return partition_of(self.region)

    def _arn(self, service: str, resource: str) -> str:
        return self.partition.arn(service, self.region, self.governance_account, resource)

    # S3 bucket names are global: the account id and region keep them unique per installation.
    @property
    def artifact_bucket(self) -> str:
        return artifact_bucket_name(self.prefix, self.governance_account, self.region)

    @property
    def audit_archive_bucket(self) -> str:
        """The history archive (Object Lock): every governance table history item, once."""
        return f"{self.prefix}-audit-archive-{self.governance_account}-{self.region}"

    @property
    def audit_trail_bucket(self) -> str:
        """The CloudTrail trail's delivery bucket (Object Lock)."""
        return f"{self.prefix}-audit-trail-{self.governance_account}-{self.region}"

    @property
    def analytics_lake_bucket(self) -> str:
        """The analytics lake (mlgov_core.lake_tables): the dashboard's data, projected from the table."""
        return f"{self.prefix}-lake-{self.governance_account}-{self.region}"

    @property
    def athena_results_bucket(self) -> str:
        return f"{self.prefix}-athena-{self.governance_account}-{self.region}"

    @property
    def glue_database(self) -> str:
        # Glue and Athena names take lower case, digits and underscores only.
        return f"{self.prefix}_governance".replace("-", "_")

    @property
    def athena_workgroup(self) -> str:
        return f"{self.prefix}-governance"

    # QuickSight ids (data source, data sets, dashboard) are per account and region; the prefix keeps
    # two installations in one account apart.
    @property
    def quicksight_data_source(self) -> str:
        return f"{self.prefix}-governance-athena"

    def quicksight_data_set(self, view: str) -> str:
        return f"{self.prefix}-{view.replace('_', '-')}"

    @property
    def quicksight_dashboard(self) -> str:
        return f"{self.prefix}-governance"

    @property
    def quicksight_service_policy(self) -> str:
        """The customer-managed policy attached to QuickSight's service role (its own, not the console's)."""
        return f"{self.prefix}-quicksight-governance-analytics"

    def quicksight_group_arn(self, identity_region: str, namespace: str, group: str) -> str:
        return self.partition.arn("quicksight", identity_region, self.governance_account, f"group/{namespace}/{group}")

    def quicksight_arn(self, kind: str, resource_id: str) -> str:
        """kind: datasource, dataset or dashboard (QuickSight's ARN forms)."""
        return self._arn("quicksight", f"{kind}/{resource_id}")

    @property
    def access_log_bucket(self) -> str:
        return self.access_log_bucket_for(self.governance_account)

    def access_log_bucket_for(self, account_id: str) -> str:
        """Each account its own: S3 delivers server access logs only to a bucket in the same account and region."""
        return f"{self.prefix}-access-logs-{account_id}-{self.region}"

    # terraform/bootstrap: the state bucket (named in config) lives in state_backend.region, maybe not the home region.
    def state_access_log_bucket(self, region: str) -> str:
        """The state bucket's access logs (S3 delivers them only within one account and region)."""
        return f"{self.prefix}-state-access-logs-{self.governance_account}-{region}"

    @property
    def state_key_alias(self) -> str:
        return f"alias/{self.prefix}-terraform-state"

    @property
    def artifact_key_alias(self) -> str:
        return f"alias/{self.prefix}-artifacts"

    @property
    def governance_key_alias(self) -> str:
        return f"alias/{self.prefix}-governance"

    @property
    def model_repository(self) -> str:
        return f"{self.prefix}/models"

    @property
    def governance_table(self) -> str:
        return f"{self.prefix}-model-stage-governance"

    @property
    def metrics_bus(self) -> str:
        return f"{self.prefix}-metrics"

    def metrics_bus_arn(self) -> str:
        return self._arn("events", f"event-bus/{self.metrics_bus}")

    def endpoint(self, use_case: str, stage: str) -> str:
        return f"{self.prefix}-{use_case}-{stage}"

    def package_arn(self, group: str, version: int) -> str:
        return self._arn("sagemaker", f"model-package/{group.lower()}/{version}")

    def function(self, short_name: str) -> str:
        return f"{self.prefix}-{short_name}"

    # The decision function is the one principal that may set approval status and lifecycle; the
    # group policy names its role (PythonFunction names roles "<function>-lambda").
    DECISION_FUNCTION = "model-decisions"

    @property
    def decision_function_role_arn(self) -> str:
        return self.role_arn(f"{self.function(self.DECISION_FUNCTION)}-lambda")

    def function_role_arn(self, short_name: str) -> str:
        return self.role_arn(f"{self.function(short_name)}-lambda")

    def role_arn(self, role_name: str) -> str:
        return self.partition.iam_arn(self.governance_account, f"role/{role_name}")

    # The governance table's writers outside Lambda, and the one role that may delete or change it
    # (modules/table_guard.py); the CLI assumes the first two for reconcile and register-external.
    @property
    def table_reconciler_role(self) -> str:
        return self.role("table-reconciler")

    @property
    def external_registrar_role(self) -> str:
        return self.role("external-registrar")

    @property
    def table_break_glass_role(self) -> str:
        return self.role("table-break-glass")

    # Read-only reviewer in the governance account (stacks/governance.py); the CLI's read commands use it.
    @property
    def compliance_officer_role(self) -> str:
        return f"{self.prefix}-compliance-officer"

    @property
    def decision_api(self) -> str:
        return f"{self.prefix}-decisions"

    def artifact_bucket_arn(self) -> str:
        return self.partition.s3_arn(self.artifact_bucket)

    def artifact_key_pattern_arn(self) -> str:
        """Key ids are random, so cross-account grants match the key by its alias (kms:ResourceAliases)."""
        return self._arn("kms", "key/*")

    def model_repository_arn(self) -> str:
        return self._arn("ecr", f"repository/{self.model_repository}")

    # SageMaker lower-cases resource names in ARNs, and IAM compares ARNs case-sensitively.
    def group_arn(self, group: str) -> str:
        return self._arn("sagemaker", f"model-package-group/{group.lower()}")

    def group_packages_arn(self, group: str) -> str:
        return self._arn("sagemaker", f"model-package/{group.lower()}/*")

    # The prod account builds models only from a group's release group (mlgov_core.release).
    @staticmethod
    def release_group(group: str) -> str:
        return release.release_group(group)

    def release_package_arn(self, group: str, release_number: int) -> str:
        return self.package_arn(release.release_group(group), release_number)

    # ------------------------------------------------------------------ names the stacks build
    # Every name a stack or module gives an AWS resource comes from here, so that derived_names()
    # below can list them all and the loader can refuse a config whose names AWS would refuse.

    def mlflow_artifact_bucket(self, account_id: str) -> str:
        return f"{self.prefix}-mlflow-artifacts-{account_id}-{self.region}"

    def capture_bucket(self, account_id: str) -> str:
        return f"{self.prefix}-capture-{account_id}-{self.region}"

    def serving_key_alias(self, role: AccountRole) -> str:
        return f"alias/{self.prefix}-{role.value}-serving"

    @property
    def mlflow_key_alias(self) -> str:
        return f"alias/{self.prefix}-mlflow"

    @property
    def trail_key_alias(self) -> str:
        return f"alias/{self.prefix}-audit-trail"

    @property
    def trail(self) -> str:
        return f"{self.prefix}-governance-audit"

    @property
    def mlflow_tracking_server(self) -> str:
        return f"{self.prefix}-tracking"

    def role(self, short_name: str) -> str:
        """A role people or pipelines assume: data-scientist, model-approver, deployer, ..."""
        return f"{self.prefix}-{short_name}"

    def dead_letter_queue(self, short_name: str) -> str:
        return f"{self.prefix}-{short_name}-dlq"

    def rule(self, short_name: str) -> str:
        return f"{self.prefix}-{short_name}"

    def alarm_topic(self, role: AccountRole) -> str:
        return f"{self.prefix}-{role.value}-alarms"

    def ram_share(self, group: str, role: AccountRole) -> str:
        return f"{self.prefix}-{group}-{role.value}"

    @property
    def role_boundary(self) -> str:
        return role_boundary_name(self.prefix)

    @property
    def decider_boundary(self) -> str:
        return decider_boundary_name(self.prefix)

    @staticmethod
    def inference(endpoint: str) -> str:
        """The inference proxy function and its REST API."""
        return f"{endpoint}-inference"

    @staticmethod
    def data_quality_schedule(endpoint: str) -> str:
        return f"{endpoint}-data-quality"

    @staticmethod
    def function_role(function_name: str) -> str:
        return f"{function_name}-lambda"

    @staticmethod
    def function_log_group(function_name: str) -> str:
        return f"/aws/lambda/{function_name}"

    @staticmethod
    def queue_alarm(queue_name: str) -> str:
        return f"{queue_name}-not-empty"

    @property
    def unmapped_stage_alarm(self) -> str:
        return f"{self.prefix}-registry-stage-unmapped"

    @staticmethod
    def history_changed_alarm(function_name: str) -> str:
        return f"{function_name}-history-changed"

    @staticmethod
    def trail_log_group(trail: str) -> str:
        return f"/aws/cloudtrail/{trail}"

    @staticmethod
    def trail_logs_role(trail: str) -> str:
        return f"{trail}-cloudwatch-logs"

    @staticmethod
    def api_access_log_group(api: str) -> str:
        return f"/aws/apigateway/{api}"

    @staticmethod
    def endpoint_log_group(endpoint: str) -> str:
        return f"/aws/sagemaker/Endpoints/{endpoint}"

    @staticmethod
    def model_role(endpoint: str) -> str:
        return f"{endpoint}-model"

    @staticmethod
    def monitor_role(schedule: str) -> str:
        return f"{schedule}-monitor"

    @staticmethod
    def model(endpoint: str, variant: str, version: int) -> str:
        """The prefix of a variant's SageMaker model name; content_name appends the content hash."""
        return f"{endpoint}-{variant}-v{version}"

    @staticmethod
    def variant_alarms(endpoint: str, variant: str) -> tuple[str, str]:
        """Server errors and p95 latency of one production variant."""
        return f"{endpoint}-{variant}-5xx", f"{endpoint}-{variant}-p95-latency"

    @staticmethod
    def drift_alarm(endpoint: str, feature: str) -> str:
        return f"{endpoint}-drift-{feature}"

    @staticmethod
    def hashed(prefix: str, digest: str, max_length: int = 63) -> str:
        """A content-named resource: the prefix, cut to leave room, then the content digest."""
        return f"{prefix[: max_length - len(digest) - 1]}-{digest}"

    # ------------------------------------------------------------------ the table of derived names

    def derived_names(self, platform: PlatformConfig, use_cases: tuple[UseCaseConfig, ...] = ()) -> list["DerivedName"]:
        """Every name the four stacks give AWS resources, each with its Terraform resource type and the
        config field it grows with (for a use case: the field of its file, else of platform.yaml)."""
        return _platform_names(self, platform) + [n for uc in use_cases for n in self.use_case_names(uc)]

    def use_case_names(self, uc: UseCaseConfig) -> list["DerivedName"]:
        """The names of one use case's group, shares and deployments."""
        return _use_case_names(self, uc)


# Terraform resource type -> the argument holding its name, what AWS calls it, and AWS's length limits
# (each service's API reference; botocore's service models carry the same min/max). None: AWS documents
# no limit (API Gateway REST API and RAM share names). tests/synth/test_synth_name_limits.py checks
# that every such name in terraform/ is listed by derived_names() and fits.
@dataclass(frozen=True)
class NameLimit:
    argument: str
    what: str
    maximum: int | None
    minimum: int = 1


NAME_LIMITS: dict[str, NameLimit] = {
    "aws_s3_bucket": NameLimit("bucket", "S3 bucket name", 63, 3),
    "aws_iam_role": NameLimit("name", "IAM role name", 64),
    "aws_iam_policy": NameLimit("name", "IAM policy name", 128),
    "aws_lambda_function": NameLimit("function_name", "Lambda function name", 64),
    "aws_sagemaker_model_package_group": NameLimit("model_package_group_name", "SageMaker model package group name", 63),
    "aws_sagemaker_endpoint": NameLimit("name", "SageMaker endpoint name", 63),
    "aws_sagemaker_endpoint_configuration": NameLimit("name", "SageMaker endpoint configuration name", 63),
    "aws_sagemaker_model": NameLimit("name", "SageMaker model name", 63),
    "aws_sagemaker_monitoring_schedule": NameLimit("name", "SageMaker monitoring schedule name", 63),
    "aws_sagemaker_data_quality_job_definition": NameLimit("name", "SageMaker job definition name", 63),
    "aws_sagemaker_mlflow_tracking_server": NameLimit("tracking_server_name", "SageMaker MLflow tracking server name", 256),
    "aws_sqs_queue": NameLimit("name", "SQS queue name", 80),
    "aws_sns_topic": NameLimit("name", "SNS topic name", 256),
    "aws_dynamodb_table": NameLimit("name", "DynamoDB table name", 255, 3),
    "aws_cloudwatch_event_rule": NameLimit("name", "EventBridge rule name", 64),
    "aws_cloudwatch_event_bus": NameLimit("name", "EventBridge event bus name", 256),
    "aws_cloudwatch_metric_alarm": NameLimit("alarm_name", "CloudWatch alarm name", 255),
    "aws_cloudwatch_log_group": NameLimit("name", "CloudWatch Logs log group name", 512),
    "aws_kms_alias": NameLimit("name", "KMS alias name", 256),
    "aws_cloudtrail": NameLimit("name", "CloudTrail trail name", 128, 3),
    "aws_ecr_repository": NameLimit("name", "ECR repository name", 256, 2),
    "aws_api_gateway_rest_api": NameLimit("name", "API Gateway REST API name", None),
    "aws_ram_resource_share": NameLimit("name", "RAM resource share name", None),
    "aws_athena_workgroup": NameLimit("name", "Athena workgroup name", 128),
    "aws_glue_catalog_database": NameLimit("name", "Glue database name", 255),
}

# content_name() names these after their content; the digest is unknown before synth, its length is not.
DIGEST_PLACEHOLDER = "#" * 8


@dataclass(frozen=True)
class DerivedName:
    resource: str  # a key of NAME_LIMITS
    name: str
    field: str  # the config field whose value makes the name longer
    use_case: str | None = None  # None: a platform.yaml field

    def problem(self) -> str | None:
        limit = NAME_LIMITS[self.resource]
        if limit.maximum is not None and not limit.minimum <= len(self.name) <= limit.maximum:
            return f"{len(self.name)} characters; AWS allows {limit.minimum} to {limit.maximum}"
        return None


# API Gateway's execution log group is named after the REST API's id, which AWS assigns (10 characters).
API_ID_PLACEHOLDER = "#" * 10
INFERENCE_STAGE = "v1"  # the stage of every REST API the stacks create (modules/inference_api.py)
# API Gateway's CloudWatch role is one setting per account and region (aws_api_gateway_account), shared by
# every installation in the account: a fixed name, not prefixed.
APIGATEWAY_LOGS_ROLE = "mlgov-apigateway-logs"
ACCESS_LOG_ACCOUNTS = (AccountRole.GOVERNANCE, AccountRole.DEV, AccountRole.TEST, AccountRole.PROD)
# The Lambda functions of the governance stack, by their short names (stacks/governance.py).
GOVERNANCE_FUNCTIONS = ("registry-sync", "metrics-ingest", "model-decisions", "history-archive", "lake-projection")
# Roles people and pipelines assume, by short name, and the stack that creates them.
ASSUMED_ROLES = ("model-approver", "compliance-officer", "table-reconciler", "external-registrar", "table-break-glass",
                 "data-scientist", "data-science-lead", "mlflow-tracking-server", "deployer")
GOVERNANCE_RULES = ("registry-changes", "metrics-reports", "registration-guard", "break-glass-used")


def role_boundary_name(prefix: str) -> str:
    return f"{prefix}-role-boundary"


def decider_boundary_name(prefix: str) -> str:
    return f"{prefix}-decider-boundary"


def publisher_role_name(prefix: str) -> str:
    """The role in test (QA) and prod (production metrics) that reports to the governance bus."""
    return f"{prefix}-metrics-publisher"


def execution_log_group(api_id: str, stage: str) -> str:
    """API Gateway writes execution logs to this group itself; the stacks create it first, with a key."""
    return f"API-Gateway-Execution-Logs_{api_id}/{stage}"


def _platform_names(n: Names, platform: PlatformConfig) -> list[DerivedName]:
    prefix = "name_prefix"
    at = "name_prefix, home_region"  # buckets carry both
    names = [
        DerivedName("aws_s3_bucket", n.artifact_bucket, at), DerivedName("aws_s3_bucket", n.audit_archive_bucket, at),
        DerivedName("aws_s3_bucket", n.audit_trail_bucket, at), DerivedName("aws_s3_bucket", n.analytics_lake_bucket, at),
        DerivedName("aws_s3_bucket", n.mlflow_artifact_bucket(platform.account_id(AccountRole.DEV)), at),
        *(DerivedName("aws_s3_bucket", n.access_log_bucket_for(platform.account_id(r)), at) for r in ACCESS_LOG_ACCOUNTS),
        *(DerivedName("aws_s3_bucket", n.capture_bucket(platform.account_id(r)), at) for r in (AccountRole.TEST, AccountRole.PROD)),
        *(DerivedName("aws_kms_alias", a, prefix) for a in (n.artifact_key_alias, n.governance_key_alias, n.trail_key_alias,
                                                             n.mlflow_key_alias, n.serving_key_alias(AccountRole.TEST),
                                                             n.serving_key_alias(AccountRole.PROD))),
        DerivedName("aws_ecr_repository", n.model_repository, prefix),
        DerivedName("aws_dynamodb_table", n.governance_table, prefix),
        DerivedName("aws_cloudwatch_event_bus", n.metrics_bus, prefix),
        DerivedName("aws_cloudtrail", n.trail, prefix),
        DerivedName("aws_iam_role", n.trail_logs_role(n.trail), prefix),
        DerivedName("aws_cloudwatch_log_group", n.trail_log_group(n.trail), prefix),
        DerivedName("aws_sagemaker_mlflow_tracking_server", n.mlflow_tracking_server, prefix),
        DerivedName("aws_api_gateway_rest_api", n.decision_api, prefix),
        DerivedName("aws_cloudwatch_log_group", n.api_access_log_group(n.decision_api), prefix),
        DerivedName("aws_cloudwatch_log_group", execution_log_group(API_ID_PLACEHOLDER, INFERENCE_STAGE), prefix),
        DerivedName("aws_iam_role", APIGATEWAY_LOGS_ROLE, prefix),
        *(DerivedName("aws_iam_policy", p, prefix) for p in (n.role_boundary, n.decider_boundary, n.quicksight_service_policy)),
        *(DerivedName("aws_iam_role", n.role(r), prefix) for r in ASSUMED_ROLES),
        DerivedName("aws_iam_role", publisher_role_name(n.prefix), prefix),
        *(DerivedName("aws_cloudwatch_event_rule", n.rule(r), prefix) for r in GOVERNANCE_RULES),
        *(DerivedName("aws_sns_topic", n.alarm_topic(r), prefix) for r in (AccountRole.GOVERNANCE, AccountRole.TEST, AccountRole.PROD)),
        DerivedName("aws_cloudwatch_metric_alarm", n.history_changed_alarm(n.function("history-archive")), prefix),
        DerivedName("aws_cloudwatch_metric_alarm", n.unmapped_stage_alarm, prefix),
        DerivedName("aws_s3_bucket", n.athena_results_bucket, at),
        DerivedName("aws_athena_workgroup", n.athena_workgroup, prefix),
        DerivedName("aws_glue_catalog_database", n.glue_database, prefix),
    ]
    names += _bootstrap_names(n, platform)
    for short in GOVERNANCE_FUNCTIONS:
        function, queue = n.function(short), n.dead_letter_queue(short)
        names += [DerivedName("aws_lambda_function", function, prefix), DerivedName("aws_iam_role", n.function_role(function), prefix),
                  DerivedName("aws_cloudwatch_log_group", n.function_log_group(function), prefix),
                  DerivedName("aws_sqs_queue", queue, prefix), DerivedName("aws_cloudwatch_metric_alarm", n.queue_alarm(queue), prefix)]
    return names


def _bootstrap_names(n: Names, platform: PlatformConfig) -> list[DerivedName]:
    """terraform/bootstrap's names; none without a gitops section (no bootstrap stack then)."""
    gitops, backend = platform.gitops, platform.state_backend
    if gitops is None:
        return []
    return [
        DerivedName("aws_s3_bucket", backend.bucket, "state_backend.bucket"),
        DerivedName("aws_s3_bucket", n.state_access_log_bucket(backend.region), "name_prefix, state_backend.region"),
        DerivedName("aws_kms_alias", n.state_key_alias, "name_prefix"),
        DerivedName("aws_iam_role", gitops.plan_role_name, "gitops.plan_role_name"),
        DerivedName("aws_iam_role", gitops.account_plan_role_name, "gitops.account_plan_role_name"),
        *(DerivedName("aws_iam_role", gitops.apply_role_name(stack), "gitops.apply_role_prefix") for stack in gitops.environments),
    ]


def _use_case_names(n: Names, uc: UseCaseConfig) -> list[DerivedName]:
    group, field = uc.model_package_group.name, "model_package_group.name"
    names = [DerivedName("aws_sagemaker_model_package_group", group, field, uc.name)]
    names += [DerivedName("aws_ram_resource_share", n.ram_share(group, role), field, uc.name) for role in uc.shared_with]
    if AccountRole.PROD in uc.shared_with:
        names += [DerivedName("aws_sagemaker_model_package_group", n.release_group(group), field, uc.name),
                  DerivedName("aws_ram_resource_share", n.ram_share(n.release_group(group), AccountRole.PROD), field, uc.name)]
    for role, deployment in uc.deployments.by_role().items():
        endpoint = n.endpoint(uc.name, role.value)
        api = function = n.inference(endpoint)
        names += [DerivedName(resource, name, "name", uc.name) for resource, name in (
            ("aws_sagemaker_endpoint", endpoint),
            ("aws_sagemaker_endpoint_configuration", n.hashed(endpoint, DIGEST_PLACEHOLDER)),
            ("aws_iam_role", n.model_role(endpoint)),
            ("aws_cloudwatch_log_group", n.endpoint_log_group(endpoint)),
            ("aws_lambda_function", function), ("aws_iam_role", n.function_role(function)),
            ("aws_cloudwatch_log_group", n.function_log_group(function)),
            ("aws_api_gateway_rest_api", api), ("aws_cloudwatch_log_group", n.api_access_log_group(api)),
            ("aws_cloudwatch_log_group", execution_log_group(API_ID_PLACEHOLDER, INFERENCE_STAGE)),
        )]
        if role == AccountRole.TEST:
            names.append(DerivedName("aws_sagemaker_model", n.hashed(n.model(endpoint, "qa", deployment.version), DIGEST_PLACEHOLDER),
                                     "name", uc.name))
            continue
        schedule = n.data_quality_schedule(endpoint)
        names += [DerivedName(resource, name, "name", uc.name) for resource, name in (
            ("aws_sagemaker_monitoring_schedule", schedule),
            ("aws_sagemaker_data_quality_job_definition", n.hashed(schedule, DIGEST_PLACEHOLDER)),
            ("aws_iam_role", n.monitor_role(schedule)),
        )]
        for i, variant in enumerate(deployment.variants):
            at = f"deployments.prod.variants.{i}.name"
            names.append(DerivedName("aws_sagemaker_model", n.hashed(n.model(endpoint, variant.name, variant.version),
                                                                    DIGEST_PLACEHOLDER), at, uc.name))
            names += [DerivedName("aws_cloudwatch_metric_alarm", a, at, uc.name) for a in n.variant_alarms(endpoint, variant.name)]
        for i, feature in enumerate(deployment.monitoring.drift_alarm_features):
            names.append(DerivedName("aws_cloudwatch_metric_alarm", n.drift_alarm(endpoint, feature),
                                     f"deployments.prod.monitoring.drift_alarm_features.{i}", uc.name))
    return names
