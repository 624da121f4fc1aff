"""The metrics-ingest entry point: environment as the Terraform construct would set it, moto behind boto3."""

import importlib
import json
import logging
from dataclasses import dataclass

import pytest
from metrics_testkit import GOVERNANCE_ACCOUNT, PROD_ACCOUNT, TEST_ACCOUNT, production_event, qa_event
from sync_testkit import GROUP, REGION, TABLE, history_of

from metrics_ingest import handler
from mlgov_core.metrics import MetricsEventError
from mlgov_core.settings import ConfigurationError


@dataclass
class FakeContext:
    function_name: str = "mlgov-metrics-ingest"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{GOVERNANCE_ACCOUNT}:function:mlgov-metrics-ingest"
    aws_request_id: str = "5f2e1c3a-0000-4000-8000-000000000002"


@pytest.fixture
def function_env(monkeypatch, table, package_arn):
    monkeypatch.setenv("GOVERNANCE_TABLE_NAME", TABLE)
    monkeypatch.setenv("USE_CASE_BY_GROUP", json.dumps({GROUP: "fraud"}))
    monkeypatch.setenv("TEST_ACCOUNT_ID", TEST_ACCOUNT)
    monkeypatch.setenv("PROD_ACCOUNT_ID", PROD_ACCOUNT)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "metrics-ingest")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    importlib.reload(handler)  # a cold start: the Logger reads its service name and level at import


def test_handler_records_qa_and_production_reports(function_env):
    context = FakeContext()
    assert handler.lambda_handler(qa_event(), context)["registry_updated"] is True
    assert handler.lambda_handler(production_event(), context)["result"] == "recorded"
    assert handler.lambda_handler(qa_event(), context) | {"idempotency_key": None} == {
        "result": "duplicate", "registry_updated": False, "version_id": "fraud-detection#000001", "kind": "qa",
        "variant": None, "reported_at": "2025-03-06T09:30:01.250Z", "idempotency_key": None,
    }
    assert len(history_of()) == 2


def test_the_registry_is_the_one_in_the_functions_own_account(function_env):
    other = FakeContext(invoked_function_arn=f"arn:aws:lambda:{REGION}:999999999999:function:mlgov-metrics-ingest")
    event = production_event()  # names the package in 123456789012
    with pytest.raises(MetricsEventError, match="model_package_arn=.*expected arn:aws:sagemaker:eu-west-1:999999999999"):
        handler.lambda_handler(event, other)


def test_handler_logs_and_reraises_malformed_events(function_env, caplog):
    event = qa_event(metrics={"auc": "high"})
    with caplog.at_level(logging.INFO), pytest.raises(MetricsEventError, match="detail.metrics.auc='high'"):
        handler.lambda_handler(event, FakeContext())
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.event_id for r in errors] == [event["id"]]
    assert "detail.metrics.auc" in errors[0].error
    assert errors[0].name == "metrics-ingest"


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("GOVERNANCE_TABLE_NAME", None, "GOVERNANCE_TABLE_NAME is not set"),
        ("TEST_ACCOUNT_ID", None, "TEST_ACCOUNT_ID must be a 12-digit AWS account id"),
        ("PROD_ACCOUNT_ID", "prod", "PROD_ACCOUNT_ID must be a 12-digit AWS account id: 'prod'"),
        ("USE_CASE_BY_GROUP", "{not json", "USE_CASE_BY_GROUP is not valid JSON"),
    ],
)
def test_configuration_errors_name_the_variable(function_env, monkeypatch, name, value, needle):
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=needle):
        handler.lambda_handler(qa_event(), FakeContext())
