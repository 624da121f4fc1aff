"""The model package group resource policy the governance stack puts (modules/model_registry.py), for
test kits that create groups with boto3 instead of Terraform.

The sandbox evaluates that policy (sagemaker_authorization): another account registers into a group,
or deploys a model from one of its versions, only when the policy allows its account. Account-root
principals, the group and its packages as resources, as the stack writes them;
tests/sandbox/test_sandbox_sagemaker_authorization.py checks the actions against the committed stack.
"""

from __future__ import annotations

import json
from typing import Any

from mlgov_config import AccountRole
from modules.model_registry import CONSUMER_ACTIONS, READ_ACTIONS

READ = READ_ACTIONS
REGISTER = CONSUMER_ACTIONS[AccountRole.DEV]
DEPLOY = CONSUMER_ACTIONS[AccountRole.TEST]  # test on a group; prod only on its release group


def group_policy(group_arn: str, consumers: dict[str, tuple[str, ...]], extra: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """One Allow per consumer account on the group and its packages, then any extra statements."""
    packages = group_arn.replace(":model-package-group/", ":model-package/") + "/*"
    return {"Version": "2012-10-17", "Statement": [
        *({"Sid": f"Account{account}", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{account}:root"]},
           "Action": list(actions), "Resource": [group_arn, packages]} for account, actions in consumers.items()),
        *extra,
    ]}  # fmt: skip


def share_group(sagemaker: Any, group_arn: str, consumers: dict[str, tuple[str, ...]],
                extra: tuple[dict[str, Any], ...] = ()) -> None:  # fmt: skip
    """Put the group policy with the owner's client (``sagemaker`` of the governance account)."""
    policy = json.dumps(group_policy(group_arn, consumers, extra))
    sagemaker.put_model_package_group_policy(ModelPackageGroupName=group_arn, ResourcePolicy=policy)
