"""make plan|apply|drift STACK=s [SANDBOX=1]: one stack's saved plan in build/plans/<s>/, its apply, its drift.

    python scripts/saved_plan_cli.py plan|apply|drift STACK [--sandbox]

Exit: 0 done (drift: none found), 1 refused or failed (one line on stderr), 2 drift found. make turns
every failure into its own exit 2, so `drift` also writes build/drift/<s>.json: status clean, drift or
error, and the drifted addresses with attribute names (never values), for a workflow to report.
With --sandbox the stack runs against the sandbox server at MLGOV_ENDPOINT_URL (`make sandbox-server`
starts one), through the sandbox override and a local state in build/terraform/sandbox/<s>/.
The AWS path needs nothing beyond the standard library and terraform.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from plan_integrity import PlanRefused, verify_saved_plan
from saved_plan import APPLY_SUMMARY, apply_saved_plan, check_drift, plan_stack
from terraform_cli import Terraform, TerraformError

REPO_ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
PLANS_DIR = REPO_ROOT / "build" / "plans"
WORK_DIR = REPO_ROOT / "build" / "terraform"
DRIFT_DIR = REPO_ROOT / "build" / "drift"
EXIT_FAILED, EXIT_DRIFT = 1, 2


class BadInput(Exception):
    pass


def known_stacks() -> list[str]:
    return sorted(p.parent.name for p in TERRAFORM_DIR.glob("*/main.tf.json"))


def stack_dir_of(stack: str) -> Path:
    stacks = known_stacks()
    if stack not in stacks:
        raise BadInput(f"STACK={stack!r}: no {TERRAFORM_DIR.name}/{stack}/main.tf.json; the stacks are {', '.join(stacks)}")
    return TERRAFORM_DIR / stack


def sandbox_endpoint() -> str:
    """MLGOV_ENDPOINT_URL of a running sandbox server, checked before Terraform spends minutes retrying."""
    url = os.environ.get("MLGOV_ENDPOINT_URL", "").rstrip("/")
    if not url:
        raise BadInput("SANDBOX=1: MLGOV_ENDPOINT_URL is not set (start a sandbox with make sandbox-server and export the URL it prints)")
    try:
        with urllib.request.urlopen(f"{url}/_mlgov/health", timeout=5) as answer:  # noqa: S310 - the sandbox's own URL
            healthy = json.loads(answer.read()).get("status") == "ok"
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise BadInput(f"SANDBOX=1: MLGOV_ENDPOINT_URL={url}: no sandbox server answers ({err})") from None
    if not healthy:
        raise BadInput(f"SANDBOX=1: MLGOV_ENDPOINT_URL={url}: not an mlgov sandbox server")
    return url


def stack_region(stack_dir: Path) -> str:
    return json.loads((stack_dir / "main.tf.json").read_text())["provider"]["aws"][0]["region"]


def working_copy(stack: str, stack_dir: Path, sandbox: bool) -> Terraform:
    """The stack's initialised working copy: with the sandbox override, or with the committed backend."""
    workdir = WORK_DIR / ("sandbox" if sandbox else "aws") / stack
    if sandbox:
        from sandbox.stacks import prepare  # boto3 and the sandbox only when asked for

        return prepare(stack_dir, workdir, sandbox_endpoint(), stack_region(stack_dir))
    tf = Terraform.copy_of(stack_dir, workdir)
    tf.init(backend=True)
    return tf


def run(command: str, stack: str, sandbox: bool) -> int:
    stack_dir = stack_dir_of(stack)
    target = "sandbox" if sandbox else "aws"
    plan_dir = PLANS_DIR / stack
    if command == "apply":  # refuse before init: a missing or modified plan needs no Terraform to tell
        verify_saved_plan(plan_dir, stack, stack_dir, target)
    tf = working_copy(stack, stack_dir, sandbox)
    if command == "plan":
        saved = plan_stack(tf, stack, stack_dir, plan_dir, target)
        for change in saved.changes:
            print(f"  {change}")
        print(f"{stack}: {saved.summary} Saved in {plan_dir} (sha256 {saved.sha256}, commit {saved.manifest.commit})")
        return 0
    if command == "apply":
        proc = apply_saved_plan(tf, stack, stack_dir, plan_dir, target)
        if proc.returncode != 0:
            raise TerraformError(f"apply of {plan_dir / 'tfplan'} failed (exit {proc.returncode}):\n{_errors(proc.stderr)}")
        done = APPLY_SUMMARY.search(proc.stdout)
        print(f"{stack}: {done.group(0) if done else 'applied'}")
        return 0
    checked = check_drift(tf)
    for found in checked.drift:
        print(f"  {found.address} changed outside of Terraform ({found.action}: {', '.join(found.attributes) or 'gone'})")
    print(f"{stack}: " + (f"drift in {len(checked.drift)} resource(s)" if checked.drift else "no drift"))
    write_drift_report(stack, "drift" if checked.drift else "clean",
                       drift=[{"address": d.address, "action": d.action, "attributes": list(d.attributes)} for d in checked.drift])
    return EXIT_DRIFT if checked.drift else 0


def write_drift_report(stack: str, status: str, drift: list[dict] | None = None, error: str = "") -> None:
    DRIFT_DIR.mkdir(parents=True, exist_ok=True)
    report = {"stack": stack, "status": status, "drift": drift or [], "error": error}
    partial = DRIFT_DIR / f".{stack}.json.partial"
    partial.write_text(json.dumps(report, indent=2) + "\n")
    partial.replace(DRIFT_DIR / f"{stack}.json")


def _errors(stderr: str) -> str:
    """Terraform's error blocks (values of sensitive attributes are redacted by Terraform itself)."""
    blocks = ["Error: " + block.strip() for block in stderr.split("Error: ")[1:]]
    return "\n".join(blocks)[-4000:] or stderr[-4000:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["plan", "apply", "drift"])
    parser.add_argument("stack")
    parser.add_argument("--sandbox", action="store_true", help="against the sandbox at MLGOV_ENDPOINT_URL")
    args = parser.parse_args(argv)
    try:
        return run(args.command, args.stack, args.sandbox)
    except (BadInput, PlanRefused, TerraformError) as failed:
        print(f"make {args.command}: {failed}", file=sys.stderr)
        if args.command == "drift" and args.stack in known_stacks():  # never a file named after bad input
            write_drift_report(args.stack, "error", error=str(failed).splitlines()[0])
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
