"""The analytics lake: the governance table projected into flat, gzipped JSON Lines for Athena and DuckDB.

Layout and columns: mlgov_core.lake_tables; rows: mlgov_core.lake. The table's stream feeds
lake-projection (versions/, history/, metrics/); Terraform publishes the config tables (use_cases/,
gates/, alarms/) as objects built by the same code from the same config, so `terraform apply`
refreshes them and `mlgov analytics backfill` writes identical bytes.

Why overwrites and a short noncurrent retention, unlike the archive: the lake is derived (the table
is the record, the Object Lock archive the evidence), every key is a function of its row, and a
backfill rebuilds it; noncurrent versions only cover an accidental delete.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from mlgov_config.regions import partition_of
from mlgov_core import keys, lake, lake_tables
from mlgov_core.settings import TABLE_ENV
from modules.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from modules.governance_table import GovernanceTable
from modules.naming import Names
from modules.policy import Statement
from modules.python_function import PythonFunction, PythonFunctionProps
from modules.secure_bucket import SecureBucket, SecureBucketProps
from modules.stream_consumer import StreamConsumerProps, stream_consumer

SERVICE_NAME = "lake-projection"
# What the function writes; the config tables are Terraform's.
PROJECTED_TABLES = (lake_tables.VERSIONS, lake_tables.HISTORY, lake_tables.METRICS)
# STATE items of model versions (all events: a REMOVE deletes the version's object), and inserted
# history items of the two types the lake projects. CHAIN, METRICS#, COUNTER#/EXTERNAL# never reach it.
STREAM_PATTERNS: tuple[dict, ...] = (
    {"dynamodb": {"Keys": {keys.PARTITION_KEY: {"S": [{"prefix": keys.VERSION_PK_PREFIX}]},
                           keys.SORT_KEY: {"S": [keys.STATE_SORT_KEY]}}}},
    {"eventName": ["INSERT"],
     "dynamodb": {"Keys": {keys.PARTITION_KEY: {"S": [{"prefix": keys.VERSION_PK_PREFIX}]},
                           keys.SORT_KEY: {"S": [{"prefix": keys.HISTORY_PREFIX}]}},
                  "NewImage": {"item_type": {"S": [lake.REGISTRY_CHANGE, lake.METRICS_REPORT]}}}},
)


@dataclass(frozen=True)
class AnalyticsLakeProps:
    bucket_name: str
    function_name: str
    account_id: str
    region: str
    kms_key_arn: str
    access_log_target: SecureBucket
    dead_letter_queue_name: str
    powertools_layer_arn: str
    # bytes of each config object (mlgov_core.lake.config_objects), keyed by its lake key
    config_objects: tuple[tuple[str, bytes], ...] = ()
    alarm_topic_arn: str | None = None
    log_retention_days: int = 365
    noncurrent_version_retention_days: int = 30
    batch_size: int = 100
    max_retry_attempts: int = 10
    # The stream keeps a record 24 h; past that it is gone and only a backfill brings it back.
    max_record_age_seconds: int = 86400
    # Who runs `mlgov analytics backfill` (role ARNs): with the projection function, the only principals
    # that may write or delete the dashboard's rows.
    backfill_role_arns: tuple[str, ...] = ()

    @property
    def row_writer_arns(self) -> list[str]:
        projection = partition_of(self.region).iam_arn(self.account_id, f"role/{Names.function_role(self.function_name)}")
        return sorted({projection, *self.backfill_role_arns})


class AnalyticsLake(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AnalyticsLakeProps, *,
                 table: GovernanceTable) -> None:
        super().__init__(scope, construct_id)
        arn = partition_of(props.region).s3_arn(props.bucket_name)
        rows = tuple(f"{arn}/{t.prefix}/*" for t in PROJECTED_TABLES)
        self.bucket = SecureBucket(self, "bucket", SecureBucketProps(
            bucket_name=props.bucket_name, owner_account=props.account_id, kms_key_arn=props.kms_key_arn,
            access_log_target=props.access_log_target,
            noncurrent_version_retention_days=props.noncurrent_version_retention_days,
            extra_statements=(
                # The dashboard shows these rows as the record: a role someone widened must still not
                # forge, rewrite or drop one (the config tables are Terraform's: outside this Deny).
                Statement(sid="DenyForeignRowWriters", effect="Deny", principals={"AWS": ("*",)}, resources=rows,
                          actions=("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject"),
                          conditions={"ArnNotEquals": {"aws:PrincipalArn": props.row_writer_arns}}),
            ),
        ))
        self.bucket_name, self.bucket_arn = props.bucket_name, arn
        self.dead_letters = DeadLetterQueue(self, "dlq", DeadLetterQueueProps(
            queue_name=props.dead_letter_queue_name, kms_key_arn=props.kms_key_arn, alarm_topic_arn=props.alarm_topic_arn,
        ))
        self.function = PythonFunction(self, "function", PythonFunctionProps(
            function_name=props.function_name, source_dir="lake_projection",
            account_id=props.account_id, region=props.region, kms_key_arn=props.kms_key_arn,
            layers=(props.powertools_layer_arn,), log_retention_days=props.log_retention_days,
            dead_letter_queue_arn=self.dead_letters.arn,
            environment={
                lake_tables.LAKE_BUCKET_ENV: props.bucket_name,
                TABLE_ENV: table.table.name,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "LOG_LEVEL": "INFO",
            },
            statements=(
                table.grant_stream_read("ReadTableStream"),
                # A registry change is a decision only against the version's previous one (lake_store.previous_change).
                Statement(sid="QueryVersionHistory", actions=("dynamodb:Query",), resources=(table.arn,)),
                Statement(sid="WriteLake", actions=("s3:DeleteObject", "s3:PutObject"), resources=rows),
            ),
        ))
        self.mapping = stream_consumer(self, "stream", StreamConsumerProps(
            patterns=STREAM_PATTERNS, batch_size=props.batch_size, max_retry_attempts=props.max_retry_attempts,
            max_record_age_seconds=props.max_record_age_seconds,
        ), stream_arn=table.stream_arn, function_arn=self.function.arn, dead_letter_queue_arn=self.dead_letters.arn)
        self.dead_letters.finalize()
        for key, data in props.config_objects:
            S3Object(
                self, f"config-{key.split('/', 1)[0]}", bucket=self.bucket.bucket.id, key=key,
                content_base64=base64.b64encode(data).decode(), content_type="application/gzip",
                server_side_encryption="aws:kms", kms_key_id=props.kms_key_arn,
            )
