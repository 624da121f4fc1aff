"""The model stage governance table (current state + append-only history), keyed by mlgov_core.keys."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from constructs import Construct

from mlgov_core import keys
from mlgov_core.decision import CLAIM_ATTRIBUTES
from modules.policy import Statement
from modules.stateful import prevent_destroy

# GetItem: writers read the hash chain's head (TransactGetItems needs GetItem on each item) before linking.
WRITE_ACTIONS = ("dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
STREAM_READ_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
READ_ACTIONS = ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query")
LEADING_KEYS = "dynamodb:LeadingKeys"
ATTRIBUTES = "dynamodb:Attributes"


@dataclass(frozen=True)
class GovernanceTableProps:
    table_name: str
    kms_key_arn: str
    deletion_protection: bool = True
    point_in_time_recovery: bool = True
    # Streams feed the dashboard export and future projections; the image carries both versions.
    stream_view_type: str = "NEW_AND_OLD_IMAGES"

    def __post_init__(self) -> None:
        if not self.point_in_time_recovery:
            raise ValueError("GovernanceTableProps.point_in_time_recovery: the audit trail must be recoverable; it cannot be off")


class GovernanceTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: GovernanceTableProps) -> None:
        super().__init__(scope, construct_id)
        self.table = DynamodbTable(
            self,
            "table",
            name=props.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=keys.PARTITION_KEY,
            range_key=keys.SORT_KEY,
            attribute=[DynamodbTableAttribute(name=a, type="S") for a in keys.key_attributes()],
            global_secondary_index=[
                DynamodbTableGlobalSecondaryIndex(name=i.name, hash_key=i.partition_key, range_key=i.sort_key, projection_type="ALL")
                for i in keys.INDEXES
            ],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=props.kms_key_arn),
            deletion_protection_enabled=props.deletion_protection,
            stream_enabled=True,
            stream_view_type=props.stream_view_type,
            lifecycle=prevent_destroy(),
        )

    @property
    def arn(self) -> str:
        return self.table.arn

    @property
    def stream_arn(self) -> str:
        return self.table.stream_arn

    def grant_stream_read(self, sid: str) -> Statement:
        """What a Lambda event source mapping on the table's stream needs of the function's role."""
        return Statement(sid=sid, actions=STREAM_READ_ACTIONS, resources=(f"{self.table.arn}/stream/*",))

    def grant_write(self, sid: str, partitions: tuple[str, ...], attributes: tuple[str, ...] = ()) -> Statement:
        """Write items only in these partitions (dynamodb:LeadingKeys patterns) and, if given, only
        with these attribute names (dynamodb:Attributes). Never a delete: the table's resource policy
        denies it (modules/table_guard.py)."""
        if not partitions:
            raise ValueError(f"GovernanceTable.grant_write({sid!r}): name the partitions the writer may write")
        conditions: dict = {"ForAllValues:StringLike": {LEADING_KEYS: list(partitions)}}
        if attributes:
            conditions["ForAllValues:StringEquals"] = {ATTRIBUTES: list(attributes)}
        return Statement(sid=sid, actions=WRITE_ACTIONS, resources=(self.table.arn,), conditions=conditions)

    def grant_decision_claims(self, sid: str) -> Statement:
        """Claim a decision (a put only if absent) and mark one's own claim withdrawn when the registry
        write fails: claim-shaped items only, so the decision function cannot write a chained history item."""
        return self.grant_write(sid, partitions=(f"{keys.VERSION_PK_PREFIX}*",), attributes=CLAIM_ATTRIBUTES)

    def grant_read(self, sid: str) -> Statement:
        return Statement(sid=sid, actions=READ_ACTIONS, resources=(self.table.arn, f"{self.table.arn}/index/*"))
