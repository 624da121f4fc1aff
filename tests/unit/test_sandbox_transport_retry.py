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


ASSUME_ROLE_LOST = ("\nError: Cannot assume IAM Role\n\n  with provider[\"registry.terraform.io/hashicorp/aws\"],\n\n"
                    "IAM Role (arn:aws:iam::222222222222:role/terraform) cannot be assumed.\n\n"
                    "Error: operation error STS: AssumeRole, exceeded maximum number of attempts, 2, https response error "
                    "StatusCode: 0, RequestID: , request send failed, Post \"http://127.0.0.1:1/\": EOF\n")
ASSUME_ROLE_REFUSED = ("\nError: Cannot assume IAM Role\n\nIAM Role (arn:aws:iam::222222222222:role/terraform) cannot be assumed.\n\n"
                       "Error: operation error STS: AssumeRole, https response error StatusCode: 403, AccessDenied\n")


def test_an_assume_role_that_got_no_answer_is_planned_again() -> None:
    tf = ScriptedTerraform([(1, ASSUME_ROLE_LOST), (0, "")])
    assert plan(tf).returncode == 0
    assert len(tf.calls) == 2


def test_a_refused_assume_role_is_not_repeated() -> None:
    tf = ScriptedTerraform([(1, ASSUME_ROLE_REFUSED)])
    with pytest.raises(TerraformError, match="AccessDenied"):
        plan(tf)
    assert len(tf.calls) == 1
