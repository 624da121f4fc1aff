"""Attacks on the governance controls, played as the attacker's identity against the applied stacks.

Each returns what AWS (or the decision function) answered and whether the target stayed as it was;
`make demo` shows three of them and tests/security plays every path (docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from mlgov_config import AccountRole
from mlgov_core import metrics
from sandbox.accounts import assume


@dataclass(frozen=True)
class AttackOutcome:
    attack: str
    refused: bool
    answer: str  # AWS's error code and message, or what the call returned
    unchanged: bool  # the target (artifact bytes, registry versions, registry state) is as before

    def line(self) -> str:
        verdict = "REFUSED" if self.refused else "ALLOWED"
        return f"{verdict:8} {self.attack}: {self.answer}" + ("" if self.unchanged else "  (TARGET CHANGED)")


def _answer(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code')}: {details.get('Message')}"


def artifact_location(sagemaker: Any, package_arn: str) -> tuple[str, str]:
    url = sagemaker.describe_model_package(ModelPackageName=package_arn)["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def _digest(s3: Any, bucket: str, key: str) -> str:
    return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


def overwrite_artifact(attacker: Any, reader: Any, bucket: str, key: str) -> AttackOutcome:
    """PutObject over the file a released version references (attacker: a dev principal's S3 client)."""
    before = _digest(reader, bucket, key)
    try:
        attacker.put_object(Bucket=bucket, Key=key, Body=b'{"weights": "tampered"}')
        answer, refused = "PutObject succeeded", False
    except ClientError as error:
        answer, refused = _answer(error), True
    return AttackOutcome(f"overwrite s3://{bucket}/{key}", refused, answer, _digest(reader, bucket, key) == before)


def _versions(sagemaker: Any, group_arn: str) -> list[str]:
    pages = sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group_arn)
    return [p["ModelPackageArn"] for page in pages for p in page["ModelPackageSummaryList"]]


def register_decided(attacker: Any, reader: Any, group_arn: str, inference: dict[str, Any],
                     **decided: Any) -> AttackOutcome:
    """CreateModelPackage straight into a decided state (default: ModelApprovalStatus=Approved)."""
    fields = decided or {"ModelApprovalStatus": "Approved"}
    before = _versions(reader, group_arn)
    try:
        arn = attacker.create_model_package(ModelPackageGroupName=group_arn, InferenceSpecification=inference,
                                            **fields)["ModelPackageArn"]
        answer, refused = f"CreateModelPackage succeeded: {arn}", False
    except ClientError as error:
        answer, refused = _answer(error), True
    shown = ", ".join(f"{k}={v}" for k, v in fields.items())
    return AttackOutcome(f"register a version with {shown}", refused, answer, _versions(reader, group_arn) == before)


def _governed_state(sagemaker: Any, package_arn: str) -> tuple[Any, Any]:
    described = sagemaker.describe_model_package(ModelPackageName=package_arn)
    return described.get("ModelApprovalStatus"), described.get("ModelLifeCycle")


def decide_directly(attacker: Any, reader: Any, package_arn: str, stage: str = "Prod") -> AttackOutcome:
    """UpdateModelPackage that approves, skipping the decision function."""
    before = _governed_state(reader, package_arn)
    try:
        attacker.update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved",
                                      ModelLifeCycle={"Stage": stage, "StageStatus": "Approved", "StageDescription": "x"})
        answer, refused = "UpdateModelPackage succeeded", False
    except ClientError as error:
        answer, refused = _answer(error), True
    return AttackOutcome(f"approve {package_arn} for {stage} with UpdateModelPackage", refused, answer,
                         _governed_state(reader, package_arn) == before)


def build_model_from(attacker: Any, package_arn: str, model_name: str, execution_role_arn: str) -> AttackOutcome:
    """CreateModel in the attacker's account from a registry version (what an endpoint would then serve)."""
    try:
        attacker.create_model(ModelName=model_name, ExecutionRoleArn=execution_role_arn, EnableNetworkIsolation=True,
                              PrimaryContainer={"ModelPackageName": package_arn})
        answer, refused = f"CreateModel succeeded: {model_name}", False
    except ClientError as error:
        answer, refused = _answer(error), True
    names = [m["ModelName"] for m in attacker.list_models(NameContains=model_name).get("Models", [])]
    return AttackOutcome(f"build prod model {model_name} from {package_arn}", refused, answer, model_name not in names)


def report_qa(session: Any, bus_arn: str, version: int, auc: float, reported_at: str) -> None:
    """Put a QA report for ``version`` of credit-risk on the governance metrics bus as ``session``."""
    session.client("events").put_events(Entries=[{
        "EventBusName": bus_arn, "Source": metrics.SOURCE, "DetailType": metrics.DETAIL_TYPE,
        "Detail": json.dumps({"schema_version": 1, "model_package_group": "credit-risk", "model_version": version,
                              "stage": "Test", "kind": "qa", "metrics": {"auc": auc}, "reported_by": "pipeline",
                              "reported_at": reported_at}),
    }])


def use_break_glass(deployed: Any, session_name: str, source_identity: str) -> str:
    """Assume the governance table's break-glass role as a person it trusts (role_trust.break_glass), as in
    an incident; returns that person's own session ARN, the caller the break-glass alarm must name."""
    platform = deployed.config.platform
    person = assume(deployed.sandbox.url, platform.home_region, platform.role_trust.break_glass[0], "on-call")
    sts = person.client("sts")
    sts.assume_role(RoleArn=deployed.names.role_arn(deployed.names.table_break_glass_role),
                    RoleSessionName=session_name, SourceIdentity=source_identity)
    return sts.get_caller_identity()["Arn"]


def personas(deployed: Any) -> dict[str, Any]:
    """Sessions of the identities the attacks are played as (names as the stacks create them)."""
    prefix, operator = deployed.config.platform.name_prefix, deployed.config.platform.terraform_role_name
    return {
        "data_scientist": deployed.person(AccountRole.DEV, f"{prefix}-data-scientist", "mallory"),
        "dev_admin": deployed.session(AccountRole.DEV, operator, "dev-admin"),
        "approver": deployed.person(AccountRole.GOVERNANCE, f"{prefix}-model-approver", "carol"),
        "governance_admin": deployed.governance(),
        "metrics_ingest": deployed.session(AccountRole.GOVERNANCE, f"{prefix}-metrics-ingest-lambda", "compromised"),
        "registry_sync": deployed.session(AccountRole.GOVERNANCE, f"{prefix}-registry-sync-lambda", "compromised"),
        "decision_function": deployed.session(AccountRole.GOVERNANCE, f"{prefix}-model-decisions-lambda", "compromised"),
        "compliance_officer": deployed.person(AccountRole.GOVERNANCE, f"{prefix}-compliance-officer", "erin"),
        "external_registrar": deployed.person(AccountRole.GOVERNANCE, deployed.names.external_registrar_role, "frank"),
        "break_glass": deployed.person(AccountRole.GOVERNANCE, deployed.names.table_break_glass_role, "incident-42"),
        "test_deployer": deployed.session(AccountRole.TEST, f"{prefix}-deployer", "pipeline"),
        "prod_deployer": deployed.session(AccountRole.PROD, f"{prefix}-deployer", "pipeline"),
        "prod_admin": deployed.session(AccountRole.PROD, operator, "prod-admin"),
    }
