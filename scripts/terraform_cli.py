"""Run the terraform CLI on a copy of a generated stack, so terraform/ only ever holds reviewed files.

`python scripts/terraform_cli.py validate terraform/governance ...` is what `make validate` runs.
The provider comes from wherever TF_CLI_CONFIG_FILE points (the Makefile writes one for a local
mirror) or from the registry.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK_ROOT = REPO_ROOT / "build" / "terraform"


class TerraformError(RuntimeError):
    pass


@dataclass
class Terraform:
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def copy_of(cls, stack_dir: Path, workdir: Path, env: dict[str, str] | None = None) -> "Terraform":
        """Fresh copy of the generated files; keeps .terraform/ and state already in workdir."""
        workdir.mkdir(parents=True, exist_ok=True)
        for stale in ("main.tf.json", "assets"):
            target = workdir / stale
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        shutil.copyfile(stack_dir / "main.tf.json", workdir / "main.tf.json")
        if (stack_dir / "assets").is_dir():
            shutil.copytree(stack_dir / "assets", workdir / "assets")
        return cls(workdir, env or {})

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", **self.env}
        proc = subprocess.run(["terraform", *args], cwd=self.workdir, env=env, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise TerraformError(f"terraform {' '.join(args)} in {self.workdir} failed (exit {proc.returncode}):\n"
                                 f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def init(self, backend: bool = True) -> None:
        self.run("init", "-no-color", f"-backend={'true' if backend else 'false'}")

    def validate(self) -> None:
        self.run("validate", "-no-color")


def validate(stack_dirs: list[Path]) -> int:
    failures = 0
    for stack_dir in stack_dirs:
        tf = Terraform.copy_of(stack_dir, WORK_ROOT / "validate" / stack_dir.name)
        try:
            tf.init(backend=False)
            tf.validate()
            print(f"{stack_dir}: valid")
        except TerraformError as err:
            failures += 1
            print(err, file=sys.stderr)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["validate"])
    parser.add_argument("stacks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    return validate(args.stacks)


if __name__ == "__main__":
    sys.exit(main())
