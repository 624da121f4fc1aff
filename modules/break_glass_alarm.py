"""An alarm on the governance alarm topic whenever someone assumes the table's break-glass role.

Break glass is the one principal the governance table's resource policy lets delete items, change the
table or replace its policy (modules/table_guard.py). It cannot be refused without defeating its
purpose, so its use is made loud: every successful assumption publishes who took it.

Mechanism: an EventBridge rule on the governance account's default bus matching CloudTrail's
``AssumeRole`` record of the role, with the alarm topic as target. Why this and not a CloudWatch Logs
metric filter on the trail's log group:
- it works the same with our trail (modules/audit_trail.py) and with
  ``governance.trail.organization_trail: true``: EventBridge gets CloudTrail's events in an account
  that a trail logs, and the organisation trail logs this one, while the log group (and so a metric
  filter) exists only for our trail;
- a metric alarm counts, it cannot say who; an input transformer puts the caller's ARN, account and
  principal id, the session name and the source identity into the message.
Facts it rests on:
- STS's AssumeRole is recorded as a *read-only* management event (``readOnly: true``; the EventBridge
  guide's page on read-only management events uses an AssumeRole rule as its example). A rule in
  state ``ENABLED`` never sees read-only CloudTrail events, so the rule is
  ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`` (accepted by the pinned aws provider 5.100.0).
- EventBridge gets CloudTrail events only while a trail logs the account (AWS names no kind of
  trail). Both our trail and the organisation trail that docs/security.md requires record management
  events, read and write. On the first real apply, assume break glass once and see the alarm.
- The record lands in the region of the STS endpoint that served the call, and rules see only their
  own region's events: this rule (home region) misses an assumption made through another region's
  endpoint, or through the global endpoint when STS serves it in us-east-1. The trail still records
  it; docs/security.md ("Not closed yet") says what closes that gap.
- When the caller is in another account, the role owner's record names only the caller's account
  and principal id (``userIdentity.arn`` is absent); the message carries both.
The break-glass trust allows ``sts:AssumeRole`` only; the rule also matches the SAML and web identity
variants so that a trust edited later to federate still raises the alarm. Refused attempts (records
with an ``errorCode``) do not alarm: the role was not used.

The topic is encrypted with the governance key, whose policy already lets events.amazonaws.com use it
for this account (``ServiceUse``); the topic policy admits EventBridge for this rule alone
(``aws:SourceArn``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetInputTransformer,
    CloudwatchEventTargetRetryPolicy,
)
from constructs import Construct

from modules import partition
from modules.alarm_topic import AlarmTopic

ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
ASSUME_ROLE_EVENTS = ("AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity")
# What the alarm message says, from the CloudTrail record (EventBridge's input transformer).
MESSAGE_FIELDS = {
    "role": "$.detail.requestParameters.roleArn",
    "session_name": "$.detail.requestParameters.roleSessionName",
    "source_identity": "$.detail.requestParameters.sourceIdentity",
    "caller": "$.detail.userIdentity.arn",
    "caller_type": "$.detail.userIdentity.type",
    "caller_account": "$.detail.userIdentity.accountId",
    "caller_principal_id": "$.detail.userIdentity.principalId",
    "event_name": "$.detail.eventName",
    "event_time": "$.detail.eventTime",
    "region": "$.detail.awsRegion",
    "source_ip": "$.detail.sourceIPAddress",
    "event_id": "$.detail.eventID",
}
ALARM = "mlgov: the governance table's break-glass role was assumed"


def event_pattern(role_arn: str) -> dict[str, Any]:
    """Successful assumptions of the role, as CloudTrail delivers them to EventBridge."""
    return {
        "source": ["aws.sts"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            # CloudTrail's name of the service, not an endpoint: not the partition's DNS suffix.
            "eventSource": ["sts.amazonaws.com"],
            "eventName": list(ASSUME_ROLE_EVENTS),
            # IAM role names are unique regardless of case; match the ARN however the caller spelled it.
            "requestParameters": {"roleArn": [{"equals-ignore-case": role_arn}]},
            "errorCode": [{"exists": False}],
        },
    }


def message_template() -> str:
    """A JSON object: one quoted placeholder per field (EventBridge escapes string values there)."""
    body = ", ".join(f'"{field}": "<{field}>"' for field in MESSAGE_FIELDS)
    return f'{{"alarm": "{ALARM}", {body}}}'


@dataclass(frozen=True)
class BreakGlassAlarmProps:
    rule_name: str
    # The break-glass role's ARN (Names.role_arn(Names.table_break_glass_role)).
    role_arn: str
    # EventBridge's own defaults, written down: retry an undelivered alarm for a day.
    retry_attempts: int = 185
    max_event_age_seconds: int = 86400

    def __post_init__(self) -> None:
        if ":iam::" not in self.role_arn or ":role/" not in self.role_arn:
            raise ValueError(f"BreakGlassAlarmProps.role_arn: {self.role_arn!r} is not an IAM role ARN")
        if not 0 <= self.retry_attempts <= 185:
            raise ValueError(f"BreakGlassAlarmProps.retry_attempts: {self.retry_attempts} not in 0..185 (EventBridge's range)")
        if not 60 <= self.max_event_age_seconds <= 86400:
            raise ValueError(f"BreakGlassAlarmProps.max_event_age_seconds: {self.max_event_age_seconds} not in 60..86400")


class BreakGlassAlarm(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: BreakGlassAlarmProps, *, alarms: AlarmTopic) -> None:
        super().__init__(scope, construct_id)
        self.rule = CloudwatchEventRule(
            self, "rule", name=props.rule_name, state=ALL_MANAGEMENT_EVENTS,
            description="Every successful assumption of the governance table's break-glass role",
            event_pattern=json.dumps(event_pattern(props.role_arn), sort_keys=True),
        )
        CloudwatchEventTarget(
            self, "target", rule=self.rule.name, arn=alarms.arn, target_id="alarm-topic",
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths=dict(MESSAGE_FIELDS), input_template=message_template()),
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_retry_attempts=props.retry_attempts, maximum_event_age_in_seconds=props.max_event_age_seconds),
        )
        alarms.allow_service("EventBridgeBreakGlassRule", partition.of(self).service_principal("events"), self.rule.arn)
