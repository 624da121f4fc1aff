"""Reads what the event does not carry from the SageMaker registry: who created and who last changed a version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from mlgov_core import aws, timeparse

# Real SageMaker answers a missing model package with ValidationException ("... does not exist"),
# other services and emulators with ResourceNotFound; treat all of them as "deleted meanwhile".
_NOT_FOUND_CODES = {"ResourceNotFound", "ResourceNotFoundException"}
_NOT_FOUND_MESSAGES = ("not found", "does not exist", "cannot be found")


@dataclass(frozen=True)
class PackageDescription:
    """The identity and time fields of DescribeModelPackage; ``found`` is False if the version is gone."""

    found: bool
    created_by: str | None = None
    last_modified_by: str | None = None
    last_modified_time: str | None = None
    # IamIdentity.SourceIdentity: the person the session was assumed for (people's roles require it)
    created_by_source_identity: str | None = None
    last_modified_by_source_identity: str | None = None
    # Which version the registry answered for, and since when it exists (sync.check_against_registry).
    arn: str | None = None
    group: str | None = None
    version: int | None = None
    creation_time: str | None = None


NOT_FOUND = PackageDescription(found=False)


def describe_package(model_package_arn: str, client: Any = None) -> PackageDescription:
    """One DescribeModelPackage call; NOT_FOUND when the version no longer exists."""
    sagemaker = client or aws.client("sagemaker")
    try:
        response = sagemaker.describe_model_package(ModelPackageName=model_package_arn)
    except ClientError as error:
        if is_not_found(error):
            return NOT_FOUND
        raise
    return description_of(response)


def description_of(response: dict[str, Any]) -> PackageDescription:
    """The identities and change time of a DescribeModelPackage answer (a new version: its creation time)."""
    modified = response.get("LastModifiedTime") or response.get("CreationTime")
    return PackageDescription(
        found=True,
        created_by=identity_name(response.get("CreatedBy")),
        last_modified_by=identity_name(response.get("LastModifiedBy")),
        last_modified_time=timeparse.to_iso(modified) if modified is not None else None,
        created_by_source_identity=source_identity(response.get("CreatedBy")),
        last_modified_by_source_identity=source_identity(response.get("LastModifiedBy")),
        arn=response.get("ModelPackageArn"),
        group=response.get("ModelPackageGroupName"),
        version=response.get("ModelPackageVersion"),
        creation_time=timeparse.to_iso(response["CreationTime"]) if response.get("CreationTime") is not None else None,
    )


def identity_name(user_context: dict[str, Any] | None) -> str | None:
    """The IAM principal ARN if SageMaker recorded one, else the Studio user profile name."""
    if not user_context:
        return None
    iam_arn = (user_context.get("IamIdentity") or {}).get("Arn")
    return iam_arn or user_context.get("UserProfileName") or None


def source_identity(user_context: dict[str, Any] | None) -> str | None:
    """The sts:SourceIdentity SageMaker recorded with the IAM identity, if the session had one."""
    return ((user_context or {}).get("IamIdentity") or {}).get("SourceIdentity") or None


def is_not_found(error: ClientError) -> bool:
    details = error.response.get("Error", {})
    if details.get("Code") in _NOT_FOUND_CODES:
        return True
    message = str(details.get("Message", "")).lower()
    return details.get("Code") == "ValidationException" and any(m in message for m in _NOT_FOUND_MESSAGES)
