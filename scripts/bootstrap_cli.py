"""Plan and apply terraform/bootstrap: `make bootstrap-plan`, then `make bootstrap-apply` of that saved plan.

Run by a person with the accounts' Terraform roles, never by the pipeline (its roles may not write this
stack's state). The state lives in the bucket this stack creates, so the very first run cannot use it:
with --first-run the state is kept in a local file of the work folder, and after the apply it is
moved into the bucket (`terraform init -migrate-state`). Every later run uses the bucket.

--sandbox plans and applies against the local sandbox at --endpoint-url (or $MLGOV_ENDPOINT_URL)
through the override of scripts/sandbox/stacks.py, with its state in .sandbox/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from saved_plan import PlanRefused, apply_saved_plan, plan_stack
from terraform_cli import REPO_ROOT, Terraform, TerraformError

STACK_DIR = REPO_ROOT / "terraform" / "bootstrap"
FIRST_RUN_OVERRIDE = "first_run_override.tf.json"
WORKDIRS = {False: REPO_ROOT / "build" / "terraform" / "bootstrap", True: REPO_ROOT / ".sandbox" / "terraform" / "bootstrap"}


class UsageError(Exception):
    pass


def workspace(sandbox: bool, endpoint_url: str | None, first_run: bool) -> Terraform:
    """A fresh copy of terraform/bootstrap with its override, initialised (state kept from earlier runs)."""
    workdir = WORKDIRS[sandbox]
    tf = Terraform.copy_of(STACK_DIR, workdir)
    if sandbox:
        if not endpoint_url:
            raise UsageError("--sandbox needs --endpoint-url or MLGOV_ENDPOINT_URL (the running sandbox)")
        from sandbox.stacks import OVERRIDE_FILE, override, provider_aliases

        region = json.loads((STACK_DIR / "main.tf.json").read_text())["provider"]["aws"][0]["region"]
        (workdir / OVERRIDE_FILE).write_text(json.dumps(override(endpoint_url, region, provider_aliases(STACK_DIR)), indent=2))
    first = workdir / FIRST_RUN_OVERRIDE
    if first_run and not sandbox:
        first.write_text(json.dumps({"terraform": {"backend": {"local": {"path": "bootstrap.tfstate"}}}}, indent=2))
    elif first.exists():
        first.unlink()
    tf.run("init", "-no-color", "-input=false", "-reconfigure")
    return tf


def _plan_dir(sandbox: bool) -> Path:
    # The same saved plan as `make plan STACK=s` (scripts/saved_plan.py): sha256, manifest, stale-refusal.
    return REPO_ROOT / "build" / "plans" / ("bootstrap-sandbox" if sandbox else "bootstrap")


def plan(tf: Terraform, sandbox: bool) -> int:
    saved = plan_stack(tf, "bootstrap", STACK_DIR, _plan_dir(sandbox), "sandbox" if sandbox else "aws", write_json=False)
    print("\n".join([*saved.changes, saved.summary]))
    print(f"saved plan: {saved.plan_dir}; `make bootstrap-apply` applies exactly this plan")
    return 0


def apply(tf: Terraform, sandbox: bool, migrate: bool) -> int:
    plan_dir = _plan_dir(sandbox)
    proc = apply_saved_plan(tf, "bootstrap", STACK_DIR, plan_dir, "sandbox" if sandbox else "aws")
    if proc.returncode != 0:
        raise TerraformError(f"apply of {plan_dir} failed:\n{proc.stderr[-4000:]}")
    print(proc.stdout)
    shutil.rmtree(plan_dir)  # applied: it must not be applied a second time
    if migrate:
        # The bucket exists now: move the local state into it, where every later run reads it.
        (tf.workdir / FIRST_RUN_OVERRIDE).unlink()
        tf.run("init", "-no-color", "-input=false", "-migrate-state", "-force-copy")
        print("state moved into the state bucket; later runs need no --first-run")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["plan", "apply"])
    parser.add_argument("--first-run", action="store_true", help="the state bucket does not exist yet")
    parser.add_argument("--sandbox", action="store_true", help="the local sandbox instead of real accounts")
    parser.add_argument("--endpoint-url", default=os.environ.get("MLGOV_ENDPOINT_URL"))
    args = parser.parse_args(argv)
    try:
        tf = workspace(args.sandbox, args.endpoint_url, args.first_run)
        if args.command == "plan":
            return plan(tf, args.sandbox)
        return apply(tf, args.sandbox, migrate=args.first_run and not args.sandbox)
    except (UsageError, PlanRefused) as err:
        print(f"bootstrap: {err}", file=sys.stderr)
        return 2
    except TerraformError as err:
        print(f"bootstrap: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
