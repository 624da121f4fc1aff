"""Pure mapping from a registry event (plus the registry's identities) to the table's items.

Attributes are flat and typed so a Glue/Athena schema can describe them. GSI partition keys are
written only on the item type the index serves (keys.py): model_group, use_case and stage_status
on the state item, change_day on history items; the shared attributes version_key, version_id and
last_modified cannot index a history item into a state index without those partition keys.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT

from mlgov_core import keys, rules, timeparse
from mlgov_core.events import ModelPackageStateChangeEvent, ModelPackageStateDetail
from mlgov_core.registry import PackageDescription

METRIC_PREFIX = "metric:"
# QA results written to the registry by metrics-ingest (mlgov_core.metrics): "qa:<name>" values,
# plus who reported them and when under reserved names that are never metrics.
QA_METRIC_PREFIX = "qa:"
QA_RESERVED_NAMES = frozenset({"reported_at", "reported_by"})
# Metadata a caller may type (CreateModelPackage, `mlgov approve`): shown as a claim, never credited.
REGISTERED_BY_KEY = "registered_by"
DECIDED_BY_KEYS = {rules.ApprovalStatus.APPROVED: "approved_by", rules.ApprovalStatus.REJECTED: "rejected_by"}
_DECIDED = {rules.ApprovalStatus.APPROVED, rules.ApprovalStatus.REJECTED}


def approval_status(detail: ModelPackageStateDetail) -> rules.ApprovalStatus:
    return detail.ModelApprovalStatus or rules.ApprovalStatus.PENDING


def resolve_stage(detail: ModelPackageStateDetail, stage_names: dict[str, rules.Stage] | None = None,
                  ) -> tuple[str, str, str | None]:
    """Stage, status and description: ModelLifeCycle mapped by ``stage_names`` (rules.stage_names()) if set,
    rules.UNMAPPED for both if it is outside the mappings, else Dev with the approval status."""
    life = detail.ModelLifeCycle
    if life is None:
        return rules.Stage.DEV.value, rules.STATUS_FOR_APPROVAL[approval_status(detail)].value, None
    mapped = rules.map_lifecycle(life.Stage, life.StageStatus, stage_names or rules.stage_names())
    if mapped is None:
        return rules.UNMAPPED, rules.UNMAPPED, life.StageDescription
    return mapped[0].value, mapped[1].value, life.StageDescription


def registry_lifecycle(detail: ModelPackageStateDetail, stage: str, status: str) -> dict[str, str]:
    """The registry's own lifecycle names where they differ from what is recorded ("Staging" for Test)."""
    life = detail.ModelLifeCycle
    if life is None or (life.Stage, life.StageStatus) == (stage, status):
        return {}
    return dict(zip(rules.REGISTRY_LIFECYCLE_FIELDS, (life.Stage, life.StageStatus)))


def idempotency_key(arn: str, approval: str, stage: str, status: str, last_modified: str) -> str:
    """Identifies one registry change, however many events announce it (not the event id)."""
    material = "\n".join((arn, approval, stage, status, last_modified))
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def parse_metrics(
    properties: dict[str, str] | None, prefix: str = METRIC_PREFIX, reserved: frozenset[str] = frozenset()
) -> dict[str, Decimal]:
    """``<prefix><name>`` metadata as numbers; values DynamoDB cannot store (NaN, text) and reserved names are left out."""
    metrics: dict[str, Decimal] = {}
    for key, raw in (properties or {}).items():
        if not key.startswith(prefix) or len(key) == len(prefix) or key[len(prefix) :] in reserved:
            continue
        try:
            value = DYNAMODB_CONTEXT.create_decimal(raw.strip())
        except (InvalidOperation, ValueError):
            continue
        if value.is_finite():
            metrics[key[len(prefix) :]] = value
    return metrics


def claimed_identity(claimed: str | None, recorded: str | None) -> str | None:
    """A metadata identity that is not the registry's: kept so a reader sees the claim, never credited."""
    if not claimed or not claimed.strip() or rules.same_identity(claimed, recorded):
        return None
    return claimed.strip()


def resolve_identities(
    detail: ModelPackageStateDetail, last_modified: str, described: PackageDescription,
    decider_role_arn: str | None = None,
) -> tuple[str | None, str | None]:
    """(registered_by, changed_by), from the registry's own records only (DESIGN.md section 5).

    registered_by is CreatedBy. changed_by is LastModifiedBy, and only if the registry's
    LastModifiedTime is this event's change: if it is later, the described identity made a later
    change, so who made this one stays unknown (None). ``registered_by``/``approved_by`` metadata is
    never used: anyone who may write metadata can type any name there. One exception: when this
    change was written by the decision function (LastModifiedBy is a session of ``decider_role_arn``),
    the decider it recorded next to the decision is the verified caller it acted for, and is credited.
    """
    changed_by = described.last_modified_by if timeparse.same_instant(last_modified, described.last_modified_time) else None
    approval = approval_status(detail)
    if approval in _DECIDED and is_session_of(changed_by, decider_role_arn):
        recorded = (detail.CustomerMetadataProperties or {}).get(DECIDED_BY_KEYS[approval])
        changed_by = recorded or changed_by
    return described.created_by, changed_by


def is_session_of(identity: str | None, role_arn: str | None) -> bool:
    """Is ``identity`` (an STS assumed-role ARN) a session of the IAM role ``role_arn``?"""
    if not identity or not role_arn or ":role/" not in role_arn:
        return False
    account, role = role_arn.split(":")[4], role_arn.split(":role/", 1)[1].rsplit("/", 1)[-1]
    prefix = f":sts::{account}:assumed-role/{role}/"
    return identity.startswith("arn:") and prefix in identity


def build_items(
    event: ModelPackageStateChangeEvent,
    described: PackageDescription,
    *,
    use_case: str,
    recorded_at: str,
    decider_role_arn: str | None = None,
    stage_names: dict[str, rules.Stage] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state item, history item) for one event; attributes without a value are left out."""
    detail = event.detail
    group, version = detail.ModelPackageGroupName, detail.ModelPackageVersion
    last_modified = event.last_modified
    approval = approval_status(detail)
    stage, status, stage_description = resolve_stage(detail, stage_names)
    raw = registry_lifecycle(detail, stage, status)
    # An unmapped change is told apart by the registry's names; a mapped one keys as before.
    key_stage, key_status = ((raw["registry_stage"], raw["registry_stage_status"]) if stage == rules.UNMAPPED
                             else (stage, status))
    idem = idempotency_key(detail.ModelPackageArn, approval.value, key_stage, key_status, last_modified)
    registered_by, changed_by = resolve_identities(detail, last_modified, described, decider_role_arn)
    # The source identity of the session that made this change, only when changed_by is LastModifiedBy.
    changed_by_source_identity = (described.last_modified_by_source_identity
                                  if changed_by and changed_by == described.last_modified_by else None)
    metadata = detail.CustomerMetadataProperties or {}
    decided = approval in _DECIDED
    claimed_decider = metadata.get(DECIDED_BY_KEYS[approval]) if decided else None
    pk = keys.version_pk(group, version)
    vid = keys.version_id(group, version)

    common: dict[str, Any] = {
        "pk": pk,
        "version": version,
        "version_key": keys.version_key(version),
        "version_id": vid,
        "source": rules.SOURCE_SAGEMAKER,
        "model_package_arn": detail.ModelPackageArn,
        "approval_status": approval.value,
        "stage": stage,
        "status": status,
        **raw,
        "stage_description": stage_description,
        "model_package_status": detail.ModelPackageStatus,
        "description": detail.ModelPackageDescription,
        "metrics": parse_metrics(detail.CustomerMetadataProperties),
        "qa_metrics": parse_metrics(detail.CustomerMetadataProperties, QA_METRIC_PREFIX, QA_RESERVED_NAMES),
        "customer_metadata": dict(detail.CustomerMetadataProperties or {}),
        "registered_by": registered_by,
        # The registry's IamIdentity.SourceIdentity of CreatedBy and of this change's LastModifiedBy:
        # the person, fixed at the first AssumeRole of the chain, whatever the session name says.
        "registered_by_source_identity": described.created_by_source_identity,
        "changed_by_source_identity": changed_by_source_identity,
        # Who made this change (LastModifiedBy); approved_by repeats it for a change in a decided status.
        # A later metadata-only change (QA metrics) names its own writer: readers take the decider of a
        # decision from that decision's history item (rules.classify_change), not from the state.
        "changed_by": changed_by,
        "approved_by": changed_by if decided else None,
        "claimed_registered_by": claimed_identity(metadata.get(REGISTERED_BY_KEY), registered_by),
        "claimed_decided_by": claimed_identity(claimed_decider, changed_by),
        "created_at": detail.CreationTime,
        "last_modified": last_modified,
        "recorded_at": recorded_at,
        "idempotency_key": idem,
        "event_id": event.id,
    }
    state = {
        **common,
        "sk": keys.STATE_SORT_KEY,
        "item_type": "state",
        "model_group": group,
        "use_case": use_case,
        "stage_status": keys.stage_status_key(stage, status),
    }
    history = {
        **common,
        "sk": keys.history_sk(last_modified, idem),
        "item_type": "history",
        "change_day": timeparse.day_of(last_modified),
        "change_key": keys.change_key(last_modified, vid),
    }
    return _without_none(state), _without_none(history)


def _without_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}
