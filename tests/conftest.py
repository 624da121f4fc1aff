"""Session fixtures shared by every test folder. Keep this file small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TERRAFORMRC = REPO_ROOT / "build" / "terraformrc"

# `make test` exports the CLI config it wrote; a bare `pytest` after any make target finds it too.
if TERRAFORMRC.exists() and not Path(os.environ.get("TF_CLI_CONFIG_FILE", "/nonexistent")).exists():
    os.environ["TF_CLI_CONFIG_FILE"] = str(TERRAFORMRC)


@dataclass(frozen=True)
class Synth:
    """A fresh `main.py --out <dir>` run: the output folder and each stack's parsed main.tf.json."""

    out_dir: Path
    stacks: dict[str, dict]


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Synthesize every stack once per session (jsii costs ~15 s per process; never per test)."""
    out_dir = tmp_path_factory.mktemp("synth")
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "main.py", "--out", str(out_dir)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        pytest.fail(f"main.py --out {out_dir} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    stacks = {path.parent.name: json.loads(path.read_text()) for path in sorted(out_dir.glob("*/main.tf.json"))}
    return Synth(out_dir, stacks)


@pytest.fixture(scope="session", autouse=True)
def sandbox_emulator() -> None:
    """Every test sees the emulator the sandbox runs: moto plus scripts/sandbox/patches, applied once.

    The patches cannot be undone, and the in-thread sandbox servers of the CLI and sandbox tests apply
    them anyway. Applying them before any test means no outcome depends on which tests ran first.
    """
    from sandbox.patches import apply_all

    apply_all()


# The one shared sandbox apply of tests/e2e and tests/security (session scope, started on first use).
from sandbox_story import sandbox_story  # noqa: E402,F401


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs two workers (`--dist loadgroup`). Tests of one shared session fixture form one
    group, so the fixture runs once; every other test goes with its file, so module fixtures (the CLI
    kits' in-process sandboxes) are not built twice."""
    for item in items:
        shared = next((name for name in ("sandbox_story", "synth") if name in getattr(item, "fixturenames", ())), None)
        item.add_marker(pytest.mark.xdist_group(shared or item.nodeid.split("::")[0]))
