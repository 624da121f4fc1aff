"""What every account stack shares: provider pinned to its account, default tags, S3 backend.

The provider assumes the role named by the input variable ``assume_role_arn`` (terraform/bootstrap):
a pull request's plan passes the account's read-only plan role, an apply leaves the default, the
account's Terraform role, which is what the sandbox and a plain `terraform apply` have always used.
The variable is ephemeral, so a saved plan does not record it and cannot pin it: an apply of a saved
plan made with the plan role runs as whatever role the apply is given (Terraform >= 1.10)."""

from __future__ import annotations

import json

from cdktf import S3Backend, TerraformStack, TerraformVariable, TerraformVariableValidationConfig
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
                role_arn=assume_role_variable(self, self.partition.iam_arn(self.account_id, "role/"),
                                              platform.terraform_role_name).string_value,
                session_name=f"mlgov-terraform-{self.role.value}",
            )],
            default_tags=[AwsProviderDefaultTags(tags=dict(sorted({**platform.default_tags, ACCOUNT_ROLE_TAG: self.role.value}.items())))],
        )
        backend = platform.state_backend
        # No `encrypt`: with it and no kms_key_id the backend asks for SSE-S3 (AES256), which the state
        # bucket refuses; without it the bucket's default encryption applies its own KMS key (terraform/bootstrap).
        S3Backend(self, bucket=backend.bucket, key=f"{backend.key_prefix}/{self.role.value}.tfstate", region=backend.region)
        # Native S3 locking (Terraform >= 1.11); cdktf 0.21's S3Backend does not know the argument.
        self.add_override("terraform.backend.s3.use_lockfile", True)

    def bound_roles(self, decider_role_name: str | None = None) -> RoleBoundary:
        """Last component of every stack: the permissions boundary of each role created above it."""
        return RoleBoundary(self, "role-boundary", RoleBoundaryProps(
            prefix=self.config.platform.name_prefix, account_id=self.account_id, partition=self.partition,
            decider_role_name=decider_role_name))


ASSUME_ROLE_VARIABLE = "assume_role_arn"


def assume_role_variable(stack: TerraformStack, role_arn_prefix: str, default_role_name: str) -> TerraformVariable:
    """The role the provider assumes; only roles of the stack's own account pass the validation."""
    variable = TerraformVariable(
        stack, ASSUME_ROLE_VARIABLE, type="string", nullable=False, default=f"{role_arn_prefix}{default_role_name}",
        description="Role the provider assumes in this stack's account: the read-only plan role for pull-request "
                    "plans, the Terraform role (the default) for applies",
        validation=[TerraformVariableValidationConfig(
            # Terraform reads the condition as an expression; the prefix is config text, made literal here.
            condition=f"${{startswith(var.{ASSUME_ROLE_VARIABLE}, {json.dumps(role_arn_prefix)})}}",
            error_message=f"assume_role_arn must be a role of this stack's account ({role_arn_prefix}...).")],
    )
    # cdktf 0.21 has no argument for it; Terraform >= 1.10 keeps ephemeral values out of plans and state.
    variable.add_override("ephemeral", True)
    variable.override_logical_id(ASSUME_ROLE_VARIABLE)
    return variable
