"""Registry change events -> registry-sync Lambda, with retries and a dead-letter queue.

Two failure paths end in the same DLQ: EventBridge failing to deliver (target dead_letter_config)
and the function failing after Lambda's async retries (the function's on_failure destination).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from modules.dead_letter_queue import DeadLetterQueue
from modules.python_function import PythonFunction

MODEL_PACKAGE_STATE_CHANGE = {
    "source": ["aws.sagemaker"],
    "detail-type": ["SageMaker Model Package State Change"],
}


@dataclass(frozen=True)
class RegistryEventsProps:
    rule_name: str
    retry_attempts: int = 8
    max_event_age_seconds: int = 3600


class RegistryEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: RegistryEventsProps,
                 function: PythonFunction, dead_letters: DeadLetterQueue) -> None:
        super().__init__(scope, construct_id)
        # No filter on group names: a group created outside onboarding is recorded as "unassigned"
        # in the governance table instead of escaping review.
        self.rule = CloudwatchEventRule(
            self, "rule", name=props.rule_name,
            description="Every SageMaker model package state change in the registry account",
            event_pattern=json.dumps(MODEL_PACKAGE_STATE_CHANGE, sort_keys=True),
        )
        CloudwatchEventTarget(
            self, "target", rule=self.rule.name, arn=function.arn, target_id="registry-sync",
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_retry_attempts=props.retry_attempts, maximum_event_age_in_seconds=props.max_event_age_seconds),
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dead_letters.arn),
        )
        LambdaPermission(
            self, "invoke", statement_id="AllowRegistryEvents", action="lambda:InvokeFunction",
            function_name=function.name, principal="events.amazonaws.com", source_arn=self.rule.arn,
        )
        dead_letters.allow_service("EventBridgeDeadLetters", "events.amazonaws.com", self.rule.arn)
