"""Copy cdktf's synth output into terraform/<stack>/ as reviewable, committed Terraform.

Synthesis goes to a temporary folder first, so a failure leaves terraform/ untouched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

GENERATED_FILE = "main.tf.json"
ASSETS_DIR = "assets"


def export_stacks(synth_dir: Path, out_dir: Path, stack_names: list[str]) -> list[Path]:
    written = []
    for name in stack_names:
        source = synth_dir / "stacks" / name
        target = out_dir / name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / "cdk.tf.json", target / GENERATED_FILE)
        if (target / ASSETS_DIR).exists():
            shutil.rmtree(target / ASSETS_DIR)
        if (source / ASSETS_DIR).exists():
            shutil.copytree(source / ASSETS_DIR, target / ASSETS_DIR)
        written.append(target)
    return written
