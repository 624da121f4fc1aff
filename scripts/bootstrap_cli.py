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
import sys
from pathlib import Path

from terraform_cli import REPO_ROOT, Terraform, TerraformError

STACK_DIR = REPO_ROOT / "terraform" / "bootstrap"
PLAN_FILE = "bootstrap.tfplan"
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


def plan(tf: Terraform) -> int:
    proc = tf.run("plan", "-no-color", "-input=false", f"-out={PLAN_FILE}")
    print(proc.stdout)
    print(f"saved plan: {tf.workdir / PLAN_FILE}; `make bootstrap-apply` applies exactly this plan")
    return 0


def apply(tf: Terraform, migrate: bool) -> int:
    if not (tf.workdir / PLAN_FILE).exists():
        raise UsageError(f"no saved plan in {tf.workdir}: run `make bootstrap-plan` first and review it")
    # A saved plan applies without a prompt; Terraform itself refuses one made against other state.
    print(tf.run("apply", "-no-color", "-input=false", PLAN_FILE).stdout)
    (tf.workdir / PLAN_FILE).unlink()
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
            return plan(tf)
        return apply(tf, migrate=args.first_run and not args.sandbox)
    except UsageError as err:
        print(f"bootstrap: {err}", file=sys.stderr)
        return 2
    except TerraformError as err:
        print(f"bootstrap: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
