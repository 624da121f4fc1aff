"""The Lambda entry point end to end: environment as the Terraform construct sets it, moto behind boto3."""

import importlib
import json
import logging
from dataclasses import dataclass

import pytest
from sync_testkit import GROUP, TABLE, history_of, load_event, state_of, with_detail

from mlgov_core.events import MalformedEventError
from mlgov_core.settings import ConfigurationError
from registry_sync import handler


@dataclass
class FakeContext:
    function_name: str = "mlgov-registry-sync"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:mlgov-registry-sync"
    aws_request_id: str = "5f2e1c3a-0000-4000-8000-000000000001"


@pytest.fixture
def function_env(monkeypatch, table, package_arn):
    monkeypatch.setenv("GOVERNANCE_TABLE_NAME", TABLE)
    monkeypatch.setenv("USE_CASE_BY_GROUP", json.dumps({GROUP: "fraud", "churn-model": "churn"}))
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "registry-sync")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    importlib.reload(handler)  # a cold start: the Logger reads its service name and level at import


def lambda_handler(event, context):
    return handler.lambda_handler(event, context)


def test_handler_records_registration_then_approval(function_env):
    assert lambda_handler(load_event("registered"), FakeContext())["result"] == "recorded"
    assert lambda_handler(load_event("approved_for_test"), FakeContext())["result"] == "recorded"
    assert lambda_handler(load_event("registered"), FakeContext())["result"] == "duplicate"
    state = state_of()
    assert (state["use_case"], state["stage_status"]) == ("fraud", "Test#Approved")
    assert len(history_of()) == 2


def test_handler_logs_and_reraises_malformed_events(function_env, caplog):
    event = with_detail(load_event("registered"), ModelPackageVersion="latest")
    with caplog.at_level(logging.INFO), pytest.raises(MalformedEventError, match="ModelPackageVersion='latest'"):
        lambda_handler(event, FakeContext())
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.event_id for r in errors] == [event["id"]]
    assert "ModelPackageVersion" in errors[0].error
    assert errors[0].name == "registry-sync"


def test_missing_table_name_is_a_clear_error(function_env, monkeypatch):
    monkeypatch.delenv("GOVERNANCE_TABLE_NAME")
    with pytest.raises(ConfigurationError, match="GOVERNANCE_TABLE_NAME"):
        lambda_handler(load_event("registered"), FakeContext())


@pytest.mark.parametrize("raw", ["{not json", '["fraud-detection"]', '{"fraud-detection": 1}'])
def test_invalid_use_case_map_is_a_clear_error(function_env, monkeypatch, raw):
    monkeypatch.setenv("USE_CASE_BY_GROUP", raw)
    with pytest.raises(ConfigurationError, match="USE_CASE_BY_GROUP"):
        lambda_handler(load_event("registered"), FakeContext())


def test_missing_use_case_map_records_unassigned(function_env, monkeypatch):
    monkeypatch.delenv("USE_CASE_BY_GROUP")
    lambda_handler(load_event("registered"), FakeContext())
    assert state_of()["use_case"] == "unassigned"
