"""Registry state of one version, judged for deployment: shared by check and promote (and approve's input checks).

The registry is authoritative for a version's state: every command here reads it with
DescribeModelPackage in the governance account and judges it with mlgov_core.rules and mlgov_core.gates
only. Evidence is only what a trusted writer recorded (DESIGN.md section 5): the registrant is the
registry's CreatedBy, and the QA metrics the gates read are what metrics-ingest recorded in the
governance table (mlgov_core.evidence), never ``qa:*`` or ``registered_by`` metadata a caller typed in.
Decisions themselves are made by the decision function in the governance account
(mlgov_core.decision, asked by mlgov_cli.decision_client).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from mlgov_cli.context import Context, person
from mlgov_cli.errors import CliError, RuleViolation, aws_errors
from mlgov_config import UseCaseConfig
from mlgov_core import decision, evidence, gates, records, registry, release, rules
from mlgov_core.rules import ApprovalStatus, Stage, StageStatus


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


def parse_state(group: str, version: int, response: dict[str, Any],
                stage_names: dict[str, Stage] | None = None) -> VersionState:
    """Stage and status from ModelLifeCycle (mapped as decision.version_state does); without one the
    version is in Dev and its approval is the status."""
    try:
        parsed = decision.version_state(response, stage_names)
    except decision.Refused as error:
        raise RuleViolation(f"version {version} of {group}: {error}") from None
    stage, status, approval = parsed.stage, parsed.status, parsed.approval
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
    return parse_state(group, version, response,
                       rules.stage_names(ctx.config.platform.governance.registry_stage_names))


def read_release(ctx: Context, sagemaker: Any, group: str, number: int) -> dict[str, Any] | None:
    """Release ``number`` of the group's prod release group as described, or None if there is none."""
    try:
        return sagemaker.describe_model_package(ModelPackageName=ctx.names.release_package_arn(group, number))
    except ClientError as error:
        if registry.is_not_found(error):
            return None
        raise


def released_as(state: VersionState) -> int | None:
    """The prod release the decision function recorded on the version at its Prod approval."""
    value = state.metadata.get(release.RELEASE_KEY, "")
    return int(value) if value.isdigit() and int(value) >= 1 else None


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


# --- what approve/reject check before asking ------------------------------------------------


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise CliError("--reason is required and must not be empty: say why (it is recorded in the registry and the history)")
    return text


def session_name_for(approver: str | None) -> str:
    if not approver or not approver.strip():
        raise CliError("name the person deciding with --approver NAME (or $MLGOV_APPROVER): it becomes the role "
                       "session's source identity and name, which the registry records as the decider")
    return person(approver, "--approver")
