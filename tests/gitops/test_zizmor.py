"""zizmor (offline, pedantic) finds nothing in .github/, and does find a deliberately bad workflow."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ZIZMOR = Path(os.environ.get("MLGOV_ZIZMOR", REPO_ROOT / ".tools" / "zizmor" / "bin" / "zizmor"))
# The flags of `make lint-workflows`; test_the_make_target_runs_these_flags keeps the two equal.
FLAGS = ["--offline", "--no-progress", "--strict-collection", "--persona", "pedantic"]

# Skipped on a laptop without `make venv`; under CI (make test installs it) a missing zizmor is a failure.
needs_zizmor = pytest.mark.skipif(not ZIZMOR.exists() and not os.environ.get("CI"),
                                  reason=f"zizmor not installed at {ZIZMOR} (make venv); CI installs it")

BAD_WORKFLOW = """name: bad
on:
  pull_request_target:
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def _zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ZIZMOR), *FLAGS, str(path)], capture_output=True, text=True, timeout=300, check=False)


def test_the_make_target_runs_these_flags():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert f"$(ZIZMOR_VENV)/bin/zizmor {' '.join(FLAGS)} .github" in makefile


def test_zizmor_is_pinned_exactly():
    lines = [line for line in (REPO_ROOT / "requirements-zizmor.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1 and lines[0].startswith("zizmor==") and lines[0].count(".") == 2, lines


@needs_zizmor
def test_zizmor_finds_nothing_in_the_repository_workflows():
    proc = _zizmor(REPO_ROOT / ".github")
    assert proc.returncode == 0, f"zizmor exit {proc.returncode}:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    assert "No findings to report" in proc.stdout + proc.stderr


@needs_zizmor
def test_zizmor_fails_on_a_bad_workflow(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(BAD_WORKFLOW)
    proc = _zizmor(tmp_path / ".github")
    report = proc.stdout + proc.stderr
    assert proc.returncode != 0, report
    for audit in ("dangerous-triggers", "template-injection", "unpinned-uses", "excessive-permissions", "artipacked"):
        assert f"[{audit}]" in report, report
