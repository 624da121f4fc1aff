"""sagemaker_runtime_endpoints: InvokeEndpoint answers from the deployed endpoint's variants."""

from __future__ import annotations

import io
import json
import math
import tarfile
import uuid
from collections import Counter

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV
from sandbox_registry import DEPLOY, shared_group

from sandbox.patches.sagemaker_runtime_endpoints import pick_variant, score

ROLE = f"arn:aws:iam::{GOV}:role/sagemaker-exec"


def _endpoint(sm, weights: dict[str, float]) -> str:
    suffix = uuid.uuid4().hex[:8]
    variants = []
    for variant, weight in weights.items():
        model = f"model-{variant}-{suffix}"
        sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})
        variants.append({"VariantName": variant, "ModelName": model, "InitialInstanceCount": 1,
                         "InstanceType": "ml.m5.large", "InitialVariantWeight": weight})
    sm.create_endpoint_config(EndpointConfigName=f"config-{suffix}", ProductionVariants=variants)
    sm.create_endpoint(EndpointName=f"endpoint-{suffix}", EndpointConfigName=f"config-{suffix}")
    return f"endpoint-{suffix}"


def test_weighted_round_robin_honours_shares_exactly():
    served: dict[str, float] = {}
    picks = Counter(pick_variant([("champion", 90.0), ("challenger", 10.0)], served) for _ in range(100))
    assert picks == {"champion": 90, "challenger": 10}


def test_invoke_routes_by_weight_and_target_variant(aws):
    endpoint = _endpoint(aws("sagemaker"), {"champion": 3.0, "challenger": 1.0})
    runtime = aws("sagemaker-runtime")
    body = json.dumps({"instances": [[1, 2], [3, 4]]})
    answers = [runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType="application/json") for _ in range(8)]
    assert Counter(a["InvokedProductionVariant"] for a in answers) == {"champion": 6, "challenger": 2}
    assert json.loads(answers[0]["Body"].read()) == {"predictions": [score([1, 2]), score([3, 4])]}
    targeted = runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType="application/json", TargetVariant="challenger")
    assert targeted["InvokedProductionVariant"] == "challenger"
    with pytest.raises(ClientError, match="target variant"):
        runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType="application/json", TargetVariant="nope")


def test_unknown_endpoint_is_a_validation_error(aws):
    with pytest.raises(ClientError) as error:
        aws("sagemaker-runtime").invoke_endpoint(EndpointName="missing-endpoint", Body=b"{}", ContentType="application/json")
    assert error.value.response["Error"]["Code"] == "ValidationError"


def test_endpoint_runs_the_registered_linear_model(aws):
    model = {"type": "logistic_regression", "features": ["debt_ratio", "late_payments"], "mean": [0.3, 1.0],
             "scale": [0.2, 1.0], "coefficients": [1.5, 0.8], "intercept": -1.0}
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        data = json.dumps(model).encode()
        info = tarfile.TarInfo("model/model.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    suffix = uuid.uuid4().hex[:8]
    bucket = f"artifacts-{suffix}"
    aws("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    aws("s3").put_object(Bucket=bucket, Key="models/m.tar.gz", Body=archive.getvalue())
    group, _ = shared_group(aws, {DEV: DEPLOY})
    package = aws("sagemaker").create_model_package(ModelPackageGroupName=group, InferenceSpecification={
        "Containers": [{"Image": "img:1", "ModelDataUrl": f"s3://{bucket}/models/m.tar.gz"}],
        "SupportedContentTypes": ["application/json"], "SupportedResponseMIMETypes": ["application/json"]})["ModelPackageArn"]
    sm = aws("sagemaker", DEV)
    sm.create_model(ModelName=f"m-{suffix}", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": package})
    sm.create_endpoint_config(EndpointConfigName=f"c-{suffix}", ProductionVariants=[{
        "VariantName": "qa", "ModelName": f"m-{suffix}", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=f"e-{suffix}", EndpointConfigName=f"c-{suffix}")
    body = json.dumps({"instances": [{"debt_ratio": 0.5, "late_payments": 3, "income": 1}, [0.3, 1.0]]})
    answer = aws("sagemaker-runtime", DEV).invoke_endpoint(EndpointName=f"e-{suffix}", Body=body, ContentType="application/json")
    z = -1.0 + 1.5 * (0.5 - 0.3) / 0.2 + 0.8 * (3 - 1.0) / 1.0
    expected = round(1 / (1 + math.exp(-z)), 6)
    assert json.loads(answer["Body"].read())["predictions"] == [expected, round(1 / (1 + math.exp(1.0)), 6)]
