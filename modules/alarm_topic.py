"""KMS-encrypted SNS topic that alarms publish to; optional e-mail subscription from config."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from modules import partition
from modules.policy import Statement, document


@dataclass(frozen=True)
class AlarmTopicProps:
    topic_name: str
    account_id: str
    kms_key_arn: str
    email: str = ""


class AlarmTopic(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AlarmTopicProps) -> None:
        super().__init__(scope, construct_id)
        self.topic = SnsTopic(self, "topic", name=props.topic_name, kms_master_key_id=props.kms_key_arn)
        self._publishers = [Statement(
            sid="CloudWatchAlarms", actions=("sns:Publish",), resources=(self.topic.arn,),
            principals={"Service": (partition.of(self).service_principal("cloudwatch"),)},
            conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
        )]
        self.policy = SnsTopicPolicy(self, "policy", arn=self.topic.arn, policy=document(self._publishers))
        if props.email:
            SnsTopicSubscription(self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=props.email)

    @property
    def arn(self) -> str:
        return self.topic.arn

    def allow_service(self, sid: str, service: str, source_arn: str) -> None:
        """Let an AWS service publish on behalf of one resource only (e.g. EventBridge for one rule)."""
        self._publishers.append(Statement(
            sid=sid, actions=("sns:Publish",), resources=(self.topic.arn,), principals={"Service": (service,)},
            conditions={"ArnEquals": {"aws:SourceArn": source_arn}},
        ))
        self.policy.policy = document(self._publishers)

    def grant_publish(self, sid: str) -> Statement:
        return Statement(sid=sid, actions=("sns:Publish",), resources=(self.topic.arn,))
