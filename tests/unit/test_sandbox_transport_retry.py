"""A sandbox plan repeats once after a lost connection, and never after a real error."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sandbox.stacks import plan
from terraform_cli import TerraformError

LOST_CONNECTION = ("\nError: reading IAM Role Policy (r:p): operation error IAM: GetRolePolicy, https response error "
                   "StatusCode: 200, decomposing response: read tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection\n")
REAL_ERROR = "\nError: creating IAM Role (r): MalformedPolicyDocument: bad principal\n"


@dataclass
class ScriptedTerraform:
    """Answers each `run` with the next scripted (exit code, stderr)."""

    answers: list[tuple[int, str]]
    workdir: Path = Path("/stack")
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        code, stderr = self.answers.pop(0)
        return subprocess.CompletedProcess(["terraform", *args], code, stdout="", stderr=stderr)


def test_a_lost_connection_is_planned_again() -> None:
    tf = ScriptedTerraform([(1, LOST_CONNECTION), (2, "")])
    assert plan(tf, "-detailed-exitcode").returncode == 2
    assert len(tf.calls) == 2


def test_a_real_error_is_not_repeated() -> None:
    tf = ScriptedTerraform([(1, LOST_CONNECTION + REAL_ERROR)])
    with pytest.raises(TerraformError, match="MalformedPolicyDocument"):
        plan(tf)
    assert len(tf.calls) == 1


def test_a_second_lost_connection_fails() -> None:
    tf = ScriptedTerraform([(1, LOST_CONNECTION), (1, LOST_CONNECTION)])
    with pytest.raises(TerraformError, match="use of closed network connection"):
        plan(tf)
    assert len(tf.calls) == 2
