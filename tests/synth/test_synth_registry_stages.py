"""registry-sync as synthesized: it (and the decision function) gets the platform config's stage mapping, and the unmapped-stage alarm
counts the exact line it logs for a version recorded outside the mapping and notifies the alarm topic."""

from __future__ import annotations

import json
import re

import pytest
from tf_json import config, one, referenced, resources

from mlgov_config import AccountRole
from mlgov_core.settings import STAGE_NAMES_ENV, stage_names_from_env
from mlgov_core.sync import UNMAPPED_LOG_MESSAGE

pytestmark = pytest.mark.synth

CONFIG = config()
PATTERN = re.compile(r'^\{ \$\.(?P<key>[a-z_]+) = (?P<value>"[^"]*") \}$')


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def sync_function(governance) -> dict:
    [body] = [b for b in resources(governance, "aws_lambda_function").values()
              if b["function_name"].endswith("registry-sync")]
    return body


@pytest.fixture(scope="module")
def metric_filter(governance) -> dict:
    [body] = [b for b in resources(governance, "aws_cloudwatch_log_metric_filter").values()
              if b["name"] == "RegistryStageUnmapped"]
    return body


@pytest.mark.parametrize("function", ["registry-sync", "model-decisions"])
def test_registry_sync_and_the_decision_function_get_the_configured_stage_mapping(governance, function):
    [body] = [b for b in resources(governance, "aws_lambda_function").values() if b["function_name"].endswith(function)]
    variables = one(body["environment"])["variables"]
    assert json.loads(variables[STAGE_NAMES_ENV]) == CONFIG.platform.governance.registry_stage_names
    stage_names_from_env(variables)  # what the function will read at start: valid


def test_the_filter_counts_the_line_registry_sync_logs_on_its_own_log_group(governance, sync_function, metric_filter):
    kind, _, log_group = referenced(governance, metric_filter["log_group_name"])
    assert kind == "aws_cloudwatch_log_group" and log_group["name"] == f"/aws/lambda/{sync_function['function_name']}"
    match = PATTERN.match(metric_filter["pattern"])
    assert match, metric_filter["pattern"]
    # Powertools writes the log call's text under "message" (tests/lambda/test_sync_registry_stages.py).
    assert (match["key"], json.loads(match["value"])) == ("message", UNMAPPED_LOG_MESSAGE)


def test_the_alarm_fires_on_the_first_unmapped_version_and_notifies_the_alarm_topic(governance, metric_filter):
    transformation = one(metric_filter["metric_transformation"])
    [alarm] = [b for b in resources(governance, "aws_cloudwatch_metric_alarm").values()
               if (b.get("namespace"), b.get("metric_name")) == (transformation["namespace"], transformation["name"])]
    assert (alarm["statistic"], alarm["threshold"], alarm["comparison_operator"]) == (
        "Sum", 1, "GreaterThanOrEqualToThreshold")
    assert transformation["value"] == "1"
    [action] = alarm["alarm_actions"]
    kind, _, topic = referenced(governance, action)
    assert kind == "aws_sns_topic" and topic["name"] == f"{CONFIG.platform.name_prefix}-governance-alarms"
