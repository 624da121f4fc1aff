"""Registry state of one version and the decisions on it: shared by approve, reject, check and promote.

The registry is authoritative for a version's state: every command here reads it with
DescribeModelPackage in the governance account and judges it with mlgov_core.rules and mlgov_core.gates
only. Evidence is only what a trusted writer recorded (DESIGN.md section 5): the registrant is the
registry's CreatedBy, and the QA metrics the gates read are what metrics-ingest recorded in the
governance table (mlgov_core.evidence), never ``qa:*`` or ``registered_by`` metadata a caller typed in.
A decision is one UpdateModelPackage call carrying the approval status, the lifecycle stage and the
who/why metadata together, so a refused or failed decision changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from mlgov_cli.context import Context
from mlgov_cli.errors import CliError, RuleViolation, aws_errors
from mlgov_config import AccountRole, UseCaseConfig
from mlgov_core import evidence, gates, records, registry, rules
from mlgov_core.rules import ApprovalStatus, Stage, StageStatus

# Metadata keys a decision writes (the registry-sync Lambda copies all metadata into the table).
APPROVED_BY_KEY = records.DECIDED_BY_KEYS[ApprovalStatus.APPROVED]
REJECTED_BY_KEY = records.DECIDED_BY_KEYS[ApprovalStatus.REJECTED]
DECISION_REASON_KEY = "decision_reason"
DECISION_STAGE_KEY = "decision_stage"

# SageMaker's limits: ApprovalDescription and StageDescription up to 1024 characters of ".", which
# excludes line breaks; metadata values up to 256 characters of letters, spaces, digits and _.:/=+-@.
DESCRIPTION_MAX = 1024
METADATA_VALUE_MAX = 256
_METADATA_PUNCTUATION = set("_.:/=+-@")
# IAM's RoleSessionName: 2 to 64 of [\w+=,.@-].
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_PERSON_ARN = re.compile(r"^arn:aws[a-z-]*:(?:sts::\d{12}:assumed-role/[^/]+/(?P<session>.+)|iam::\d{12}:user/(?:.*/)?(?P<user>[^/]+))$")


@dataclass(frozen=True)
class VersionState:
    """One version as the registry has it now, in governance terms."""

    group: str
    version: int
    arn: str
    stage: Stage
    status: StageStatus
    approval: ApprovalStatus
    registered_by: str | None  # the registry's CreatedBy: the only registrant that counts
    created_by: str | None
    package_status: str | None
    # The QA metrics metrics-ingest recorded in the governance table (with_recorded_qa); empty until then,
    # so every gate fails rather than pass on metadata.
    qa_metrics: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    # ``registered_by`` typed into metadata when it names someone else than CreatedBy: shown, never credited.
    claimed_registered_by: str | None = None

    def summary(self) -> str:
        return f"{self.stage.value}/{self.status.value} ({self.approval.value})"


def use_case_for_group(ctx: Context, group: str) -> UseCaseConfig:
    name = ctx.config.use_case_by_group().get(group)
    if name is None:
        known = sorted(ctx.config.use_case_by_group())
        raise CliError(f"no use case in {ctx.config_dir} owns model package group {group!r} (known groups: {known})")
    return ctx.config.use_cases[name]


def parse_state(group: str, version: int, response: dict[str, Any]) -> VersionState:
    """Stage and status from ModelLifeCycle; without one the version is in Dev and its approval is the status."""
    try:
        approval = ApprovalStatus(response.get("ModelApprovalStatus") or ApprovalStatus.PENDING.value)
    except ValueError:
        raise RuleViolation(f"version {version} of {group} has ModelApprovalStatus "
                            f"{response.get('ModelApprovalStatus')!r}, which mlgov does not know") from None
    life = response.get("ModelLifeCycle")
    if life:
        try:
            stage, status = Stage(life.get("Stage")), StageStatus(life.get("StageStatus"))
        except ValueError:
            raise RuleViolation(
                f"version {version} of {group} has ModelLifeCycle {life.get('Stage')!r}/{life.get('StageStatus')!r}, "
                f"which is not a governance stage ({', '.join(s.value for s in Stage)}) and status "
                f"({', '.join(s.value for s in StageStatus)}); fix it in the registry first") from None
    else:
        stage, status = Stage.DEV, rules.STATUS_FOR_APPROVAL[approval]
    metadata = dict(response.get("CustomerMetadataProperties") or {})
    created_by = registry.identity_name(response.get("CreatedBy"))
    return VersionState(
        group=group, version=version, arn=response.get("ModelPackageArn", ""), stage=stage, status=status,
        approval=approval, registered_by=created_by, created_by=created_by,
        package_status=response.get("ModelPackageStatus"), metadata=metadata,
        claimed_registered_by=records.claimed_identity(metadata.get(records.REGISTERED_BY_KEY), created_by),
    )


def with_recorded_qa(ctx: Context, dynamodb: Any,
                     states: dict[tuple[str, int], VersionState | None]) -> dict[tuple[str, int], VersionState | None]:
    """``states`` with the QA metrics metrics-ingest recorded for each version (one GetItem per version).

    ``dynamodb``: a low-level client allowed to read the governance table in the governance account.
    """
    found: dict[tuple[str, int], VersionState | None] = {}
    for (group, version), state in states.items():
        if state is None:
            found[(group, version)] = None
            continue
        with aws_errors(f"reading the recorded QA metrics of version {version} of {group} from {ctx.names.governance_table}"):
            try:
                recorded = evidence.recorded_qa_metrics(dynamodb, group, version, table_name=ctx.names.governance_table)
            except evidence.EvidenceError as error:
                raise RuleViolation(f"version {version} of {group}: {error}") from None
        found[(group, version)] = replace(state, qa_metrics=recorded)
    return found


def read_version(ctx: Context, sagemaker: Any, group: str, version: int) -> VersionState | None:
    """The version's registry state, or None if the group has no such version."""
    arn = ctx.names.package_arn(group, version)
    try:
        response = sagemaker.describe_model_package(ModelPackageName=arn)
    except ClientError as error:
        if registry.is_not_found(error):
            return None
        raise
    return parse_state(group, version, response)


def read_versions(ctx: Context, sagemaker: Any, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], VersionState | None]:
    """Each (group, version) described once."""
    found: dict[tuple[str, int], VersionState | None] = {}
    for key in wanted:
        if key not in found:
            with aws_errors(f"DescribeModelPackage for version {key[1]} of {key[0]}"):
                found[key] = read_version(ctx, sagemaker, *key)
    return found


def gates_for(use_case: UseCaseConfig, target: Stage) -> list[str]:
    return list(use_case.gates.prod if target == Stage.PROD else use_case.gates.test if target == Stage.TEST else [])


def gate_results(use_case: UseCaseConfig, target: Stage, state: VersionState) -> list[gates.GateResult]:
    """The gates of ``target`` on the recorded QA metrics (state.qa_metrics, from with_recorded_qa only)."""
    return gates.evaluate_all(gates_for(use_case, target), state.qa_metrics)


def not_found_message(group: str, version: int) -> str:
    return f"version {version} does not exist in group {group}"


def deployment_problems(use_case: UseCaseConfig, target: Stage, group: str, version: int,
                        state: VersionState | None) -> list[str]:
    """Why this version may not run in ``target`` (empty when it may): registry state, then gates."""
    if state is None:
        return [not_found_message(group, version)]
    problems = []
    if not rules.deployable(state.stage, state.status, state.approval, target):
        if state.status == StageStatus.REJECTED or state.approval == ApprovalStatus.REJECTED:
            problems.append(f"version {version} of {group} is rejected ({state.summary()}); rejected versions are never deployed")
        else:
            problems.append(f"version {version} of {group} is {state.summary()} in the registry, not approved for {target.value}")
    for result in gate_results(use_case, target, state):
        if not result.passed:
            problems.append(f"version {version} of {group}: {target.value} gate {result.reason}")
    return problems


def gate_summary(results: list[gates.GateResult]) -> str:
    if not results:
        return "none"
    return f"{sum(r.passed for r in results)}/{len(results)} pass"


# --- decisions -------------------------------------------------------------------------------


def person(identity: str | None) -> str | None:
    """The person behind an identity: an assumed-role session's name, an IAM user's name, else the value."""
    if not identity:
        return None
    match = _PERSON_ARN.match(identity.strip())
    if match:
        return match.group("session") or match.group("user")
    return identity


def conflicting_identities(registrants: list[str | None], deciders: list[str | None]) -> tuple[str, str] | None:
    """(registrant, decider) naming the same person, compared with rules.same_identity, or None."""
    for registrant in registrants:
        for decider in deciders:
            for a, b in ((registrant, decider), (person(registrant), person(decider))):
                if rules.same_identity(a, b):
                    return a, b  # type: ignore[return-value]
    return None


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise CliError("--reason is required and must not be empty: say why (it is recorded in the registry and the history)")
    return text


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


def session_name_for(approver: str | None) -> str:
    if not approver or not approver.strip():
        raise CliError("name the person deciding with --approver NAME (or $MLGOV_APPROVER): it becomes the role "
                       "session name, which the registry records as the decider")
    approver = approver.strip()
    if not SESSION_NAME.fullmatch(approver):
        raise CliError(f"--approver {approver!r} cannot be a role session name: use 2 to 64 of letters, digits and "
                       "_+=,.@- (an email address works)")
    return approver


@dataclass(frozen=True)
class Decision:
    group: str
    version: int
    use_case: str
    decision: StageStatus
    stage: Stage
    decided_by: str
    reason: str
    previous: str
    gate_results: list[gates.GateResult]

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group, "version": self.version, "use_case": self.use_case,
            "decision": self.decision.value, "stage": self.stage.value, "decided_by": self.decided_by,
            "reason": self.reason, "previous_state": self.previous,
            "approval_status": (ApprovalStatus.APPROVED if self.decision == StageStatus.APPROVED else ApprovalStatus.REJECTED).value,
            "gates": [{"gate": str(r.gate), "value": r.value, "passed": r.passed, "reason": r.reason} for r in self.gate_results],
        }


def decide(ctx: Context, *, group: str, version: int, target: Stage, decision: StageStatus, reason: str | None,
           as_role: str | None, approver: str | None,
           report: Callable[[str], None] = lambda _m: None) -> Decision:
    """Check every rule against the registry's current state; then write the decision in one call."""
    reason_text = clean_reason(reason)
    use_case = use_case_for_group(ctx, group)
    session_name = session_name_for(approver)
    role = as_role or f"{ctx.config.platform.name_prefix}-model-approver"
    with aws_errors(f"assuming {role} in the governance account"):
        sts = ctx.client(AccountRole.GOVERNANCE, role, "sts", session_name)
        caller = sts.get_caller_identity()["Arn"]
        sagemaker = ctx.client(AccountRole.GOVERNANCE, role, "sagemaker", session_name)
    report(f"reading version {version} of {group} from the registry")
    with aws_errors(f"DescribeModelPackage for version {version} of {group}"):
        state = read_version(ctx, sagemaker, group, version)
    if state is None:
        raise CliError(not_found_message(group, version))

    conflict = conflicting_identities([state.registered_by, state.created_by], [caller, approver])
    registrant, decider = conflict if conflict else (state.registered_by, caller)
    try:
        rules.check_decision(state.stage, state.status, registrant, decision, target, decider)
    except rules.TransitionError as error:
        word = "approval" if decision == StageStatus.APPROVED else "rejection"
        raise RuleViolation(f"{word} for {target.value} refused for version {version} of {group} "
                            f"({state.summary()}): {error}") from None
    if conflict:  # the rule compares raw values; person() found the same person behind two spellings
        raise RuleViolation(f"decision refused for version {version} of {group}: separation of duties: {decider} "
                            f"registered this version (as {registrant}) and cannot decide on it")

    results: list[gates.GateResult] = []
    if decision == StageStatus.APPROVED:
        results = gate_results(use_case, target, state)
        failed = [r for r in results if not r.passed]
        if failed:
            lines = "\n".join(f"  {r.reason}" for r in failed)
            raise RuleViolation(f"approval for {target.value} refused for version {version} of {group}: the QA gates of "
                                f"use case {use_case.name} do not pass on the recorded QA metrics:\n{lines}")

    approved = decision == StageStatus.APPROVED
    description = description_text(reason_text)
    request = {
        "ModelPackageArn": state.arn or ctx.names.package_arn(group, version),
        "ModelApprovalStatus": (ApprovalStatus.APPROVED if approved else ApprovalStatus.REJECTED).value,
        "ApprovalDescription": description,
        "ModelLifeCycle": {"Stage": target.value, "StageStatus": decision.value, "StageDescription": description},
        "CustomerMetadataProperties": {
            APPROVED_BY_KEY if approved else REJECTED_BY_KEY: metadata_value(caller),
            DECISION_REASON_KEY: metadata_value(reason_text),
            DECISION_STAGE_KEY: target.value,
        },
    }
    report(f"writing the decision for version {version} of {group}")
    with aws_errors(f"UpdateModelPackage for version {version} of {group}"):
        sagemaker.update_model_package(**request)
    return Decision(group=group, version=version, use_case=use_case.name, decision=decision, stage=target,
                    decided_by=caller, reason=reason_text, previous=state.summary(), gate_results=results)
