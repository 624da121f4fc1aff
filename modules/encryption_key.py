"""Customer-managed KMS key with rotation, an alias and a least-privilege key policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules import partition
from modules.policy import Statement, account_root, document
from modules.stateful import prevent_destroy

# The account root keeps administration so IAM policies in the account can delegate it; the list is
# explicit because the platform forbids "kms:*".
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
    "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
    "kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RetireGrant",
    "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription", "kms:Encrypt", "kms:Decrypt",
    "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo",
)
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo")
KEY_DECRYPT_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")


@dataclass(frozen=True)
class EncryptionKeyProps:
    alias: str
    description: str
    owner_account: str
    region: str
    # Service principals (e.g. logs.<region>.amazonaws.com) that encrypt with the key on our behalf.
    service_users: tuple[str, ...] = ()
    # Other accounts that may use the key; their own IAM policies must grant it as well.
    account_users: tuple[str, ...] = ()
    account_readers: tuple[str, ...] = ()
    # If set, other accounts may use the key only inside requests of these services (kms:ViaService,
    # e.g. s3.<region>.amazonaws.com): whatever their own IAM grants, no direct Decrypt calls.
    cross_account_via_services: tuple[str, ...] = ()
    deletion_window_in_days: int = 30
    enable_key_rotation: bool = True
    extra_statements: tuple[Statement, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 7 <= self.deletion_window_in_days <= 30:
            raise ValueError(f"EncryptionKeyProps.deletion_window_in_days: {self.deletion_window_in_days} not in 7..30")
        if not self.alias.startswith("alias/"):
            raise ValueError(f"EncryptionKeyProps.alias: {self.alias!r} must start with 'alias/'")


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: EncryptionKeyProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        owner_partition = partition.of(self)

        def root(account: str) -> str:
            return account_root(owner_partition, account)

        via = {"StringEquals": {"kms:ViaService": sorted(props.cross_account_via_services)}} if props.cross_account_via_services else {}
        grants = [
            ("AccountAdministration", KEY_ADMIN_ACTIONS, {"AWS": (root(props.owner_account),)}, {}),
            ("ServiceUse", KEY_USE_ACTIONS, {"Service": props.service_users},
             {"StringEquals": {"aws:SourceAccount": props.owner_account}}),
            ("CrossAccountUse", KEY_USE_ACTIONS, {"AWS": tuple(root(a) for a in props.account_users)}, via),
            ("CrossAccountDecrypt", KEY_DECRYPT_ACTIONS, {"AWS": tuple(root(a) for a in props.account_readers)}, via),
        ]
        statements = [
            Statement(sid=sid, actions=actions, principals=principals, conditions=conditions,
                      resources=("*",), any_resource_reason="in a key policy '*' means this key")
            for sid, actions, principals, conditions in grants
            if all(principals.values())  # a statement only for principals that exist
        ]
        statements.extend(props.extra_statements)
        self.key = KmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=props.enable_key_rotation,
            deletion_window_in_days=props.deletion_window_in_days,
            policy=document(statements),
            lifecycle=prevent_destroy(),
        )
        KmsAlias(self, "alias", name=props.alias, target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn

    def use_statement(self, sid: str) -> Statement:
        """IAM statement for a principal in the owner account that encrypts and decrypts with this key."""
        return Statement(sid=sid, actions=KEY_USE_ACTIONS, resources=(self.key.arn,))
