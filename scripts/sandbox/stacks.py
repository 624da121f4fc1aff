"""Apply the committed Terraform of a stack to the sandbox.

The generated files are used unchanged. One override file (Terraform merges `*_override.tf.json`
into the configuration) points the provider at the sandbox and swaps the S3 backend for a local
one; the provider's assume_role into the stack's account stays as committed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.accounts import SANDBOX_KEY
from saved_plan import PlanRefused, apply_saved_plan, check_drift, plan_stack
from terraform_cli import Terraform, TerraformError

OVERRIDE_FILE = "sandbox_override.tf.json"
# Every service the stacks call; the provider refuses unknown endpoint names, so list only real ones.
ENDPOINT_SERVICES = (
    "apigateway", "athena", "cloudtrail", "cloudwatch", "cloudwatchlogs", "dynamodb", "ecr", "events", "glue", "iam", "kms", "lambda",
    "quicksight", "ram", "s3", "sagemaker", "sns", "sqs", "sts",
)
FAILED_RESOURCE = re.compile(r"^\s*with (\S+),", re.MULTILINE)
# The saved plan of a sandbox apply, inside the stack's working copy (make plan SANDBOX=1 uses build/plans/).
PLAN_DIR = "saved-plan"
# Under load the local server now and then loses a keep-alive connection mid-response (seen in CI as
# "use of closed network connection" on a read). Such a failure says nothing about the stacks, so a
# plan or apply that failed only that way runs once more; both are safe to repeat.
# "request send failed" is the AWS SDK's word for a request that got no HTTP response at all.
TRANSPORT_FAILURE = re.compile(
    r"use of closed network connection|connection reset by peer|broken pipe|unexpected EOF|request send failed")
# The provider reports a failed AssumeRole as this heading block, followed by a block with the cause.
ASSUME_ROLE_HEADING = re.compile(r"^Cannot assume IAM Role\s*$", re.MULTILINE)
REPO_ROOT = Path(__file__).resolve().parents[2]


def override(endpoint_url: str, region: str, aliases: tuple[str, ...] = ()) -> dict:
    """Terraform merges provider blocks by name and alias: one entry per provider of the stack
    (terraform/bootstrap has one per account)."""
    return {
        "provider": {"aws": [{**({"alias": alias} if alias else {}), **_sandbox_provider(endpoint_url, region)}
                             for alias in (None, *aliases)]},
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
    }


def provider_aliases(stack_dir: Path) -> tuple[str, ...]:
    providers = json.loads((stack_dir / "main.tf.json").read_text()).get("provider", {}).get("aws", [])
    return tuple(p["alias"] for p in providers if "alias" in p)


def _sandbox_provider(endpoint_url: str, region: str) -> dict:
    return {
        "region": region,
        "access_key": SANDBOX_KEY,
        "secret_key": SANDBOX_KEY,
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
        # moto answers unimplemented calls with HTTP 500; without this the provider retries for minutes.
        "max_retries": 1,
        "endpoints": [{service: endpoint_url for service in ENDPOINT_SERVICES}],
    }


@dataclass
class ApplyResult:
    stack: str
    applied: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # address -> first error line
    plan: str = ""  # terraform's "Plan: N to add, N to change, N to destroy." line
    changes: list[str] = field(default_factory=list)  # "<address> will be updated in-place", ...


def synth_stacks(config_dir: Path, out_dir: Path) -> None:
    """`main.py` on a config folder: the Terraform a promotion's pull request would commit."""
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "main.py"), "--config", str(config_dir), "--out", str(out_dir)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise TerraformError(f"synth of {config_dir} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")


def prepare(stack_dir: Path, workdir: Path, endpoint_url: str, region: str) -> Terraform:
    """A working copy of the stack with the sandbox override, initialised."""
    tf = Terraform.copy_of(stack_dir, workdir)
    (workdir / OVERRIDE_FILE).write_text(json.dumps(override(endpoint_url, region, provider_aliases(stack_dir)), indent=2))
    tf.init(backend=True)
    return tf


def apply_stack(stack_dir: Path, workdir: Path, endpoint_url: str, region: str) -> ApplyResult:
    """`make plan` then `make apply` of a stack, with the same functions, and a retry after a lost connection."""
    tf = prepare(stack_dir, workdir, endpoint_url, region)
    result = ApplyResult(stack_dir.name)
    # plan.json is for a pull request's summary; nobody reads it here, and it costs a terraform show.
    saved = plan_stack(tf, stack_dir.name, stack_dir, workdir / PLAN_DIR, "sandbox", write_json=False, planner=plan)
    result.plan, result.changes = saved.summary, saved.changes
    proc = _apply(tf, stack_dir, workdir)
    if proc.returncode != 0 and _only_transport_failures(proc.stderr):
        # The saved plan is stale once part of it applied: plan again and finish the same change.
        plan_stack(tf, stack_dir.name, stack_dir, workdir / PLAN_DIR, "sandbox", write_json=False, planner=plan)
        proc = _apply(tf, stack_dir, workdir)
    result.applied = sorted(tf.run("state", "list").stdout.split())
    if proc.returncode != 0:
        errors = proc.stderr.split("Error: ")[1:]
        for block in errors:
            match = FAILED_RESOURCE.search(block)
            result.failed[match.group(1) if match else "(unknown resource)"] = block.strip().splitlines()[0]
        if not result.failed:
            raise TerraformError(f"apply of {stack_dir.name} failed:\n{proc.stderr[-4000:]}")
    return result


def _apply(tf: Terraform, stack_dir: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    try:
        return apply_saved_plan(tf, stack_dir.name, stack_dir, workdir / PLAN_DIR, "sandbox")
    except PlanRefused as refused:
        raise TerraformError(f"apply of {stack_dir.name}: {refused}") from None


def replan_changes(workdir: Path) -> list[str]:
    """What a second plan would change, and what it found changed outside of Terraform: both must be
    empty, or every pull-request plan would be noisy and every drift check would raise an issue."""
    checked = check_drift(Terraform(workdir), refresh_only=False, planner=plan)
    return ([f"{c.address}: {c.action}" for c in checked.changes]
            + [f"{d.address} changed outside of Terraform ({d.action}: {', '.join(d.attributes) or 'gone'})"
               for d in checked.drift])


def plan(tf: Terraform, *args: str) -> subprocess.CompletedProcess[str]:
    """terraform plan (exit 0, or 2 with -detailed-exitcode), repeated once after a transport failure."""
    proc = tf.run("plan", "-no-color", "-input=false", *args, check=False)
    if proc.returncode == 1 and _only_transport_failures(proc.stderr):
        proc = tf.run("plan", "-no-color", "-input=false", *args, check=False)
    if proc.returncode == 1:
        raise TerraformError(f"plan in {tf.workdir} failed:\n{proc.stderr[-4000:]}")
    return proc


def _only_transport_failures(stderr: str) -> bool:
    errors = stderr.split("Error: ")[1:]
    causes = [block for block in errors if not ASSUME_ROLE_HEADING.match(block)]
    return bool(causes) and all(TRANSPORT_FAILURE.search(block) for block in causes)
