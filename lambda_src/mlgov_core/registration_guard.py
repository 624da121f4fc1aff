"""Detective control behind the group policy's registration guard.

The policy lets dev create a version only as a candidate (PendingManualApproval, Dev/Pending). If a
version's registration state breaks that anyway (an administrator of the governance account, a
policy changed by hand) or carries metadata that only trusted writers may set, the decision
function rejects it at once, raises the alarm, and the history shows who and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlgov_core import decision, records, registry, release, timeparse
from mlgov_core.events import ModelPackageStateChangeEvent
from mlgov_core.rules import ApprovalStatus, Stage, StageStatus

GUARD_NAME = "mlgov-registration-guard"
# Keys only trusted writers set: decisions (decision function), QA results (metrics-ingest).
# registered_by is the registry's CreatedBy; a value in metadata could only be a forgery.
RESERVED_KEYS = frozenset({records.REGISTERED_BY_KEY, *records.DECIDED_BY_KEYS.values(),
                           decision.DECISION_REASON_KEY, decision.DECISION_STAGE_KEY, release.RELEASE_KEY})
RESERVED_PREFIXES = (records.QA_METRIC_PREFIX,)


def is_registration(event: ModelPackageStateChangeEvent) -> bool:
    """The event announces the version's creation: it was never modified afterwards."""
    detail = event.detail
    if detail.CreationTime is None:
        return False
    return detail.LastModifiedTime is None or timeparse.same_instant(
        timeparse.to_iso(detail.CreationTime), timeparse.to_iso(detail.LastModifiedTime))


def violations(event: ModelPackageStateChangeEvent) -> list[str]:
    """Why this registration state is not a candidate's (empty when it is)."""
    detail, found = event.detail, []
    approval = detail.ModelApprovalStatus or ApprovalStatus.PENDING
    if approval != ApprovalStatus.PENDING:
        found.append(f"registered as {approval.value}, not {ApprovalStatus.PENDING.value}")
    life = detail.ModelLifeCycle
    if life is not None and (life.Stage, life.StageStatus) != (Stage.DEV.value, StageStatus.PENDING.value):
        found.append(f"registered in {life.Stage}/{life.StageStatus}, not Dev/Pending")
    reserved = reserved_keys(event)
    if reserved:
        found.append(f"metadata sets reserved keys {reserved} (only the registry and mlgov's trusted writers record these)")
    return found


def reserved_keys(event: ModelPackageStateChangeEvent) -> list[str]:
    return sorted(k for k in (event.detail.CustomerMetadataProperties or {})
                  if k in RESERVED_KEYS or k.startswith(RESERVED_PREFIXES))


@dataclass(frozen=True)
class GuardOutcome:
    arn: str
    checked: bool
    violations: tuple[str, ...] = ()

    @property
    def rejected(self) -> bool:
        return bool(self.violations)


def release_violations(described: Any, decider_role_arn: str | None) -> list[str]:
    """A prod release is legitimate only when the decision function created it (at a Prod approval)."""
    created_by = registry.identity_name(described.get("CreatedBy"))
    if records.is_session_of(created_by, decider_role_arn):
        return []
    return [f"prod release created by {created_by or 'an unrecorded identity'}, not by the decision function"]


def enforce(event: ModelPackageStateChangeEvent, *, sagemaker: Any, alarm: Any, alarm_topic_arn: str,
            decider_role_arn: str | None = None) -> GuardOutcome:
    """Reject a registration that breaks the rules and publish the alarm; other events pass untouched."""
    arn = event.detail.ModelPackageArn
    if not is_registration(event):
        return GuardOutcome(arn=arn, checked=False)
    if release.is_release_group(event.detail.ModelPackageGroupName):
        found = release_violations(sagemaker.describe_model_package(ModelPackageName=arn), decider_role_arn)
        if found:
            sagemaker.update_model_package(**release.withdraw_request(arn, decision.description_text(
                "registration guard: " + "; ".join(found))))
            _alarm(alarm, alarm_topic_arn, arn, "registration guard: " + "; ".join(found))
        return GuardOutcome(arn=arn, checked=True, violations=tuple(found))
    found = violations(event)
    if not found:
        return GuardOutcome(arn=arn, checked=True)
    reason = "registration guard: " + "; ".join(found)
    text = decision.description_text(reason)
    written = {
        records.DECIDED_BY_KEYS[ApprovalStatus.REJECTED]: GUARD_NAME,
        decision.DECISION_REASON_KEY: decision.metadata_value(reason),
        decision.DECISION_STAGE_KEY: Stage.DEV.value,
    }
    # Forged keys are removed, not left for a reader to credit; the history keeps the original event.
    forged = sorted(k for k in reserved_keys(event) if k not in written)
    sagemaker.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus=ApprovalStatus.REJECTED.value,
        ApprovalDescription=text,
        ModelLifeCycle={"Stage": Stage.DEV.value, "StageStatus": StageStatus.REJECTED.value, "StageDescription": text},
        CustomerMetadataProperties=written,
        **({"CustomerMetadataPropertiesToRemove": forged} if forged else {}),
    )
    _alarm(alarm, alarm_topic_arn, arn, reason)
    return GuardOutcome(arn=arn, checked=True, violations=tuple(found))


def _alarm(alarm: Any, topic_arn: str, arn: str, reason: str) -> None:
    alarm.publish(TopicArn=topic_arn, Subject="mlgov: a registration broke the registration guard",
                  Message=f"{arn} was rejected automatically. {reason}")
