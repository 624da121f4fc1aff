"""What an account's QuickSight subscription leaves behind that the governance stack builds on.

Subscribing creates QuickSight's service role (aws-quicksight-service-role-v0 under /service-role/,
trusted by quicksight.amazonaws.com); the stack only attaches its policy to it. No Terraform here
subscribes an account, so the sandbox creates that role before the stack is applied, as AWS would.
"""

from __future__ import annotations

import json
from typing import Any

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "quicksight.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def subscribe(iam: Any, service_role_name: str) -> None:
    """Create the service role in the client's account unless it exists (idempotent)."""
    try:
        iam.get_role(RoleName=service_role_name)
        return
    except iam.exceptions.NoSuchEntityException:
        pass
    iam.create_role(RoleName=service_role_name, Path="/service-role/", AssumeRolePolicyDocument=json.dumps(TRUST),
                    Description="QuickSight's service role, as the account's subscription creates it")
