"""What a saved plan must prove before `make apply` runs it: that it is the file `make plan` wrote, for the
stack files as they are now. Pure functions over files; Terraform runs in saved_plan.py."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

PLAN_FILE = "tfplan"
PLAN_JSON = "plan.json"
PLAN_SHA256 = "tfplan.sha256"
MANIFEST = "manifest.json"
TARGETS = ("aws", "sandbox")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
STALE_PLAN = "Saved plan is stale"


class PlanRefused(Exception):
    """One line saying why a saved plan may not be applied."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stack_fingerprint(stack_dir: Path) -> str:
    """sha256 over every file of a committed stack (path and content), so any change to what Terraform
    reads there (main.tf.json, Lambda assets, the lock file) makes an older plan stale."""
    files = sorted(p for p in stack_dir.rglob("*") if p.is_file())
    if not files:
        raise PlanRefused(f"{stack_dir}: no files; synthesize the stack first (make synth)")
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(stack_dir).as_posix()}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def sha256_line(digest: str) -> str:
    """`sha256sum -c` reads this format, so a workflow can check a downloaded plan without Python."""
    return f"{digest}  {PLAN_FILE}\n"


def recorded_sha256(text: str, path: Path) -> str:
    parts = text.split()
    if len(parts) != 2 or parts[1] != PLAN_FILE or not SHA256_HEX.match(parts[0]):
        raise PlanRefused(f"{path}: not a sha256 line for {PLAN_FILE} (expected '<64 hex>  {PLAN_FILE}')")
    return parts[0]


@dataclass(frozen=True)
class PlanManifest:
    """Where a saved plan came from: the stack, sandbox or AWS, the stack files' fingerprint, the commit."""

    stack: str
    target: str
    stack_sha256: str
    commit: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, path: Path) -> "PlanManifest":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise PlanRefused(f"{path}: not JSON ({err.msg} at line {err.lineno})") from None
        if not isinstance(data, dict):
            raise PlanRefused(f"{path}: expected an object, found {type(data).__name__}")
        fields = ("stack", "target", "stack_sha256", "commit")
        for name in fields:
            if not isinstance(data.get(name), str):
                raise PlanRefused(f"{path}: field {name!r} missing or not a string (found {data.get(name)!r})")
        extra = sorted(set(data) - set(fields))
        if extra:
            raise PlanRefused(f"{path}: unknown field(s) {extra}")
        if data["target"] not in TARGETS:
            raise PlanRefused(f"{path}: field 'target' is {data['target']!r}, expected one of {list(TARGETS)}")
        if not SHA256_HEX.match(data["stack_sha256"]):
            raise PlanRefused(f"{path}: field 'stack_sha256' is {data['stack_sha256']!r}, not 64 hex digits")
        return cls(**{name: data[name] for name in fields})


def verify_saved_plan(plan_dir: Path, stack: str, stack_dir: Path, target: str) -> PlanManifest:
    """The manifest of the saved plan in plan_dir, or PlanRefused: missing, modified, stale, or planned elsewhere."""
    plan = plan_dir / PLAN_FILE
    for required in (plan, plan_dir / PLAN_SHA256, plan_dir / MANIFEST):
        if not required.is_file():
            raise PlanRefused(f"{required}: missing; no complete saved plan for stack {stack} (run make plan STACK={stack})")
    manifest = PlanManifest.from_json((plan_dir / MANIFEST).read_text(), plan_dir / MANIFEST)
    if manifest.stack != stack:
        raise PlanRefused(f"{plan_dir / MANIFEST}: planned for stack {manifest.stack!r}, not {stack!r}")
    if manifest.target != target:
        raise PlanRefused(f"{plan_dir / MANIFEST}: planned against {manifest.target}, this apply targets {target}")
    recorded = recorded_sha256((plan_dir / PLAN_SHA256).read_text(), plan_dir / PLAN_SHA256)
    actual = sha256_file(plan)
    if actual != recorded:
        raise PlanRefused(f"{plan}: modified since it was planned (sha256 {actual[:12]}..., recorded {recorded[:12]}...)")
    if stack_fingerprint(stack_dir) != manifest.stack_sha256:
        raise PlanRefused(f"{plan}: stale, {stack_dir} changed since it was planned at commit {manifest.commit[:12]} "
                          f"(run make plan STACK={stack} again)")
    return manifest


def stale_state_line(plan: Path, stderr: str) -> str | None:
    """Terraform's own refusal when the state moved on after planning, as one line (or None)."""
    if STALE_PLAN not in stderr:
        return None
    return f"{plan}: stale, the state changed since it was planned (another apply ran); plan again"
