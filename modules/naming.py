"""Deterministic names and ARNs, derived from config only.

Stacks of different accounts never reference each other's Terraform state: the dev stack finds
the governance account's bucket, key alias, repository and groups through these names instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlgov_config import AccountRole, MlgovConfig
from mlgov_config.models import artifact_bucket_name
from mlgov_core import release


@dataclass(frozen=True)
class Names:
    prefix: str
    region: str
    governance_account: str

    @classmethod
    def from_config(cls, config: MlgovConfig) -> "Names":
        p = config.platform
        return cls(p.name_prefix, p.home_region, p.account_id(AccountRole.GOVERNANCE))

    # S3 bucket names are global: the account id and region keep them unique per installation.
    @property
    def artifact_bucket(self) -> str:
        return artifact_bucket_name(self.prefix, self.governance_account, self.region)

    @property
    def audit_archive_bucket(self) -> str:
        """The history archive (Object Lock): every governance table history item, once."""
        return f"{self.prefix}-audit-archive-{self.governance_account}-{self.region}"

    @property
    def audit_trail_bucket(self) -> str:
        """The CloudTrail trail's delivery bucket (Object Lock)."""
        return f"{self.prefix}-audit-trail-{self.governance_account}-{self.region}"

    @property
    def access_log_bucket(self) -> str:
        return self.access_log_bucket_for(self.governance_account)

    def access_log_bucket_for(self, account_id: str) -> str:
        """Each account its own: S3 delivers server access logs only to a bucket in the same account and region."""
        return f"{self.prefix}-access-logs-{account_id}-{self.region}"

    @property
    def artifact_key_alias(self) -> str:
        return f"alias/{self.prefix}-artifacts"

    @property
    def governance_key_alias(self) -> str:
        return f"alias/{self.prefix}-governance"

    @property
    def model_repository(self) -> str:
        return f"{self.prefix}/models"

    @property
    def governance_table(self) -> str:
        return f"{self.prefix}-model-stage-governance"

    @property
    def metrics_bus(self) -> str:
        return f"{self.prefix}-metrics"

    def metrics_bus_arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.governance_account}:event-bus/{self.metrics_bus}"

    def endpoint(self, use_case: str, stage: str) -> str:
        return f"{self.prefix}-{use_case}-{stage}"

    def package_arn(self, group: str, version: int) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.governance_account}:model-package/{group.lower()}/{version}"

    def function(self, short_name: str) -> str:
        return f"{self.prefix}-{short_name}"

    # The decision function is the one principal that may set approval status and lifecycle; the
    # group policy names its role (PythonFunction names roles "<function>-lambda").
    DECISION_FUNCTION = "model-decisions"

    @property
    def decision_function_role_arn(self) -> str:
        return f"arn:aws:iam::{self.governance_account}:role/{self.function(self.DECISION_FUNCTION)}-lambda"

    def function_role_arn(self, short_name: str) -> str:
        return self.role_arn(f"{self.function(short_name)}-lambda")

    def role_arn(self, role_name: str) -> str:
        return f"arn:aws:iam::{self.governance_account}:role/{role_name}"

    # The governance table's writers outside Lambda, and the one role that may delete or change it
    # (modules/table_guard.py); the CLI assumes the first two for reconcile and register-external.
    @property
    def table_reconciler_role(self) -> str:
        return f"{self.prefix}-table-reconciler"

    @property
    def external_registrar_role(self) -> str:
        return f"{self.prefix}-external-registrar"

    @property
    def table_break_glass_role(self) -> str:
        return f"{self.prefix}-table-break-glass"

    # Read-only reviewer in the governance account (stacks/governance.py); the CLI's read commands use it.
    @property
    def compliance_officer_role(self) -> str:
        return f"{self.prefix}-compliance-officer"

    @property
    def decision_api(self) -> str:
        return f"{self.prefix}-decisions"

    def artifact_bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.artifact_bucket}"

    def artifact_key_pattern_arn(self) -> str:
        """Key ids are random, so cross-account grants match the key by its alias (kms:ResourceAliases)."""
        return f"arn:aws:kms:{self.region}:{self.governance_account}:key/*"

    def model_repository_arn(self) -> str:
        return f"arn:aws:ecr:{self.region}:{self.governance_account}:repository/{self.model_repository}"

    # SageMaker lower-cases resource names in ARNs, and IAM compares ARNs case-sensitively.
    def group_arn(self, group: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.governance_account}:model-package-group/{group.lower()}"

    def group_packages_arn(self, group: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.governance_account}:model-package/{group.lower()}/*"

    # The prod account builds models only from a group's release group (mlgov_core.release).
    @staticmethod
    def release_group(group: str) -> str:
        return release.release_group(group)

    def release_package_arn(self, group: str, release_number: int) -> str:
        return self.package_arn(release.release_group(group), release_number)
