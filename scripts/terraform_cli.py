"""Run the terraform CLI on a copy of a generated stack, so terraform/ only ever holds reviewed files.

`python scripts/terraform_cli.py validate terraform/governance ...` is what `make validate` runs.
The provider comes from wherever TF_CLI_CONFIG_FILE points (the Makefile writes one for a local
mirror) or from the registry, and must match the stack's committed .terraform.lock.hcl (`make lock`).
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
LOCK_FILE = ".terraform.lock.hcl"


class TerraformError(RuntimeError):
    pass


@dataclass
class Terraform:
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def copy_of(cls, stack_dir: Path, workdir: Path, env: dict[str, str] | None = None) -> "Terraform":
        """Fresh copy of the generated files and the stack's lock file; keeps .terraform/, state and a lock already in workdir."""
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
        lock = lock_file_of(stack_dir)
        if lock is not None:
            shutil.copyfile(lock, workdir / LOCK_FILE)
        return cls(workdir, env or {})

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", **self.env}
        proc = subprocess.run(["terraform", *args], cwd=self.workdir, env=env, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise TerraformError(f"terraform {' '.join(args)} in {self.workdir} failed (exit {proc.returncode}):\n"
                                 f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def init(self, backend: bool = True) -> None:
        # readonly: a provider whose checksum the committed lock file lacks is refused, never recorded.
        self.run("init", "-no-color", "-lockfile=readonly", f"-backend={'true' if backend else 'false'}")

    def validate(self) -> None:
        self.run("validate", "-no-color")


def lock_file_of(stack_dir: Path) -> Path | None:
    """The stack's own lock file, else the committed one of the stack of that name.

    Provider versions belong to the repository, not to a config: a stack synthesized elsewhere (a test's
    folder, the sandbox's edited config) is held to the lock file committed under terraform/<stack>/.
    """
    for candidate in (stack_dir / LOCK_FILE, REPO_ROOT / "terraform" / stack_dir.name / LOCK_FILE):
        if candidate.is_file():
            return candidate
    return None


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
