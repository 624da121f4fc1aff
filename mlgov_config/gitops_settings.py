"""The delivery pipeline's settings: who may plan and apply which stack (terraform/bootstrap, .github/workflows)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# mlgov_config.models.AccountRole's values; a plain tuple here keeps this module free of the models' imports.
STACKS = ("governance", "dev", "test", "prod")
# GitHub: an owner (user or organisation) of up to 39 letters, digits and hyphens, not at either end; a repository name.
GITHUB_REPOSITORY = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}$"
# A branch name as the OIDC token's ref claim carries it; kept to characters a trust condition needs no escaping for.
BRANCH_NAME = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$"
ENVIRONMENT_NAME = r"^[A-Za-z0-9._-]{1,255}$"
ROLE_NAME = r"^[\w+=,.@-]{1,64}$"
# Terraform's os_arch names for `terraform providers lock -platform=...`.
LOCK_PLATFORM = r"^(linux|darwin|windows|freebsd|openbsd|solaris)_(amd64|arm64|386|arm)$"


class GitOpsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The GitHub repository (owner/name) whose workflow runs may assume the pipeline's roles.
    repository: str = Field(pattern=GITHUB_REPOSITORY)
    # Pushes to this branch deploy; pull requests into it plan.
    main_branch: str = Field(default="main", pattern=BRANCH_NAME)
    # The GitHub environment of each stack: a stack's apply role trusts only runs in its environment
    # (give prod's required reviewers in the repository settings, docs/gitops.md).
    environments: dict[str, str] = Field(default_factory=lambda: {s: s for s in STACKS})
    # In the governance account (next to the state bucket): the role pull-request and main runs plan with.
    plan_role_name: str = Field(default="mlgov-gitops-plan", pattern=ROLE_NAME)
    # Also there: one apply role per stack, named <apply_role_prefix>-<stack>.
    apply_role_prefix: str = Field(default="mlgov-gitops-apply", pattern=r"^[\w+=,.@-]{1,50}$")
    # In every account: the read-only role a plan runs as; terraform_role_name is the one applies use.
    account_plan_role_name: str = Field(default="mlgov-terraform-plan", pattern=ROLE_NAME)
    # The platforms whose provider hashes each stack's .terraform.lock.hcl records (`make lock`).
    lock_platforms: list[str] = Field(default_factory=lambda: ["darwin_arm64", "linux_amd64", "linux_arm64"], min_length=1)

    @field_validator("environments")
    @classmethod
    def _environments(cls, environments: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(environments) - set(STACKS))
        if unknown:
            raise ValueError(f"unknown stack(s) {unknown}; the stacks are {list(STACKS)}")
        missing = [s for s in STACKS if s not in environments]
        if missing:
            raise ValueError(f"missing stack(s) {missing}; every stack applies in an environment of its own")
        seen: dict[str, str] = {}
        for stack, name in environments.items():
            if not isinstance(name, str) or not re.fullmatch(ENVIRONMENT_NAME, name):
                raise ValueError(f"{stack}: {name!r} is not a GitHub environment name (1-255 of letters, digits, . _ -)")
            if name in seen:
                raise ValueError(f"{stack} and {seen[name]} share environment {name!r}; each stack's apply role trusts its own")
            seen[name] = stack
        return environments

    @field_validator("lock_platforms")
    @classmethod
    def _platforms(cls, platforms: list[str]) -> list[str]:
        for platform in platforms:
            if not re.fullmatch(LOCK_PLATFORM, platform):
                raise ValueError(f"{platform!r} is not a Terraform platform (os_arch, e.g. linux_amd64)")
        duplicates = sorted({p for p in platforms if platforms.count(p) > 1})
        if duplicates:
            raise ValueError(f"{duplicates} listed more than once")
        return sorted(platforms)

    def apply_role_name(self, stack: str) -> str:
        return f"{self.apply_role_prefix}-{stack}"
