"""The break-glass alarm as synthesized: a rule that sees AssumeRole's read-only CloudTrail record of the
break-glass role (and nothing else), its target the governance alarm topic with a message naming the
caller, and a topic and key that let EventBridge publish for this rule only.

Patterns are matched with the sandbox's EventBridge matcher; policies are decided by its IAM evaluator.
"""

from __future__ import annotations

import json
import re

import pytest
from tf_json import config, referenced, refers_to, resources

from mlgov_config import AccountRole
from modules.naming import Names
from sandbox.patches._policy import evaluate

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
GOV = CONFIG.platform.account_id(AccountRole.GOVERNANCE)
BREAK_GLASS = NAMES.role_arn(NAMES.table_break_glass_role)
RULE_NAME = f"{CONFIG.platform.name_prefix}-break-glass-used"
EVENTS = {"account": "", "arn": "", "role_arn": "", "service": "events.amazonaws.com"}


def _record(role_arn: str, **extra) -> dict:
    """CloudTrail's AssumeRole record as EventBridge delivers it (abridged)."""
    detail = {"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "readOnly": True, "managementEvent": True,
              "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{GOV}:assumed-role/sso-users/alice"},
              "requestParameters": {"roleArn": role_arn, "roleSessionName": "incident-1"}, **extra}
    return {"source": "aws.sts", "detail-type": "AWS API Call via CloudTrail", "account": GOV, "detail": detail}


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def rule(governance) -> tuple[str, dict]:
    [(name, body)] = [(n, b) for n, b in resources(governance, "aws_cloudwatch_event_rule").items() if b["name"] == RULE_NAME]
    return name, body


@pytest.fixture(scope="module")
def target(governance, rule) -> dict:
    [body] = [b for b in resources(governance, "aws_cloudwatch_event_target").values()
              if refers_to(b["rule"], "aws_cloudwatch_event_rule", rule[0])]
    return body


def test_the_rule_sees_read_only_management_events_on_the_default_bus(rule):
    body = rule[1]
    assert body["state"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", "an ENABLED rule never sees AssumeRole"
    assert "event_bus_name" not in body, "CloudTrail delivers to the default bus"


def test_the_pattern_names_the_break_glass_role_and_matches_only_its_successful_assumptions(rule):
    from moto.events.models import EventPattern

    pattern = json.loads(rule[1]["event_pattern"])
    assert pattern["detail"]["requestParameters"]["roleArn"] == [{"equals-ignore-case": BREAK_GLASS}]
    matches = EventPattern.load(rule[1]["event_pattern"]).matches_event
    assert matches(_record(BREAK_GLASS))
    assert matches(_record(BREAK_GLASS.upper().replace("ARN:AWS:IAM", "arn:aws:iam")))
    assert matches(_record(BREAK_GLASS, eventName="AssumeRoleWithSAML"))
    assert not matches(_record(NAMES.role_arn(NAMES.table_reconciler_role))), "another role raises no alarm"
    assert not matches(_record(BREAK_GLASS, errorCode="AccessDenied")), "a refused attempt is not a use"
    assert not matches({**_record(BREAK_GLASS), "source": "mlgov.forged"}), "only CloudTrail's record counts"


def test_the_target_is_the_alarm_topic_and_the_message_names_the_caller(governance, target):
    kind, _, topic = referenced(governance, target["arn"])
    assert kind == "aws_sns_topic" and topic["name"] == f"{CONFIG.platform.name_prefix}-governance-alarms"
    transformer = target["input_transformer"]
    paths = transformer["input_paths"]
    assert paths["caller"] == "$.detail.userIdentity.arn" and paths["role"] == "$.detail.requestParameters.roleArn"
    assert paths["source_identity"] == "$.detail.requestParameters.sourceIdentity"
    assert paths["session_name"] == "$.detail.requestParameters.roleSessionName"
    assert paths["caller_account"] == "$.detail.userIdentity.accountId", "a caller of another account has no arn"
    template = transformer["input_template"]
    assert set(re.findall(r"<([a-z_]+)>", template)) == set(paths), "every placeholder has a path and every path is used"
    rendered = json.loads(re.sub(r"<([a-z_]+)>", r"\1", template))
    assert rendered["caller"] == "caller" and "break-glass" in rendered["alarm"]


def test_eventbridge_may_publish_to_the_encrypted_topic_for_this_rule_only(governance, rule, target):
    _, topic_name, topic = referenced(governance, target["arn"])
    [policy] = [json.loads(b["policy"]) for b in resources(governance, "aws_sns_topic_policy").values()
                if refers_to(b["arn"], "aws_sns_topic", topic_name)]
    this_rule = {"aws:sourcearn": [f"${{aws_cloudwatch_event_rule.{rule[0]}.arn}}"]}
    other_rule = {"aws:sourcearn": [f"arn:aws:events:{CONFIG.platform.home_region}:{GOV}:rule/other"]}
    assert evaluate(policy, "sns:Publish", target["arn"], EVENTS, this_rule, "topic policy") == "PERMITTED"
    assert evaluate(policy, "sns:Publish", target["arn"], EVENTS, other_rule, "topic policy") == "NEUTRAL"
    kind, _, key = referenced(governance, topic["kms_master_key_id"])
    assert kind == "aws_kms_key"
    account = {"aws:sourceaccount": [GOV]}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert evaluate(json.loads(key["policy"]), action, "*", EVENTS, account, "key policy") == "PERMITTED", action
