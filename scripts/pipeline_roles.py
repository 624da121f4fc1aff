"""`make pipeline-roles [STACK=s] [OUT=file]`: the roles a workflow assumes through OIDC, read from config.

The workflows hold no account ids or ARNs of their own: config/platform.yaml is the one place they
come from, so a review of config is a review of where the pipeline goes. The pipeline's roles live in
the governance account, next to the state bucket (terraform/bootstrap creates them).

Prints `name=value` lines (GitHub's step output format); OUT appends them to that file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgov_config import ConfigError, MlgovConfig, load_config
from mlgov_config.gitops_settings import STACKS
from mlgov_config.models import AccountRole
from mlgov_config.regions import partition_of

REPO_ROOT = Path(__file__).resolve().parent.parent


class PipelineConfigError(ValueError):
    pass


def pipeline_roles(config: MlgovConfig, stack: str | None, config_file: str) -> dict[str, str]:
    platform = config.platform
    gitops = platform.gitops
    if gitops is None:
        raise PipelineConfigError(f"{config_file}: gitops: not set; the pipeline's roles are named there")
    if stack is not None and stack not in STACKS:
        raise PipelineConfigError(f"STACK={stack!r} is not a stack; the stacks are {', '.join(STACKS)}")
    partition = partition_of(platform.home_region)
    governance = platform.accounts[AccountRole.GOVERNANCE]
    values = {
        "region": platform.state_backend.region,
        "governance_account": governance,
        "plan_role_arn": partition.iam_arn(governance, f"role/{gitops.plan_role_name}"),
    }
    # What each stack's provider assumes next (its ephemeral assume_role_arn, as TF_VAR_assume_role_arn):
    # a plan or drift check the account's read-only plan role, an apply the account's Terraform role.
    for name in STACKS:
        values[f"{name}_plan_role_arn"] = partition.iam_arn(platform.accounts[AccountRole(name)],
                                                            f"role/{gitops.account_plan_role_name}")
    if stack is not None:
        values["environment"] = gitops.environments[stack]
        values["apply_role_arn"] = partition.iam_arn(governance, f"role/{gitops.apply_role_name(stack)}")
        values["account_plan_role_arn"] = values[f"{stack}_plan_role_arn"]
        values["terraform_role_arn"] = partition.iam_arn(platform.accounts[AccountRole(stack)],
                                                         f"role/{platform.terraform_role_name}")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    parser.add_argument("--stack", default=None)
    parser.add_argument("--github-output", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        values = pipeline_roles(load_config(args.config), args.stack, str(args.config / "platform.yaml"))
    except ConfigError as err:
        print(f"config error:\n{err}", file=sys.stderr)
        return 2
    except PipelineConfigError as err:
        print(err, file=sys.stderr)
        return 2
    lines = "".join(f"{name}={value}\n" for name, value in values.items())
    if args.github_output is None:
        sys.stdout.write(lines)
    else:
        with args.github_output.open("a") as out:
            out.write(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
