"""moto's SageMaker emits no EventBridge events; AWS puts "SageMaker Model Package State Change" on the owner's default bus after registry writes."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from ._common import parse_arn, wrap
from .sagemaker_cross_account import find_package

log = logging.getLogger(__name__)

DETAIL_TYPE = "SageMaker Model Package State Change"
DETAIL_KEYS = (
    "ModelPackageGroupName", "ModelPackageVersion", "ModelPackageArn", "ModelPackageDescription",
    "CreationTime", "LastModifiedTime", "ModelPackageStatus", "ModelApprovalStatus", "ModelLifeCycle",
    "CustomerMetadataProperties", "ModelMetrics", "InferenceSpecification",
)  # fmt: skip


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


def emit(package_arn: str) -> None:
    """Put the state-change event for a model package on its owner's default bus (region of the ARN)."""
    from moto.events.models import events_backends

    described = find_package(package_arn).gen_response_object()
    detail = {k: _iso(described[k]) for k in DETAIL_KEYS if described.get(k) is not None}
    arn = parse_arn(package_arn)
    assert arn is not None
    entry = {"Source": "aws.sagemaker", "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail), "Resources": [package_arn]}
    try:
        events_backends[arn["account"]][arn["region"]].put_events([entry])
    except Exception:  # delivery problems must not fail the registry call (as in AWS)
        log.exception("sandbox: delivering %s for %s failed", DETAIL_TYPE, package_arn)


def apply() -> None:
    from moto.sagemaker.responses import SageMakerResponse as R

    def emit_after(orig: Any, self: Any) -> Any:
        result = orig(self)
        emit(result.result["ModelPackageArn"])
        return result

    wrap(R, "create_model_package")(emit_after)
    wrap(R, "update_model_package")(emit_after)
