"""The QuickSight governance dashboard: an Athena data source, one data set per view, the dashboard.

Import mode DIRECT_QUERY, not SPICE: every visual then shows the lake as Athena reads it now, so
the separation-of-duties figure and the stage counts a compliance officer signs off on are never a
refresh behind the governance table; the lake is small (one row per version and per change) and
partition projection keeps the history views' scans to the days they name, so a query costs little;
and there is no SPICE capacity to buy, no refresh schedule to fail silently, no second copy of the
data to secure. (A dashboard that grows past what Athena answers interactively can switch a data
set to SPICE with an aws_quicksight_refresh_schedule.)

Access: the compliance officers' group may view the dashboard and the data sets (no data source:
that would let them build new data sets over the workgroup); the platform admins' group owns all
three. QuickSight's service role (named in config, created with the account's QuickSight
subscription) runs the queries: a customer-managed policy of ours, attached to it, grants exactly
the workgroup, the catalog's database and tables, the lake (read), the results bucket (the
workgroup's output) and the key. aws provider 5.100.0 has no role_arn in the Athena data source
parameters, so the data source uses the account's QuickSight service role; the admin names that
role once in QuickSight (Manage QuickSight > Security & permissions > IAM role).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.quicksight_dashboard import QuicksightDashboard, QuicksightDashboardPermissions
from cdktf_cdktf_provider_aws.quicksight_data_set import (
    QuicksightDataSet,
    QuicksightDataSetPermissions,
    QuicksightDataSetPhysicalTableMap,
    QuicksightDataSetPhysicalTableMapCustomSql,
    QuicksightDataSetPhysicalTableMapCustomSqlColumns,
)
from cdktf_cdktf_provider_aws.quicksight_data_source import (
    QuicksightDataSource,
    QuicksightDataSourceParameters,
    QuicksightDataSourceParametersAthena,
    QuicksightDataSourcePermission,
    QuicksightDataSourceSslProperties,
)
from constructs import Construct

from mlgov_analytics.dashboard import SHEETS
from mlgov_analytics.views import qualified_sql
from mlgov_config.terraform_text import escape_template
from modules import dashboard_definition
from modules.naming import Names
from modules.policy import Statement, document

# QuickSight's documented action sets (API reference, "Permissions" of each resource), exactly.
DASHBOARD_READER = ("quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard")
DASHBOARD_OWNER = DASHBOARD_READER + (
    "quicksight:DeleteDashboard", "quicksight:DescribeDashboardPermissions", "quicksight:UpdateDashboard",
    "quicksight:UpdateDashboardPermissions", "quicksight:UpdateDashboardPublishedVersion")
DATA_SET_READER = ("quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:DescribeIngestion",
                   "quicksight:ListIngestions", "quicksight:PassDataSet")
DATA_SET_OWNER = DATA_SET_READER + (
    "quicksight:CancelIngestion", "quicksight:CreateIngestion", "quicksight:DeleteDataSet", "quicksight:UpdateDataSet",
    "quicksight:UpdateDataSetPermissions")
DATA_SOURCE_OWNER = (
    "quicksight:DeleteDataSource", "quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource", "quicksight:UpdateDataSource", "quicksight:UpdateDataSourcePermissions")

# What Athena needs of the caller to run a query in a workgroup and read its results (Athena's
# "Access to workgroups" examples), and of Glue to resolve the tables.
ATHENA_QUERY_ACTIONS = (
    "athena:BatchGetQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:GetQueryResultsStream",
    "athena:GetWorkGroup", "athena:StartQueryExecution", "athena:StopQueryExecution")
GLUE_READ_ACTIONS = ("glue:GetDatabase", "glue:GetPartitions", "glue:GetTable", "glue:GetTables")
RESULTS_WRITE_ACTIONS = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject")
BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads")


@dataclass(frozen=True)
class GovernanceDashboardProps:
    names: Names
    account_id: str
    region: str
    kms_key_arn: str  # encrypts the lake's objects and the workgroup's results
    compliance_officer_group: str
    admin_group: str
    service_role_name: str
    identity_region: str
    namespace: str = "default"

    def __post_init__(self) -> None:
        if self.compliance_officer_group == self.admin_group:
            raise ValueError("GovernanceDashboardProps: compliance_officer_group and admin_group must differ")

    def group_arn(self, group: str) -> str:
        return self.names.quicksight_group_arn(self.identity_region, self.namespace, group)


class GovernanceDashboard(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: GovernanceDashboardProps) -> None:
        super().__init__(scope, construct_id)
        names = props.names
        readers, owners = props.group_arn(props.compliance_officer_group), props.group_arn(props.admin_group)
        self.data_source = QuicksightDataSource(
            self, "data-source", data_source_id=names.quicksight_data_source, name="mlgov governance lake (Athena)",
            aws_account_id=props.account_id, type="ATHENA",
            parameters=QuicksightDataSourceParameters(athena=QuicksightDataSourceParametersAthena(work_group=names.athena_workgroup)),
            ssl_properties=QuicksightDataSourceSslProperties(disable_ssl=False),
            permission=[QuicksightDataSourcePermission(principal=owners, actions=sorted(DATA_SOURCE_OWNER))],
        )
        self.data_sets: dict[str, QuicksightDataSet] = {}
        for view in dashboard_definition.views_used(SHEETS):
            self.data_sets[view.name] = QuicksightDataSet(
                self, f"data-set-{view.name}", data_set_id=names.quicksight_data_set(view.name), name=view.title,
                aws_account_id=props.account_id, import_mode="DIRECT_QUERY",
                physical_table_map=[QuicksightDataSetPhysicalTableMap(
                    physical_table_map_id=view.name,
                    custom_sql=QuicksightDataSetPhysicalTableMapCustomSql(
                        data_source_arn=self.data_source.arn, name=view.name, sql_query=escape_template(qualified_sql(view, names.glue_database)),
                        columns=[QuicksightDataSetPhysicalTableMapCustomSqlColumns(**c)
                                 for c in dashboard_definition.input_columns(view)],
                    ),
                )],
                permissions=_permissions(QuicksightDataSetPermissions, readers, DATA_SET_READER, owners, DATA_SET_OWNER),
            )
        self.dashboard = QuicksightDashboard(
            self, "dashboard", dashboard_id=names.quicksight_dashboard, name="mlgov model governance",
            aws_account_id=props.account_id, version_description="Generated from mlgov_analytics.dashboard.SHEETS",
            definition=dashboard_definition.definition({n: ds.arn for n, ds in self.data_sets.items()}, SHEETS),
            permissions=_permissions(QuicksightDashboardPermissions, readers, DASHBOARD_READER, owners, DASHBOARD_OWNER),
        )
        policy = IamPolicy(self, "service-role-policy", name=names.quicksight_service_policy,
                           description="QuickSight runs the governance dashboard's queries: this workgroup, catalog, lake and key only",
                           policy=document(service_role_statements(props)))
        IamRolePolicyAttachment(self, "service-role-attachment", role=props.service_role_name, policy_arn=policy.arn)


def _permissions(kind: type, readers: str, reader_actions: tuple[str, ...], owners: str, owner_actions: tuple[str, ...]) -> list:
    # Sorted by principal and by action: the provider compares the sets, the committed text stays stable.
    return [kind(principal=p, actions=sorted(a)) for p, a in sorted(((readers, reader_actions), (owners, owner_actions)))]


def service_role_statements(props: GovernanceDashboardProps) -> list[Statement]:
    names = props.names
    p, region, account = names.partition, props.region, props.account_id
    lake, results = p.s3_arn(names.analytics_lake_bucket), p.s3_arn(names.athena_results_bucket)
    database = names.glue_database
    return [
        Statement(sid="RunQueriesInWorkgroup", actions=ATHENA_QUERY_ACTIONS,
                  resources=(p.arn("athena", region, account, f"workgroup/{names.athena_workgroup}"),)),
        Statement(sid="ReadCatalog", actions=GLUE_READ_ACTIONS, resources=(
            p.arn("glue", region, account, "catalog"), p.arn("glue", region, account, f"database/{database}"),
            p.arn("glue", region, account, f"table/{database}/*"))),
        Statement(sid="ListBuckets", actions=BUCKET_ACTIONS, resources=(lake, results)),
        Statement(sid="ReadLake", actions=("s3:GetObject",), resources=(f"{lake}/*",)),
        Statement(sid="WriteQueryResults", actions=RESULTS_WRITE_ACTIONS, resources=(f"{results}/*",)),
        # Only through S3 (the lake's and the results' SSE-KMS), never a direct Decrypt.
        Statement(sid="UseLakeKey", actions=("kms:Decrypt", "kms:GenerateDataKey"), resources=(props.kms_key_arn,),
                  conditions={"StringEquals": {"kms:ViaService": p.service_host("s3", region)}}),
    ]
