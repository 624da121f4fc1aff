"""Compliance officer: `reconcile` rebuilds or repairs the governance table from the registry."""

from __future__ import annotations

import click

from mlgov_cli.context import Context
from mlgov_cli.decisions import use_case_for_group
from mlgov_cli.errors import aws_errors
from mlgov_cli.output import console, emit, progress
from mlgov_core import reconcile as core
from mlgov_core import rules

FIX_COLUMNS = ("group", "version", "problems", "detail", "action")


@click.command()
@click.option("--group", "groups", multiple=True, help="Only this model package group (repeatable; default: every governed group).")
@click.option("--dry-run", is_flag=True, help="Report what would be fixed; write nothing.")
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Parallel DescribeModelPackage calls.")
@click.option("--as-role", "as_role", metavar="ROLE",
              help="Governance-account role (default: <prefix>-table-reconciler; with --dry-run, "
                   "<prefix>-compliance-officer, read-only).")
@click.pass_obj
def reconcile(ctx: Context, groups: tuple[str, ...], dry_run: bool, workers: int, as_role: str | None) -> None:
    """Rebuild or repair the governance table from the registry (the registry is authoritative).

    Lists every version of each group (paginated), describes it, and writes the state and history
    items the registry-sync Lambda would have written where they are missing or stale. Idempotent:
    a second run fixes nothing. Versions the registry no longer has are reported, not deleted.
    """
    for group in groups:
        use_case_for_group(ctx, group)
    use_case_by_group = ctx.config.use_case_by_group()
    if dry_run:  # only reads: the read-only reviewer's role is enough
        sagemaker, dynamodb = ctx.reader_client("sagemaker", as_role), ctx.reader_client("dynamodb", as_role)
    else:  # the reconciler role: registry reads and writes to the governed groups' partitions, nothing else
        role = as_role or ctx.names.table_reconciler_role
        sagemaker = ctx.table_writer_client(role, "sagemaker", ctx.operator)
        dynamodb = ctx.table_writer_client(role, "dynamodb", ctx.operator)
    with progress(ctx, "reconciling the table with the registry"), aws_errors("reconcile"):
        report = core.reconcile(
            ctx.names.governance_table, use_case_by_group, groups=list(groups) or None,
            sagemaker=sagemaker, dynamodb=dynamodb, dry_run=dry_run, workers=workers,
            decider_role_arn=ctx.names.decision_function_role_arn,
            # The mapping registry-sync has (REGISTRY_STAGE_NAMES, set by the governance stack from the same field).
            stage_names=rules.stage_names(ctx.config.platform.governance.registry_stage_names),
        )
    if ctx.json_output:
        import json

        print(json.dumps(report.to_dict(), default=str, indent=2, sort_keys=True))
        return
    verb = "would fix" if dry_run else "fixed"
    if report.fixes:
        emit(ctx, [fix.row() for fix in report.fixes], FIX_COLUMNS,
             title=f"Reconcile{' (dry run, nothing written)' if dry_run else ''}")
    console.print(
        f"{len(report.groups)} group(s), {report.registry_versions} registry version(s): "
        f"{report.in_sync} in sync, {verb} {report.fixed}"
        + (f", {len(report.fixes) - report.fixed} reported" if len(report.fixes) > report.fixed else "")
    )


COMMANDS = (reconcile,)
