"""An alarm on a log line: a metric filter on a log group that counts one message, and an alarm on it.

For conditions a function handles (records, does not fail) but someone must look at, such as a
registry lifecycle outside the stage mapping. The function needs no cloudwatch:PutMetricData.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

NAMESPACE = "mlgov"


@dataclass(frozen=True)
class LogAlarmProps:
    alarm_name: str
    description: str
    log_group_name: str
    metric_name: str
    # The JSON log line's "message" (Powertools Logger) that counts as one occurrence.
    message: str
    alarm_topic_arn: str | None = None
    # Every occurrence needs a look: alarm on the first one.
    threshold: int = 1

    def __post_init__(self) -> None:
        if '"' in self.message or "\\" in self.message:
            raise ValueError(f"LogAlarmProps.message: {self.message!r} must not contain quotes or backslashes")

    @property
    def filter_pattern(self) -> str:
        return f"{{ $.message = {json.dumps(self.message)} }}"


class LogAlarm(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: LogAlarmProps) -> None:
        super().__init__(scope, construct_id)
        self.filter = CloudwatchLogMetricFilter(
            self, "filter", name=props.metric_name, log_group_name=props.log_group_name,
            pattern=props.filter_pattern,
            metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                name=props.metric_name, namespace=NAMESPACE, value="1", default_value="0"),
        )
        actions = [props.alarm_topic_arn] if props.alarm_topic_arn else []
        CloudwatchMetricAlarm(
            self, "alarm", alarm_name=props.alarm_name, alarm_description=props.description,
            namespace=NAMESPACE, metric_name=props.metric_name, statistic="Sum", period=300, evaluation_periods=1,
            threshold=props.threshold, comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching", alarm_actions=actions, ok_actions=actions,
            depends_on=[self.filter],
        )
