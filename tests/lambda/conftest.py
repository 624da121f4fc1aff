"""Fixtures for the Lambda tests: moto in process, the governance table, a registered version."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from sync_testkit import GROUP, REGION, TABLE, USE_CASE, CallCounter, create_table, load_event

from mlgov_core import aws, timeparse
from sandbox.patches.sagemaker_cross_account import find_package
from mlgov_core.settings import SyncSettings


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch):
    """moto in process with fake credentials; no real endpoint can be reached."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        aws.reset_clients()
        yield
    aws.reset_clients()


@pytest.fixture
def table(aws_env) -> str:
    create_table()
    return TABLE


@pytest.fixture
def package_arn(aws_env) -> str:
    """Version 1 of the fraud-detection group in moto's registry (matches the fixtures' ARN)."""
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlgov-inference:xgboost-1.7"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    assert arn == load_event("registered")["detail"]["ModelPackageArn"]
    # The registry's times as the fixtures tell the story (created, then last changed by the Test
    # approval), so the sync's time bounds (sync.check_against_registry) hold for every fixture.
    package = find_package(arn)
    package.creation_time = timeparse.to_datetime(load_event("registered")["detail"]["CreationTime"])
    package.last_modified_time = timeparse.to_datetime(load_event("approved_for_test")["detail"]["LastModifiedTime"])
    return arn


@pytest.fixture
def settings(table) -> SyncSettings:
    return SyncSettings(table_name=table, use_case_by_group={GROUP: USE_CASE})


@pytest.fixture
def calls(aws_env) -> CallCounter:
    return CallCounter(aws.client("sagemaker"), aws.client("dynamodb"))
