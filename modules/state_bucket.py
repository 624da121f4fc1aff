"""The Terraform state bucket (terraform/bootstrap): every stack's state and its native lock file.

Built from SecureBucket (versioning, SSE-KMS, public access blocked, owner enforced, TLS-only) with
its own key, its own access-log bucket, the organisation Deny, prevent_destroy, and a Deny of deleting
any `*.tfstate` object or version. Lock files (`<key>.tflock`) stay deletable: Terraform's native S3
locking (use_lockfile) writes one with a conditional PutObject at the start of a run and deletes it
at the end. The grants below are what the pipeline's roles need, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from modules.encryption_key import EncryptionKey, EncryptionKeyProps
from modules.policy import Statement
from modules.secure_bucket import SecureBucket, SecureBucketProps

STATE_SUFFIX = ".tfstate"
LOCK_SUFFIX = ".tflock"
# S3 encrypts a state object with a data key from the bucket's key: reading needs Decrypt, writing GenerateDataKey.
STATE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class StateBucketProps:
    bucket_name: str
    key_prefix: str
    owner_account: str
    region: str
    organization_id: str
    key_alias: str
    access_log_bucket_name: str
    # Older state versions are kept this long after they are replaced (to roll a bad apply back).
    noncurrent_version_retention_days: int = 365
    # Bucket policy statements the stack adds (e.g. per-role write guards).
    extra_statements: tuple[Statement, ...] = ()

    def __post_init__(self) -> None:
        if not self.organization_id:
            raise ValueError(f"StateBucketProps.organization_id: bucket {self.bucket_name!r} must deny principals outside the organisation")


class StateBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: StateBucketProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.key = EncryptionKey(self, "key", EncryptionKeyProps(
            alias=props.key_alias, description="Terraform state of every mlgov stack", owner_account=props.owner_account,
            region=props.region))
        self.access_logs = SecureBucket(self, "access-logs", SecureBucketProps(
            bucket_name=props.access_log_bucket_name, owner_account=props.owner_account, kms_key_arn=None,
            is_access_log_target=True, expire_current_after_days=365, organization_id=props.organization_id))
        self.bucket = SecureBucket(self, "bucket", SecureBucketProps(
            bucket_name=props.bucket_name, owner_account=props.owner_account, kms_key_arn=self.key.arn,
            access_log_target=self.access_logs, noncurrent_version_retention_days=props.noncurrent_version_retention_days,
            organization_id=props.organization_id, undeletable_keys=(f"*{STATE_SUFFIX}",),
            extra_statements=props.extra_statements))
        self.arn = self.bucket.arn

    def state_object(self, stack: str) -> str:
        return f"{self.arn}/{self.props.key_prefix}/{stack}{STATE_SUFFIX}"

    def lock_object(self, stack: str) -> str:
        return f"{self.state_object(stack)}{LOCK_SUFFIX}"

    @property
    def every_state_object(self) -> str:
        return f"{self.arn}/{self.props.key_prefix}/*{STATE_SUFFIX}"

    @property
    def every_lock_object(self) -> str:
        return f"{self.arn}/{self.props.key_prefix}/*{STATE_SUFFIX}{LOCK_SUFFIX}"

    def _common(self, sid: str) -> list[Statement]:
        return [
            # The backend lists keys (workspaces) and reads object metadata; keys are not secret.
            Statement(sid=f"{sid}List", actions=("s3:ListBucket",), resources=(self.arn,)),
            Statement(sid=f"{sid}Key", actions=STATE_KEY_ACTIONS, resources=(self.key.arn,)),
        ]

    def grant_plan(self, sid: str) -> list[Statement]:
        """Read every stack's state, take and release every stack's lock; never write a state."""
        return [
            Statement(sid=f"{sid}ReadState", actions=("s3:GetObject",), resources=(self.every_state_object,)),
            Statement(sid=f"{sid}Locks", actions=("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
                      resources=(self.every_lock_object,)),
            *self._common(sid),
        ]

    def grant_apply(self, sid: str, stack: str) -> list[Statement]:
        """Read and write one stack's state and its lock, and nothing else in the bucket."""
        return [
            Statement(sid=f"{sid}State", actions=("s3:GetObject", "s3:PutObject"), resources=(self.state_object(stack),)),
            Statement(sid=f"{sid}Lock", actions=("s3:DeleteObject", "s3:GetObject", "s3:PutObject"),
                      resources=(self.lock_object(stack),)),
            *self._common(sid),
        ]
