"""sagemaker_model_readback, sagemaker_update_endpoint, sagemaker_monitoring: the test/prod deployment calls."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV, REGION
from sandbox_registry import DEPLOY, INFERENCE, shared_group

ROLE = f"arn:aws:iam::{DEV}:role/sagemaker-exec"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def packages(aws) -> list[str]:
    """Two versions in a governance group whose policy lets dev deploy them (CreateModel)."""
    group, _ = shared_group(aws, {DEV: DEPLOY})
    sm = aws("sagemaker", GOV)
    return [sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=INFERENCE)["ModelPackageArn"] for _ in range(2)]


def _model(sm, package: str) -> str:
    name = _name("model")
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, EnableNetworkIsolation=True,
                    PrimaryContainer={"ModelPackageName": package})  # fmt: skip
    return name


def _config(sm, variants: dict[str, tuple[str, float]]) -> str:
    name = _name("config")
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": v, "ModelName": m, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": w}
        for v, (m, w) in variants.items()])  # fmt: skip
    return name


def test_cross_account_package_model_read_back(aws, packages):
    sm = aws("sagemaker", DEV)
    name = _model(sm, packages[0])
    model = sm.describe_model(ModelName=name)
    assert model["PrimaryContainer"] == {"ModelPackageName": packages[0]}
    assert model["EnableNetworkIsolation"] is True and model["ExecutionRoleArn"] == ROLE
    assert "VpcConfig" not in model and "Containers" not in model  # moto: VpcConfig {} -> the provider re-plans
    assert model["ModelArn"] == f"arn:aws:sagemaker:{REGION}:{DEV}:model/{name}"
    plain = _name("model")
    sm.create_model(ModelName=plain, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})
    assert sm.describe_model(ModelName=plain)["EnableNetworkIsolation"] is False


def test_endpoint_config_without_data_capture_reads_back_without_it(aws, packages):
    sm = aws("sagemaker", DEV)
    config = sm.describe_endpoint_config(EndpointConfigName=_config(sm, {"blue": (_model(sm, packages[0]), 1.0)}))
    assert "DataCaptureConfig" not in config and "KmsKeyId" not in config
    endpoint = _name("endpoint")  # moto's CreateEndpoint still finds its empty DataCaptureConfig
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config["EndpointConfigName"])
    assert sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"


def test_update_endpoint_switches_config_in_place(aws, packages):
    sm = aws("sagemaker", DEV)
    first, second = _model(sm, packages[0]), _model(sm, packages[1])
    old = _config(sm, {"blue": (first, 1.0)})
    new = _config(sm, {"blue": (first, 3.0), "green": (second, 1.0)})
    endpoint = _name("endpoint")
    deployment = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}},
                  "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "five-xx-rate"}]}}  # fmt: skip
    arn = sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=old, DeploymentConfig=deployment)["EndpointArn"]
    created = sm.describe_endpoint(EndpointName=endpoint)["CreationTime"]
    assert sm.describe_endpoint(EndpointName=endpoint)["LastDeploymentConfig"] == deployment

    assert sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=new)["EndpointArn"] == arn
    described = sm.describe_endpoint(EndpointName=endpoint)
    assert (described["EndpointConfigName"], described["EndpointStatus"], described["CreationTime"]) == (new, "InService", created)
    assert {v["VariantName"]: v["CurrentWeight"] for v in described["ProductionVariants"]} == {"blue": 3.0, "green": 1.0}
    with pytest.raises(ClientError) as missing:
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName="no-such-config")
    assert missing.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError):
        sm.update_endpoint(EndpointName="no-such-endpoint", EndpointConfigName=new)

    sm.update_endpoint_weights_and_capacities(EndpointName=endpoint, DesiredWeightsAndCapacities=[{"VariantName": "green", "DesiredWeight": 2.0}])
    variants = {v["VariantName"]: v for v in sm.describe_endpoint(EndpointName=endpoint)["ProductionVariants"]}
    assert (variants["green"]["CurrentWeight"], variants["green"]["CurrentInstanceCount"]) == (2.0, 1)  # count kept


def _data_quality(sm, endpoint: str) -> str:
    name = _name("dq")
    sm.create_data_quality_job_definition(
        JobDefinitionName=name, RoleArn=ROLE,
        DataQualityAppSpecification={"ImageUri": "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/monitoring", "LocalPath": "/opt/ml/processing/output"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}},
    )  # fmt: skip
    return name


def test_data_quality_definition_read_back_has_no_empty_blocks(aws):
    sm = aws("sagemaker", DEV)
    name = _data_quality(sm, "credit-risk")
    described = sm.describe_data_quality_job_definition(JobDefinitionName=name)
    for absent in ("NetworkConfig", "StoppingCondition", "Environment", "DataQualityBaselineConfig"):
        assert absent not in described, absent
    assert described["JobResources"]["ClusterConfig"]["VolumeSizeInGB"] == 20
    summaries = sm.list_data_quality_job_definitions()["JobDefinitionSummaries"]
    assert {"credit-risk"} == {s["EndpointName"] for s in summaries if s["MonitoringJobDefinitionName"] == name}


def test_monitoring_schedule_lifecycle(aws):
    sm = aws("sagemaker", DEV)
    definition = _data_quality(sm, "credit-risk")
    name = _name("schedule")
    config = {"MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality",
              "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}  # fmt: skip
    arn = sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=config,
                                        Tags=[{"Key": "team", "Value": "ml"}])["MonitoringScheduleArn"]  # fmt: skip
    assert arn == f"arn:aws:sagemaker:{REGION}:{DEV}:monitoring-schedule/{name}"
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert (described["MonitoringScheduleStatus"], described["MonitoringScheduleConfig"], described["EndpointName"]) == ("Scheduled", config, "credit-risk")
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]

    daily = {**config, "ScheduleConfig": {"ScheduleExpression": "cron(0 0 ? * * *)"}}
    sm.update_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=daily)
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=name)["MonitoringScheduleConfig"] == daily
    listed = sm.list_monitoring_schedules(EndpointName="credit-risk")["MonitoringScheduleSummaries"]
    assert name in {s["MonitoringScheduleName"] for s in listed}

    sm.delete_monitoring_schedule(MonitoringScheduleName=name)
    with pytest.raises(ClientError) as gone:
        sm.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFound"  # what the provider's finder expects
