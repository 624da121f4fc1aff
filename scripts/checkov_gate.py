"""Run checkov on synthesized stacks and apply the skips written next to each resource.

checkov's terraform_json runner ignores inline skip comments, so this gate does it: a failed
check passes only when the failing resource's "//" object holds
``"checkov": {"<ID>": "checkov:skip=<ID>:<reason>"}`` with a non-empty reason (see
modules/checkov.py). A skip on a check that no longer fails is reported too, so stale excuses
do not pile up. Exit 1 on any unexcused failure, stale skip or parsing error.

Usage: python scripts/checkov_gate.py --checkov PATH/TO/checkov terraform/governance [...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SKIP_PREFIX = "checkov:skip="


def declared_skips(tf_json: Path) -> dict[tuple[str, str], str]:
    """(resource name, check id) -> reason, from every resource's "//".checkov object."""
    doc = json.loads(tf_json.read_text())
    skips: dict[tuple[str, str], str] = {}
    for resources in doc.get("resource", {}).values():
        for name, body in resources.items():
            for check_id, text in body.get("//", {}).get("checkov", {}).items():
                reason = text.removeprefix(f"{SKIP_PREFIX}{check_id}:").strip()
                if not text.startswith(SKIP_PREFIX) or not reason:
                    raise SystemExit(f"{tf_json}: resource {name}: skip of {check_id} has no reason")
                skips[(name, check_id)] = reason
    return skips


def run_checkov(checkov: str, stack_dir: Path) -> dict:
    proc = subprocess.run(
        [checkov, "--quiet", "--skip-download", "--framework", "terraform_json", "-d", str(stack_dir), "-o", "json"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"checkov failed on {stack_dir} (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    return report[0] if isinstance(report, list) else report


def gate(checkov: str, stack_dir: Path) -> list[str]:
    skips = declared_skips(stack_dir / "main.tf.json")
    report = run_checkov(checkov, stack_dir)
    problems = []
    if report["summary"].get("parsing_errors"):
        problems.append(f"{stack_dir}: checkov could not parse the stack")
    if not report["summary"].get("passed"):
        problems.append(f"{stack_dir}: checkov ran no check at all")
    used = set()
    for failed in report["results"].get("failed_checks", []):
        key = (failed["resource"].rsplit(".", 1)[-1], failed["check_id"])
        if key in skips:
            used.add(key)
            print(f"  skipped {failed['check_id']} on {key[0]}: {skips[key]}")
        else:
            problems.append(f"{stack_dir}: {failed['check_id']} ({failed['check_name']}) fails on {failed['resource']}")
    for name, check_id in sorted(set(skips) - used):
        problems.append(f"{stack_dir}: stale skip of {check_id} on {name}: the check passes, remove the skip")
    print(f"{stack_dir}: {report['summary']['passed']} passed, {len(used)} skipped with reasons, "
          f"{len(problems)} problem(s)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", required=True)
    parser.add_argument("stacks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    problems = [p for stack in args.stacks for p in gate(args.checkov, stack)]
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
