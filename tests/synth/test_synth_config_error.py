"""A broken config stops main.py before any Terraform is written (and before jsii loads)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tf_json import REPO_ROOT


def run_main(config_dir: Path, out_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "main.py", "--config", str(config_dir), "--out", str(out_dir)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_broken_config_exits_2_names_file_and_field_and_writes_nothing(tmp_path):
    config_dir = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    platform = config_dir / "platform.yaml"
    data = yaml.safe_load(platform.read_text())
    data["accounts"]["dev"] = "12345"  # not a 12-digit account id
    platform.write_text(yaml.safe_dump(data))
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    proc = run_main(config_dir, out_dir)

    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert str(platform) in proc.stderr, proc.stderr
    assert "accounts" in proc.stderr and "12345" in proc.stderr, proc.stderr
    assert list(out_dir.iterdir()) == [], "a config error must not write any Terraform"
    assert "synthesized" not in proc.stdout
