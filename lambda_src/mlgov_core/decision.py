"""The governed decision: approve or reject a version for Test or Prod.

Runs in the governance account, in the decision function, the only principal the group resource
policy and every role's policy allow to set ModelApprovalStatus or ModelLifeCycle. The decider is
the identity API Gateway verified (SigV4), never a name the caller typed. Order of work:

1. read the version from the registry (authoritative) and judge it with rules.check_decision and,
   for an approval, the use case's gates on the QA evidence metrics-ingest recorded;
2. claim the decision in the governance table: a ``DECISION#<stage>`` item written only if absent,
   so two approvers deciding the same version at the same moment cannot both pass the checks;
3. for a Prod approval, create the version's prod release (mlgov_core.release), the only thing the
   prod account may build a model from;
4. write the registry in one UpdateModelPackage; if that fails the release is rejected and the
   claim withdrawn: marked ``withdrawn_at`` by an update, never deleted, because the table's resource
   policy denies item deletes to every writer (modules/table_guard.py). A withdrawn claim can be
   claimed again.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from mlgov_core import gates, identity, keys, records, registry, release, rules, timeparse
from mlgov_core.rules import ApprovalStatus, Stage, StageStatus

DECISION_REASON_KEY = "decision_reason"
DECISION_STAGE_KEY = "decision_stage"
DECISION_ITEM_TYPE = "decision"
WITHDRAWN_AT = "withdrawn_at"
# Every attribute a claim has: the function's role may write items of this shape only (dynamodb:Attributes).
CLAIM_ATTRIBUTES = (keys.PARTITION_KEY, keys.SORT_KEY, "item_type", "claim_id", "decision", "stage", "decided_by",
                    "reason", "decided_at", WITHDRAWN_AT)
CLAIM_CONDITION = f"attribute_not_exists({keys.PARTITION_KEY}) OR attribute_exists({WITHDRAWN_AT})"
# SageMaker's limits: ApprovalDescription and StageDescription up to 1024 characters, no line
# breaks; metadata values up to 256 characters of letters, spaces, digits and _.:/=+-@.
DESCRIPTION_MAX = 1024
METADATA_VALUE_MAX = 256
_METADATA_PUNCTUATION = set("_.:/=+-@")


class DecisionError(Exception):
    """The decision was not made; ``status`` is the HTTP status the decision API answers with."""

    status = 500


class BadRequest(DecisionError):
    status = 400


class NotFound(DecisionError):
    status = 404


class Refused(DecisionError):
    """A governance rule or gate said no."""

    status = 409


@dataclass(frozen=True)
class DecisionSettings:
    table_name: str
    use_case_by_group: Mapping[str, str]
    # group -> stage ("Test"/"Prod") -> gate expressions, from each use case's config
    gates_by_group: Mapping[str, Mapping[str, list[str]]]
    # Groups shared with prod: a Prod approval creates a release in their release group.
    released_groups: frozenset[str] = frozenset()
    # Registry stage names -> governance stages (rules.stage_names), as registry-sync reads them.
    stage_names: Mapping[str, Stage] = field(default_factory=rules.stage_names)

    def gates_for(self, group: str, stage: Stage) -> list[str]:
        return list(self.gates_by_group.get(group, {}).get(stage.value, []))


@dataclass(frozen=True)
class DecisionRequest:
    group: str
    version: int
    stage: Stage
    decision: StageStatus
    reason: str


@dataclass(frozen=True)
class VersionState:
    """A version as the registry has it now, in governance terms."""

    arn: str
    stage: Stage
    status: StageStatus
    approval: ApprovalStatus
    created_by: str | None
    created_by_source_identity: str | None = None

    def summary(self) -> str:
        return f"{self.stage.value}/{self.status.value} ({self.approval.value})"


@dataclass
class Outcome:
    request: DecisionRequest
    decided_by: str
    previous: str
    gate_results: list[gates.GateResult] = field(default_factory=list)
    release_arn: str | None = None

    def as_dict(self) -> dict[str, Any]:
        approved = self.request.decision == StageStatus.APPROVED
        return {
            "group": self.request.group, "version": self.request.version, "decision": self.request.decision.value,
            "stage": self.request.stage.value, "decided_by": self.decided_by, "reason": self.request.reason,
            "previous_state": self.previous,
            "approval_status": (ApprovalStatus.APPROVED if approved else ApprovalStatus.REJECTED).value,
            "gates": [{"gate": str(r.gate), "value": r.value, "passed": r.passed, "reason": r.reason}
                      for r in self.gate_results],
            "release_arn": self.release_arn,
            "release": release.release_number(self.release_arn) if self.release_arn else None,
        }


def decision_schema() -> dict[str, Any]:
    """The decision API's request model (API Gateway validates it before the function runs)."""
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "DecisionRequest",
        "type": "object",
        "required": ["group", "version", "stage", "decision", "reason"],
        "additionalProperties": False,
        "properties": {
            "group": {"type": "string", "minLength": 1, "maxLength": 63},
            "version": {"type": "integer", "minimum": 1},
            "stage": {"type": "string", "enum": [Stage.TEST.value, Stage.PROD.value]},
            "decision": {"type": "string", "enum": [StageStatus.APPROVED.value, StageStatus.REJECTED.value]},
            "reason": {"type": "string", "minLength": 1, "maxLength": 4096},
        },
    }


def parse_request(body: Mapping[str, Any]) -> DecisionRequest:
    """The decision API's JSON body; BadRequest names the field and the value."""
    unknown = sorted(set(body) - {"group", "version", "stage", "decision", "reason"})
    if unknown:
        raise BadRequest(f"unknown field(s) {unknown}: send group, version, stage, decision and reason")
    group, version, reason = body.get("group"), body.get("version"), body.get("reason")
    if not isinstance(group, str) or not rules.is_sagemaker_name(group):
        raise BadRequest(f"group: {str(group)[:80]!r} is not a model package group name")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BadRequest(f"version: {str(version)[:40]!r} is not a version number (an integer >= 1)")
    try:
        stage = Stage(body.get("stage"))
        decision = StageStatus(body.get("decision"))
    except ValueError:
        raise BadRequest(f"stage must be Test or Prod and decision Approved or Rejected, not "
                         f"{str(body.get('stage'))[:20]!r}/{str(body.get('decision'))[:20]!r}") from None
    if stage == Stage.DEV or decision == StageStatus.PENDING:
        raise BadRequest(f"stage must be Test or Prod and decision Approved or Rejected, not {stage.value}/{decision.value}")
    text = " ".join(str(reason or "").split()) if isinstance(reason, str) else ""
    if not text:
        raise BadRequest("reason: required and must not be empty: say why (it is recorded in the registry and the history)")
    return DecisionRequest(group=group, version=version, stage=stage, decision=decision, reason=text)


def version_state(response: Mapping[str, Any], stage_names: Mapping[str, Stage] | None = None) -> VersionState:
    """Stage and status from ModelLifeCycle (mapped by ``stage_names``, default rules.stage_names());
    without one the version is in Dev and its approval is the status."""
    try:
        approval = ApprovalStatus(response.get("ModelApprovalStatus") or ApprovalStatus.PENDING.value)
    except ValueError:
        raise Refused(f"ModelApprovalStatus {response.get('ModelApprovalStatus')!r} is not one mlgov knows") from None
    life = response.get("ModelLifeCycle")
    mapped = (rules.map_lifecycle(str(life.get("Stage")), str(life.get("StageStatus")), dict(stage_names or rules.stage_names()))
              if life else (Stage.DEV, rules.STATUS_FOR_APPROVAL[approval]))
    if mapped is None:
        raise Refused(f"ModelLifeCycle {str(life.get('Stage'))[:70]!r}/{str(life.get('StageStatus'))[:70]!r} is not a "
                      f"governance stage ({', '.join(s.value for s in Stage)}, or a name governance.registry_stage_names "
                      f"maps) and status ({', '.join(s.value for s in StageStatus)}); fix it in the registry first")
    stage, status = mapped
    return VersionState(arn=response.get("ModelPackageArn", ""), stage=stage, status=status, approval=approval,
                        created_by=registry.identity_name(response.get("CreatedBy")),
                        created_by_source_identity=registry.source_identity(response.get("CreatedBy")))


def decide(request: DecisionRequest, decided_by: str, settings: DecisionSettings, *, package_arn: str,
           sagemaker: Any, dynamodb: Any, qa_metrics: Callable[[str, int], Mapping[str, float]]) -> Outcome:
    """Judge and, if every rule holds, record and write the decision (see the module docstring)."""
    group, version, target = request.group, request.version, request.stage
    if group not in settings.use_case_by_group:
        raise NotFound(f"no use case owns model package group {group!r}")
    try:
        response = sagemaker.describe_model_package(ModelPackageName=package_arn)
    except ClientError as error:
        if registry.is_not_found(error):
            raise NotFound(f"version {version} does not exist in group {group}") from None
        raise
    state = version_state(response, settings.stage_names)
    word = "approval" if request.decision == StageStatus.APPROVED else "rejection"
    refused = f"{word} for {target.value} refused for version {version} of {group} ({state.summary()})"

    conflict = identity.conflicting_identities(
        identity.registrants(state.created_by, state.created_by_source_identity), [decided_by])
    try:
        if conflict:
            as_who = state.created_by + (f", source identity {state.created_by_source_identity}"
                                         if state.created_by_source_identity else "") if state.created_by else conflict[0]
            raise rules.TransitionError(f"separation of duties: {identity.person(decided_by)} registered this "
                                        f"version (as {as_who}) and cannot decide on it")
        rules.check_decision(state.stage, state.status, state.created_by, request.decision, target, decided_by)
    except rules.TransitionError as error:
        raise Refused(f"{refused}: {error}") from None

    results: list[gates.GateResult] = []
    if request.decision == StageStatus.APPROVED:
        results = gates.evaluate_all(settings.gates_for(group, target), dict(qa_metrics(group, version)))
        failed = [r.reason for r in results if not r.passed]
        if failed:
            raise Refused(f"{refused}: the QA gates do not pass on the QA metrics metrics-ingest recorded: " + "; ".join(failed))

    to_release = None
    if request.decision == StageStatus.APPROVED and target == Stage.PROD and group in settings.released_groups:
        try:
            to_release = release.create_request(response, group, version, description_text(
                f"Prod release of version {version} of {group}, approved by {decided_by}: {request.reason}"))
        except ValueError as error:
            raise Refused(f"{refused}: {error}") from None

    claim = _claim(dynamodb, settings.table_name, request, decided_by)
    release_arn = None
    try:
        if to_release:
            release_arn = sagemaker.create_model_package(**to_release)["ModelPackageArn"]
        sagemaker.update_model_package(**update_request(state.arn or package_arn, request, decided_by, release_arn))
    except Exception:
        if release_arn:
            sagemaker.update_model_package(**release.withdraw_request(
                release_arn, f"withdrawn: the Prod approval of version {version} of {group} could not be written"))
        _withdraw(dynamodb, settings.table_name, request, claim)
        raise
    return Outcome(request=request, decided_by=decided_by, previous=state.summary(), gate_results=results,
                   release_arn=release_arn)


def update_request(arn: str, request: DecisionRequest, decided_by: str, release_arn: str | None = None) -> dict[str, Any]:
    """Approval status, lifecycle, who/why and the prod release in one UpdateModelPackage: all of it or nothing."""
    approved = request.decision == StageStatus.APPROVED
    description = description_text(request.reason)
    released = {release.RELEASE_KEY: str(release.release_number(release_arn))} if release_arn else {}
    return {
        "ModelPackageArn": arn,
        "ModelApprovalStatus": (ApprovalStatus.APPROVED if approved else ApprovalStatus.REJECTED).value,
        "ApprovalDescription": description,
        "ModelLifeCycle": {"Stage": request.stage.value, "StageStatus": request.decision.value,
                           "StageDescription": description},
        "CustomerMetadataProperties": {
            records.DECIDED_BY_KEYS[ApprovalStatus.APPROVED if approved else ApprovalStatus.REJECTED]: metadata_value(decided_by),
            DECISION_REASON_KEY: metadata_value(request.reason),
            DECISION_STAGE_KEY: request.stage.value,
            **released,
        },
    }


def decision_sk(stage: Stage) -> str:
    return f"DECISION#{stage.value}"


def _claim(dynamodb: Any, table_name: str, request: DecisionRequest, decided_by: str) -> str:
    claim_id = uuid.uuid4().hex
    item = {
        keys.PARTITION_KEY: {"S": keys.version_pk(request.group, request.version)},
        keys.SORT_KEY: {"S": decision_sk(request.stage)},
        "item_type": {"S": DECISION_ITEM_TYPE}, "claim_id": {"S": claim_id},
        "decision": {"S": request.decision.value}, "stage": {"S": request.stage.value},
        "decided_by": {"S": decided_by}, "reason": {"S": request.reason[:DESCRIPTION_MAX]},
        "decided_at": {"S": timeparse.now_iso()},
    }
    try:
        dynamodb.put_item(TableName=table_name, Item=item, ConditionExpression=CLAIM_CONDITION)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise Refused(f"a decision for {request.stage.value} on version {request.version} of {request.group} "
                          "is already recorded (another approver decided first)") from None
        raise
    return claim_id


def _withdraw(dynamodb: Any, table_name: str, request: DecisionRequest, claim_id: str) -> None:
    """Mark our own claim withdrawn so the decision can be made again once the registry answers."""
    dynamodb.update_item(
        TableName=table_name,
        Key={keys.PARTITION_KEY: {"S": keys.version_pk(request.group, request.version)},
             keys.SORT_KEY: {"S": decision_sk(request.stage)}},
        UpdateExpression=f"SET {WITHDRAWN_AT} = :t", ConditionExpression="claim_id = :c",
        ExpressionAttributeValues={":c": {"S": claim_id}, ":t": {"S": timeparse.now_iso()}},
    )


def description_text(text: str) -> str:
    """For ApprovalDescription/StageDescription: one line, at most 1024 characters."""
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 3] + "..."


def metadata_value(text: str) -> str:
    """For CustomerMetadataProperties values: SageMaker's character set, at most 256 characters."""
    def allowed(c: str) -> bool:
        return unicodedata.category(c)[0] in "LZN" or c in _METADATA_PUNCTUATION
    cleaned = " ".join("".join(c if allowed(c) else " " for c in text).split())
    return cleaned if len(cleaned) <= METADATA_VALUE_MAX else cleaned[: METADATA_VALUE_MAX - 3] + "..."
