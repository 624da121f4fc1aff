"""Model artifact store in the governance account: S3 bucket + KMS key + ECR repository.

Consumers in other accounts get access in two halves: this construct's resource policies admit
their account roots, and their own IAM roles get statements from ``ArtifactStoreRef.grant_*``.

What a registered version references never changes: ``models/`` is write-once (a PUT must be a
conditional create, ``If-None-Match: *``), nothing under ``models/`` or ``baselines/`` can be deleted,
and S3 Object Lock (COMPLIANCE default retention) keeps every version even from the account's
administrators. ``baselines/`` (Model Monitor baselines) is written by the governance account only.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.ecr_repository_policy import EcrRepositoryPolicy
from constructs import Construct

from mlgov_config.regions import partition_of
from modules.encryption_key import KEY_DECRYPT_ACTIONS, KEY_USE_ACTIONS, EncryptionKey, EncryptionKeyProps
from modules.naming import Names
from modules.policy import Statement, account_root, deny_outside_organization, document
from modules.secure_bucket import ObjectLockRetention, SecureBucket, SecureBucketProps
from modules.stateful import prevent_destroy

ARTIFACT_PREFIX = "models/"
BASELINE_PREFIX = "baselines/"
READ_PREFIXES = (ARTIFACT_PREFIX, BASELINE_PREFIX)
# Condition key of the If-None-Match request header (S3 user guide, "Enforce conditional writes").
IF_NONE_MATCH_KEY = "s3:if-none-match"
# Ways to remove or unlock what a version references; denied to every principal, the owner included.
IMMUTABILITY_ACTIONS = (
    "s3:BypassGovernanceRetention", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
)
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
ECR_PUSH_ACTIONS = ECR_PULL_ACTIONS + (
    "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
)


@dataclass(frozen=True)
class ArtifactStoreRef:
    """What a consumer needs to know about the store, computable from config alone."""

    bucket_arn: str
    key_pattern_arn: str
    key_alias: str
    repository_arn: str

    @classmethod
    def from_names(cls, names: Names) -> "ArtifactStoreRef":
        return cls(names.artifact_bucket_arn(), names.artifact_key_pattern_arn(), names.artifact_key_alias, names.model_repository_arn())

    def via_services(self) -> list[str]:
        """The services through which consumers may use the artifact key: S3 (objects) and ECR (images)."""
        region = self.key_pattern_arn.split(":")[3]
        return [partition_of(region).service_host(service, region) for service in ("ecr", "s3")]

    def _key(self, sid: str, actions: tuple[str, ...]) -> Statement:
        alias_arn = self.key_pattern_arn.replace("key/*", self.key_alias)
        return Statement(
            sid=sid,
            actions=actions,
            resources=(self.key_pattern_arn,),
            # kms:ViaService: the key works only inside S3/ECR requests, never for direct Decrypt calls
            # on data taken elsewhere.
            conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": [alias_arn.split(":")[-1]]},
                        "StringEquals": {"kms:ViaService": self.via_services()}},
        )

    def grant_decrypt(self, sid: str) -> Statement:
        """Decrypt objects of the store (through S3 only, see _key), e.g. for a reader of one baseline folder."""
        return self._key(sid, KEY_DECRYPT_ACTIONS)

    def grant_read(self, sid_prefix: str) -> list[Statement]:
        """Released objects only: model artifacts and the governance-owned monitoring baselines."""
        return [
            Statement(sid=f"{sid_prefix}ListArtifacts", actions=("s3:ListBucket",), resources=(self.bucket_arn,),
                      conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in READ_PREFIXES]}}),
            Statement(sid=f"{sid_prefix}ReadArtifacts", actions=("s3:GetObject", "s3:GetObjectVersion"),
                      resources=tuple(f"{self.bucket_arn}/{p}*" for p in READ_PREFIXES)),
            self._key(f"{sid_prefix}DecryptArtifacts", KEY_DECRYPT_ACTIONS),
            Statement(sid=f"{sid_prefix}PullImages", actions=ECR_PULL_ACTIONS, resources=(self.repository_arn,)),
            Statement(sid=f"{sid_prefix}EcrToken", actions=("ecr:GetAuthorizationToken",), resources=("*",),
                      any_resource_reason="ecr:GetAuthorizationToken has no resource-level permission"),
        ]

    def grant_write(self, sid_prefix: str) -> list[Statement]:
        read = self.grant_read(sid_prefix)
        return [s for s in read if not s.sid.endswith(("DecryptArtifacts", "PullImages"))] + [
            # PutObject only, under models/ only: no DeleteObject (what a version references stays) and
            # nothing under baselines/. The bucket policy further allows only conditional creates.
            Statement(sid=f"{sid_prefix}WriteArtifacts", actions=("s3:PutObject",),
                      resources=(f"{self.bucket_arn}/{ARTIFACT_PREFIX}*",)),
            self._key(f"{sid_prefix}EncryptArtifacts", KEY_USE_ACTIONS),
            Statement(sid=f"{sid_prefix}PushImages", actions=ECR_PUSH_ACTIONS, resources=(self.repository_arn,)),
        ]


@dataclass(frozen=True)
class ArtifactStoreProps:
    names: Names
    # Accounts that read artifacts (deploy) and that write them (register from dev).
    reader_accounts: tuple[str, ...] = ()
    writer_accounts: tuple[str, ...] = ()
    access_log_retention_days: int = 365
    noncurrent_version_retention_days: int = 365
    untagged_image_retention_days: int = 30
    # Object Lock default retention (COMPLIANCE) of every artifact version; from platform.governance.
    artifact_retention_days: int = 365
    # Deny every principal outside this organisation on the bucket, key and repository; None: no such Deny.
    organization_id: str | None = None

    def __post_init__(self) -> None:
        try:
            ObjectLockRetention(days=self.artifact_retention_days)
        except ValueError as err:
            raise ValueError(f"ArtifactStoreProps.artifact_retention_days: {err}") from None
        overlap = set(self.reader_accounts) & set(self.writer_accounts)
        if overlap:
            raise ValueError(f"ArtifactStoreProps: accounts {sorted(overlap)} are both readers and writers; writers already read")


class ArtifactStore(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ArtifactStoreProps) -> None:
        super().__init__(scope, construct_id)
        names = self.names = props.names
        self.ref = ArtifactStoreRef.from_names(names)
        consumers = props.reader_accounts + props.writer_accounts
        self.key = EncryptionKey(self, "key", EncryptionKeyProps(
            alias=names.artifact_key_alias,
            description="mlgov model artifacts (S3 and ECR), shared with the consumer accounts",
            owner_account=names.governance_account,
            region=names.region,
            account_users=props.writer_accounts,
            account_readers=props.reader_accounts,
            cross_account_via_services=tuple(self.ref.via_services()),
            extra_statements=tuple(deny_outside_organization(("kms:*",), ("*",), props.organization_id)),
        ))
        self.access_logs = SecureBucket(self, "access-logs", SecureBucketProps(
            bucket_name=names.access_log_bucket,
            owner_account=names.governance_account,
            kms_key_arn=None,
            is_access_log_target=True,
            expire_current_after_days=props.access_log_retention_days,
        ))
        self.bucket = SecureBucket(self, "artifacts", SecureBucketProps(
            bucket_name=names.artifact_bucket,
            owner_account=names.governance_account,
            kms_key_arn=self.key.arn,
            access_log_target=self.access_logs,
            noncurrent_version_retention_days=props.noncurrent_version_retention_days,
            extra_statements=tuple(self._immutability_guards() + self._bucket_grants(props) + deny_outside_organization(
                ("s3:*",), (self.ref.bucket_arn, f"{self.ref.bucket_arn}/*"), props.organization_id)),
            object_lock=ObjectLockRetention(days=props.artifact_retention_days, mode="COMPLIANCE"),
        ))
        self.repository = EcrRepository(
            self, "repository",
            name=names.model_repository,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=self.key.arn)],
            lifecycle=prevent_destroy(),
        )
        EcrLifecyclePolicy(self, "repository-lifecycle", repository=self.repository.name, policy=_untagged_expiry(props.untagged_image_retention_days))
        if consumers:
            EcrRepositoryPolicy(self, "repository-policy", repository=self.repository.name, policy=document(self._repository_grants(props)))

    def _immutability_guards(self) -> list[Statement]:
        """Denies for every principal (the governance account's own administrators included).

        Write-once: a PUT (or copy) into models/ must carry If-None-Match: * (S3 then refuses an existing
        key with 412). A negated operator matches a request without the key, so a plain PUT is denied.
        This also refuses multipart uploads (CreateMultipartUpload carries no conditional header):
        artifacts go up in one PUT (up to 5 GB).
        """
        arn, everyone = self.ref.bucket_arn, {"AWS": ("*",)}
        return [
            Statement(sid="DenyModelOverwrite", effect="Deny", actions=("s3:PutObject",), principals=everyone,
                      resources=(f"{arn}/{ARTIFACT_PREFIX}*",), conditions={"StringNotEquals": {IF_NONE_MATCH_KEY: "*"}}),
            Statement(sid="DenyReleasedChanges", effect="Deny", actions=IMMUTABILITY_ACTIONS, principals=everyone,
                      resources=tuple(f"{arn}/{p}*" for p in READ_PREFIXES)),
            # Baselines are the governance account's: nobody else writes there, whatever their IAM says.
            Statement(sid="DenyForeignBaselines", effect="Deny", actions=("s3:PutObject",), principals=everyone,
                      resources=(f"{arn}/{BASELINE_PREFIX}*",),
                      conditions={"StringNotEquals": {"aws:PrincipalAccount": self.names.governance_account}}),
        ]

    def _bucket_grants(self, props: ArtifactStoreProps) -> list[Statement]:
        arn = self.ref.bucket_arn
        statements = []
        consumers = props.reader_accounts + props.writer_accounts
        if consumers:
            roots = tuple(account_root(self.names.partition, a) for a in consumers)
            statements.append(Statement(sid="ConsumersList", actions=("s3:ListBucket",), resources=(arn,), principals={"AWS": roots},
                                        conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in READ_PREFIXES]}}))
            statements.append(Statement(sid="ConsumersRead", actions=("s3:GetObject", "s3:GetObjectVersion"),
                                        resources=tuple(f"{arn}/{p}*" for p in READ_PREFIXES), principals={"AWS": roots}))
        if props.writer_accounts:
            # Encryption needs no condition here: default encryption applies the artifact key and the
            # bucket policy denies any other key, whoever the writer is. PutObject only: the Denies
            # above make it a conditional create, and no writer deletes.
            statements.append(Statement(
                sid="WritersPut", actions=("s3:PutObject",), resources=(f"{arn}/{ARTIFACT_PREFIX}*",),
                principals={"AWS": tuple(account_root(self.names.partition, a) for a in props.writer_accounts)},
            ))
        return statements

    def _repository_grants(self, props: ArtifactStoreProps) -> list[Statement]:
        statements = [Statement(sid="ConsumersPull", actions=ECR_PULL_ACTIONS,
                                principals={"AWS": tuple(account_root(self.names.partition, a) for a in props.reader_accounts + props.writer_accounts)})]
        if props.writer_accounts:
            statements.append(Statement(sid="WritersPush", actions=ECR_PUSH_ACTIONS,
                                        principals={"AWS": tuple(account_root(self.names.partition, a) for a in props.writer_accounts)}))
        return statements + deny_outside_organization(("ecr:*",), (), props.organization_id)


def _untagged_expiry(days: int) -> str:
    import json

    return json.dumps({"rules": [{
        "rulePriority": 1,
        "description": f"expire untagged images after {days} days",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days},
        "action": {"type": "expire"},
    }]}, indent=2)
