"""Test and prod accounts: approved shared versions served behind an IAM-authorised API.

Test serves one version for QA; prod serves two or more production variants (A/B, weights from
config) with Model Monitor and alarms. Both report metrics to the governance account's bus.
"""

from __future__ import annotations

from constructs import Construct

from mlgov_config import AccountRole, MlgovConfig, UseCaseConfig
from mlgov_config.models import ProdDeployment, TestDeployment
from modules.alarm_topic import AlarmTopic, AlarmTopicProps
from modules.artifact_store import ArtifactStoreRef
from modules.encryption_key import EncryptionKey, EncryptionKeyProps
from modules.iam_role import AccountRoleProps, AssumableRole
from modules.metrics_bus import publisher_role_arn
from modules.naming import publisher_role_name
from modules.inference_api import ApiGatewayLogging, InferenceApi, InferenceApiProps
from modules.model_endpoint import EndpointVariant, ModelEndpoint, ModelEndpointProps
from modules.model_monitor import ModelMonitor, ModelMonitorProps
from modules.policy import Statement
from modules.python_function import PythonFunction, PythonFunctionProps, environment_json
from modules.secure_bucket import SecureBucket, SecureBucketProps
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
        names = self.names
        self.artifacts = ArtifactStoreRef.from_names(names)
        deployed = [(uc, uc.deployments.by_role()[self.role]) for uc in config.use_cases.values()
                    if self.role in uc.deployments.by_role()]
        self.api_invoke_statements: list[Statement] = []
        self.model_role_arns: list[str] = []  # execution roles of the SageMaker models the deployer creates
        if deployed:
            self._serving_baseline()
            for use_case, deployment in deployed:
                self._serve(use_case, deployment)
        self._deployer_role()
        self._metrics_publisher_role()
        self.bound_roles()

    def _serving_baseline(self) -> None:
        names, region = self.names, self.config.platform.home_region
        settings = self.config.platform.governance
        self.key = EncryptionKey(self, "workload-key", EncryptionKeyProps(
            alias=names.serving_key_alias(self.role),
            description=f"mlgov {self.role.value}: endpoint storage, data capture, logs, function environment",
            owner_account=self.account_id, region=region,
            service_users=(names.partition.service_principal("logs", region), names.partition.service_principal("cloudwatch")),
        ))
        access_logs = SecureBucket(self, "access-logs", SecureBucketProps(
            bucket_name=names.access_log_bucket_for(self.account_id), owner_account=self.account_id,
            kms_key_arn=None, is_access_log_target=True, expire_current_after_days=settings.log_retention_days,
        ))
        self.capture = SecureBucket(self, "capture", SecureBucketProps(
            bucket_name=names.capture_bucket(self.account_id), owner_account=self.account_id,
            kms_key_arn=self.key.arn, access_log_target=access_logs,
        ))
        self.api_logging = ApiGatewayLogging(self, "apigateway-logging", self.account_id, region)
        self.alarms = AlarmTopic(self, "alarms", AlarmTopicProps(
            topic_name=names.alarm_topic(self.role), account_id=self.account_id,
            kms_key_arn=self.key.arn, email=settings.alarm_email,
        ))

    def _variants(self, use_case: UseCaseConfig, deployment: TestDeployment | ProdDeployment) -> tuple[EndpointVariant, ...]:
        group = use_case.model_package_group.name
        if isinstance(deployment, TestDeployment):
            return (EndpointVariant("qa", self.names.package_arn(group, deployment.version), deployment.version, 1,
                                    deployment.instance_type, deployment.instance_count),)
        # Prod builds from the version's release (mlgov_core.release): the source group refuses it CreateModel.
        return tuple(EndpointVariant(v.name, self.names.release_package_arn(group, v.release), v.version, v.weight,
                                     v.instance_type, v.instance_count) for v in deployment.variants)

    def _serve(self, use_case: UseCaseConfig, deployment: TestDeployment | ProdDeployment) -> None:
        names, platform = self.names, self.config.platform
        region, settings = platform.home_region, platform.governance
        endpoint_name = names.endpoint(use_case.name, self.role.value)
        variants = self._variants(use_case, deployment)
        capture_percent = deployment.data_capture_percent if isinstance(deployment, ProdDeployment) else 100
        endpoint = ModelEndpoint(self, f"{use_case.name}-endpoint", ModelEndpointProps(
            endpoint_name=endpoint_name, account_id=self.account_id, region=region, variants=variants,
            kms_key_arn=self.key.arn, capture_bucket=self.capture.props.bucket_name, artifacts=self.artifacts,
            capture_percent=capture_percent, log_retention_days=settings.log_retention_days,
        ))
        self.model_role_arns.append(endpoint.role.arn)
        proxy = PythonFunction(self, f"{use_case.name}-inference", PythonFunctionProps(
            function_name=names.inference(endpoint_name), source_dir="inference_proxy", account_id=self.account_id,
            region=region, kms_key_arn=self.key.arn, layers=(settings.powertools_layer_arn,),
            log_retention_days=settings.log_retention_days, invoked_synchronously=True, reserved_concurrency=20,
            environment={
                "ENDPOINT_NAME": endpoint_name,
                "MODEL_VERSION_BY_VARIANT": environment_json({v.name: v.version for v in variants}),
                "POWERTOOLS_SERVICE_NAME": "inference-proxy",
                "LOG_LEVEL": "INFO",
            },
            statements=(Statement(sid="InvokeEndpoint", actions=("sagemaker:InvokeEndpoint",), resources=(endpoint.arn,)),),
        ))
        api = InferenceApi(self, f"{use_case.name}-api", InferenceApiProps(
            api_name=names.inference(endpoint_name), kms_key_arn=self.key.arn, log_retention_days=settings.log_retention_days,
            # QA (test) and production-metrics runs call the API as the publisher role; nobody else may.
            invoker_role_arns=(publisher_role_arn(names.partition, self.account_id, platform.name_prefix),),
        ), proxy=proxy, logging=self.api_logging)
        self.api_invoke_statements.append(api.grant_invoke(f"Invoke{use_case.name.title().replace('-', '')}Api"))
        if isinstance(deployment, ProdDeployment):
            monitoring, alarms = deployment.monitoring, deployment.alarms
            ModelMonitor(self, f"{use_case.name}-monitor", ModelMonitorProps(
                schedule_name=names.data_quality_schedule(endpoint_name), account_id=self.account_id, region=region,
                kms_key_arn=self.key.arn, capture_bucket=self.capture.props.bucket_name,
                baseline_s3_uri=monitoring.baseline_s3_uri, analyzer_image_uri=monitoring.analyzer_image_uri,
                schedule_expression=monitoring.schedule_expression, instance_type=monitoring.instance_type,
                drift_alarm_features=tuple(monitoring.drift_alarm_features),
                max_5xx_errors_per_5_minutes=alarms.max_5xx_errors_per_5_minutes,
                max_p95_model_latency_ms=alarms.max_p95_model_latency_ms, alarm_topic_arn=self.alarms.arn,
                baseline_store=self.artifacts,
            ), endpoint=endpoint)

    def _deployer_role(self) -> None:
        names, prefix, config = self.names, self.config.platform.name_prefix, self.config
        groups = [uc.model_package_group.name for uc in config.use_cases.values() if self.role in uc.shared_with]
        if self.role == AccountRole.PROD:
            groups += [names.release_group(g) for g in groups]
        statements = [
            Statement(sid="ManageEndpoints", actions=DEPLOY_ACTIONS, resources=tuple(
                self.partition.arn("sagemaker", names.region, self.account_id, f"{kind}/{prefix}-*")
                for kind in ("model", "endpoint-config", "endpoint"))),
            *self.artifacts.grant_read("Artifacts"),
        ]
        if self.model_role_arns:
            # CreateModel passes the model's execution role: only those roles, and only to SageMaker.
            statements.append(Statement(
                sid="PassModelExecutionRoles", actions=("iam:PassRole",), resources=tuple(self.model_role_arns),
                conditions={"StringEquals": {"iam:PassedToService": self.partition.service_principal("sagemaker")}}))
        if groups:
            statements.insert(1, Statement(
                sid="ReadSharedVersions", actions=("sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"),
                resources=tuple(names.group_arn(g) for g in groups) + tuple(names.group_packages_arn(g) for g in groups)))
        AssumableRole(self, "deployer", AccountRoleProps(
            role_name=names.role("deployer"), trusted_principals=tuple(config.platform.role_trust.deployer),
            statements=tuple(statements), description=f"Deploys approved model versions in the {self.role.value} account",
            require_source_identity=False,  # assumed by the CD pipeline, which acts for no person
        ))

    def _metrics_publisher_role(self) -> None:
        """Reports QA (test) or production (prod) metrics to the governance account's metrics bus.

        Trusted by the QA pipeline (test) or the production-metrics forwarder (prod) from config, never
        by the deployer: the bus admits only this role of each account, and its reports are the evidence
        the Prod gates read, so whoever deploys a version must not be able to attest its QA.
        """
        prefix, config = self.config.platform.name_prefix, self.config
        trust = config.platform.role_trust
        statements = (
            Statement(sid="PutMetricsEvents", actions=("events:PutEvents",), resources=(self.names.metrics_bus_arn(),)),
            *self.api_invoke_statements,
        )
        AssumableRole(self, "metrics-publisher", AccountRoleProps(
            role_name=publisher_role_name(prefix),
            trusted_principals=tuple(trust.qa_publisher if self.role == AccountRole.TEST else trust.metrics_publisher),
            statements=statements,
            description=f"Runs QA against the {self.role.value} API and reports metrics to the governance account",
            require_source_identity=False,  # assumed by the QA pipeline or the metrics forwarder, no person
        ))


class TestStack(WorkloadStack):
    role = AccountRole.TEST


class ProdStack(WorkloadStack):
    role = AccountRole.PROD
