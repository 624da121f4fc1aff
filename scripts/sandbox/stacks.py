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
from terraform_cli import Terraform, TerraformError

OVERRIDE_FILE = "sandbox_override.tf.json"
# Every service the stacks call; the provider refuses unknown endpoint names, so list only real ones.
ENDPOINT_SERVICES = (
    "apigateway", "athena", "cloudtrail", "cloudwatch", "cloudwatchlogs", "dynamodb", "ecr", "events", "glue", "iam", "kms", "lambda",
    "quicksight", "ram", "s3", "sagemaker", "sns", "sqs", "sts",
)
FAILED_RESOURCE = re.compile(r"^\s*with (\S+),", re.MULTILINE)
PLANNED_CHANGE = re.compile(r"^\s*# (\S+ (?:will|must) be .+)$", re.MULTILINE)
PLAN_SUMMARY = re.compile(r"^Plan: .+$", re.MULTILINE)
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


def apply_stack(stack_dir: Path, workdir: Path, endpoint_url: str, region: str) -> ApplyResult:
    tf = Terraform.copy_of(stack_dir, workdir)
    (workdir / OVERRIDE_FILE).write_text(json.dumps(override(endpoint_url, region, provider_aliases(stack_dir)), indent=2))
    result = ApplyResult(stack_dir.name)
    tf.init(backend=True)
    # A saved plan applies without a prompt, so no -auto-approve is needed anywhere.
    planned = plan(tf, "-out=sandbox.tfplan").stdout
    summary = PLAN_SUMMARY.search(planned)
    result.plan = summary.group(0) if summary else "No changes."
    result.changes = PLANNED_CHANGE.findall(planned)
    proc = tf.run("apply", "-no-color", "-input=false", "sandbox.tfplan", check=False)
    if proc.returncode != 0 and _only_transport_failures(proc.stderr):
        # The saved plan is stale once part of it applied: plan again and finish the same change.
        plan(tf, "-out=sandbox.tfplan")
        proc = tf.run("apply", "-no-color", "-input=false", "sandbox.tfplan", check=False)
    result.applied = sorted(tf.run("state", "list").stdout.split())
    if proc.returncode != 0:
        errors = proc.stderr.split("Error: ")[1:]
        for block in errors:
            match = FAILED_RESOURCE.search(block)
            result.failed[match.group(1) if match else "(unknown resource)"] = block.strip().splitlines()[0]
        if not result.failed:
            raise TerraformError(f"apply of {stack_dir.name} failed:\n{proc.stderr[-4000:]}")
    return result


def replan_changes(workdir: Path) -> list[str]:
    """What a second plan would change; must be empty, or every pull-request plan would be noisy."""
    return PLANNED_CHANGE.findall(plan(Terraform(workdir), "-detailed-exitcode").stdout)


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
