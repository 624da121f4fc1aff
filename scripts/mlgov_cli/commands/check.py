"""ML engineer / CI: `mlgov check`, the gate before merge: every deployment in config is allowed to run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from mlgov_cli import decisions
from mlgov_cli.context import Context
from mlgov_cli.errors import RuleViolation, aws_errors
from mlgov_cli.options import read_role_option, use_case_config
from mlgov_cli.output import emit, progress
from mlgov_config import UseCaseConfig
from mlgov_core import release
from mlgov_core.rules import Stage


@dataclass(frozen=True)
class Deployment:
    use_case: UseCaseConfig
    where: str  # "test" or "prod/<variant>"
    target: Stage
    version: int
    release: int | None = None  # prod: the version's release, what prod builds from

    @property
    def group(self) -> str:
        return self.use_case.model_package_group.name


def deployments_of(use_case: UseCaseConfig) -> list[Deployment]:
    found = []
    test, prod = use_case.deployments.test, use_case.deployments.prod
    if test is not None:
        found.append(Deployment(use_case, "test", Stage.TEST, test.version))
    if prod is not None:
        found.extend(Deployment(use_case, f"prod/{v.name}", Stage.PROD, v.version, v.release) for v in prod.variants)
    return found


def governance_client(ctx: Context, as_role: str | None, service: str, session_name: str) -> Any:
    """A client in the governance account: --as-role, else the compliance officer's read-only role."""
    with aws_errors(f"assuming {as_role or ctx.names.compliance_officer_role} in the governance account"):
        return ctx.reader_client(service, as_role)


def registry_client(ctx: Context, as_role: str | None, session_name: str) -> Any:
    """Registry reads in the governance account: --as-role, else the compliance officer's read-only role."""
    return governance_client(ctx, as_role, "sagemaker", session_name)


def read_states(ctx: Context, as_role: str | None, session_name: str,
                wanted: list[tuple[str, int]]) -> dict[tuple[str, int], decisions.VersionState | None]:
    """Each version's registry state with the QA metrics metrics-ingest recorded in the governance table.

    The same evidence the decision function judges gates on (mlgov_core.evidence), so CI cannot pass a
    version on ``qa:*`` metadata a registrant typed in. The role needs DescribeModelPackage and read on
    the table (compliance-officer, model-approver or the operator role) and, for prod deployments,
    DescribeModelPackage on the release groups (compliance-officer and the operator role).
    """
    states = decisions.read_versions(ctx, registry_client(ctx, as_role, session_name), wanted)
    return decisions.with_recorded_qa(ctx, governance_client(ctx, as_role, "dynamodb", session_name), states)


def read_releases(ctx: Context, as_role: str | None, session_name: str,
                  wanted: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any] | None]:
    """Each (group, release) of the prod deployments as the release group has it (None: no such release)."""
    if not wanted:
        return {}
    sagemaker = registry_client(ctx, as_role, session_name)
    found: dict[tuple[str, int], dict[str, Any] | None] = {}
    for group, number in wanted:
        if (group, number) not in found:
            with aws_errors(f"DescribeModelPackage for release {number} of {release.release_group(group)}"):
                found[(group, number)] = decisions.read_release(ctx, sagemaker, group, number)
    return found


def evaluate(states: dict[tuple[str, int], decisions.VersionState | None], deployments: list[Deployment],
             releases: dict[tuple[str, int], dict[str, Any] | None]) -> tuple[list[dict[str, Any]], list[str]]:
    """(one row per deployment, one reason per problem prefixed with where it is)."""
    rows, reasons = [], []
    for d in deployments:
        state = states[(d.group, d.version)]
        problems = decisions.deployment_problems(d.use_case, d.target, d.group, d.version, state)
        if d.release is not None:
            problems += release.problems(releases[(d.group, d.release)], d.group, d.version, d.release)
        results = decisions.gate_results(d.use_case, d.target, state) if state else []
        rows.append({
            "use_case": d.use_case.name, "deployment": d.where, "group": d.group, "version": d.version,
            "target": d.target.value, "release": d.release, "registry_state": state.summary() if state else "missing",
            "gates": decisions.gate_summary(results) if state else "-", "ok": not problems, "problems": problems,
        })
        reasons.extend(f"{d.use_case.name}: deployments.{d.where.replace('/', '.')}: {p}" for p in problems)
    return rows, reasons


@click.command("check")
@click.option("--use-case", "use_case_names", multiple=True, metavar="NAME",
              help="Check only this use case (repeatable); default: every use case in config.")
@read_role_option
@click.pass_obj
def check(ctx: Context, use_case_names: tuple[str, ...], as_role: str | None) -> None:
    """CI gate: every version in `deployments` may run where config puts it.

    For deployments.test.version and each deployments.prod.variants[].version: the version exists in
    the registry, is approved for that stage (or beyond) and not rejected, and the QA metrics
    metrics-ingest recorded in the governance table pass the use case's gates for that stage
    (registry ``qa:*`` metadata is not evidence). A prod variant's release exists, is approved and is
    the release of that version. Exit 0 when all pass; exit 1 with one line per reason.
    """
    config = ctx.config
    selected = [use_case_config(ctx, n) for n in (sorted(set(use_case_names)) or sorted(config.use_cases))]
    deployments = [d for uc in selected for d in deployments_of(uc)]
    rows: list[dict[str, Any]] = []
    reasons: list[str] = []
    if deployments:
        with progress(ctx, f"checking {len(deployments)} deployment(s) against the registry"):
            states = read_states(ctx, as_role, "mlgov-check", [(d.group, d.version) for d in deployments])
            releases = read_releases(ctx, as_role, "mlgov-check", [(d.group, d.release) for d in deployments if d.release])
            rows, reasons = evaluate(states, deployments, releases)
    if ctx.json_output:
        import json

        click.echo(json.dumps({"ok": not reasons, "deployments": rows, "reasons": reasons}, indent=2, sort_keys=True, default=str))
    elif rows:
        emit(ctx, [{**r, "result": "ok" if r["ok"] else "FAIL"} for r in rows],
             ["use_case", "deployment", "version", "release", "target", "registry_state", "gates", "result"], title="mlgov check")
    else:
        click.echo("no deployments in config: nothing to check")
    if reasons:
        raise RuleViolation(f"check failed: {len(reasons)} problem(s)\n" + "\n".join(reasons))
    if not ctx.json_output and rows:
        click.echo(f"check passed: {len(rows)} deployment(s) approved for their stage with passing gates")


COMMANDS = (check,)
