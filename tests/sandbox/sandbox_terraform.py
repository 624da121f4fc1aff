"""Part of a committed stack, applied to the sandbox: one construct's resources and what they reference.

A whole stack costs minutes per apply (the e2e suite applies each once); a test about one component
applies only that component's resources from the committed main.tf.json, unchanged, plus every
resource they reference (transitively), with the stack's own provider and terraform blocks.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
# A cdktf reference: ${aws_type.name.attr...}; "$${" is an escaped literal, not a reference.
REFERENCE = re.compile(r"(?<!\$)\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)")


def _references(value: Any) -> set[tuple[str, str]]:
    text = json.dumps(value)
    found = set(REFERENCE.findall(text))
    if isinstance(value, dict):
        for dep in value.get("depends_on", []):
            kind, name = dep.split(".")[:2]
            found.add((kind, name))
    return found


def component(stack: str, path_prefix: str) -> dict[str, Any]:
    """The stack's resources whose construct path starts with ``<stack>/<path_prefix>``, with their references."""
    config = json.loads((TERRAFORM / stack / "main.tf.json").read_text())
    resources: dict[str, dict[str, Any]] = config["resource"]
    wanted = {(kind, name) for kind, by_name in resources.items() for name, body in by_name.items()
              if body["//"]["metadata"]["path"].startswith(f"{stack}/{path_prefix}")}
    if not wanted:
        raise LookupError(f"no resource of {stack} under {path_prefix!r}")
    todo = list(wanted)
    while todo:
        kind, name = todo.pop()
        for ref in _references(resources[kind][name]):
            if ref not in wanted:
                wanted.add(ref)
                todo.append(ref)
    subset: dict[str, dict[str, Any]] = {}
    for kind, name in sorted(wanted):
        subset.setdefault(kind, {})[name] = resources[kind][name]
    # The provider's assume_role reads the stack's input variable (stacks/account_stack.py).
    return {"terraform": config["terraform"], "provider": config["provider"], "variable": config.get("variable", {}),
            "resource": subset}


def write_component(stack: str, path_prefix: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf.json").write_text(json.dumps(component(stack, path_prefix), indent=2))
    copy_lock_file(stack, directory)
    return directory


def copy_lock_file(stack: str, directory: Path) -> None:
    """The stack's committed provider lock: every init runs with -lockfile=readonly."""
    shutil.copyfile(TERRAFORM / stack / ".terraform.lock.hcl", directory / ".terraform.lock.hcl")
