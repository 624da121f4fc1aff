"""Governance stack: the metrics bus test and prod report to, and the route to the metrics-ingest Lambda.

Only the test and prod accounts may put events on the bus and only under our source; the rule on
that bus (not the default bus) delivers them with retries and a KMS-encrypted DLQ that alarms.
"""

from __future__ import annotations

import json

import pytest

from mlgov_config import AccountRole
from modules.metrics_bus import METRICS_SOURCE
from modules.naming import Names
from tf_json import actions, as_list, attached, config, iam_role_policy, one, principal_values, referenced, refers_to, resources, statements

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
PREFIX = CONFIG.platform.name_prefix
REGION = CONFIG.platform.home_region
GOVERNANCE_ACCOUNT = CONFIG.platform.account_id(AccountRole.GOVERNANCE)
TEST_ACCOUNT = CONFIG.platform.account_id(AccountRole.TEST)
PROD_ACCOUNT = CONFIG.platform.account_id(AccountRole.PROD)
INGEST_FUNCTION = NAMES.function("metrics-ingest")


@pytest.fixture(scope="module")
def gov(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def bus(gov) -> tuple[str, dict]:
    buses = {n: b for n, b in resources(gov, "aws_cloudwatch_event_bus").items() if b.get("name") == NAMES.metrics_bus}
    assert len(buses) == 1, f"expected one event bus named {NAMES.metrics_bus!r}, found {sorted(buses)}"
    return next(iter(buses.items()))


@pytest.fixture(scope="module")
def ingest(gov) -> tuple[str, dict]:
    found = {n: b for n, b in resources(gov, "aws_lambda_function").items() if b.get("function_name") == INGEST_FUNCTION}
    assert len(found) == 1, f"expected one Lambda named {INGEST_FUNCTION!r}, found {sorted(found)}"
    return next(iter(found.items()))


@pytest.fixture(scope="module")
def rule(gov, bus) -> tuple[str, dict]:
    address, _ = bus
    rules = {n: b for n, b in resources(gov, "aws_cloudwatch_event_rule").items()
             if refers_to(b.get("event_bus_name"), "aws_cloudwatch_event_bus", address)}
    assert len(rules) == 1, f"expected one rule on the metrics bus, found {sorted(rules)}"
    return next(iter(rules.items()))


def test_metrics_bus_is_a_custom_bus_named_from_config(bus):
    _, body = bus
    assert body["name"] == f"{PREFIX}-metrics" == NAMES.metrics_bus
    assert body["name"] != "default"


def test_bus_policy_lets_only_test_and_prod_put_only_our_source(gov, bus):
    address, _ = bus
    policies = attached(gov, "aws_cloudwatch_event_bus_policy", "event_bus_name", "aws_cloudwatch_event_bus", address)
    assert len(policies) == 1, f"the metrics bus has {len(policies)} policies"
    doc = json.loads(policies[0]["policy"])

    allows = [s for s in statements(doc) if s["Effect"] == "Allow"]
    assert allows, "the bus policy allows nothing: test and prod could not report"
    for s in allows:
        assert actions(s) == ["events:PutEvents"], s
        assert sorted(principal_values(s)) == sorted(f"arn:aws:iam::{a}:root" for a in (TEST_ACCOUNT, PROD_ACCOUNT)), s
        assert as_list(s["Resource"]) == [f"${{aws_cloudwatch_event_bus.{address}.arn}}"], s
        condition = s.get("Condition", {})
        sources = as_list(condition.get("StringEquals", {}).get("events:source"))
        assert sources == [METRICS_SOURCE] == ["mlgov.metrics"], f"source condition {condition}"
        # no other operator may widen the source (e.g. a StringLike on events:source)
        for operator, keys in condition.items():
            if "events:source" in keys:
                assert operator == "StringEquals", condition
    everyone = {p for s in allows for p in principal_values(s)}
    assert f"arn:aws:iam::{GOVERNANCE_ACCOUNT}:root" not in everyone
    assert f"arn:aws:iam::{CONFIG.platform.account_id(AccountRole.DEV)}:root" not in everyone


def test_rule_on_the_metrics_bus_matches_our_source_from_test_and_prod_only(rule):
    _, body = rule
    pattern = json.loads(body["event_pattern"])
    assert pattern["source"] == [METRICS_SOURCE]
    assert sorted(pattern["account"]) == sorted([TEST_ACCOUNT, PROD_ACCOUNT])


def test_rule_targets_the_ingest_lambda_with_retries_and_a_kms_dlq(gov, rule, ingest):
    rule_address, _ = rule
    function_address, _ = ingest
    targets = [t for t in resources(gov, "aws_cloudwatch_event_target").values()
               if refers_to(t["rule"], "aws_cloudwatch_event_rule", rule_address)]
    assert len(targets) == 1, targets
    [target] = targets

    assert target["arn"] == f"${{aws_lambda_function.{function_address}.arn}}"
    # a target of a rule on a custom bus must name that bus, or Terraform looks for the rule on "default"
    assert target.get("event_bus_name"), "target on a custom-bus rule without event_bus_name"
    type_, _, _ = referenced(gov, target["event_bus_name"])
    assert type_ in ("aws_cloudwatch_event_rule", "aws_cloudwatch_event_bus")
    retry = one(target["retry_policy"])
    assert retry["maximum_retry_attempts"] >= 1 and retry["maximum_event_age_in_seconds"] >= 60, retry
    type_, _, queue = referenced(gov, one(target["dead_letter_config"])["arn"])
    assert type_ == "aws_sqs_queue"
    assert queue.get("kms_master_key_id", "").startswith("${aws_kms_key."), queue
    assert referenced(gov, queue["kms_master_key_id"])[0] == "aws_kms_key"

    permissions = [p for p in resources(gov, "aws_lambda_permission").values()
                   if refers_to(p["function_name"], "aws_lambda_function", function_address)]
    assert len(permissions) == 1, permissions
    assert permissions[0]["principal"] == "events.amazonaws.com"
    assert permissions[0]["source_arn"] == f"${{aws_cloudwatch_event_rule.{rule_address}.arn}}"


def test_dlq_accepts_messages_only_from_the_metrics_rule(gov, rule):
    rule_address, _ = rule
    queues = {n: b for n, b in resources(gov, "aws_sqs_queue").items() if b["name"] == f"{PREFIX}-metrics-ingest-dlq"}
    assert len(queues) == 1
    [queue] = queues
    [policy] = [p for p in resources(gov, "aws_sqs_queue_policy").values()
                if p["queue_url"] == f"${{aws_sqs_queue.{queue}.url}}"]
    doc = json.loads(policy["policy"])
    sends = [s for s in statements(doc) if s["Effect"] == "Allow"]
    assert any(principal_values(s) == ["events.amazonaws.com"] for s in sends), sends
    for s in sends:
        if "events.amazonaws.com" in principal_values(s):
            assert s["Condition"]["ArnEquals"]["aws:SourceArn"] == f"${{aws_cloudwatch_event_rule.{rule_address}.arn}}"


def test_dlq_has_a_depth_alarm_with_the_alarm_topic(gov):
    queue = f"{PREFIX}-metrics-ingest-dlq"
    alarms = [a for a in resources(gov, "aws_cloudwatch_metric_alarm").values()
              if a.get("namespace") == "AWS/SQS" and (a.get("dimensions") or {}).get("QueueName") == queue]
    assert len(alarms) == 1, alarms
    [alarm] = alarms
    assert alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["threshold"] == 1 and alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    actions_ = as_list(alarm.get("alarm_actions", []))
    assert len(actions_) == 1 and referenced(gov, actions_[0])[0] == "aws_sns_topic", actions_


def test_lambda_failures_after_retries_land_in_the_same_dlq(gov, rule, ingest):
    function_address, _ = ingest
    configs = attached(gov, "aws_lambda_function_event_invoke_config", "function_name", "aws_lambda_function", function_address)
    assert len(configs) == 1, f"the ingest Lambda has {len(configs)} event invoke configs"
    [invoke_config] = configs
    destination = one(one(invoke_config["destination_config"])["on_failure"])["destination"]
    rule_address, _ = rule
    [target] = [t for t in resources(gov, "aws_cloudwatch_event_target").values()
                if refers_to(t["rule"], "aws_cloudwatch_event_rule", rule_address)]
    assert destination == one(target["dead_letter_config"])["arn"]


def test_ingest_lambda_knows_the_test_and_prod_accounts(ingest):
    _, body = ingest
    env = one(body["environment"])["variables"]
    assert env["TEST_ACCOUNT_ID"] == TEST_ACCOUNT
    assert env["PROD_ACCOUNT_ID"] == PROD_ACCOUNT
    assert env["GOVERNANCE_TABLE_NAME"] == NAMES.governance_table
    assert json.loads(env["USE_CASE_BY_GROUP"]) == CONFIG.use_case_by_group()


def test_ingest_role_may_update_only_the_configured_groups_packages(gov, ingest):
    _, body = ingest
    _, _, role = referenced(gov, body["role"])
    _, policy = iam_role_policy(gov, role["name"])
    expected = {f"arn:aws:sagemaker:{REGION}:{GOVERNANCE_ACCOUNT}:model-package/{uc.model_package_group.name.lower()}/*"
                for uc in CONFIG.use_cases.values()}

    sagemaker = [s for s in statements(policy) if s["Effect"] == "Allow" and any(a.startswith("sagemaker:") for a in actions(s))]
    updates = [s for s in sagemaker if "sagemaker:UpdateModelPackage" in actions(s)]
    assert updates, "the ingest Lambda cannot write QA metrics to the registry"
    for s in sagemaker:
        assert set(actions(s)) <= {"sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"}, s
        resources_ = set(as_list(s["Resource"]))
        assert resources_ == expected, f"{s['Sid']}: {sorted(resources_)} != {sorted(expected)}"
        assert not any(r.endswith("model-package/*") for r in resources_), "every group's packages"
