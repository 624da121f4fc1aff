"""sagemaker_runtime_endpoints: InvokeEndpoint answers from the deployed endpoint's variants."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import GOV

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
