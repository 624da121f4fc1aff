"""KMS-encrypted SQS dead-letter queue with an alarm on its depth."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from modules.naming import Names
from modules.policy import Statement, deny_insecure_transport, document
from modules.stateful import prevent_destroy


@dataclass(frozen=True)
class DeadLetterQueueProps:
    queue_name: str
    kms_key_arn: str
    # Failed events are evidence for the audit trail: keep them for SQS's maximum of 14 days.
    message_retention_seconds: int = 1_209_600
    alarm_topic_arn: str | None = None
    # Any message is an event the governance table missed; alarm on the first one.
    alarm_threshold: int = 1


class DeadLetterQueue(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DeadLetterQueueProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.queue = SqsQueue(
            self, "queue", name=props.queue_name, kms_master_key_id=props.kms_key_arn,
            kms_data_key_reuse_period_seconds=300, message_retention_seconds=props.message_retention_seconds,
            lifecycle=prevent_destroy(),
        )
        self._senders: list[Statement] = []
        actions = [props.alarm_topic_arn] if props.alarm_topic_arn else []
        CloudwatchMetricAlarm(
            self, "depth-alarm",
            alarm_name=Names.queue_alarm(props.queue_name),
            alarm_description=f"Events failed processing and wait in {props.queue_name}; inspect and redrive them",
            namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": props.queue_name},
            statistic="Maximum", period=300, evaluation_periods=1,
            threshold=props.alarm_threshold, comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching", alarm_actions=actions, ok_actions=actions,
        )

    @property
    def arn(self) -> str:
        return self.queue.arn

    def allow_service(self, sid: str, service: str, source_arn: str) -> None:
        """Let an AWS service (e.g. EventBridge for one rule) send dead letters; call before finalize()."""
        self._senders.append(Statement(
            sid=sid, actions=("sqs:SendMessage",), resources=(self.queue.arn,),
            principals={"Service": (service,)}, conditions={"ArnEquals": {"aws:SourceArn": source_arn}},
        ))

    def finalize(self) -> None:
        SqsQueuePolicy(self, "policy", queue_url=self.queue.url,
                       policy=document([deny_insecure_transport((self.queue.arn,), "sqs"), *self._senders]))
