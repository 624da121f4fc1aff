"""S3 bucket with the platform's defaults: versioning, SSE-KMS, public access blocked, owner-enforced
objects, TLS-only and KMS-only bucket policy, access logging, lifecycle expiry, and optionally S3 Object Lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
    S3BucketObjectLockConfigurationRuleA,
    S3BucketObjectLockConfigurationRuleDefaultRetentionA,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls, S3BucketOwnershipControlsRule
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration
from constructs import Construct

from modules.checkov import skip_checks
from modules import partition
from modules.policy import Statement, deny_insecure_transport, deny_outside_organization, document
from modules.stateful import prevent_destroy


@dataclass(frozen=True)
class ObjectLockRetention:
    """Default retention S3 applies to every new object version of an Object Lock bucket.

    COMPLIANCE (the default): no principal, the root user included, can delete a locked version or
    shorten its retention until it expires. GOVERNANCE lets holders of s3:BypassGovernanceRetention do so.
    """

    days: int
    mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"

    def __post_init__(self) -> None:
        if not isinstance(self.days, int) or isinstance(self.days, bool) or not 1 <= self.days <= 36500:
            raise ValueError(f"ObjectLockRetention.days: {self.days!r} must be a whole number of days in 1..36500")
        if self.mode not in ("COMPLIANCE", "GOVERNANCE"):
            raise ValueError(f"ObjectLockRetention.mode: {self.mode!r} must be 'COMPLIANCE' or 'GOVERNANCE'")


@dataclass(frozen=True)
class SecureBucketProps:
    bucket_name: str
    owner_account: str
    # None only for an access-log target: S3 server access logging delivers only to SSE-S3 buckets.
    kms_key_arn: str | None
    # The bucket receiving this one's access logs; None only for the log target itself.
    access_log_target: "SecureBucket | None" = None
    is_access_log_target: bool = False
    versioned: bool = True
    noncurrent_version_retention_days: int = 365
    expire_current_after_days: int | None = None
    force_destroy: bool = False
    extra_statements: tuple[Statement, ...] = ()
    # S3 Object Lock can only be switched on when the bucket is created (a later change replaces the
    # bucket); None = no Object Lock.
    object_lock: ObjectLockRetention | None = None
    # The organisation whose principals alone may use the bucket (aws:PrincipalOrgID); None: no such Deny.
    organization_id: str | None = None
    # Key patterns (e.g. "*.tfstate") whose objects and versions nobody may delete, whatever IAM allows.
    undeletable_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.object_lock is not None and not self.versioned:
            raise ValueError(f"SecureBucketProps.object_lock: bucket {self.bucket_name!r} needs versioned=True (Object Lock locks versions)")
        if self.object_lock is not None and self.is_access_log_target:
            raise ValueError(f"SecureBucketProps.object_lock: {self.bucket_name!r} is an access-log target; "
                             "S3 server access logging cannot deliver to a bucket with default retention")
        if self.kms_key_arn is None and not self.is_access_log_target:
            raise ValueError(f"SecureBucketProps.kms_key_arn: bucket {self.bucket_name!r} needs a customer-managed key")
        if self.is_access_log_target and self.access_log_target:
            raise ValueError(f"SecureBucketProps.access_log_bucket: {self.bucket_name!r} is a log target; it must not log to another bucket")
        if not self.is_access_log_target and not self.access_log_target:
            raise ValueError(f"SecureBucketProps.access_log_target: bucket {self.bucket_name!r} needs an access-log target")
        for pattern in self.undeletable_keys:
            if not pattern or pattern.startswith("/") or pattern == "*":
                raise ValueError(f"SecureBucketProps.undeletable_keys: {pattern!r} in bucket {self.bucket_name!r} must name "
                                 "some keys, not all (use object_lock for that)")


class SecureBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: SecureBucketProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.bucket = S3Bucket(self, "bucket", bucket=props.bucket_name, force_destroy=props.force_destroy,
                               object_lock_enabled=True if props.object_lock else None, lifecycle=prevent_destroy())
        self.arn = partition.of(self).s3_arn(props.bucket_name)
        if props.is_access_log_target:
            skip_checks(self.bucket, {
                "CKV_AWS_145": "S3 server access logging can deliver only to SSE-S3 buckets, not SSE-KMS",
                "CKV_AWS_144": "single-region platform; access logs are not replicated",
                "CKV2_AWS_62": "log delivery needs no event notifications",
            })
        else:
            skip_checks(self.bucket, {
                "CKV_AWS_144": "single-region platform; versioning plus PITR-like retention covers recovery",
                "CKV2_AWS_62": "nothing consumes object notifications; registry events come from SageMaker",
            })

        S3BucketPublicAccessBlock(self, "public-access-block", bucket=self.bucket.id, block_public_acls=True,
                                  block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
        S3BucketOwnershipControls(self, "ownership", bucket=self.bucket.id,
                                  rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        versioning = S3BucketVersioningA(self, "versioning", bucket=self.bucket.id,
                                         versioning_configuration=S3BucketVersioningVersioningConfiguration(
                                             status="Enabled" if props.versioned else "Suspended"))
        if props.object_lock:
            S3BucketObjectLockConfigurationA(
                self, "object-lock", bucket=self.bucket.id, depends_on=[versioning],
                rule=S3BucketObjectLockConfigurationRuleA(default_retention=S3BucketObjectLockConfigurationRuleDefaultRetentionA(
                    mode=props.object_lock.mode, days=props.object_lock.days)))
        if props.kms_key_arn:
            default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=props.kms_key_arn)
            bucket_key = True
        else:
            default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(sse_algorithm="AES256")
            bucket_key = False
        S3BucketServerSideEncryptionConfigurationA(self, "encryption", bucket=self.bucket.id, rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(apply_server_side_encryption_by_default=default, bucket_key_enabled=bucket_key)])
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=self.bucket.id, rule=[self._lifecycle_rule(props)])
        self.policy = S3BucketPolicy(self, "policy", bucket=self.bucket.id, policy=document(self._statements(props)))
        if props.access_log_target:
            target = props.access_log_target
            # S3 validates at PutBucketLogging that the target's policy already admits the log service.
            S3BucketLoggingA(self, "logging", bucket=self.bucket.id, target_bucket=target.bucket.id,
                             target_prefix=f"s3/{props.bucket_name}/", depends_on=[target.policy])

    @staticmethod
    def _lifecycle_rule(props: SecureBucketProps) -> S3BucketLifecycleConfigurationRule:
        return S3BucketLifecycleConfigurationRule(
            id="retention",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            abort_incomplete_multipart_upload=[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)],
            noncurrent_version_expiration=[S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                noncurrent_days=props.noncurrent_version_retention_days)],
            expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=props.expire_current_after_days)]
            if props.expire_current_after_days else None,
        )

    def _statements(self, props: SecureBucketProps) -> list[Statement]:
        statements = [deny_insecure_transport((self.arn, f"{self.arn}/*"), "s3")]
        if props.is_access_log_target:
            statements.append(Statement(
                sid="ServerAccessLogsDelivery",
                actions=("s3:PutObject",),
                resources=(f"{self.arn}/s3/*",),
                principals={"Service": (partition.of(self).service_principal("logging.s3"),)},
                conditions={"StringEquals": {"aws:SourceAccount": props.owner_account}},
            ))
        else:
            # "...IfExists" would also deny a request without the header, and S3 evaluates the policy
            # before default encryption applies; so deny only a header that is present and wrong.
            sse, key_id = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"
            guards = {
                "DenyNonKmsEncryption": {"StringNotEquals": {sse: "aws:kms"}, "Null": {sse: "false"}},
                "DenyOtherKmsKeys": {"StringNotEquals": {key_id: props.kms_key_arn}, "Null": {key_id: "false"}},
                # aws:kms without a key id means the AWS-managed aws/s3 key, not ours.
                "DenyAwsManagedKey": {"Null": {sse: "false", key_id: "true"}},
            }
            statements += [
                Statement(sid=sid, effect="Deny", actions=("s3:PutObject",), resources=(f"{self.arn}/*",),
                          principals={"AWS": ("*",)}, conditions=conditions)
                for sid, conditions in guards.items()
            ]
        statements += deny_outside_organization(("s3:*",), (self.arn, f"{self.arn}/*"), props.organization_id)
        if props.undeletable_keys:
            # Both: DeleteObject leaves a delete marker (the object vanishes for readers), DeleteObjectVersion erases.
            statements.append(Statement(
                sid="DenyProtectedObjectDeletion", effect="Deny", actions=("s3:DeleteObject", "s3:DeleteObjectVersion"),
                resources=tuple(f"{self.arn}/{pattern}" for pattern in props.undeletable_keys), principals={"AWS": ("*",)}))
        statements.extend(props.extra_statements)
        return statements
