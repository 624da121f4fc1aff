"""Approver: `mlgov approve` / `mlgov reject` a version for Test or Prod, with a mandatory reason."""

from __future__ import annotations

import click

from mlgov_cli import decision_client
from mlgov_cli.context import Context
from mlgov_cli.options import stage_type
from mlgov_cli.output import emit, emit_object, progress
from mlgov_core.rules import Stage, StageStatus

STAGE_CHOICE = stage_type(Stage.TEST, Stage.PROD)


def _decision_options(func):
    options = (
        click.argument("group"),
        click.argument("version", type=click.IntRange(min=1)),
        click.option("--stage", "stage", type=STAGE_CHOICE, required=True, help="The stage the decision is for: Test or Prod."),
        click.option("--reason", required=True, help="Why (mandatory, non-empty); recorded in the registry and the history."),
        click.option("--approver", envvar="MLGOV_APPROVER", show_envvar=True,
                     help="Who decides (e.g. your email): the role session name. The decision function credits the "
                          "identity API Gateway verified, and refuses it if it names the registrant."),
        click.option("--as-role", "as_role", metavar="ROLE",
                     help="Governance-account role to decide as (default: <name_prefix>-model-approver)."),
    )
    for option in reversed(options):
        func = option(func)
    return func


def _run(ctx: Context, decision: StageStatus, group: str, version: int, target: Stage, reason: str,
         approver: str | None, as_role: str | None) -> None:
    with progress(ctx, f"{decision.value.lower()} version {version} of {group}") as _:
        result = decision_client.decide(ctx, group=group, version=version, target=target, decision=decision,
                                        reason=reason, as_role=as_role, approver=approver)
    if ctx.json_output:
        emit_object(ctx, result, "")
        return
    gate_results = result.get("gates") or []
    row = {**result, "gates": f"{sum(g['passed'] for g in gate_results)}/{len(gate_results)} pass" if gate_results else "none"}
    fields = ["group", "version", "use_case", "decision", "stage", "previous_state", "approval_status", "decided_by",
              "reason", "gates"] + (["release_arn"] if result.get("release_arn") else [])
    emit(ctx, [{"field": f, "value": row.get(f)} for f in fields], ["field", "value"],
         title=f"{result['decision']} for {result['stage']}")
    for gate in gate_results:
        click.echo(f"gate {gate['reason']}")


@click.command("approve")
@_decision_options
@click.pass_obj
def approve(ctx: Context, group: str, version: int, stage: str, reason: str, approver: str | None, as_role: str | None) -> None:
    """Approve VERSION of model package GROUP for --stage Test or Prod.

    Asks the decision function in the governance account (signed POST /decisions as the approver
    role). It reads the version from the registry and refuses, with exit 1, when a governance rule
    says no: you registered it (separation of duties), it skips a stage, it was rejected, another
    decision for that stage is already recorded, or (for Prod, and for Test if the use case has Test
    gates) the QA metrics metrics-ingest recorded fail the gates. On success the function writes
    ModelApprovalStatus=Approved, ModelLifeCycle {Stage, Approved, reason} and who/why in one
    UpdateModelPackage call; no other principal may set those fields. A Prod approval also creates the
    version's prod release (what the prod account builds its model from) and prints its ARN.

    \b
    Example:
      mlgov approve credit-risk 3 --stage Prod --reason "QA passed, CAB-123" --approver alice@example.com
    """
    _run(ctx, StageStatus.APPROVED, group, version, stage, reason, approver, as_role)


@click.command("reject")
@_decision_options
@click.pass_obj
def reject(ctx: Context, group: str, version: int, stage: str, reason: str, approver: str | None, as_role: str | None) -> None:
    """Reject VERSION of model package GROUP for --stage Test or Prod.

    Rejection is final: a rejected version is never approved or deployed again (register a new one).
    The decision function applies the same rules as for approve, except the QA gates, and writes
    ModelApprovalStatus=Rejected, ModelLifeCycle {Stage, Rejected, reason} and who/why.

    \b
    Example:
      mlgov reject credit-risk 3 --stage Test --reason "leaks the label" --approver alice@example.com
    """
    _run(ctx, StageStatus.REJECTED, group, version, stage, reason, approver, as_role)


COMMANDS = (approve, reject)
