"""Custom event bus in the governance account that accepts metrics events from test and prod.

Only each sender account's metrics-publisher role may put events, and only with our source: the
deployer or any other principal of test or prod is refused, and no sender can impersonate the
registry (aws.sagemaker) or write under any other source. The principals are account roots with an
``ArnEquals aws:PrincipalArn`` condition naming the publisher roles, because a role principal in a
resource policy must exist when the policy is put, and this stack applies before test and prod
create those roles. metrics-ingest then accepts kind ``qa`` only from test and ``production`` only
from prod (mlgov_core.metrics.parse_metrics_event).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.cloudwatch_event_bus_policy import CloudwatchEventBusPolicy
from constructs import Construct

from modules.naming import publisher_role_name
from mlgov_config.regions import Partition
from modules import partition
from modules.policy import Statement, account_root, deny_outside_organization, document

from mlgov_core.metrics import DETAIL_TYPE as METRICS_DETAIL_TYPE
from mlgov_core.metrics import SOURCE as METRICS_SOURCE


def publisher_role_arn(partition: Partition, account_id: str, name_prefix: str) -> str:
    return partition.iam_arn(account_id, f"role/{publisher_role_name(name_prefix)}")


@dataclass(frozen=True)
class MetricsBusProps:
    bus_name: str
    sender_accounts: tuple[str, ...]
    # The only principal of each sender account allowed to put events (one role ARN per sender account).
    sender_role_arns: tuple[str, ...]
    # Deny senders outside this organisation whatever the Allow names; None: no such Deny.
    organization_id: str | None = None

    def __post_init__(self) -> None:
        if not self.sender_accounts:
            raise ValueError(f"MetricsBusProps.sender_accounts: bus {self.bus_name!r} needs at least one sender account")
        accounts = [arn.split(":")[4] if arn.count(":") >= 5 and ":role/" in arn else None for arn in self.sender_role_arns]
        for arn, account in zip(self.sender_role_arns, accounts):
            if account not in self.sender_accounts:
                raise ValueError(f"MetricsBusProps.sender_role_arns: {arn!r} is not a role of a sender account "
                                 f"{list(self.sender_accounts)}")
        missing = sorted(set(self.sender_accounts) - set(accounts))
        if missing:
            raise ValueError(f"MetricsBusProps.sender_role_arns: sender account(s) {missing} of bus {self.bus_name!r} "
                             "have no publisher role; without one every principal of the account could report")


class MetricsBus(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: MetricsBusProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.bus = CloudwatchEventBus(self, "bus", name=props.bus_name,
                                      description="QA and production metrics reported by the test and prod accounts")
        CloudwatchEventBusPolicy(self, "policy", event_bus_name=self.bus.name, policy=document([Statement(
            sid="PublisherRolesOfSenderAccounts", actions=("events:PutEvents",), resources=(self.bus.arn,),
            principals={"AWS": tuple(account_root(partition.of(self), a) for a in props.sender_accounts)},
            conditions={"StringEquals": {"events:source": [METRICS_SOURCE], "events:detail-type": [METRICS_DETAIL_TYPE]},
                        "ArnEquals": {"aws:PrincipalArn": sorted(props.sender_role_arns)}},
        ), *deny_outside_organization(("events:PutEvents",), (self.bus.arn,), props.organization_id)]))

    def event_pattern(self) -> dict:
        return {"source": [METRICS_SOURCE], "detail-type": [METRICS_DETAIL_TYPE], "account": sorted(self.props.sender_accounts)}
