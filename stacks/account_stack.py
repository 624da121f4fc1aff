"""What every account stack shares: provider pinned to its account, default tags, S3 backend."""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags
from constructs import Construct

from mlgov_config import AccountRole, MlgovConfig
from mlgov_config.models import ACCOUNT_ROLE_TAG
from mlgov_config.terraform_text import TerraformConfig
from modules.naming import Names
from modules.role_boundary import RoleBoundary, RoleBoundaryProps


class AccountStack(TerraformStack):
    role: AccountRole

    def __init__(self, scope: Construct, config: MlgovConfig) -> None:
        if not isinstance(config, TerraformConfig):
            raise TypeError(f"{type(self).__name__} takes terraform_config(config) (mlgov_config/terraform_text.py), "
                            "so no config text reaches Terraform as a template")
        super().__init__(scope, self.role.value)
        platform = config.platform
        self.config = config
        self.names = Names.from_config(config)
        # Every construct's ARNs, service principals and endpoint names (modules/partition.py).
        self.partition = self.names.partition
        self.account_id = platform.account_id(self.role)
        AwsProvider(
            self, "aws",
            region=platform.home_region,
            allowed_account_ids=[self.account_id],
            assume_role=[AwsProviderAssumeRole(
                role_arn=self.partition.iam_arn(self.account_id, f"role/{platform.terraform_role_name}"),
                session_name=f"mlgov-terraform-{self.role.value}",
            )],
            default_tags=[AwsProviderDefaultTags(tags=dict(sorted({**platform.default_tags, ACCOUNT_ROLE_TAG: self.role.value}.items())))],
        )
        backend = platform.state_backend
        S3Backend(self, bucket=backend.bucket, key=f"{backend.key_prefix}/{self.role.value}.tfstate",
                  region=backend.region, encrypt=True)
        # Native S3 locking (Terraform >= 1.11); cdktf 0.21's S3Backend does not know the argument.
        self.add_override("terraform.backend.s3.use_lockfile", True)

    def bound_roles(self, decider_role_name: str | None = None) -> RoleBoundary:
        """Last component of every stack: the permissions boundary of each role created above it."""
        return RoleBoundary(self, "role-boundary", RoleBoundaryProps(
            prefix=self.config.platform.name_prefix, account_id=self.account_id, partition=self.partition,
            decider_role_name=decider_role_name))
