"""The fresh synth passes `terraform validate` and the checkov gate (skips need a reason)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from terraform_cli import Terraform, TerraformError
from tf_json import GENERATED_STACKS, REPO_ROOT

CHECKOV = Path(os.environ.get("MLGOV_CHECKOV", REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"))


@pytest.mark.synth
@pytest.mark.terraform
@pytest.mark.parametrize("stack", GENERATED_STACKS)
def test_terraform_validate(synth, stack, tmp_path):
    tf = Terraform.copy_of(synth.out_dir / stack, tmp_path / stack)
    try:
        tf.init(backend=False)
        tf.validate()
    except TerraformError as err:
        pytest.fail(str(err))


@pytest.mark.synth
def test_checkov_gate(synth):
    if not CHECKOV.exists():
        pytest.skip(f"checkov not installed at {CHECKOV} (run `make venv` or set MLGOV_CHECKOV); CI installs it")
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "checkov_gate.py"), "--checkov", str(CHECKOV),
         *(str(synth.out_dir / s) for s in GENERATED_STACKS)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, f"checkov gate failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
