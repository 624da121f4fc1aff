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


def run_synth(out_dir: Path, *args: str) -> Synth:
    """One `main.py --out <dir>` process (more arguments, e.g. --config, after it)."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "main.py", "--out", str(out_dir), *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        pytest.fail(f"main.py --out {out_dir} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    stacks = {path.parent.name: json.loads(path.read_text()) for path in sorted(out_dir.glob("*/main.tf.json"))}
    return Synth(out_dir, stacks)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Synthesize every stack once per session (jsii costs ~15 s per process; never per test)."""
    return run_synth(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def china_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The example config moved to cn-north-1 (partition aws-cn), synthesized once per session."""
    import shutil

    from tests.config.config_edits import move_to_region

    config_dir = tmp_path_factory.mktemp("china") / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    move_to_region(config_dir, CHINA_REGION)
    return run_synth(tmp_path_factory.mktemp("china-synth"), "--config", str(config_dir))


CHINA_REGION = "cn-north-1"


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


# `make test` runs two workers. Tests that share a session fixture must run together on one worker:
# the sandbox story (tests/e2e, tests/security) costs minutes and the synth (tests/synth) tens of
# seconds, so neither may run twice; the in-process sandboxes of tests/sandbox and of the register
# kit hold their state in moto's process-wide backends, which any `mock_aws` test of another file
# resets, so their files must not be interleaved with others. Every other file stays whole, so its
# module fixtures (the CLI kits' in-process sandboxes) are built once. (xdist's own --dist loadgroup
# cannot do this under pytest 9: it renames the item's old `_nodeid`, which pytest 9 no longer reads.)
SHARED_FIXTURE_PATHS = {"tests/e2e/": "sandbox_story", "tests/security/": "sandbox_story", "tests/synth/": "synth",
                        "tests/sandbox/": "sandbox_url", "tests/cli/test_cli_register": "reg_store"}


def worker_group(nodeid: str) -> str:
    path = nodeid.split("::")[0]
    return next((group for prefix, group in SHARED_FIXTURE_PATHS.items() if path.startswith(prefix)), path)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return SharedFixtureScheduling(config, log)
