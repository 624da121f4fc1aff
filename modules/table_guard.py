"""Who may change the governance table: its resource policy, the break-glass role, and the roles of
the table's writers that are not Lambda functions (`mlgov reconcile`, `mlgov register-external`).

The resource policy holds for every principal of every account, the governance account's
administrator and the Terraform role included (a caller whose role policy allows everything is still
refused by an explicit Deny here):
- no item is deleted (DeleteItem, BatchWriteItem, PartiQL DELETE), so no history item disappears;
- the table is not deleted, restored from, re-configured (UpdateTable: streams, key, deletion
  protection, replicas), its PITR or TTL changed, or this policy replaced or removed;
- items are written (PutItem, UpdateItem, PartiQL) only by the named writer roles.
The one exception is the break-glass role. A change to the table or to this policy is therefore
applied with a break-glass session, never by the routine pipeline role.

Each writer's own role further limits which partitions it writes (dynamodb:LeadingKeys, see
GovernanceTable.grant_write). IAM sees partition keys, not sort keys, so within a version's partition
it cannot tell a history item from the state item: the hash chain and the Object Lock archive detect
what a writer overwrites there (docs/security.md, path 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_resource_policy import DynamodbResourcePolicy
from constructs import Construct

from mlgov_core import keys
from modules.governance_table import GovernanceTable
from modules.iam_role import AccountRoleProps, AssumableRole
from modules.naming import Names
from modules.policy import Statement, document

PRINCIPAL_ARN = "aws:PrincipalArn"
ITEM_DELETES = ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PartiQLDelete")
# Restores always create a new table; they are denied on this one so its history is not copied out
# and re-written somewhere that looks like it.
TABLE_CHANGES = (
    "dynamodb:CreateTableReplica", "dynamodb:DeleteResourcePolicy", "dynamodb:DeleteTable",
    "dynamodb:DeleteTableReplica", "dynamodb:DisableKinesisStreamingDestination", "dynamodb:PutResourcePolicy",
    "dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime", "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive",
)
ITEM_WRITES = ("dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PutItem", "dynamodb:UpdateItem")


@dataclass(frozen=True)
class TableGuardProps:
    names: Names
    # Role ARNs of the Lambda functions that write the table (registry-sync, metrics-ingest, decisions).
    function_writer_role_arns: tuple[str, ...]
    # Governed model package groups: reconcile repairs their partitions, register-external writes
    # their "-external" namespaces.
    groups: tuple[str, ...]
    reconciler_trust: tuple[str, ...]
    external_registrar_trust: tuple[str, ...]
    break_glass_trust: tuple[str, ...]
    # IAM's minimum for a role's maximum session; a break-glass session should be asked for shorter.
    break_glass_session_seconds: int = 3600

    def __post_init__(self) -> None:
        if not self.function_writer_role_arns:
            raise ValueError("TableGuardProps.function_writer_role_arns: name at least the registry-sync role")
        if not 3600 <= self.break_glass_session_seconds <= 43200:
            raise ValueError(f"TableGuardProps.break_glass_session_seconds: {self.break_glass_session_seconds} "
                             "not in 3600..43200 (IAM's range)")


class TableGuard(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: TableGuardProps, *, table: GovernanceTable) -> None:
        super().__init__(scope, construct_id)
        names = props.names
        self.break_glass_role_arn = names.role_arn(names.table_break_glass_role)
        self.reconciler_role_arn = names.role_arn(names.table_reconciler_role)
        self.external_registrar_role_arn = names.role_arn(names.external_registrar_role)
        self.writer_role_arns = (*props.function_writer_role_arns, self.reconciler_role_arn, self.external_registrar_role_arn)

        AssumableRole(self, "reconciler", AccountRoleProps(
            role_name=names.table_reconciler_role, trusted_principals=props.reconciler_trust,
            description="mlgov reconcile: reads the registry, repairs the governed groups' partitions of the governance table",
            statements=(
                # The same registry reads as the approver's and compliance officer's roles.
                Statement(sid="ReadRegistry", resources=tuple(names.group_arn(g) for g in props.groups)
                          + tuple(names.group_packages_arn(g) for g in props.groups),
                          actions=("sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
                                   "sagemaker:ListModelPackages")),
                table.grant_read("ReadGovernanceTable"),
                # existing_history_keys asks for many history keys at once.
                Statement(sid="ReadHistoryKeys", actions=("dynamodb:BatchGetItem",), resources=(table.arn,)),
                table.grant_write("RepairGovernedVersions",
                                  partitions=tuple(f"{keys.VERSION_PK_PREFIX}{g}#*" for g in props.groups)),
            ),
        ))
        AssumableRole(self, "external-registrar", AccountRoleProps(
            role_name=names.external_registrar_role, trusted_principals=props.external_registrar_trust,
            description="mlgov register-external: records models from outside SageMaker in their own table namespace",
            statements=(table.grant_write("RecordExternalVersions", partitions=external_partitions(props.groups)),),
        ))
        AssumableRole(self, "break-glass", AccountRoleProps(
            role_name=names.table_break_glass_role, trusted_principals=props.break_glass_trust,
            description="Emergency only: the one role the governance table's resource policy lets delete items or change the table",
            max_session_seconds=props.break_glass_session_seconds,
            statements=(Statement(
                sid="BreakGlass", resources=(table.arn,),
                actions=(*ITEM_DELETES, *TABLE_CHANGES, *ITEM_WRITES, "dynamodb:DescribeContinuousBackups",
                         "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:GetResourcePolicy", "dynamodb:Query"),
            ),),
        ))
        self.policy = DynamodbResourcePolicy(
            self, "policy", resource_arn=table.arn, policy=document(self.statements(table.arn)),
            # The policy denies PutResourcePolicy to the role that applies it: DynamoDB asks to confirm that.
            confirm_remove_self_resource_access=True,
        )

    def statements(self, table_arn: str) -> list[Statement]:
        everyone = {"AWS": ("*",)}
        only_break_glass = {"ArnNotEquals": {PRINCIPAL_ARN: [self.break_glass_role_arn]}}
        return [
            Statement(sid="DenyItemDeletes", effect="Deny", actions=ITEM_DELETES, principals=everyone,
                      resources=(table_arn,), conditions=only_break_glass),
            Statement(sid="DenyTableChanges", effect="Deny", actions=TABLE_CHANGES, principals=everyone,
                      resources=(table_arn,), conditions=only_break_glass),
            Statement(sid="DenyForeignWriters", effect="Deny", actions=ITEM_WRITES, principals=everyone,
                      resources=(table_arn,),
                      conditions={"ArnNotEquals": {PRINCIPAL_ARN: [*self.writer_role_arns, self.break_glass_role_arn]}}),
        ]


def external_partitions(groups: tuple[str, ...]) -> tuple[str, ...]:
    """The partitions `mlgov register-external` writes: label claims, version counters, external versions."""
    out: list[str] = []
    for group in groups:
        external = keys.external_group(group)
        out += [f"{keys.LABEL_PK_PREFIX}{external}#*", f"{keys.COUNTER_PK_PREFIX}{external}",
                f"{keys.VERSION_PK_PREFIX}{external}#*"]
    return tuple(out)
