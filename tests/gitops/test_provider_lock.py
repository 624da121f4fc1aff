"""The committed provider lock files: what `make lock` writes, and what every init is held to.

Terraform runs against the local mirror here (build/terraformrc); the tests that need it are skipped
on a machine without one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mlgov_config import load_config
from provider_lock import LockError, check_mirror, lock_stack, mirrored_platforms, required_providers
from terraform_cli import LOCK_FILE, REPO_ROOT, Terraform, TerraformError, lock_file_of

TERRAFORM = REPO_ROOT / "terraform"
STACKS = sorted(p.parent.name for p in TERRAFORM.glob("*/main.tf.json"))
AWS = "registry.terraform.io/hashicorp/aws"
CONFIG = load_config(REPO_ROOT / "config")


def _mirror() -> Path | None:
    named = os.environ.get("MLGOV_TF_PLUGIN_MIRROR") or ""
    cached = REPO_ROOT / "build" / "provider-mirror"
    if not named and cached.is_file():
        named = cached.read_text().strip()
    return Path(named) if named else None


needs_mirror = pytest.mark.skipif(_mirror() is None, reason="no local provider mirror (make terraformrc finds one)")


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_has_a_committed_lock_file_for_its_providers(stack):
    lock = (TERRAFORM / stack / LOCK_FILE).read_text()
    for source, version in required_providers(TERRAFORM / stack).items():
        assert f'provider "{source}" {{\n  version     = "{version}"' in lock, lock


@needs_mirror
@pytest.mark.terraform
@pytest.mark.parametrize("stack", STACKS)
def test_the_committed_lock_file_is_what_make_lock_writes_from_the_mirror(stack):
    written = lock_stack(TERRAFORM / stack, CONFIG.platform.gitops.lock_platforms, _mirror())
    assert written.read_text() == (TERRAFORM / stack / LOCK_FILE).read_text(), \
        f"terraform/{stack}/{LOCK_FILE} is not what `make lock` writes now: run it and commit the result"


def _init(source: Path, workdir: Path) -> None:
    tf = Terraform.copy_of(source, workdir)
    tf.init(backend=False)


@needs_mirror
@pytest.mark.terraform
def test_init_accepts_the_committed_lock_and_refuses_one_whose_hash_does_not_match(tmp_path):
    source = tmp_path / "dev"
    shutil.copytree(TERRAFORM / "dev", source)
    _init(source, tmp_path / "good")  # the control: the committed hash matches the mirror's package

    lock = (source / LOCK_FILE).read_text()
    hashes = [line.strip().strip('",') for line in lock.splitlines() if line.strip().startswith('"h1:')]
    assert hashes, lock
    # Another, well-formed h1 hash: the package no longer matches anything the lock file records.
    forged = "h1:" + ("A" * 43) + "="
    (source / LOCK_FILE).write_text(lock.replace(hashes[0], forged))
    with pytest.raises(TerraformError) as refused:
        _init(source, tmp_path / "tampered")
    assert "the lock file" in str(refused.value) or "checksums" in str(refused.value), refused.value
    assert not (tmp_path / "tampered" / ".terraform" / "providers").exists() or \
        not any((tmp_path / "tampered" / ".terraform" / "providers").rglob("terraform-provider-aws*"))


@needs_mirror
@pytest.mark.terraform
def test_init_refuses_a_stack_without_a_lock_file(tmp_path):
    source = tmp_path / "not-a-committed-stack"
    source.mkdir()
    shutil.copyfile(TERRAFORM / "dev" / "main.tf.json", source / "main.tf.json")
    with pytest.raises(TerraformError, match="Provider dependency changes detected"):
        _init(source, tmp_path / "work")


def test_a_stack_synthesized_elsewhere_is_held_to_the_committed_lock_of_its_name(tmp_path):
    elsewhere = tmp_path / "prod"
    elsewhere.mkdir()
    assert lock_file_of(elsewhere) == TERRAFORM / "prod" / LOCK_FILE
    (elsewhere / LOCK_FILE).write_text("# its own\n")
    assert lock_file_of(elsewhere) == elsewhere / LOCK_FILE
    assert lock_file_of(tmp_path / "unknown") is None


def _fake_mirror(root: Path, unpacked: list[str], zipped: list[str]) -> Path:
    for platform in unpacked:
        (root / AWS / "5.100.0" / platform).mkdir(parents=True)
    for platform in zipped:
        (root / AWS).mkdir(parents=True, exist_ok=True)
        (root / AWS / f"terraform-provider-aws_5.100.0_{platform}.zip").write_bytes(b"")
    return root


def test_the_mirror_platforms_are_read_from_both_layouts(tmp_path):
    mirror = _fake_mirror(tmp_path, ["linux_amd64"], ["darwin_arm64"])
    assert mirrored_platforms(mirror, AWS, "5.100.0") == {"linux_amd64", "darwin_arm64"}
    assert mirrored_platforms(mirror, AWS, "5.99.0") == set()


def test_a_platform_the_mirror_lacks_is_refused_naming_the_field_and_the_platform(tmp_path):
    mirror = _fake_mirror(tmp_path / "mirror", ["linux_amd64"], [])
    with pytest.raises(LockError) as refused:
        check_mirror(mirror, [TERRAFORM / "dev"], ["darwin_arm64", "linux_amd64"], "config/platform.yaml")
    message = str(refused.value)
    assert "config/platform.yaml: gitops.lock_platforms: darwin_arm64 not in the provider mirror" in message
    assert "there: linux_amd64" in message and "FROM=registry" in message
    check_mirror(mirror, [TERRAFORM / "dev"], ["linux_amd64"], "config/platform.yaml")  # no error


def test_make_lock_writes_nothing_when_one_platform_is_missing(tmp_path, capsys):
    from provider_lock import main

    config = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    platform = config / "platform.yaml"
    platform.write_text(platform.read_text().replace("lock_platforms: [linux_amd64]", "lock_platforms: [linux_amd64, windows_386]"))
    stack = tmp_path / "dev"
    shutil.copytree(TERRAFORM / "dev", stack)
    before = (stack / LOCK_FILE).read_text()
    mirror = _fake_mirror(tmp_path / "mirror", ["linux_amd64"], [])
    assert main([str(stack), "--config", str(config), "--fs-mirror", str(mirror)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "windows_386" in err and "no lock file written" in err, err
    assert (stack / LOCK_FILE).read_text() == before
