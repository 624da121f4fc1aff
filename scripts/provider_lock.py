"""`make lock`: write each stack's .terraform.lock.hcl for the platforms in config (gitops.lock_platforms).

Every `terraform init` of the repository runs with -lockfile=readonly, so these files decide which
provider packages Terraform accepts. With --fs-mirror the hashes come from the local filesystem mirror
(offline: only the platforms the mirror holds, and only `h1:` hashes, computed from the unpacked
package); without it `terraform providers lock` asks the origin registry, which adds the `zh:` hashes
of every platform's signed release archive.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from terraform_cli import LOCK_FILE, REPO_ROOT, WORK_ROOT, Terraform, TerraformError

PLATFORMS_FIELD = "gitops.lock_platforms"


class LockError(RuntimeError):
    pass


def required_providers(stack_dir: Path) -> dict[str, str]:
    """source address -> exact version of every provider the stack's main.tf.json requires."""
    body = json.loads((stack_dir / "main.tf.json").read_text())
    found = {}
    for name, spec in body.get("terraform", {}).get("required_providers", {}).items():
        source = spec.get("source", name)
        # Terraform's short forms: "aws" is hashicorp/aws, "ns/aws" is on the public registry.
        parts = source.split("/")
        full = {1: ["registry.terraform.io", "hashicorp", *parts], 2: ["registry.terraform.io", *parts]}.get(len(parts), parts)
        found["/".join(full)] = spec["version"]
    return found


def mirrored_platforms(mirror: Path, source: str, version: str) -> set[str]:
    """Platforms a filesystem mirror holds a package for, in either layout (unpacked folder or zip)."""
    base = mirror / source / version
    if base.is_dir():
        unpacked = {p.name for p in base.iterdir() if p.is_dir()}
    else:
        unpacked = set()
    name = source.rsplit("/", 1)[1]
    packed_prefix = f"terraform-provider-{name}_{version}_"
    packed = {p.name[len(packed_prefix):-len(".zip")] for p in (mirror / source).glob(f"{packed_prefix}*.zip")} \
        if (mirror / source).is_dir() else set()
    return unpacked | packed


def check_mirror(mirror: Path, stacks: list[Path], platforms: list[str], config_file: str) -> None:
    for stack_dir in stacks:
        for source, version in required_providers(stack_dir).items():
            held = mirrored_platforms(mirror, source, version)
            missing = [p for p in platforms if p not in held]
            if missing:
                raise LockError(
                    f"{config_file}: {PLATFORMS_FIELD}: {', '.join(missing)} not in the provider mirror {mirror} "
                    f"({source} {version} there: {', '.join(sorted(held)) or 'none'}); list only mirrored "
                    f"platforms, or run `make lock FROM=registry` where the registry is reachable")


def lock_stack(stack_dir: Path, platforms: list[str], mirror: Path | None) -> Path:
    """The stack's new lock file, written in a scratch copy (terraform/ only holds reviewed files)."""
    workdir = WORK_ROOT / "lock" / stack_dir.name
    if workdir.exists():
        shutil.rmtree(workdir)
    tf = Terraform.copy_of(stack_dir, workdir)
    # A fresh lock, not a merge into the old one: hashes of platforms dropped from config must go.
    (workdir / LOCK_FILE).unlink(missing_ok=True)
    args = ["providers", "lock", "-no-color", *(f"-platform={p}" for p in platforms)]
    if mirror is not None:
        args.append(f"-fs-mirror={mirror}")
    tf.run(*args)
    return workdir / LOCK_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="+", type=Path)
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    parser.add_argument("--fs-mirror", type=Path, default=None,
                        help="filesystem mirror (the folder holding registry.terraform.io/); default: the registry")
    args = parser.parse_args(argv)
    from mlgov_config import ConfigError, load_config

    config_file = str(args.config / "platform.yaml")
    try:
        gitops = load_config(args.config).platform.gitops
        if gitops is None:
            raise LockError(f"{config_file}: gitops: not set; {PLATFORMS_FIELD} names the platforms to lock")
        if args.fs_mirror is not None:
            check_mirror(args.fs_mirror, args.stacks, gitops.lock_platforms, config_file)
        # Every stack locked before any lock file is replaced: a failure leaves all of them as they were.
        locked = {stack_dir: lock_stack(stack_dir, gitops.lock_platforms, args.fs_mirror) for stack_dir in args.stacks}
    except ConfigError as err:
        print(f"config error, no lock file written:\n{err}", file=sys.stderr)
        return 2
    except LockError as err:
        print(f"{err}; no lock file written", file=sys.stderr)
        return 2
    except TerraformError as err:
        print(f"{err}\nno lock file written", file=sys.stderr)
        return 1
    source = f"the mirror {args.fs_mirror}" if args.fs_mirror else "the registry"
    for stack_dir, new_lock in locked.items():
        shutil.copyfile(new_lock, stack_dir / LOCK_FILE)
        print(f"{stack_dir / LOCK_FILE}: {', '.join(gitops.lock_platforms)} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
