"""Governance rules: stages, statuses and how registry values map onto them.

Transitions and gates grow here (promotion issue); this module is the only definition of them.
"""

from __future__ import annotations

import re
from enum import Enum


class Stage(str, Enum):
    DEV = "Dev"
    TEST = "Test"
    PROD = "Prod"


class StageStatus(str, Enum):
    PENDING = "Pending"
    APPROVED = "Approved"
    REJECTED = "Rejected"


class ApprovalStatus(str, Enum):
    """SageMaker's ModelApprovalStatus. A shared version is deployable only when Approved."""

    PENDING = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"


STAGE_ORDER: tuple[Stage, ...] = (Stage.DEV, Stage.TEST, Stage.PROD)

# SageMaker's constraint on model package group names and ModelLifeCycle values.
SAGEMAKER_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


def is_sagemaker_name(value: str) -> bool:
    # fullmatch, because "$" would accept a trailing newline (easy to get from a YAML block scalar).
    return SAGEMAKER_NAME_PATTERN.fullmatch(value) is not None

# Where no ModelLifeCycle is set, the version is in Dev and its approval status is the stage status.
STATUS_FOR_APPROVAL = {
    ApprovalStatus.PENDING: StageStatus.PENDING,
    ApprovalStatus.APPROVED: StageStatus.APPROVED,
    ApprovalStatus.REJECTED: StageStatus.REJECTED,
}

# Sources a version can come from: the SageMaker registry, or registered directly in the table.
SOURCE_SAGEMAKER = "sagemaker"
SOURCE_EXTERNAL = "external"

# Recorded when a registry event names a group that no use case config claims.
UNASSIGNED_USE_CASE = "unassigned"
