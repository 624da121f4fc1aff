"""The governance account's CloudTrail trail: who did what to the registry, the table and the buckets.

Management events (read and write) cover every registry call (Create/Update/DescribeModelPackage,
PutModelPackageGroupPolicy) and every IAM, KMS, Lambda or policy change of the account; data
events add the governance table's item calls and the object calls on the artifact and audit
buckets. Log file validation writes hourly signed digests, so a deleted or edited log file is
detectable; the delivery bucket is under Object Lock COMPLIANCE, so none can be removed before its
retention ends. A dedicated key encrypts the logs: its policy lets CloudTrail encrypt only for this
trail (aws:SourceArn) and only with this account's trail ARNs as encryption context.

With ``platform.governance.trail.organization_trail`` the organisation's trail is relied on instead
and nothing here is created (docs/security.md lists what that trail must record).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudtrail import (
    Cloudtrail,
    CloudtrailAdvancedEventSelector,
    CloudtrailAdvancedEventSelectorFieldSelector,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from mlgov_config.regions import Partition, partition_of
from modules.artifact_store import IMMUTABILITY_ACTIONS
from modules.checkov import skip_checks
from modules.encryption_key import EncryptionKey, EncryptionKeyProps
from modules.naming import Names
from modules.policy import Statement, document
from modules.registry_guards import role_policy
from modules.secure_bucket import ObjectLockRetention, SecureBucket, SecureBucketProps
from modules.stateful import prevent_destroy



@dataclass(frozen=True)
class AuditTrailProps:
    trail_name: str
    bucket_name: str
    key_alias: str
    account_id: str
    region: str
    access_log_target: SecureBucket
    # Data events: DynamoDB tables (item calls) and S3 buckets (object calls) by ARN.
    table_arns: tuple[str, ...] = ()
    bucket_arns: tuple[str, ...] = ()
    # Object Lock COMPLIANCE default retention of every log and digest file (platform.governance.trail).
    retention_days: int = 365
    # CloudWatch Logs copy for searching and metric filters; its retention (a CloudWatch period).
    log_retention_days: int = 365

    def __post_init__(self) -> None:
        try:
            ObjectLockRetention(days=self.retention_days)
        except ValueError as err:
            raise ValueError(f"AuditTrailProps.retention_days: {err}") from None
        partition = self.partition.id
        for arn in self.table_arns:
            if not arn.startswith(f"arn:{partition}:dynamodb:") or ":table/" not in arn:
                raise ValueError(f"AuditTrailProps.table_arns: {arn!r} is not a DynamoDB table ARN")
        for arn in self.bucket_arns:
            if not arn.startswith(f"arn:{partition}:s3:::") or "/" in arn:
                raise ValueError(f"AuditTrailProps.bucket_arns: {arn!r} is not an S3 bucket ARN")

    @property
    def partition(self) -> Partition:
        return partition_of(self.region)

    @property
    def trail_arn(self) -> str:
        return self.partition.arn("cloudtrail", self.region, self.account_id, f"trail/{self.trail_name}")

    @property
    def log_group_name(self) -> str:
        return Names.trail_log_group(self.trail_name)


def _selector(name: str, *fields: tuple[str, str, list[str]]) -> CloudtrailAdvancedEventSelector:
    """One advanced event selector from (field, operator, values), operator "equal_to" or "starts_with"."""
    return CloudtrailAdvancedEventSelector(name=name, field_selector=[
        CloudtrailAdvancedEventSelectorFieldSelector(field=field, **{operator: values})
        for field, operator, values in sorted(fields)
    ])


class AuditTrail(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: AuditTrailProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        here = props.partition
        cloudtrail = here.service_principal("cloudtrail")
        source_arn = {"StringEquals": {"aws:SourceArn": props.trail_arn}}
        self.key = EncryptionKey(self, "key", EncryptionKeyProps(
            alias=props.key_alias, description="mlgov audit trail: CloudTrail log files and their CloudWatch Logs copy",
            owner_account=props.account_id, region=props.region,
            service_users=(here.service_principal("logs", props.region),),
            extra_statements=(
                Statement(sid="CloudTrailEncrypt", actions=("kms:GenerateDataKey*",), principals={"Service": (cloudtrail,)},
                          resources=("*",), any_resource_reason="in a key policy '*' means this key",
                          conditions={**source_arn, "StringLike": {
                              "kms:EncryptionContext:aws:cloudtrail:arn": here.arn("cloudtrail", "*", props.account_id, "trail/*")}}),
                Statement(sid="CloudTrailDescribeKey", actions=("kms:DescribeKey",), principals={"Service": (cloudtrail,)},
                          resources=("*",), any_resource_reason="in a key policy '*' means this key", conditions=source_arn),
            ),
        ))
        arn = here.s3_arn(props.bucket_name)
        logs_prefix = f"{arn}/AWSLogs/{props.account_id}/*"
        self.bucket = SecureBucket(self, "bucket", SecureBucketProps(
            bucket_name=props.bucket_name, owner_account=props.account_id, kms_key_arn=self.key.arn,
            access_log_target=props.access_log_target,
            object_lock=ObjectLockRetention(days=props.retention_days, mode="COMPLIANCE"),
            extra_statements=(
                Statement(sid="CloudTrailAclCheck", actions=("s3:GetBucketAcl",), resources=(arn,),
                          principals={"Service": (cloudtrail,)}, conditions=source_arn),
                Statement(sid="CloudTrailWrite", actions=("s3:PutObject",), resources=(logs_prefix,),
                          principals={"Service": (cloudtrail,)},
                          conditions={"StringEquals": {"aws:SourceArn": props.trail_arn,
                                                       "s3:x-amz-acl": "bucket-owner-full-control"}}),
                # Object Lock already refuses these on locked versions; the Deny also covers delete markers.
                Statement(sid="DenyLogDeletes", effect="Deny", actions=IMMUTABILITY_ACTIONS, principals={"AWS": ("*",)},
                          resources=(f"{arn}/*",)),
            ),
        ))
        self.log_group = CloudwatchLogGroup(self, "logs", name=props.log_group_name,
                                            retention_in_days=props.log_retention_days, kms_key_id=self.key.arn,
                                            lifecycle=prevent_destroy())
        self.logs_role = IamRole(self, "logs-role", name=Names.trail_logs_role(props.trail_name),
                                 assume_role_policy=document([Statement(
                                     sid="CloudTrailAssume", actions=("sts:AssumeRole",), principals={"Service": (cloudtrail,)},
                                     conditions=source_arn)]))
        log_group_arn = here.arn("logs", props.region, props.account_id, f"log-group:{props.log_group_name}")
        IamRolePolicy(self, "logs-policy", name="deliver-trail", role=self.logs_role.id, policy=role_policy(here, [
            Statement(sid="DeliverTrail", actions=("logs:CreateLogStream", "logs:PutLogEvents"),
                      resources=(f"{log_group_arn}:log-stream:*",)),
        ]))
        # No readOnly field: read and write events both. The registry's calls are management events.
        selectors = [_selector("Management events", ("eventCategory", "equal_to", ["Management"]))]
        if props.table_arns:
            selectors.append(_selector("Governance table items", ("eventCategory", "equal_to", ["Data"]),
                                       ("resources.type", "equal_to", ["AWS::DynamoDB::Table"]),
                                       ("resources.ARN", "equal_to", sorted(props.table_arns))))
        if props.bucket_arns:
            selectors.append(_selector("Artifact and audit objects", ("eventCategory", "equal_to", ["Data"]),
                                       ("resources.type", "equal_to", ["AWS::S3::Object"]),
                                       ("resources.ARN", "starts_with", sorted(f"{b}/" for b in props.bucket_arns))))
        self.trail = Cloudtrail(
            self, "trail", name=props.trail_name, s3_bucket_name=self.bucket.bucket.id,
            kms_key_id=self.key.arn, enable_log_file_validation=True,
            is_multi_region_trail=True, include_global_service_events=True, enable_logging=True,
            cloud_watch_logs_group_arn=f"{self.log_group.arn}:*", cloud_watch_logs_role_arn=self.logs_role.arn,
            advanced_event_selector=selectors,
            # CloudTrail checks the bucket policy and the key policy when the trail is created.
            depends_on=[self.bucket.policy, self.key.key],
        )
        skip_checks(self.trail, {
            "CKV_AWS_252": "a notification per delivered log file would flood the alarm topic; log file validation "
                           "digests and the CloudWatch Logs copy are how tampering and gaps are found",
        })
