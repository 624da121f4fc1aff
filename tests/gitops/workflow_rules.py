"""The hardening rules of .github/ as checks that return problems, so a test can show each one bites.

Each check takes the parsed workflows (file name -> document) and the raw texts, and returns
sentences naming the file, the job and what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

STACKS = ("governance", "dev", "test", "prod")
# owner/repo[/path]@<40 hex> # v<version>: the SHA is what runs, the comment is what a reviewer reads.
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40} # v\d+(?:\.\d+)*\s*$")
SELF_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+\$/[\w./-]+\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:")
FORBIDDEN_TRIGGERS = {"pull_request_target", "workflow_run", "issue_comment"}
CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials@"
# Write scopes a job may hold, and the one job of the one workflow that may hold each.
SCOPED_WRITES = {"pull-requests": ("pull-request.yml", "comment"), "issues": ("drift.yml", "issues")}
DEPLOY_ORDER = [f"{kind}-{stack}" for stack in STACKS for kind in ("plan", "apply")]
# What a saved plan's upload may contain: the binary plan and what make apply checks it against.
PLAN_ARTIFACT_FILES = {"tfplan", "tfplan.sha256", "manifest.json"}


@dataclass(frozen=True)
class Workflows:
    docs: dict[str, dict[str, Any]]  # file name -> parsed workflow
    texts: dict[str, str]  # file name (or .github-relative path) -> raw text, actions included

    @classmethod
    def load(cls, github_dir: Path) -> "Workflows":
        docs, texts = {}, {}
        for path in sorted((github_dir / "workflows").glob("*.yml")):
            texts[path.name] = path.read_text()
            docs[path.name] = yaml.safe_load(texts[path.name])
        for path in sorted((github_dir / "actions").glob("*/action.yml")):
            texts[str(path.relative_to(github_dir))] = path.read_text()
        return cls(docs, texts)


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the YAML 1.1 boolean True.
    found = doc.get("on", doc.get(True))
    return found if isinstance(found, dict) else {name: None for name in ([found] if isinstance(found, str) else found)}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if str(s.get("uses", "")).startswith(action)]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def pinned_actions(wf: Workflows) -> list[str]:
    problems = []
    for name, text in wf.texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            if USES_LINE.match(line) and not (PINNED_USES.match(line) or SELF_USES.match(line)):
                problems.append(f"{name}:{number}: not pinned by a 40-hex commit SHA with its version: {line.strip()}")
    return problems


def permissions(wf: Workflows) -> list[str]:
    problems = []
    for name, doc in wf.docs.items():
        if doc.get("permissions") != {}:
            problems.append(f"{name}: top-level permissions must be {{}}, not {doc.get('permissions')!r}")
        for job_id, job in doc["jobs"].items():
            granted = job.get("permissions")
            if not isinstance(granted, dict):
                problems.append(f"{name} {job_id}: permissions must be listed per scope, not {granted!r}")
                continue
            assumes_role = bool(uses(job, CREDENTIALS_ACTION))
            if (granted.get("id-token") == "write") != assumes_role:
                problems.append(f"{name} {job_id}: id-token: write exactly where a role is assumed "
                                f"(assumes a role: {assumes_role}, id-token: {granted.get('id-token')!r})")
            for scope, level in granted.items():
                if (scope, level) in (("contents", "read"), ("id-token", "write")):
                    continue
                if level == "write" and SCOPED_WRITES.get(scope) == (name, job_id):
                    continue
                problems.append(f"{name} {job_id}: {scope}: {level} is not needed")
            if any(granted.get(scope) == "write" for scope in SCOPED_WRITES):
                if uses(job, "actions/checkout@") or assumes_role:
                    problems.append(f"{name} {job_id}: a job that writes issues or comments runs no checkout and holds no AWS role")
    return problems


def checkouts(wf: Workflows) -> list[str]:
    return [f"{name} {job_id}: checkout without persist-credentials: false"
            for name, doc in wf.docs.items() for job_id, job in doc["jobs"].items()
            for step in uses(job, "actions/checkout@") if (step.get("with") or {}).get("persist-credentials") is not False]


def forbidden(wf: Workflows) -> list[str]:
    problems = []
    for name, doc in wf.docs.items():
        for trigger in FORBIDDEN_TRIGGERS & set(triggers(doc)):
            problems.append(f"{name}: forbidden trigger {trigger}")
    for name, text in wf.texts.items():
        if "auto-approve" in text:
            problems.append(f"{name}: -auto-approve (a saved plan needs no approval flag)")
        for number, line in enumerate(text.splitlines(), 1):
            if "cancel-in-progress: true" in line:
                problems.append(f"{name}:{number}: cancel-in-progress: true")
    for name, doc in wf.docs.items():
        for job_id, job in doc["jobs"].items():
            script = runs(job)
            for word in ("terraform ", "python", "pip ", "aws "):
                if word in script:
                    problems.append(f"{name} {job_id}: runs {word.strip()!r} itself; workflows call make targets only")
    return problems


def uploads(wf: Workflows) -> list[str]:
    problems = []
    for name, doc in wf.docs.items():
        for job_id, job in doc["jobs"].items():
            for step in uses(job, "actions/upload-artifact@"):
                options = step.get("with") or {}
                paths = [p.strip() for p in str(options.get("path", "")).splitlines() if p.strip()]
                if options.get("retention-days") != 1:
                    problems.append(f"{name} {job_id}: artifact kept {options.get('retention-days')!r} days, not 1")
                for path in paths:
                    leaf = path.rsplit("/", 1)[-1]
                    is_plan_dir = path.startswith("build/plans/")
                    if is_plan_dir and leaf not in PLAN_ARTIFACT_FILES:
                        problems.append(f"{name} {job_id}: uploads {path} (only {sorted(PLAN_ARTIFACT_FILES)} of a plan)")
                    if not is_plan_dir and not path.startswith("build/drift/"):
                        problems.append(f"{name} {job_id}: uploads {path}, which is neither a saved plan nor a drift verdict")
                    if any(c in path for c in "*?[") or path.endswith("/"):
                        problems.append(f"{name} {job_id}: uploads a pattern or folder ({path}); name each file")
    if any(uses(job, "actions/upload-artifact@") for job in wf.docs.get("pull-request.yml", {}).get("jobs", {}).values()):
        problems.append("pull-request.yml: uploads an artifact; a pull request's plans stay on its runner")
    return problems


def deploy_order(wf: Workflows, environments: dict[str, str]) -> list[str]:
    doc = wf.docs.get("deploy.yml")
    if doc is None:
        return ["deploy.yml: missing"]
    jobs = doc["jobs"]
    problems = []
    if list(jobs) != DEPLOY_ORDER:
        problems.append(f"deploy.yml: jobs {list(jobs)}, expected {DEPLOY_ORDER}")
    for index, job_id in enumerate(DEPLOY_ORDER):
        job = jobs.get(job_id, {})
        stack = job_id.split("-", 1)[1]
        needs = job.get("needs")
        expected = DEPLOY_ORDER[index - 1] if index else None
        if needs != expected:
            problems.append(f"deploy.yml {job_id}: needs {needs!r}, expected {expected!r}")
        group = (job.get("concurrency") or {}).get("group")
        if group != f"mlgov-stack-{stack}" or (job.get("concurrency") or {}).get("cancel-in-progress") is not False:
            problems.append(f"deploy.yml {job_id}: concurrency {job.get('concurrency')!r}, expected group mlgov-stack-{stack}, never cancelled")
        roles = [str((s.get("with") or {}).get("role-to-assume")) for s in uses(job, CREDENTIALS_ACTION)]
        if job_id.startswith("plan-"):
            if "environment" in job:
                problems.append(f"deploy.yml {job_id}: a plan runs outside the stack's environment")
            if roles != ["${{ steps.roles.outputs.plan_role_arn }}"]:
                problems.append(f"deploy.yml {job_id}: assumes {roles}, expected the plan role once")
            commands = [str(s.get("run", "")) for s in steps(job) if s.get("run")]
            planned = [i for i, c in enumerate(commands) if f"make plan STACK={stack}" in c]
            checked = [i for i, c in enumerate(commands) if c.strip() == "make mlgov-check"]
            if not planned:
                problems.append(f"deploy.yml {job_id}: no make plan STACK={stack}")
            if stack in ("test", "prod") and not (checked and planned and checked[0] < planned[0]):
                problems.append(f"deploy.yml {job_id}: make mlgov-check must run before {stack} is planned")
        else:
            if job.get("environment") != environments[stack]:
                problems.append(f"deploy.yml {job_id}: environment {job.get('environment')!r}, config says {environments[stack]!r}")
            if roles != ["${{ steps.roles.outputs.apply_role_arn }}"]:
                problems.append(f"deploy.yml {job_id}: assumes {roles}, expected the stack's apply role once")
            order = [("download" if str(s.get("uses", "")).startswith("actions/download-artifact@") else
                      "check" if f"needs.plan-{stack}.outputs.plan_sha256" in str(s.get("env", "")) else
                      "apply" if str(s.get("run", "")).strip() == f"make apply STACK={stack}" else None) for s in steps(job)]
            order = [o for o in order if o]
            if order != ["download", "check", "apply"]:
                problems.append(f"deploy.yml {job_id}: steps {order}, expected the plan downloaded, its sha256 checked, then applied")
    return problems


def pull_request(wf: Workflows) -> list[str]:
    doc = wf.docs.get("pull-request.yml")
    if doc is None:
        return ["pull-request.yml: missing"]
    everything = "\n".join(runs(job) for job in doc["jobs"].values())
    wanted = ["make test", "make synth", "git diff --exit-code", "make mlgov-check", "make plan-summary",
              *(f"make plan STACK={s}" for s in STACKS)]
    problems = [f"pull-request.yml: never runs {w!r}" for w in wanted if w not in everything]
    if "make apply" in everything:
        problems.append("pull-request.yml: applies")
    comment = doc["jobs"].get("comment", {})
    if not uses(comment, "actions/github-script@"):
        problems.append("pull-request.yml comment: the sticky comment is not posted")
    return problems


def drift(wf: Workflows) -> list[str]:
    doc = wf.docs.get("drift.yml")
    if doc is None:
        return ["drift.yml: missing"]
    problems = []
    if set(triggers(doc)) - {"schedule", "workflow_dispatch"} or "schedule" not in triggers(doc):
        problems.append(f"drift.yml: triggers {sorted(map(str, triggers(doc)))}, expected a schedule (and manual runs)")
    job = doc["jobs"].get("drift", {})
    if sorted(job.get("strategy", {}).get("matrix", {}).get("stack", [])) != sorted(STACKS):
        problems.append("drift.yml drift: not every stack is checked")
    if 'make drift STACK="$STACK"' not in runs(job):
        problems.append("drift.yml drift: no make drift")
    if (job.get("concurrency") or {}).get("group") != "mlgov-stack-${{ matrix.stack }}":
        problems.append("drift.yml drift: not in the stack's concurrency group")
    return problems


# The provider's ephemeral assume_role_arn: plans and drift checks as the account's read-only plan role,
# applies as its Terraform role (scripts/pipeline_roles.py prints both).
ASSUMED_ROLE = (("make plan STACK", re.compile(r"^\$\{\{ steps\.roles\.outputs\.(\w+_)?plan_role_arn \}\}$")),
                ("make drift STACK", re.compile(r"^\$\{\{ steps\.roles\.outputs\.(\w+_)?plan_role_arn \}\}$")),
                ("make apply STACK", re.compile(r"^\$\{\{ steps\.roles\.outputs\.terraform_role_arn \}\}$")))


def assumed_roles(wf: Workflows) -> list[str]:
    problems = []
    for name, doc in wf.docs.items():
        for job_name, job in doc.get("jobs", {}).items():
            for step in steps(job):
                for command, wanted in ASSUMED_ROLE:
                    if command not in str(step.get("run", "")):
                        continue
                    given = str((step.get("env") or {}).get("TF_VAR_assume_role_arn", ""))
                    if not wanted.match(given) or given.endswith(".plan_role_arn }}"):
                        problems.append(f"{name} {job_name}: {command} with TF_VAR_assume_role_arn {given!r}, "
                                        f"expected the account's {'Terraform' if command == 'make apply STACK' else 'plan'} role")
    return problems


def branches(wf: Workflows, main_branch: str) -> list[str]:
    problems = []
    for name, event in (("pull-request.yml", "pull_request"), ("deploy.yml", "push")):
        on = triggers(wf.docs.get(name, {"on": {}}))
        if set(on) != {event} or (on[event] or {}).get("branches") != [main_branch]:
            problems.append(f"{name}: runs on {on!r}, expected {event} to {main_branch} only")
    return problems


def all_problems(wf: Workflows, environments: dict[str, str], main_branch: str) -> list[str]:
    return [*pinned_actions(wf), *permissions(wf), *checkouts(wf), *forbidden(wf), *uploads(wf),
            *deploy_order(wf, environments), *pull_request(wf), *drift(wf), *branches(wf, main_branch),
            *assumed_roles(wf)]
