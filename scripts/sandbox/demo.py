"""`make demo`: the governance lifecycle end to end on the local sandbox, no AWS account needed.

1. start the patched moto server on a free port (four emulated accounts, told apart by AssumeRole);
2. terraform init/plan/apply of the committed governance and dev stacks, side by side, each followed by
   a re-plan that must show no changes;
3. the seed's steps with the `mlgov` CLI (sandbox/lifecycle.py): onboard, train and register from
   MLflow, approve for Test (and a refused self-approval), apply test, QA through the test API,
   approve for Prod on the QA gates, apply prod; then a retrained version 2 through the same gates,
   promoted by config edits (synth + apply of test, then prod as the challenger), A/B traffic with
   production metrics per variant, the winner promoted to all traffic (synth + apply of prod),
   status/list/history/reconcile and the governance report; in between, three attacks on the controls
   (dev overwrites the released artifact, dev registers a pre-approved version, the registrant approves
   their own version through the decision path), each refused, and `history --verify` on both versions;
4. print the governance table's rows for both versions and the DLQ depths; stop the server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mlgov_config import AccountRole, MlgovConfig, load_config
from mlgov_config.errors import ConfigError
from mlgov_core import keys
from modules.naming import Names
from sandbox.accounts import AccountSession, assume
from sandbox.lifecycle import LifecycleResult, run_lifecycle
from sandbox.process import SandboxProcess
from sandbox.quicksight_subscription import subscribe
from sandbox.stacks import ApplyResult, apply_stack, replan_changes

# The governance functions with a dead-letter queue: the demo ends with all of them empty.
STREAM_AND_EVENT_FUNCTIONS = ("registry-sync", "metrics-ingest", "history-archive", "lake-projection")

REPO_ROOT = Path(__file__).resolve().parents[2]
# The registry path first (seed steps 1-5); test and prod deploy a registered version afterwards.
# Governance and dev are applied side by side: each names the other's account only in policy
# conditions, resource ARNs and account-root principals, none of which must exist at apply time.
REGISTRY_STACKS = (AccountRole.GOVERNANCE, AccountRole.DEV)


@dataclass
class DemoResult:
    applies: list[ApplyResult] = field(default_factory=list)
    replan_changes: dict[str, list[str]] = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)
    invocations: list[dict] = field(default_factory=list)
    dead_letters: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _say(message: str) -> None:
    print(message, flush=True)


def queue_depth(governance: AccountSession, queue_name: str) -> int:
    sqs = governance.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


@dataclass
class Deployed:
    """A running sandbox with stacks applied, and sessions for the personas."""

    config: MlgovConfig
    sandbox: SandboxProcess
    names: Names
    result: DemoResult
    work_root: Path
    terraform_root: Path

    def apply(self, role: AccountRole, terraform_root: Path | None = None) -> ApplyResult:
        """terraform init/plan/apply of a stack (default: the committed one), then a re-plan that must be clean.

        Applying the same role again updates its state in place, as a merged pull request would.
        """
        return self.apply_side_by_side((role,), terraform_root)[0]

    def apply_side_by_side(self, roles: tuple[AccountRole, ...], terraform_root: Path | None = None) -> list[ApplyResult]:
        """Apply stacks that do not depend on each other's resources at once, one Terraform process each.

        Each stack's report is printed as one block when it is done, and results are kept in the
        order given, so the story reads the same whichever stack finishes first.
        """
        source = terraform_root or self.terraform_root
        for role in roles:
            _say(f"terraform: applying {source / role.value} into account {self.config.platform.account_id(role)} ...")
        with ThreadPoolExecutor(max_workers=len(roles)) as pool:
            runs = list(pool.map(lambda role: self._terraform(role, source), roles))
        for role, (applied, changes, seconds) in zip(roles, runs):
            self._record(role, applied, changes, seconds, updated=terraform_root is not None)
        return [applied for applied, _, _ in runs]

    def _terraform(self, role: AccountRole, source: Path) -> tuple[ApplyResult, list[str], float]:
        t0 = time.monotonic()
        workdir = self.work_root / "stacks" / role.value
        applied = apply_stack(source / role.value, workdir, self.sandbox.url, self.config.platform.home_region)
        return applied, replan_changes(workdir), time.monotonic() - t0

    def _record(self, role: AccountRole, applied: ApplyResult, changes: list[str], seconds: float, updated: bool) -> None:
        result = self.result
        result.applies.append(applied)
        repeat = sum(a.stack == role.value for a in result.applies)
        label = role.value + (f" #{repeat}" if repeat > 1 else "")
        result.replan_changes[label] = changes
        result.seconds[f"apply {label}"] = seconds
        lines = [f"terraform: {role.value} applied", f"  {applied.plan}"]
        if updated:  # an update: show what the pull request's plan changes
            lines += [f"    {change}" for change in applied.changes]
        lines.append(f"  {len(applied.applied)} resources in state; a second plan shows "
                     + (f"{len(changes)} change(s): {changes}" if changes else "no changes"))
        lines += [f"  NOT APPLIED {address}: {error}" for address, error in applied.failed.items()]
        _say("\n".join(lines))
        if applied.failed:
            raise SystemExit(f"demo: resources of the {role.value} stack could not be applied (listed above)")

    def session(self, role: AccountRole, role_name: str, session_name: str, source_identity: str | None = None) -> AccountSession:
        """People's roles need source_identity (modules/iam_role.py); pipeline, Lambda and operator roles none."""
        platform = self.config.platform
        arn = f"arn:aws:iam::{platform.account_id(role)}:role/{role_name}"
        return assume(self.sandbox.url, platform.home_region, arn, session_name, source_identity)

    def person(self, role: AccountRole, role_name: str, name: str) -> AccountSession:
        """A person's session of one of their roles: session name and source identity both name them, as the CLI does."""
        return self.session(role, role_name, name, name)

    def governance(self) -> AccountSession:
        return self.session(AccountRole.GOVERNANCE, self.config.platform.terraform_role_name, "compliance-review")

    def dead_letter_queue(self, function: str = "registry-sync") -> str:
        return f"{self.config.platform.name_prefix}-{function}-dlq"


@contextmanager
def deployed_sandbox(config: MlgovConfig, work_root: Path, stacks: tuple[AccountRole, ...] = REGISTRY_STACKS,
                     terraform_root: Path = REPO_ROOT / "terraform") -> Iterator[Deployed]:
    """Start the server and apply the given stacks; stop the server on exit whatever happens."""
    with SandboxProcess(work_root / "server", work_root / "server.log") as sandbox:
        _say(f"sandbox: moto server on {sandbox.url}")
        # The four accounts are members of the configured organisation, as aws:PrincipalOrgID will find them.
        sandbox.set_organization(config.platform.organization_id, sorted(config.platform.accounts.values()))
        deployed = Deployed(config, sandbox, Names.from_config(config), DemoResult(), work_root, terraform_root)
        dashboard = config.platform.governance.dashboard
        if AccountRole.GOVERNANCE in stacks and dashboard.enabled:  # the stack attaches a policy to its service role
            subscribe(deployed.governance().client("iam"), dashboard.service_role_name)
        deployed.apply_side_by_side(stacks)
        yield deployed


def version_items(governance: AccountSession, table_name: str, group: str, version: int) -> list[dict]:
    pages = governance.client("dynamodb").get_paginator("query").paginate(
        TableName=table_name, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.version_pk(group, version)}})
    return [item for page in pages for item in page["Items"]]


def run_demo(config: MlgovConfig, work_root: Path, config_dir: Path) -> tuple[DemoResult, LifecycleResult]:
    started = time.monotonic()
    with deployed_sandbox(config, work_root) as deployed:
        lifecycle = run_lifecycle(deployed, config_dir)
        result = deployed.result
        governance = deployed.governance()
        result.items = [item for version in (lifecycle.first, lifecycle.challenger)
                        for item in version_items(governance, deployed.names.governance_table, "credit-risk", version)]
        result.dead_letters = sum(queue_depth(governance, deployed.dead_letter_queue(f)) for f in STREAM_AND_EVENT_FUNCTIONS)
        result.invocations = deployed.sandbox.invocations()
    result.seconds["total"] = time.monotonic() - started
    return result, lifecycle


def _plain(item: dict) -> dict:
    from boto3.dynamodb.types import TypeDeserializer

    value = {k: TypeDeserializer().deserialize(v) for k, v in item.items()}
    return json.loads(json.dumps(value, default=str))


def print_report(result: DemoResult) -> None:
    _say("\nLambda invocations (run locally from the deployed zips), last 10:")
    for inv in result.invocations[-10:]:
        outcome = inv.get("payload") or inv.get("error")
        _say(f"  {inv.get('function_arn')}: {inv.get('status')} {json.dumps(outcome, default=str)[:160]}")
    _say("\ngovernance table, both versions:")
    for item in map(_plain, result.items):
        kind = item.get("item_type")
        fields = ("stage", "status", "approval_status", "registered_by", "approved_by", "metrics", "qa_metrics",
                  "kind", "last_modified", "use_case")
        _say(f"  [{kind}] {item['sk']}")
        for name in fields:
            if name in item:
                _say(f"      {name:16} {item[name]}")
    _say(f"\ndead-letter queues ({' + '.join(STREAM_AND_EVENT_FUNCTIONS)}) depth: {result.dead_letters}")
    _say("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items()))


def headline_line(figures: dict) -> str:
    counts = ", ".join(f"{stage}/{status} {n}" for stage, by_status in figures.get("stage_status", {}).items()
                       for status, n in by_status.items() if n)
    return (f"{figures.get('versions', 0)} version(s) ({counts}); {figures.get('pending', 0)} pending, "
            f"{figures.get('approvals', 0)} approval(s), {figures.get('rejections', 0)} rejection(s), "
            f"{figures.get('sod_breaches', '?')} separation-of-duties breach(es)")


def dashboard_clean(lifecycle: LifecycleResult) -> bool:
    """The local dashboard was written from the lake the stream filled, and it shows no SoD breach."""
    figures = lifecycle.dashboard_headline
    return (lifecycle.dashboard_html is not None and lifecycle.dashboard_html.exists()
            and figures.get("versions", 0) > 0 and figures.get("sod_breaches") == 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / ".sandbox")
    args = parser.parse_args(argv)
    try:
        result, lifecycle = run_demo(load_config(args.config), args.work, args.config)
    except ConfigError as error:
        _say(f"demo: FAILED: {error}")
        return 1
    except Exception as error:  # noqa: BLE001 - one line for the reader; the traceback goes to a file
        trace = args.work / "demo-failure.txt"
        trace.parent.mkdir(parents=True, exist_ok=True)
        trace.write_text(traceback.format_exc())
        first = (str(error).strip().splitlines() or [""])[0]
        _say(f"demo: FAILED: {type(error).__name__}: {first}\n(the sandbox is stopped; details in {trace})")
        return 1
    print_report(result)
    winner_serves_all = bool(lifecycle.serving_after_promotion) and all(
        versions == {lifecycle.winner} for versions in lifecycle.serving_after_promotion.values())
    attacks_refused = len(lifecycle.attack_outcomes) == 3 and all(o.refused and o.unchanged for o in lifecycle.attack_outcomes)
    history_verifies = bool(lifecycle.history_verified) and not any(lifecycle.history_verified.values())
    ok = (bool(result.items) and result.dead_letters == 0 and not any(result.replan_changes.values())
          and winner_serves_all and lifecycle.report_html is not None and lifecycle.report_html.exists()
          and attacks_refused and history_verifies and dashboard_clean(lifecycle))
    _say("\nattacks on the governance controls:")
    for outcome in lifecycle.attack_outcomes:
        _say(f"  {outcome.line()}")
    _say("history --verify (hash chain): " + ", ".join(
        f"version {v} {'OK' if code == 0 else f'BROKEN (exit {code})'}" for v, code in lifecycle.history_verified.items()))
    _say(f"\nA/B production metrics per variant: {lifecycle.ab_metrics}")
    _say(f"winner: version {lifecycle.winner}; answering after its promotion: {lifecycle.serving_after_promotion}")
    _say(f"governance report: {lifecycle.report_html}")
    _say(f"governance dashboard: {lifecycle.dashboard_html}\n  headline: {headline_line(lifecycle.dashboard_headline)}")
    _say("\ndemo: OK, the server is stopped" if ok else "\ndemo: FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
