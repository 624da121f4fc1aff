"""The committed Terraform under terraform/ is exactly what the code and config generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tf_json import GENERATED_STACKS as STACKS, REPO_ROOT

COMMITTED = REPO_ROOT / "terraform"
HOW_TO_FIX = "terraform/ is stale: run `make synth` and commit the result"
# Written by `make lock`, not by the synth; tests/gitops/test_provider_lock.py checks it.
LOCK_FILE = ".terraform.lock.hcl"

pytestmark = pytest.mark.synth


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK_FILE}


def test_fresh_synth_produces_every_stack(synth):
    assert sorted(synth.stacks) == sorted(STACKS)
    committed = sorted(p.name for p in COMMITTED.iterdir() if p.is_dir())
    assert committed == sorted(STACKS), f"{HOW_TO_FIX} (stack folders {committed}, expected {sorted(STACKS)})"


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_equals_fresh_synth(synth, stack):
    fresh, committed = files_under(synth.out_dir / stack), files_under(COMMITTED / stack)
    missing, extra = sorted(fresh.keys() - committed.keys()), sorted(committed.keys() - fresh.keys())
    assert not missing, f"{HOW_TO_FIX}: terraform/{stack}/ lacks {missing}"
    assert not extra, f"{HOW_TO_FIX}: terraform/{stack}/ has files the synth no longer writes: {extra}"
    differ = sorted(name for name in fresh if fresh[name] != committed[name])
    assert not differ, f"{HOW_TO_FIX}: terraform/{stack}/ differs from a fresh synth in {differ}"
