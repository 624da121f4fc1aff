"""Explicit Denies that keep governed registry fields in the decision function's hands.

A version's fate is ModelApprovalStatus and ModelLifeCycle. Only the decision function (in the
governance account, applying mlgov_core) may write them; registration may only ask for the
candidate state (PendingManualApproval, Dev/Pending). These statements say so in identity policies
(every role we create) and in the group resource policy (every principal of every trusted account).

Condition keys of CreateModelPackage/UpdateModelPackage: sagemaker:ModelApprovalStatus (Service
Authorization Reference for SageMaker) and sagemaker:ModelLifeCycle:stage / :stageStatus (SageMaker
developer guide, "Set up Staging Construct Examples"). A key is present only when the request sets
the field, so "Null: false" reads "the request tries to set it". Values compare IgnoreCase so
"approved" cannot slip past "Approved".
"""

from __future__ import annotations

from mlgov_config.regions import Partition
from mlgov_core.rules import ApprovalStatus, Stage, StageStatus
from modules.policy import Statement, document

CREATE = "sagemaker:CreateModelPackage"
UPDATE = "sagemaker:UpdateModelPackage"
APPROVAL_STATUS_KEY = "sagemaker:ModelApprovalStatus"
STAGE_KEY = "sagemaker:ModelLifeCycle:stage"
STAGE_STATUS_KEY = "sagemaker:ModelLifeCycle:stageStatus"
GOVERNED_KEYS = (APPROVAL_STATUS_KEY, STAGE_KEY, STAGE_STATUS_KEY)
# What a registration may ask for: the candidate state and nothing else.
REGISTRATION_VALUES = {
    APPROVAL_STATUS_KEY: ApprovalStatus.PENDING.value,
    STAGE_KEY: Stage.DEV.value,
    STAGE_STATUS_KEY: StageStatus.PENDING.value,
}
_KEY_NAMES = {APPROVAL_STATUS_KEY: "ApprovalStatus", STAGE_KEY: "Stage", STAGE_STATUS_KEY: "StageStatus"}
def any_package(partition: Partition) -> tuple[str, ...]:
    """Any registry, any account; the group too, since IAM may authorise CreateModelPackage on it."""
    return tuple(partition.arn("sagemaker", "*", "*", resource) for resource in ("model-package/*", "model-package-group/*"))


def registration_guard(resources: tuple[str, ...], principals: dict[str, tuple[str, ...]] | None = None,
                       sid_prefix: str = "Registration") -> list[Statement]:
    """CreateModelPackage only as a candidate: any other approval status or stage is denied."""
    return [
        Statement(sid=f"{sid_prefix}Only{Stage.DEV.value}{_KEY_NAMES[key]}", effect="Deny", actions=(CREATE,),
                  resources=resources, principals=dict(principals or {}),
                  conditions={"StringNotEqualsIgnoreCase": {key: value}, "Null": {key: "false"}})
        for key, value in REGISTRATION_VALUES.items()
    ]


def decisions_only_by(decider_role_arn: str, resources: tuple[str, ...],
                      principals: dict[str, tuple[str, ...]]) -> list[Statement]:
    """UpdateModelPackage that sets a governed field is denied to everyone but the decision function."""
    return [
        Statement(sid=f"OnlyDecisionFunctionSets{_KEY_NAMES[key]}", effect="Deny", actions=(UPDATE,),
                  resources=resources, principals=principals,
                  conditions={"Null": {key: "false"}, "ArnNotEquals": {"aws:PrincipalArn": decider_role_arn}})
        for key in GOVERNED_KEYS
    ]


def no_decisions(partition: Partition, resources: tuple[str, ...] | None = None, sid_prefix: str = "NoDecision") -> list[Statement]:
    """For identity policies of every role but the decision function's: never set a governed field by
    update, and register only as a candidate (on any registry of the partition unless resources say which)."""
    resources = resources or any_package(partition)
    return [
        *[Statement(sid=f"{sid_prefix}Sets{_KEY_NAMES[key]}", effect="Deny", actions=(UPDATE,), resources=resources,
                    conditions={"Null": {key: "false"}}) for key in GOVERNED_KEYS],
        *registration_guard(resources, sid_prefix=sid_prefix),
    ]


def role_policy(partition: Partition, statements: list[Statement] | tuple[Statement, ...]) -> str:
    """An identity policy for a role we create: its statements plus the Denies above, whatever the role does."""
    return document([*statements, *no_decisions(partition)])
