"""Prod releases: what makes a version deployable in the prod account.

A Test approval already sets ModelApprovalStatus=Approved, so the registry group cannot tell prod
which versions it may run. Prod therefore builds models only from the use case's **release group**,
shared with prod alone; the group policy lets only the decision function write it, and the decision
function writes one release there at each Prod approval: a copy of the approved version's inference
specification (its artifacts already pinned by content address and image digest), pointing back to
its source. A version approved only for Test has no release, and prod's CreateModel from the source
group is refused by the source group's policy.

Release numbers are the release group's own version numbers (SageMaker numbers versions itself), so
a prod variant in config names both: ``version`` (the source) and ``release``; `mlgov promote` writes
both and `mlgov check` verifies that the release points back to that version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlgov_core.rules import ApprovalStatus, Stage, StageStatus

SUFFIX = "-prod-release"
# On the release: where it came from. On the source version: which release it became.
SOURCE_ARN_KEY = "source_package_arn"
SOURCE_VERSION_KEY = "source_version"
RELEASE_KEY = "prod_release"


def release_group(group: str) -> str:
    return f"{group}{SUFFIX}"


def is_release_group(group: str | None) -> bool:
    return bool(group) and str(group).endswith(SUFFIX)


def create_request(source: Mapping[str, Any], group: str, version: int, description: str) -> dict[str, Any]:
    """CreateModelPackage for the release of ``source`` (a DescribeModelPackage answer) in its release group."""
    spec = source.get("InferenceSpecification")
    if not spec:
        raise ValueError(f"version {version} of {group} has no InferenceSpecification: nothing to release to prod")
    request: dict[str, Any] = {
        "ModelPackageGroupName": release_group(group),
        "ModelPackageDescription": description,
        "InferenceSpecification": spec,
        "ModelApprovalStatus": ApprovalStatus.APPROVED.value,
        "ModelLifeCycle": {"Stage": Stage.PROD.value, "StageStatus": StageStatus.APPROVED.value,
                           "StageDescription": description},
        "CustomerMetadataProperties": {SOURCE_ARN_KEY: str(source.get("ModelPackageArn", "")),
                                       SOURCE_VERSION_KEY: str(version)},
    }
    if source.get("ModelMetrics"):
        request["ModelMetrics"] = source["ModelMetrics"]
    return request


def withdraw_request(release_arn: str, why: str) -> dict[str, Any]:
    """When the source's own Prod approval could not be written: the release must not stay deployable."""
    return {"ModelPackageArn": release_arn, "ModelApprovalStatus": ApprovalStatus.REJECTED.value,
            "ApprovalDescription": why,
            "ModelLifeCycle": {"Stage": Stage.PROD.value, "StageStatus": StageStatus.REJECTED.value,
                               "StageDescription": why}}


def release_number(arn: str) -> int:
    """The release group's version number, the last part of the release's ARN."""
    return int(arn.rsplit("/", 1)[-1])


def problems(response: Mapping[str, Any] | None, group: str, version: int, release: int) -> list[str]:
    """Why release ``release`` of ``group`` is not a deployable release of ``version`` (empty when it is)."""
    where = f"release {release} of {release_group(group)}"
    if response is None:
        return [f"{where} does not exist: version {version} was not approved for Prod through the decision path "
                "(its approval creates the release; `mlgov promote --to prod` writes its number)"]
    found = []
    metadata = response.get("CustomerMetadataProperties") or {}
    source = metadata.get(SOURCE_VERSION_KEY)
    if source != str(version):
        found.append(f"{where} is the release of version {source or '(none)'}, not of version {version}")
    if response.get("ModelApprovalStatus") != ApprovalStatus.APPROVED.value:
        found.append(f"{where} is {response.get('ModelApprovalStatus')}, not Approved")
    return found
