"""Clients: lazy, cached, replaceable, pointed by the standard environment, retrying throttling."""

import pytest

from mlgov_core import aws


@pytest.fixture(autouse=True)
def fresh_clients(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_clients_honour_aws_endpoint_url(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    assert aws.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:5999"


def test_clients_are_cached_and_replaceable():
    first = aws.client("sagemaker")
    assert aws.client("sagemaker") is first
    marker = object()
    aws.set_client("sagemaker", marker)
    assert aws.client("sagemaker") is marker


def test_clients_use_standard_retries_with_five_attempts():
    assert aws.client("dynamodb").meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
