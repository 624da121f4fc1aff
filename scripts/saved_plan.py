"""Plan a stack into a saved plan, apply only that plan, and check drift: the Terraform runs behind
`make plan|apply|drift` and the sandbox's own stack applies (sandbox/stacks.py).

Each function takes a Terraform already initialised in its working copy (terraform_cli.Terraform), so
the caller decides the backend: the committed S3 one, or the sandbox's override.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from plan_changes import Change, Drift, drift, planned_changes
from plan_integrity import (MANIFEST, PLAN_FILE, PLAN_JSON, PLAN_SHA256, PlanManifest, PlanRefused, sha256_file,
                            sha256_line, stack_fingerprint, stale_state_line, verify_saved_plan)
from terraform_cli import Terraform, TerraformError

PLANNED_CHANGE = re.compile(r"^\s*# (\S+ (?:will|must) be .+)$", re.MULTILINE)
PLAN_SUMMARY = re.compile(r"^Plan: .+$", re.MULTILINE)
APPLY_SUMMARY = re.compile(r"^Apply complete! .+$", re.MULTILINE)
# Another run holding the state lock (a concurrent apply, a scheduled drift check) is waited for, not failed.
LOCK_TIMEOUT = "-lock-timeout=300s"

Planner = Callable[..., subprocess.CompletedProcess[str]]


def run_plan(tf: Terraform, *args: str) -> subprocess.CompletedProcess[str]:
    """terraform plan; exit 0, or 2 with -detailed-exitcode; TerraformError on anything else."""
    proc = tf.run("plan", "-no-color", "-input=false", *args, check=False)
    if proc.returncode not in (0, 2):
        raise TerraformError(f"terraform plan in {tf.workdir} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


@dataclass(frozen=True)
class SavedPlan:
    plan_dir: Path
    manifest: PlanManifest
    sha256: str
    summary: str  # terraform's "Plan: ..." line, or "No changes."
    changes: list[str] = field(default_factory=list)  # "<address> will be created", ...


def commit_of(stack_dir: Path) -> str:
    """The commit the stack files come from, "-dirty" when they differ from it, "unknown" outside git."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(stack_dir), *args], capture_output=True, text=True, check=False)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return "unknown"
    dirty = git("status", "--porcelain", "--", ".").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def plan_stack(tf: Terraform, stack: str, stack_dir: Path, plan_dir: Path, target: str, *,
               write_json: bool = True, planner: Planner = run_plan) -> SavedPlan:
    """terraform plan -out into plan_dir, with the plan's sha256 and manifest (and plan.json).

    Whatever plan_dir held before is gone first, and the new files appear together or not at all,
    so a failed plan never leaves an older plan behind to be applied by mistake.
    """
    manifest = PlanManifest(stack, target, stack_fingerprint(stack_dir), commit_of(stack_dir))
    shutil.rmtree(plan_dir, ignore_errors=True)
    partial = plan_dir.with_name(f".{plan_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        plan_path = (partial / PLAN_FILE).resolve()
        stdout = planner(tf, LOCK_TIMEOUT, f"-out={plan_path}").stdout
        if write_json:
            (partial / PLAN_JSON).write_text(tf.run("show", "-json", str(plan_path)).stdout)
        digest = sha256_file(plan_path)
        (partial / PLAN_SHA256).write_text(sha256_line(digest))
        (partial / MANIFEST).write_text(manifest.to_json())
        partial.rename(plan_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    summary = PLAN_SUMMARY.search(stdout)
    return SavedPlan(plan_dir, manifest, digest, summary.group(0) if summary else "No changes.",
                     PLANNED_CHANGE.findall(stdout))


def apply_saved_plan(tf: Terraform, stack: str, stack_dir: Path, plan_dir: Path, target: str) -> subprocess.CompletedProcess[str]:
    """terraform apply of the saved plan in plan_dir, once it proved to be the one planned for these files.

    PlanRefused (nothing applied) for a missing, modified or stale plan, Terraform's own "Saved plan is
    stale" included; otherwise terraform's result, failed or not, for the caller to report.
    """
    verify_saved_plan(plan_dir, stack, stack_dir, target)
    plan = (plan_dir / PLAN_FILE).resolve()
    # A saved plan is applied without a prompt: no -auto-approve.
    proc = tf.run("apply", "-no-color", "-input=false", LOCK_TIMEOUT, str(plan), check=False)
    if proc.returncode != 0:
        stale = stale_state_line(plan, proc.stderr)
        if stale:
            raise PlanRefused(stale)
    return proc


@dataclass(frozen=True)
class DriftCheck:
    drift: list[Drift]
    changes: list[Change]  # what a normal plan would still change (empty for a refresh-only check)


def check_drift(tf: Terraform, *, refresh_only: bool = True, planner: Planner = run_plan) -> DriftCheck:
    """What changed outside of Terraform since the last apply (plan_changes.drift).

    refresh_only=False runs a normal plan instead, which finds the same drift and also what the
    configuration would still change: the sandbox's check that an apply converged, in one plan.
    A refresh-only plan's -detailed-exitcode alone cannot tell: it exits 2 whenever the refreshed
    state differs in any byte, with no drift to report, so the plan's JSON decides.
    """
    plan_path = (tf.workdir / ("drift.tfplan" if refresh_only else "verify.tfplan")).resolve()
    mode = ("-refresh-only",) if refresh_only else ()
    try:
        proc = planner(tf, *mode, "-detailed-exitcode", LOCK_TIMEOUT, f"-out={plan_path}")
        # Exit 0: nothing to change. For a normal plan that also means no drift as plan_changes counts it
        # (a gone object or a changed configured attribute or tag is always planned back; no stack uses
        # ignore_changes), so the show, another ~20 s of provider start-up per apply, is skipped.
        if proc.returncode == 0:
            return DriftCheck([], [])
        plan = json.loads(tf.run("show", "-json", str(plan_path)).stdout)
    finally:
        plan_path.unlink(missing_ok=True)  # it holds the refreshed state, sensitive values included
    return DriftCheck(drift(plan), [] if refresh_only else planned_changes(plan))


__all__ = ["APPLY_SUMMARY", "DriftCheck", "PLANNED_CHANGE", "PLAN_SUMMARY", "PlanRefused", "SavedPlan", "apply_saved_plan",
           "check_drift", "commit_of", "plan_stack", "run_plan"]
