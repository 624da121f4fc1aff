"""The sandbox's verifying plan trusts exit 0 as "no drift" (scripts/saved_plan.check_drift): that holds
only while no committed stack tells Terraform to ignore a drifted attribute."""

from __future__ import annotations

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_no_committed_stack_ignores_changes():
    ignoring = [f"{path.parent.name}: {kind}.{name}"
                for path in sorted((REPO_ROOT / "terraform").glob("*/main.tf.json"))
                for kind, by_name in json.loads(path.read_text()).get("resource", {}).items()
                for name, body in by_name.items() if "ignore_changes" in body.get("lifecycle", {})]
    assert not ignoring, f"ignore_changes hides drift from check_drift's exit-0 shortcut: {ignoring}"
