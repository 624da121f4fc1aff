"""The analytics lake's catalog and query engine: a Glue database with one table per lake table, an
Athena workgroup whose results go, KMS-encrypted, to their own bucket, and one named query per view.

The tables are the contract of mlgov_core.lake_tables (prefixes, columns, the dt partition); the named
queries carry the views' SQL of mlgov_analytics.views unchanged, so analysts, QuickSight and the local
DuckDB run the same text. Partition projection computes the dt partitions from the query's filter
instead of listing them in Glue: no crawler, no MSCK REPAIR, no partition to add when a day starts, and
a history query filtered by day reads only that day's prefix.

The workgroup enforces its configuration (a client cannot send results elsewhere, unencrypted, or
switch off the cutoff), cancels a query past the bytes-scanned cutoff, and publishes CloudWatch metrics.

No Glue Data Catalog encryption settings: they are one resource per account and region, so setting
them here would encrypt every other team's catalog in the governance account with our key (their
crawlers and jobs would need kms:Decrypt on it or fail), and Terraform would fight whoever else manages
them. The catalog holds only table names, column names and S3 locations; the data stays in the lake,
encrypted with its key. An account that wants catalog encryption sets it once, account-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cdktf_cdktf_provider_aws.athena_named_query import AthenaNamedQuery
from cdktf_cdktf_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationEngineVersion,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from cdktf_cdktf_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktf_cdktf_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTablePartitionKeys,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
from constructs import Construct

from mlgov_analytics.views import VIEWS, View
from mlgov_config.terraform_text import escape_template
from mlgov_core.lake_tables import PARTITION_COLUMN, TABLES, LakeTable
from modules import partition
from modules.naming import Names
from modules.policy import Statement
from modules.secure_bucket import SecureBucket, SecureBucketProps

JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
# Hadoop's text input decompresses by file extension: the lake's objects end in .json.gz.
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PROJECTION_FORMAT = "yyyy-MM-dd"  # Java DateTimeFormatter: the lake's dt=YYYY-MM-DD
RESULTS_PREFIX = "results"
ENGINE_VERSION = "Athena engine version 3"
ATHENA_QUERY_ACTIONS = (
    "athena:BatchGetNamedQuery", "athena:BatchGetQueryExecution", "athena:GetNamedQuery", "athena:GetQueryExecution",
    "athena:GetQueryResults", "athena:GetQueryResultsStream", "athena:GetWorkGroup", "athena:ListNamedQueries",
    "athena:ListQueryExecutions", "athena:StartQueryExecution", "athena:StopQueryExecution",
)
# What Athena and QuickSight call to browse the catalog through Athena (AwsDataCatalog is the Glue catalog).
ATHENA_CATALOG_ACTIONS = ("athena:GetDatabase", "athena:GetDataCatalog", "athena:GetTableMetadata",
                          "athena:ListDatabases", "athena:ListTableMetadata")
GLUE_READ_ACTIONS = ("glue:BatchGetPartition", "glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions",
                     "glue:GetTable", "glue:GetTables")
# Athena writes a query's results with the caller's credentials, so a reader also writes under results/.
RESULTS_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject")


@dataclass(frozen=True)
class AnalyticsCatalogProps:
    names: Names
    account_id: str
    region: str
    # The governance key: encrypts the results bucket and, through the workgroup, every result.
    kms_key_arn: str
    access_log_target: SecureBucket
    bytes_scanned_cutoff_per_query: int
    results_retention_days: int
    projection_start_date: date
    # The lake's objects are encrypted with this key (the lake's bucket default); readers decrypt with it.
    lake_kms_key_arn: str | None = None
    tables: tuple[LakeTable, ...] = TABLES
    views: tuple[View, ...] = VIEWS

    def __post_init__(self) -> None:
        if self.bytes_scanned_cutoff_per_query < 10 * 1024 * 1024:
            raise ValueError(f"AnalyticsCatalogProps.bytes_scanned_cutoff_per_query: {self.bytes_scanned_cutoff_per_query} "
                             "is below Athena's minimum of 10485760")
        if not 1 <= self.results_retention_days <= 3650:
            raise ValueError(f"AnalyticsCatalogProps.results_retention_days: {self.results_retention_days} not in 1..3650")
        for view in self.views:
            if not 1 <= len(view.description) <= 1024:
                raise ValueError(f"AnalyticsCatalogProps.views: {view.name!r} description must be 1..1024 characters (Athena)")


class AnalyticsCatalog(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AnalyticsCatalogProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        names = props.names
        self._partition = partition.of(self)
        self.lake_arn = self._partition.s3_arn(names.analytics_lake_bucket)
        self.database = GlueCatalogDatabase(
            self, "database", name=names.glue_database,
            description="mlgov governance dashboard: the analytics lake projected from the governance table",
        )
        self.tables = {table.name: self._table(table) for table in props.tables}
        self.results = SecureBucket(self, "results", SecureBucketProps(
            bucket_name=names.athena_results_bucket, owner_account=props.account_id, kms_key_arn=props.kms_key_arn,
            access_log_target=props.access_log_target,
            expire_current_after_days=props.results_retention_days,
            # A result is written once; an old version is a leftover, not a record.
            noncurrent_version_retention_days=1,
        ))
        self.workgroup = AthenaWorkgroup(
            self, "workgroup", name=names.athena_workgroup, state="ENABLED",
            description="mlgov governance dashboard and analysts: enforced KMS-encrypted results, bytes-scanned cutoff",
            configuration=AthenaWorkgroupConfiguration(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=props.bytes_scanned_cutoff_per_query,
                requester_pays_enabled=False,
                engine_version=AthenaWorkgroupConfigurationEngineVersion(selected_engine_version=ENGINE_VERSION),
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=f"s3://{names.athena_results_bucket}/{RESULTS_PREFIX}/",
                    expected_bucket_owner=props.account_id,
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=props.kms_key_arn),
                ),
            ),
        )
        self.named_queries = {
            view.name: AthenaNamedQuery(
                self, f"query-{view.name}", name=view.name, description=escape_template(view.description),
                database=self.database.name, workgroup=self.workgroup.name, query=escape_template(view.sql),
            )
            for view in props.views
        }

    def _table(self, table: LakeTable) -> GlueCatalogTable:
        location = f"s3://{self.props.names.analytics_lake_bucket}/{table.prefix}/"
        parameters = {"EXTERNAL": "TRUE", "classification": "json", "compressionType": "gzip"}
        if table.partitioned:
            key = PARTITION_COLUMN
            parameters |= {
                "projection.enabled": "true",
                f"projection.{key}.type": "date",
                f"projection.{key}.format": PROJECTION_FORMAT,
                f"projection.{key}.range": f"{self.props.projection_start_date.isoformat()},NOW",
                f"projection.{key}.interval": "1",
                f"projection.{key}.interval.unit": "DAYS",
                # $${...} is Terraform's escape: Athena, not Terraform, fills in the day.
                "storage.location.template": f"{location}{key}=$${{{key}}}/",
            }
        return GlueCatalogTable(
            self, f"table-{table.name}", name=table.name, database_name=self.database.name,
            table_type="EXTERNAL_TABLE", parameters=parameters,
            partition_keys=[GlueCatalogTablePartitionKeys(name=PARTITION_COLUMN, type="string", comment="YYYY-MM-DD")]
            if table.partitioned else None,
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=location, input_format=TEXT_INPUT, output_format=TEXT_OUTPUT, compressed=True,
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(
                    name=f"{table.name}-json", serialization_library=JSON_SERDE, parameters={"ignore.malformed.json": "FALSE"}),
                columns=[GlueCatalogTableStorageDescriptorColumns(name=c.name, type=c.type, comment=c.comment or None)
                         for c in table.columns],
            ),
        )

    # ------------------------------------------------------------------ readers

    @property
    def workgroup_arn(self) -> str:
        return self._arn("athena", f"workgroup/{self.props.names.athena_workgroup}")

    def reader_statements(self, sid_prefix: str = "Analytics") -> tuple[Statement, ...]:
        """What a principal of this account needs to query the lake through the workgroup (reader_statements)."""
        keys = (self.props.kms_key_arn, self.props.lake_kms_key_arn or self.props.kms_key_arn)
        return reader_statements(self.props.names, keys, self.props.tables, sid_prefix)

    def _arn(self, service: str, resource: str) -> str:
        return self._partition.arn(service, self.props.region, self.props.account_id, resource)


def reader_statements(names: Names, kms_key_arns: tuple[str, ...], tables: tuple[LakeTable, ...] = TABLES,
                      sid_prefix: str = "Analytics") -> tuple[Statement, ...]:
    """IAM statements to query the lake through the workgroup and nothing else: Athena on this
    workgroup, Glue reads of this database's tables, S3 reads of the lake's table prefixes, the
    results bucket's results/ (Athena writes them as the caller), and the keys only inside S3
    requests. From names alone, so a role defined before the catalog can carry them."""
    part, region, account = names.partition, names.region, names.governance_account

    def arn(service: str, resource: str) -> str:
        return part.arn(service, region, account, resource)

    database = names.glue_database
    lake, results = part.s3_arn(names.analytics_lake_bucket), part.s3_arn(names.athena_results_bucket)
    return (
        Statement(sid=f"{sid_prefix}QueryWorkgroup", actions=ATHENA_QUERY_ACTIONS,
                  resources=(arn("athena", f"workgroup/{names.athena_workgroup}"),)),
        Statement(sid=f"{sid_prefix}BrowseCatalog", actions=ATHENA_CATALOG_ACTIONS,
                  resources=(arn("athena", "datacatalog/AwsDataCatalog"),)),
        # Glue authorises a table read on the catalog, the database and the table together.
        Statement(sid=f"{sid_prefix}ReadGlueTables", actions=GLUE_READ_ACTIONS,
                  resources=(arn("glue", "catalog"), arn("glue", f"database/{database}"),
                             *(arn("glue", f"table/{database}/{t.name}") for t in tables))),
        Statement(sid=f"{sid_prefix}ReadLakeObjects", actions=("s3:GetObject",),
                  resources=tuple(f"{lake}/{t.prefix}/*" for t in tables)),
        Statement(sid=f"{sid_prefix}ListLakeTables", actions=("s3:ListBucket",), resources=(lake,),
                  conditions={"StringLike": {"s3:prefix": [f"{t.prefix}/*" for t in tables]}}),
        # GetBucketLocation carries no s3:prefix, so it cannot share the condition above.
        Statement(sid=f"{sid_prefix}LocateBuckets", actions=("s3:GetBucketLocation",), resources=(lake, results)),
        Statement(sid=f"{sid_prefix}WriteResults", actions=RESULTS_OBJECT_ACTIONS, resources=(f"{results}/{RESULTS_PREFIX}/*",)),
        Statement(sid=f"{sid_prefix}ListResults", actions=("s3:ListBucket", "s3:ListBucketMultipartUploads"), resources=(results,)),
        # Lake objects and results are SSE-KMS (the workgroup's SSE_KMS: S3, not Athena, calls KMS), so
        # the keys are used only inside S3 requests in this region.
        Statement(sid=f"{sid_prefix}UseKeysThroughS3", actions=("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"),
                  resources=tuple(dict.fromkeys(kms_key_arns)),
                  conditions={"StringEquals": {"kms:ViaService": [part.service_host("s3", region)]}}),
    )
