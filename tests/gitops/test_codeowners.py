"""CODEOWNERS: the pipeline, config, the allow-list of deletions, the Terraform and its lock files need their owners."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CODEOWNERS = REPO_ROOT / ".github" / "CODEOWNERS"
PLATFORM = "@example-org/mlgov-platform-admins"
SECURITY = "@example-org/mlgov-security"


def _rules(text: str) -> list[tuple[str, list[str]]]:
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def _matches(pattern: str, path: str) -> bool:
    """The gitignore-style subset CODEOWNERS uses here: anchored /dir/ and /file, **/name, *."""
    if pattern == "*":
        return True
    if pattern.startswith("**/"):
        return fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern[3:])
    anchored = pattern.lstrip("/")
    return path.startswith(anchored) if anchored.endswith("/") else path == anchored


def owners_of(path: str, text: str | None = None) -> list[str]:
    """GitHub's rule: the last matching pattern decides."""
    found: list[str] = []
    for pattern, owners in _rules(CODEOWNERS.read_text() if text is None else text):
        if _matches(pattern, path):
            found = owners
    return found


@pytest.mark.parametrize("path, required", [
    (".github/workflows/deploy.yml", {PLATFORM}),
    (".github/CODEOWNERS", {PLATFORM}),
    (".github/actions/setup/action.yml", {PLATFORM}),
    ("Makefile", {PLATFORM}),
    ("config/platform.yaml", {PLATFORM}),
    ("config/use_cases/credit-risk.yaml", {PLATFORM}),
    ("config/allowed_destroys.yaml", {PLATFORM, SECURITY}),
    ("mlgov_config/stateful_types.py", {PLATFORM, SECURITY}),
    ("tests/synth/stateful_addresses.json", {PLATFORM, SECURITY}),
    ("terraform/prod/main.tf.json", {PLATFORM}),
    ("terraform/governance/.terraform.lock.hcl", {PLATFORM, SECURITY}),
    ("terraform/bootstrap/.terraform.lock.hcl", {PLATFORM, SECURITY}),
])
def test_protected_paths_need_their_owners(path, required):
    assert required <= set(owners_of(path)), f"{path}: owners {owners_of(path)}"


def test_every_committed_lock_file_is_protected():
    locks = sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "terraform").glob("*/.terraform.lock.hcl"))
    assert locks
    assert all(SECURITY in owners_of(lock) for lock in locks), locks


def test_a_later_broad_rule_would_take_the_protection_away():
    weakened = CODEOWNERS.read_text() + "\n/config/ @someone-else\n"
    assert owners_of("config/allowed_destroys.yaml", weakened) == ["@someone-else"]
