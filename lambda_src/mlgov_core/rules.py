"""Governance rules: stages, statuses and how registry values map onto them.

Transitions, decisions and how a history reads are defined here and nowhere else (gates: gates.py).
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

# Registry ModelLifeCycle values are free text (SageMaker Studio suggests Development/QA/Production).
# The one mapping of registry stage names to governance stages, compared ignoring case; platform
# config (governance.registry_stage_names) adds or overrides entries (stage_names). Our own writers
# use the canonical names, so those always map to themselves.
DEFAULT_STAGE_NAMES: dict[str, Stage] = {
    **dict.fromkeys(("Dev", "Development", "Develop"), Stage.DEV),
    **dict.fromkeys(("Test", "Testing", "Staging", "QA", "UAT", "PreProd", "PreProduction", "Pre-Production"), Stage.TEST),
    **dict.fromkeys(("Prod", "Production"), Stage.PROD),
}
# StageStatus spellings, fixed: a status such as InProgress, OnHold or Retired is no decision state.
STATUS_NAMES: dict[str, StageStatus] = {
    **dict.fromkeys(("Pending", "PendingApproval", "PendingManualApproval"), StageStatus.PENDING),
    "Approved": StageStatus.APPROVED,
    "Rejected": StageStatus.REJECTED,
}
_STATUS_BY_FOLDED_NAME = {name.casefold(): status for name, status in STATUS_NAMES.items()}
# Stage and status recorded for a lifecycle outside the mappings; the registry's values are kept
# next to it (registry_stage, registry_stage_status). Never decided on, never deployable.
UNMAPPED = "Unmapped"


def check_stage_names(names: object) -> list[str]:
    """Problems of a registry stage name -> governance stage mapping ([] if it is valid)."""
    if not isinstance(names, dict):
        return [f"expected a mapping of registry stage name to one of {[s.value for s in Stage]}"]
    problems, seen = [], {}
    for name, stage in names.items():
        shown = str(name)[:70]
        if not isinstance(name, str) or not is_sagemaker_name(name):
            problems.append(f"{shown!r} is not a registry stage name (SageMaker: {SAGEMAKER_NAME_PATTERN.pattern})")
            continue
        if name.casefold() in seen:
            problems.append(f"{name!r} and {seen[name.casefold()]!r} are the same name ignoring case")
        seen[name.casefold()] = name
        if stage not in [s.value for s in Stage]:
            problems.append(f"{name!r}: {str(stage)[:20]!r} is not a stage; use one of {[s.value for s in Stage]}")
        elif name.casefold() in {s.value.casefold() for s in Stage} and name.casefold() != str(stage).casefold():
            problems.append(f"{name!r} is a governance stage name and always means itself, not {stage}")
    return problems


def stage_names(overrides: dict[str, str] | None = None) -> dict[str, Stage]:
    """Casefolded registry stage name -> Stage: the defaults, then ``overrides`` (checked by check_stage_names)."""
    names = {name.casefold(): stage for name, stage in DEFAULT_STAGE_NAMES.items()}
    names.update({name.casefold(): Stage(stage) for name, stage in (overrides or {}).items()})
    return names


def map_lifecycle(stage: str, status: str, names: dict[str, Stage]) -> tuple[Stage, StageStatus] | None:
    """The governance stage and status of a registry ModelLifeCycle; None if either is outside the mappings."""
    mapped_stage = names.get(stage.casefold())
    mapped_status = _STATUS_BY_FOLDED_NAME.get(status.casefold())
    if mapped_stage is None or mapped_status is None:
        return None
    return mapped_stage, mapped_status


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


class TransitionError(ValueError):
    """A governance rule forbids this decision; the message says which rule."""


def stage_index(stage: Stage | str) -> int:
    return STAGE_ORDER.index(Stage(stage))


def next_stage(stage: Stage | str) -> Stage | None:
    index = stage_index(stage) + 1
    return STAGE_ORDER[index] if index < len(STAGE_ORDER) else None


def same_identity(a: str | None, b: str | None) -> bool:
    """Identities compare case-insensitively; an assumed-role session counts as its role's person."""
    def norm(value: str) -> str:
        return value.strip().lower()
    return bool(a and b) and norm(a) == norm(b)


def check_decision(stage: Stage | str, status: StageStatus | str, registered_by: str | None,
                   decision: StageStatus, target: Stage, decided_by: str) -> None:
    """Raise TransitionError unless ``decided_by`` may record ``decision`` for ``target`` now.

    - Separation of duties: the registrant never approves or rejects their own version.
    - No skipping: a decision is for the current stage or the next one; the next one only once the
      current stage is approved (Dev counts as approved by registration: it is the candidate stage).
    - Rejected is final: a rejected version is never approved again (register a new version).
    """
    if UNMAPPED in (stage, status):
        raise TransitionError("the registry's ModelLifeCycle is outside the stage mapping "
                              "(governance.registry_stage_names); fix it in the registry first")
    current, current_status = Stage(stage), StageStatus(status)
    if decision not in (StageStatus.APPROVED, StageStatus.REJECTED):
        raise TransitionError(f"a decision is Approved or Rejected, not {decision.value}")
    if same_identity(registered_by, decided_by):
        raise TransitionError(f"separation of duties: {decided_by} registered this version and cannot decide on it")
    if current_status == StageStatus.REJECTED:
        raise TransitionError(f"the version was rejected in {current.value}; rejected versions are never deployed")
    if target == current:
        if current == Stage.DEV:
            raise TransitionError("Dev is the registration stage; decide for Test or Prod")
        if current_status != StageStatus.PENDING:
            raise TransitionError(f"the version is already {current_status.value} for {current.value}")
        return
    if target != next_stage(current):
        raise TransitionError(f"no skipping stages: the version is in {current.value}, so the next decision is for "
                              f"{(next_stage(current) or current).value}, not {target.value}")
    if current != Stage.DEV and current_status != StageStatus.APPROVED:
        raise TransitionError(f"{target.value} needs {current.value} approved first (it is {current_status.value})")


def deployable(stage: Stage | str, status: StageStatus | str, approval: ApprovalStatus | str, target: Stage) -> bool:
    """May a version in (stage, status) run in ``target``? Approved there or beyond, never if rejected."""
    if UNMAPPED in (stage, status):
        return False
    if StageStatus(status) == StageStatus.REJECTED or ApprovalStatus(approval) != ApprovalStatus.APPROVED:
        return False
    if stage_index(stage) > stage_index(target):
        return True
    return Stage(stage) == target and StageStatus(status) == StageStatus.APPROVED


class Change(str, Enum):
    """What one history item did to a version, compared with the item before it."""

    REGISTERED = "registered"
    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING = "pending"  # back to waiting for a decision, e.g. a stage reset by hand in the registry
    METADATA = "metadata"  # stage, status and approval unchanged: metrics or a description were written
    UNMAPPED = "unmapped"  # the registry's lifecycle moved to a stage or status outside the mapping


# The fields whose change is a governance event; any other difference is metadata.
GOVERNED_FIELDS = ("stage", "status", "approval_status")
# The registry's own lifecycle values, recorded where they differ from the governance stage and status.
REGISTRY_LIFECYCLE_FIELDS = ("registry_stage", "registry_stage_status")


def classify_change(previous: dict | None, current: dict) -> Change:
    """The one reading of a version's history that `mlgov history` and the report share.

    A first item in a decided status is a decision (its registration event was never recorded);
    a repeat of the same state, such as QA metrics written into the registry, is never a decision.
    """
    fields = GOVERNED_FIELDS + (REGISTRY_LIFECYCLE_FIELDS if current.get("stage") == UNMAPPED else ())
    if previous is not None and all(previous.get(f) == current.get(f) for f in fields):
        return Change.METADATA
    if current.get("stage") == UNMAPPED:
        return Change.UNMAPPED
    status = current.get("status")
    if status == StageStatus.APPROVED.value:
        return Change.APPROVED
    if status == StageStatus.REJECTED.value:
        return Change.REJECTED
    return Change.REGISTERED if previous is None else Change.PENDING
