"""An EventBridge rule delivering to a Lambda, with retries and a dead-letter queue.

Two failure paths end in the same DLQ: EventBridge failing to deliver (target dead_letter_config)
and the function failing after Lambda's async retries (the function's on_failure destination).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from modules import partition
from modules.dead_letter_queue import DeadLetterQueue
from modules.python_function import PythonFunction

MODEL_PACKAGE_STATE_CHANGE = {
    "source": ["aws.sagemaker"],
    "detail-type": ["SageMaker Model Package State Change"],
}


@dataclass(frozen=True)
class EventRouteProps:
    rule_name: str
    description: str
    event_pattern: dict[str, Any]
    target_id: str
    event_bus_name: str = "default"
    retry_attempts: int = 8
    max_event_age_seconds: int = 3600


class EventRoute(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: EventRouteProps,
                 function: PythonFunction, dead_letters: DeadLetterQueue) -> None:
        super().__init__(scope, construct_id)
        self.rule = CloudwatchEventRule(
            self, "rule", name=props.rule_name, description=props.description,
            event_bus_name=None if props.event_bus_name == "default" else props.event_bus_name,
            event_pattern=json.dumps(props.event_pattern, sort_keys=True),
        )
        CloudwatchEventTarget(
            self, "target", rule=self.rule.name, arn=function.arn, target_id=props.target_id,
            event_bus_name=self.rule.event_bus_name if props.event_bus_name != "default" else None,
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_retry_attempts=props.retry_attempts, maximum_event_age_in_seconds=props.max_event_age_seconds),
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dead_letters.arn),
        )
        events = partition.of(self).service_principal("events")
        LambdaPermission(
            self, "invoke", statement_id=f"Allow{props.target_id.title().replace('-', '')}Events",
            action="lambda:InvokeFunction", function_name=function.name, principal=events,
            source_arn=self.rule.arn,
        )
        dead_letters.allow_service(f"EventBridge{props.target_id.title().replace('-', '')}", events, self.rule.arn)
