"""Compliance officer: `status`, `list`, `history` - every answer is a Query on the table or a GSI, never a Scan."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

from mlgov_cli.context import Context
from mlgov_cli.errors import CliError, RuleViolation, aws_errors
from mlgov_cli.decisions import use_case_for_group
from mlgov_cli.options import read_role_option, stage_type, status_type, use_case_config
from mlgov_cli.output import console, emit, emit_object, progress
from mlgov_core import chain, queries, rules

STAGES = [s.value for s in rules.STAGE_ORDER]
STATUSES = [s.value for s in rules.StageStatus]
LIST_COLUMNS = ("group", "version", "stage", "status", "approval", "registered_by", "approved_by", "last_modified",
                "qa_metrics", "prod_metrics")
HISTORY_COLUMNS = ("time", "kind", "change", "actor", "reason", "source")
# Metadata keys a decision may leave in CustomerMetadataProperties to say why.
REASON_KEYS = ("decision_reason", "reason", "rejection_reason", "approval_reason")


def _table(ctx: Context, as_role: str | None) -> tuple[str, Any]:
    return ctx.names.governance_table, ctx.reader_client("dynamodb", as_role)


def metrics_summary(values: dict[str, Any] | None) -> str:
    return " ".join(f"{name}={_number(value)}" for name, value in sorted((values or {}).items()))


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def list_row(state: dict[str, Any], latest: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    prod = [
        f"{m.get('variant') or '-'}: {metrics_summary(m.get('metrics'))}"
        for m in latest
        if m.get("kind") == "production"
    ]
    return {
        "group": state.get("model_group"),
        "version": state.get("version"),
        "use_case": state.get("use_case"),
        "stage": state.get("stage"),
        "status": state.get("status"),
        "approval": state.get("approval_status"),
        "registered_by": state.get("registered_by"),
        "approved_by": state.get("approved_by"),
        "last_modified": state.get("last_modified"),
        "source": state.get("source"),
        "model_package_arn": state.get("model_package_arn"),
        "qa_metrics": metrics_summary(state.get("qa_metrics")),
        "prod_metrics": "; ".join(prod),
    }


# ---------------------------------------------------------------- status


def use_case_status(states: list[dict[str, Any]]) -> dict[str, Any]:
    """Stage x status counts and the latest (highest) version in each stage."""
    matrix = {stage: {status: 0 for status in STATUSES} for stage in STAGES}
    latest: dict[str, dict[str, Any]] = {}
    for state in states:
        stage, status = state.get("stage"), state.get("status")
        if stage in matrix and status in matrix[stage]:
            matrix[stage][status] += 1
        current = latest.get(stage)
        if current is None or (state.get("version") or 0) > current["version"]:
            latest[stage] = {"group": state.get("model_group"), "version": state.get("version"), "status": status,
                             "last_modified": state.get("last_modified")}
    # Recorded with a registry lifecycle outside the stage mapping: listed, since no stage row counts them.
    unmapped = [{"group": s.get("model_group"), "version": s.get("version"), "registry_stage": s.get("registry_stage"),
                 "registry_stage_status": s.get("registry_stage_status"), "last_modified": s.get("last_modified")}
                for s in states if s.get("stage") == rules.UNMAPPED]
    return {"versions": len(states), "matrix": matrix, "latest": latest, "unmapped": unmapped}


@click.command()
@click.option("--use-case", "use_case", help="One use case (default: every use case in config).")
@read_role_option
@click.pass_obj
def status(ctx: Context, use_case: str | None, as_role: str | None) -> None:
    """Per use case: versions by stage and status, and the latest version in each stage."""
    names = [use_case_config(ctx, use_case).name] if use_case else sorted(ctx.config.use_cases)
    table, dynamodb = _table(ctx, as_role)
    result: dict[str, Any] = {}
    with progress(ctx, "querying the governance table"), aws_errors("querying the governance table"):
        for name in names:
            result[name] = use_case_status(queries.of_use_case(table, name, client=dynamodb))
    if ctx.json_output:
        emit(ctx, [{"use_case": name, **value} for name, value in result.items()], ())
        return
    rows = []
    for name, value in result.items():
        for stage in STAGES:
            latest = value["latest"].get(stage)
            rows.append({
                "use_case": name,
                "stage": stage,
                **{s: value["matrix"][stage][s] for s in STATUSES},
                "latest": f"v{latest['version']} ({latest['status']})" if latest else "",
                "latest_changed": latest["last_modified"] if latest else "",
            })
    emit(ctx, rows, ("use_case", "stage", *STATUSES, "latest", "latest_changed"), title="Versions by stage and status")
    unmapped = [{"use_case": name, **row} for name, value in result.items() for row in value["unmapped"]]
    if unmapped:
        emit(ctx, unmapped, ("use_case", "group", "version", "registry_stage", "registry_stage_status", "last_modified"),
             title=f"{rules.UNMAPPED}: registry stage outside governance.registry_stage_names (never deployed)")


# ---------------------------------------------------------------- list


@click.command("list")
@click.option("--group", help="All versions of one model package group.")
@click.option("--use-case", "use_case", help="All versions of one use case.")
@click.option("--stage", type=stage_type(), help="Versions in this stage (with --status, or every status).")
@click.option("--status", "stage_status", type=status_type(), help="Versions with this status in --stage.")
@click.option("--metrics/--no-metrics", default=True, show_default=True,
              help="Latest production metrics of Prod versions (one Query per Prod version listed).")
@read_role_option
@click.pass_obj
def list_versions(ctx: Context, group: str | None, use_case: str | None, stage: rules.Stage | None,
                  stage_status: rules.StageStatus | None, metrics: bool, as_role: str | None) -> None:
    """Versions with stage, status, approval, who registered and approved, and metrics.

    Exactly one selector: --group, --use-case, or --stage [--status]; none lists every use case in config.
    """
    if stage_status and not stage:
        raise CliError("--status needs --stage")
    selectors = [s for s in (group, use_case, stage) if s]
    if len(selectors) > 1:
        raise CliError("choose one of --group, --use-case, --stage/--status")
    if use_case:
        use_case_config(ctx, use_case)
    if group:
        use_case_for_group(ctx, group)
    table, dynamodb = _table(ctx, as_role)
    lookups: list[Callable[[], list[dict[str, Any]]]]
    if group:
        lookups = [lambda: queries.versions_of_group(table, group, client=dynamodb)]
        title = f"Versions of group {group}"
    elif use_case:
        lookups = [lambda: queries.of_use_case(table, use_case, client=dynamodb)]
        title = f"Versions of use case {use_case}"
    elif stage:
        wanted = [stage_status.value] if stage_status else STATUSES
        lookups = [lambda s=s: queries.in_stage_status(table, stage.value, s, client=dynamodb) for s in wanted]
        title = f"Versions in {stage.value}" + (f" / {stage_status.value}" if stage_status else "")
    else:
        lookups = [lambda n=n: queries.of_use_case(table, n, client=dynamodb) for n in sorted(ctx.config.use_cases)]
        title = "Versions of every use case"
    rows = []
    with progress(ctx, "querying the governance table"), aws_errors("querying the governance table"):
        for lookup in lookups:
            for state in lookup():
                latest: list[dict[str, Any]] = []
                if metrics and state.get("stage") == rules.Stage.PROD.value:
                    latest = queries.latest_metrics(table, state["model_group"], state["version"], client=dynamodb)
                rows.append(list_row(state, latest))
    emit(ctx, rows, LIST_COLUMNS, title=f"{title} ({len(rows)})")


# ---------------------------------------------------------------- history


def _reason(item: dict[str, Any]) -> str | None:
    metadata = item.get("customer_metadata") or {}
    for key in REASON_KEYS:
        if metadata.get(key):
            return metadata[key]
    return item.get("stage_description") or item.get("reason")


def change_actor(kind: rules.Change, item: dict[str, Any]) -> str:
    """Who made one registry change: the registry's LastModifiedBy for it (changed_by), CreatedBy for the
    registration. Metadata names (approved_by/registered_by typed by a caller) are shown as claims only."""
    verb = {rules.Change.APPROVED: "approved_by", rules.Change.REJECTED: "rejected_by",
            rules.Change.REGISTERED: "registered_by"}.get(kind, "changed_by")
    registration = kind == rules.Change.REGISTERED
    who = item.get("registered_by") if registration else item.get("changed_by")
    source_identity = item.get("registered_by_source_identity" if registration else "changed_by_source_identity")
    actor = f"{verb} {who}" if who else f"{verb} unknown (not recorded by the registry)"
    if who and source_identity:  # the person the session was assumed for (sts:SourceIdentity)
        actor += f" [source identity {source_identity}]"
    claimed = item.get("claimed_registered_by") if kind == rules.Change.REGISTERED else item.get("claimed_decided_by")
    if claimed and kind != rules.Change.METADATA:
        actor += f" (metadata claims {claimed}; not evidence)"
    return actor


def lifecycle_text(item: dict[str, Any]) -> str:
    """``Stage/Status Approval``; an unmapped lifecycle shows the registry's own names."""
    text = f"{item.get('stage')}/{item.get('status')}"
    if item.get("stage") == rules.UNMAPPED:
        text += f" (registry {item.get('registry_stage')}/{item.get('registry_stage_status')})"
    return f"{text} {item.get('approval_status')}"


def history_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who, what, when, why of each history item, oldest first; registry changes say what changed."""
    rows = []
    previous: dict[str, Any] | None = None
    for item in items:
        if item.get("item_type") == "metrics":
            label = item.get("kind") or "metrics"
            if item.get("variant"):
                label += f" ({item['variant']})"
            rows.append({
                "time": item.get("last_modified"),
                "kind": f"{label} metrics",
                "change": metrics_summary(item.get("metrics")),
                "actor": item.get("reported_by"),
                "reason": None,
                "source": f"metrics report from {item.get('reported_from_account') or '?'} (event {item.get('event_id') or '-'})",
            })
            continue
        kind = rules.classify_change(previous, item)
        now = lifecycle_text(item)
        if kind == rules.Change.METADATA:
            change = f"{now} (metadata)"
        elif previous is None:
            change = f"{kind.value}: {now}"
        else:
            change = f"{lifecycle_text(previous)} -> {now}"
        actor = change_actor(kind, item)
        rows.append({
            "time": item.get("last_modified"),
            "kind": "registry change",
            "change": change,
            "actor": actor,
            "reason": None if kind == rules.Change.METADATA else _reason(item),
            "source": f"{item.get('source') or 'sagemaker'} (event {item.get('event_id') or '-'})",
        })
        previous = item
    return rows


@click.command()
@click.argument("group")
@click.argument("version", type=click.IntRange(min=1))
@click.option("--verify", is_flag=True,
              help="Recompute the history's hash chain; print OK or each break, exit 1 on a break.")
@read_role_option
@click.pass_obj
def history(ctx: Context, group: str, version: int, verify: bool, as_role: str | None) -> None:
    """Who changed GROUP's VERSION, what, when and why: its state and full history (one Query)."""
    use_case_for_group(ctx, group)
    table, dynamodb = _table(ctx, as_role)
    with aws_errors("querying the governance table"):
        # Exact numbers for the chain: a float is not what was hashed. Converted for display after.
        found = queries.version_state_and_history(table, group, version, client=dynamodb, exact_numbers=verify)
    if found["state"] is None and not found["history"]:
        raise CliError(f"version {version} of {group!r} is not in the governance table "
                       f"(run `mlgov reconcile --group {group}` if the registry has it)")
    checked = chain.verification(found["history"], found["chain"]) if verify else None
    found = queries.plain(found)
    rows = history_rows(found["history"])
    if ctx.json_output:
        emit_object(ctx, {"state": found["state"], "history": rows, "items": found["history"],
                          "metrics": found["metrics"], **({"verify": checked} if checked else {})}, "")
        _fail_on_break(group, version, checked)
        return
    state = found["state"]
    if state:
        console.print(
            f"[bold]{group} v{version}[/bold]: {state.get('stage')}/{state.get('status')} "
            f"({state.get('approval_status')}), registered by {state.get('registered_by') or '?'}, "
            f"approved by {state.get('approved_by') or '-'}, last change {state.get('last_modified')}"
        )
    emit(ctx, rows, HISTORY_COLUMNS, title=f"History of {group} v{version} ({len(rows)} changes)")
    if checked:
        if checked["ok"]:
            console.print(f"hash chain OK: {checked['items']} history items, head {(checked['head'] or '-')[:16]}")
        else:
            for found_break in checked["breaks"]:
                console.print(f"hash chain BREAK at {found_break['sk'] or 'head'}: {found_break['kind']}: "
                              f"{found_break['reason']}", markup=False, soft_wrap=True)  # a sort key stays whole
        _fail_on_break(group, version, checked)


def _fail_on_break(group: str, version: int, checked: dict[str, Any] | None) -> None:
    if checked and not checked["ok"]:
        raise RuleViolation(f"the history of {group} v{version} does not verify: {checked['first_break']}")


COMMANDS = (status, list_versions, history)
