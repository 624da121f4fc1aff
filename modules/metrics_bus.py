"""Custom event bus in the governance account that accepts metrics events from test and prod.

Only the named accounts may put events, and only with our source: a test or prod account cannot
impersonate the registry (aws.sagemaker) or write to the bus under any other source.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.cloudwatch_event_bus_policy import CloudwatchEventBusPolicy
from constructs import Construct

from modules.policy import Statement, account_root, document

from mlgov_core.metrics import DETAIL_TYPE as METRICS_DETAIL_TYPE
from mlgov_core.metrics import SOURCE as METRICS_SOURCE


@dataclass(frozen=True)
class MetricsBusProps:
    bus_name: str
    sender_accounts: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.sender_accounts:
            raise ValueError(f"MetricsBusProps.sender_accounts: bus {self.bus_name!r} needs at least one sender account")


class MetricsBus(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: MetricsBusProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.bus = CloudwatchEventBus(self, "bus", name=props.bus_name,
                                      description="QA and production metrics reported by the test and prod accounts")
        CloudwatchEventBusPolicy(self, "policy", event_bus_name=self.bus.name, policy=document([Statement(
            sid="SenderAccounts", actions=("events:PutEvents",), resources=(self.bus.arn,),
            principals={"AWS": tuple(account_root(a) for a in props.sender_accounts)},
            conditions={"StringEquals": {"events:source": [METRICS_SOURCE], "events:detail-type": [METRICS_DETAIL_TYPE]}},
        )]))

    def event_pattern(self) -> dict:
        return {"source": [METRICS_SOURCE], "detail-type": [METRICS_DETAIL_TYPE], "account": sorted(self.props.sender_accounts)}
