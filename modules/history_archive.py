"""The audit archive: every history item of the governance table, written once into an S3 Object Lock bucket.

Why a stream consumer and not a write inside registry-sync, metrics-ingest, reconcile and the CLI:
the table's stream sees every item whoever writes it, so no code path (ours, a future one, or a
hand-made PutItem) can skip the archive, and the writers keep their one transaction per event.
The event source mapping passes only ``HIST#`` keys, keeps shard order (one batch at a time), retries
with bisection, and sends a batch it cannot archive to the DLQ (alarmed). The DLQ message holds the
batch's stream position; the records stay readable in the stream for 24 hours to be redriven.

The bucket: COMPLIANCE retention (nobody, the root user included, removes a version or shortens its
lock), writes only by the archive function and only as creates (If-None-Match: *), no deletes (a
delete marker would hide an object from the lake). A metric alarm fires on any edit or deletion of a
history item in the table (history-archive counts them).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

from mlgov_config.regions import partition_of
from mlgov_core import archive, keys
from modules.artifact_store import IF_NONE_MATCH_KEY, IMMUTABILITY_ACTIONS
from modules.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from modules.governance_table import GovernanceTable
from modules.naming import Names
from modules.policy import Statement
from modules.python_function import PythonFunction, PythonFunctionProps
from modules.secure_bucket import ObjectLockRetention, SecureBucket, SecureBucketProps
from modules.stream_consumer import StreamConsumerProps, stream_consumer

SERVICE_NAME = "history-archive"
ARCHIVED_PREFIXES = (f"{archive.HISTORY_PREFIX}/", f"{archive.CHANGES_PREFIX}/")
STREAM_PATTERNS: tuple[dict, ...] = ({"dynamodb": {"Keys": {keys.SORT_KEY: {"S": [{"prefix": keys.HISTORY_PREFIX}]}}}},)


@dataclass(frozen=True)
class HistoryArchiveProps:
    bucket_name: str
    function_name: str
    account_id: str
    region: str
    kms_key_arn: str
    access_log_target: SecureBucket
    dead_letter_queue_name: str
    powertools_layer_arn: str
    # Object Lock COMPLIANCE default retention of every archived version (platform.governance.audit_retention_days).
    retention_days: int = 365
    alarm_topic_arn: str | None = None
    log_retention_days: int = 365
    batch_size: int = 100
    # Stream records live 24 h: retry (bisecting) this often, then hand the batch's position to the DLQ.
    max_retry_attempts: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.retention_days <= 36500:
            raise ValueError(f"HistoryArchiveProps.retention_days: {self.retention_days} not in 1..36500")
        if not 1 <= self.batch_size <= 1000:
            raise ValueError(f"HistoryArchiveProps.batch_size: {self.batch_size} not in 1..1000")
        if not 0 <= self.max_retry_attempts <= 10000:
            raise ValueError(f"HistoryArchiveProps.max_retry_attempts: {self.max_retry_attempts} not in 0..10000 (Lambda's limit)")

    @property
    def role_arn(self) -> str:
        # PythonFunction names the role <function>-lambda; the bucket policy names it before it exists.
        return partition_of(self.region).iam_arn(self.account_id, f"role/{self.function_name}-lambda")


class HistoryArchive(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: HistoryArchiveProps, *,
                 table: GovernanceTable) -> None:
        super().__init__(scope, construct_id)
        arn = partition_of(props.region).s3_arn(props.bucket_name)
        objects = tuple(f"{arn}/{prefix}*" for prefix in ARCHIVED_PREFIXES)
        everyone = {"AWS": ("*",)}
        self.bucket = SecureBucket(self, "bucket", SecureBucketProps(
            bucket_name=props.bucket_name, owner_account=props.account_id, kms_key_arn=props.kms_key_arn,
            access_log_target=props.access_log_target,
            object_lock=ObjectLockRetention(days=props.retention_days, mode="COMPLIANCE"),
            extra_statements=(
                # Only the archive function writes, and only creates: a PUT without If-None-Match: * is
                # refused, so not even the function can stack a second locked version on a key.
                Statement(sid="DenyForeignWriters", effect="Deny", actions=("s3:PutObject",), principals=everyone,
                          resources=(f"{arn}/*",), conditions={"ArnNotEquals": {"aws:PrincipalArn": props.role_arn}}),
                Statement(sid="DenyOverwrite", effect="Deny", actions=("s3:PutObject",), principals=everyone,
                          resources=(f"{arn}/*",), conditions={"StringNotEquals": {IF_NONE_MATCH_KEY: "*"}}),
                Statement(sid="DenyDeletes", effect="Deny", actions=IMMUTABILITY_ACTIONS, principals=everyone,
                          resources=(f"{arn}/*",)),
            ),
        ))
        self.dead_letters = DeadLetterQueue(self, "dlq", DeadLetterQueueProps(
            queue_name=props.dead_letter_queue_name, kms_key_arn=props.kms_key_arn, alarm_topic_arn=props.alarm_topic_arn,
        ))
        self.function = PythonFunction(self, "function", PythonFunctionProps(
            function_name=props.function_name, source_dir="history_archive",
            account_id=props.account_id, region=props.region, kms_key_arn=props.kms_key_arn,
            layers=(props.powertools_layer_arn,), log_retention_days=props.log_retention_days,
            dead_letter_queue_arn=self.dead_letters.arn,
            environment={
                archive.BUCKET_ENV: props.bucket_name,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "LOG_LEVEL": "INFO",
            },
            statements=(
                table.grant_stream_read("ReadTableStream"),
                # GetObject backs HeadObject: a retry compares the stored object's checksum with its own.
                Statement(sid="ArchiveHistory", actions=("s3:GetObject", "s3:PutObject"), resources=objects),
            ),
        ))
        self.mapping = stream_consumer(self, "stream", StreamConsumerProps(
            patterns=STREAM_PATTERNS, batch_size=props.batch_size, max_retry_attempts=props.max_retry_attempts,
        ), stream_arn=table.stream_arn, function_arn=self.function.arn, dead_letter_queue_arn=self.dead_letters.arn)
        self.dead_letters.finalize()
        actions = [props.alarm_topic_arn] if props.alarm_topic_arn else []
        CloudwatchMetricAlarm(
            self, "changed-alarm",
            alarm_name=Names.history_changed_alarm(props.function_name),
            alarm_description="A history item of the governance table was edited or deleted; the archive keeps the "
                              f"original and the change under {archive.CHANGES_PREFIX}/",
            namespace=archive.METRIC_NAMESPACE, metric_name=archive.CHANGED_METRIC,
            dimensions={"service": SERVICE_NAME}, statistic="Sum", period=300, evaluation_periods=1,
            threshold=1, comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
            alarm_actions=actions, ok_actions=actions,
        )
