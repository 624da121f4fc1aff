"""Model Monitor data-quality checks on captured prod traffic, and the endpoint's alarms."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sagemaker_data_quality_job_definition import (
    SagemakerDataQualityJobDefinition,
    SagemakerDataQualityJobDefinitionDataQualityAppSpecification,
    SagemakerDataQualityJobDefinitionDataQualityBaselineConfig,
    SagemakerDataQualityJobDefinitionDataQualityBaselineConfigConstraintsResource,
    SagemakerDataQualityJobDefinitionDataQualityBaselineConfigStatisticsResource,
    SagemakerDataQualityJobDefinitionDataQualityJobInput,
    SagemakerDataQualityJobDefinitionDataQualityJobInputEndpointInput,
    SagemakerDataQualityJobDefinitionDataQualityJobOutputConfig,
    SagemakerDataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputs,
    SagemakerDataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputsS3Output,
    SagemakerDataQualityJobDefinitionJobResources,
    SagemakerDataQualityJobDefinitionJobResourcesClusterConfig,
    SagemakerDataQualityJobDefinitionNetworkConfig,
    SagemakerDataQualityJobDefinitionStoppingCondition,
)
from cdktf_cdktf_provider_aws.sagemaker_monitoring_schedule import (
    SagemakerMonitoringSchedule,
    SagemakerMonitoringScheduleMonitoringScheduleConfig,
    SagemakerMonitoringScheduleMonitoringScheduleConfigScheduleConfig,
)
from constructs import Construct

from modules.artifact_store import ArtifactStoreRef
from modules.model_endpoint import ModelEndpoint, content_name
from modules.naming import Names
from modules import partition
from modules.policy import Statement, document
from modules.registry_guards import role_policy

REPORTS_PREFIX = "monitoring-reports"
DRIFT_NAMESPACE = "/aws/sagemaker/Endpoints/data-metric"


@dataclass(frozen=True)
class ModelMonitorProps:
    schedule_name: str
    account_id: str
    region: str
    kms_key_arn: str
    capture_bucket: str
    baseline_s3_uri: str
    analyzer_image_uri: str
    schedule_expression: str
    instance_type: str
    drift_alarm_features: tuple[str, ...] = ()
    # Model Monitor reports drift as a distance from the baseline distribution (0 = identical).
    drift_threshold: float = 0.1
    # Drift is published once per monitoring run. Two hours is twice the usual hourly schedule: one late
    # run is no alarm, a missing run is (see _alarms).
    drift_period_seconds: int = 7200
    max_5xx_errors_per_5_minutes: int = 5
    max_p95_model_latency_ms: int = 500
    alarm_topic_arn: str | None = None
    # The governance artifact store holding the baseline (encrypted with its key); None if elsewhere.
    baseline_store: ArtifactStoreRef | None = None
    max_runtime_seconds: int = 3600
    volume_size_gb: int = 20

    def __post_init__(self) -> None:
        if not self.baseline_s3_uri.endswith("/"):
            raise ValueError(f"ModelMonitorProps.baseline_s3_uri: {self.baseline_s3_uri!r} must be a folder (end with '/')")


class ModelMonitor(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ModelMonitorProps, endpoint: ModelEndpoint) -> None:
        super().__init__(scope, construct_id)
        role = self._role(props, endpoint)
        reports = f"s3://{props.capture_bucket}/{REPORTS_PREFIX}/{props.schedule_name}"
        # A job definition cannot be updated in place: name it after its content and create the new one
        # before the old goes, so the schedule switches over instead of pointing at a deleted job.
        job = SagemakerDataQualityJobDefinition(
            self, "data-quality", role_arn=role.arn,
            name=content_name(self, props.schedule_name, [props.baseline_s3_uri, props.analyzer_image_uri, props.instance_type,
                                                    props.volume_size_gb, props.max_runtime_seconds, reports, props.kms_key_arn,
                                                    role.arn, endpoint.endpoint.name]),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            data_quality_app_specification=SagemakerDataQualityJobDefinitionDataQualityAppSpecification(
                image_uri=props.analyzer_image_uri, environment={"publish_cloudwatch_metrics": "Enabled"}),
            data_quality_baseline_config=SagemakerDataQualityJobDefinitionDataQualityBaselineConfig(
                constraints_resource=SagemakerDataQualityJobDefinitionDataQualityBaselineConfigConstraintsResource(
                    s3_uri=f"{props.baseline_s3_uri}constraints.json"),
                statistics_resource=SagemakerDataQualityJobDefinitionDataQualityBaselineConfigStatisticsResource(
                    s3_uri=f"{props.baseline_s3_uri}statistics.json"),
            ),
            data_quality_job_input=SagemakerDataQualityJobDefinitionDataQualityJobInput(
                endpoint_input=SagemakerDataQualityJobDefinitionDataQualityJobInputEndpointInput(
                    endpoint_name=endpoint.endpoint.name, local_path="/opt/ml/processing/input")),
            data_quality_job_output_config=SagemakerDataQualityJobDefinitionDataQualityJobOutputConfig(
                kms_key_id=props.kms_key_arn,
                monitoring_outputs=SagemakerDataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputs(
                    s3_output=SagemakerDataQualityJobDefinitionDataQualityJobOutputConfigMonitoringOutputsS3Output(
                        s3_uri=reports, local_path="/opt/ml/processing/output"))),
            job_resources=SagemakerDataQualityJobDefinitionJobResources(
                cluster_config=SagemakerDataQualityJobDefinitionJobResourcesClusterConfig(
                    instance_count=1, instance_type=props.instance_type, volume_size_in_gb=props.volume_size_gb,
                    volume_kms_key_id=props.kms_key_arn)),
            network_config=SagemakerDataQualityJobDefinitionNetworkConfig(
                enable_inter_container_traffic_encryption=True, enable_network_isolation=True),
            stopping_condition=SagemakerDataQualityJobDefinitionStoppingCondition(max_runtime_in_seconds=props.max_runtime_seconds),
        )
        self.schedule = SagemakerMonitoringSchedule(
            self, "schedule", name=props.schedule_name,
            monitoring_schedule_config=SagemakerMonitoringScheduleMonitoringScheduleConfig(
                monitoring_job_definition_name=job.name, monitoring_type="DataQuality",
                schedule_config=SagemakerMonitoringScheduleMonitoringScheduleConfigScheduleConfig(
                    schedule_expression=props.schedule_expression)),
        )
        self._alarms(props, endpoint)

    def _role(self, props: ModelMonitorProps, endpoint: ModelEndpoint) -> IamRole:
        here = partition.of(self)
        role = IamRole(self, "role", name=Names.monitor_role(props.schedule_name), assume_role_policy=document([Statement(
            sid="SageMakerAssume", actions=("sts:AssumeRole",), principals={"Service": (here.service_principal("sagemaker"),)},
            conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
        )]))
        bucket = here.s3_arn(props.capture_bucket)
        baseline_bucket, _, baseline_key = props.baseline_s3_uri.removeprefix("s3://").partition("/")
        IamRolePolicy(self, "policy", name="least-privilege", role=role.id, policy=role_policy(here, [
            Statement(sid="ReadCapture", actions=("s3:GetObject",), resources=(f"{bucket}/*",)),
            Statement(sid="ListCapture", actions=("s3:ListBucket",), resources=(bucket,)),
            Statement(sid="WriteReports", actions=("s3:PutObject",), resources=(f"{bucket}/{REPORTS_PREFIX}/*",)),
            Statement(sid="ReadBaseline", actions=("s3:GetObject",), resources=(here.s3_arn(f"{baseline_bucket}/{baseline_key}*"),)),
            *((props.baseline_store.grant_decrypt("DecryptBaseline"),) if props.baseline_store else ()),
            Statement(sid="UseKey", actions=("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"),
                      resources=(props.kms_key_arn,)),
            Statement(sid="DescribeEndpoint", actions=("sagemaker:DescribeEndpoint",), resources=(endpoint.arn,)),
            Statement(sid="PublishMetrics", actions=("cloudwatch:PutMetricData",), resources=("*",),
                      any_resource_reason="cloudwatch:PutMetricData has no resource-level permission",
                      conditions={"StringEquals": {"cloudwatch:namespace": DRIFT_NAMESPACE}}),
        ]))
        return role

    def _alarms(self, props: ModelMonitorProps, endpoint: ModelEndpoint) -> None:
        actions = [props.alarm_topic_arn] if props.alarm_topic_arn else []
        name = endpoint.props.endpoint_name
        common = dict(period=300, evaluation_periods=1, treat_missing_data="notBreaching",
                      comparison_operator="GreaterThanOrEqualToThreshold", alarm_actions=actions, ok_actions=actions)
        for variant in endpoint.props.variants:
            errors_alarm, latency_alarm = Names.variant_alarms(name, variant.name)
            dims = {"EndpointName": name, "VariantName": variant.name}
            CloudwatchMetricAlarm(self, f"5xx-{variant.name}", alarm_name=errors_alarm,
                                  alarm_description=f"{variant.name} answers server errors", namespace="AWS/SageMaker",
                                  metric_name="Invocation5XXErrors", dimensions=dims, statistic="Sum",
                                  threshold=props.max_5xx_errors_per_5_minutes, **common)
            # ModelLatency is reported in microseconds.
            CloudwatchMetricAlarm(self, f"latency-{variant.name}", alarm_name=latency_alarm,
                                  alarm_description=f"{variant.name} p95 model latency above {props.max_p95_model_latency_ms} ms",
                                  namespace="AWS/SageMaker", metric_name="ModelLatency", dimensions=dims,
                                  extended_statistic="p95", threshold=props.max_p95_model_latency_ms * 1000, **common)
        for feature in props.drift_alarm_features:
            CloudwatchMetricAlarm(self, f"drift-{feature}", alarm_name=Names.drift_alarm(name, feature),
                                  alarm_description=f"Model Monitor found baseline drift in feature {feature}",
                                  namespace=DRIFT_NAMESPACE, metric_name=f"feature_baseline_drift_{feature}",
                                  dimensions={"EndpointName": name, "ScheduleName": props.schedule_name},
                                  statistic="Maximum", threshold=props.drift_threshold,
                                  # Missing drift data means no monitoring run reported: the schedule stopped
                                  # or the job fails (a key it cannot decrypt, a baseline it cannot read).
                                  # notBreaching would keep the alarm OK forever exactly then, so a silent
                                  # monitor counts as breaching. (5xx/latency keep notBreaching: no traffic
                                  # is no error.)
                                  **{**common, "period": props.drift_period_seconds, "treat_missing_data": "breaching"})
