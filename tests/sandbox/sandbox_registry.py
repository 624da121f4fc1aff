"""Fresh model package groups in the governance account, shared as the governance stack shares them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from registry_sharing import DEPLOY, READ, REGISTER, group_policy, share_group
from sandbox_accounts import GOV

INFERENCE = {
    "Containers": [{"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/model:1", "ModelDataUrl": "s3://b/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
__all__ = ["DEPLOY", "INFERENCE", "READ", "REGISTER", "group_policy", "shared_group"]


def shared_group(aws: Callable[..., Any], consumers: dict[str, tuple[str, ...]],
                 extra: tuple[dict[str, Any], ...] = ()) -> tuple[str, str]:  # fmt: skip
    """A fresh group in the governance account with its resource policy; returns (name, ARN)."""
    name = f"grp-{uuid.uuid4().hex[:8]}"
    sm = aws("sagemaker", GOV)
    arn = sm.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
    share_group(sm, arn, consumers, extra)
    return name, arn
