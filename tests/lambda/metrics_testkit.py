"""Helpers for the metrics-ingest tests (a unique module name, like sync_testkit)."""

from __future__ import annotations

import copy
from typing import Any

import boto3
from sync_testkit import GROUP, REGION, TABLE, USE_CASE, load_event

from mlgov_core import keys, timeparse
from mlgov_core.metrics_sync import MetricsSettings, RegistryLocation

GOVERNANCE_ACCOUNT = "123456789012"  # moto's default account: where the registry and the table are
TEST_ACCOUNT = "210987654321"
PROD_ACCOUNT = "345678901234"
LOCATION = RegistryLocation(partition="aws", region=REGION, account_id=GOVERNANCE_ACCOUNT)
SETTINGS = MetricsSettings(
    table_name=TABLE, test_account_id=TEST_ACCOUNT, prod_account_id=PROD_ACCOUNT, use_case_by_group={GROUP: USE_CASE}
)


def qa_event(**detail: Any) -> dict[str, Any]:
    return _with(load_event("metrics_qa"), detail)


def production_event(**detail: Any) -> dict[str, Any]:
    return _with(load_event("metrics_production"), detail)


def _with(event: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy with detail fields replaced (None removes the field)."""
    copied = copy.deepcopy(event)
    for name, value in changes.items():
        if value is None:
            copied["detail"].pop(name, None)
        else:
            copied["detail"][name] = value
    return copied


def item(sk: str, pk: str = keys.version_pk(GROUP, 1)) -> dict[str, Any] | None:
    return boto3.resource("dynamodb").Table(TABLE).get_item(Key={"pk": pk, "sk": sk}).get("Item")


def registry_metadata(arn: str) -> dict[str, str]:
    return boto3.client("sagemaker").describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties", {})


def state_change_event_from_registry(arn: str) -> dict[str, Any]:
    """The SageMaker state-change event AWS would send for the package as it is now (moto sends none)."""
    described = boto3.client("sagemaker").describe_model_package(ModelPackageName=arn)
    modified = timeparse.to_iso(described["LastModifiedTime"])
    return {
        "version": "0",
        "id": f"registry-change-{modified}",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": GOVERNANCE_ACCOUNT,
        "time": modified,
        "region": REGION,
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": described["ModelPackageGroupName"],
            "ModelPackageVersion": described["ModelPackageVersion"],
            "ModelPackageArn": arn,
            "ModelApprovalStatus": described.get("ModelApprovalStatus"),
            "CreationTime": timeparse.to_iso(described["CreationTime"]),
            "LastModifiedTime": modified,
            "CustomerMetadataProperties": described.get("CustomerMetadataProperties", {}),
        },
    }
