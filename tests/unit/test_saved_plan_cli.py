"""make plan|apply|drift: bad input and refused plans end in one line and exit 1, before any Terraform runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import saved_plan_cli
from plan_integrity import MANIFEST, PLAN_FILE, PLAN_SHA256, PlanManifest, sha256_file, sha256_line


@pytest.fixture(autouse=True)
def no_terraform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("Terraform must not run for input that is refused")

    monkeypatch.setattr(saved_plan_cli, "working_copy", refuse)
    monkeypatch.setattr(saved_plan_cli, "PLANS_DIR", tmp_path / "plans")
    monkeypatch.setattr(saved_plan_cli, "DRIFT_DIR", tmp_path / "drift")


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_an_unknown_stack_is_named_with_the_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert saved_plan_cli.main(["plan", "staging"]) == 1
    stacks = ", ".join(sorted(p.parent.name for p in saved_plan_cli.TERRAFORM_DIR.glob("*/main.tf.json")))
    assert {"dev", "governance", "prod", "test"} <= set(stacks.split(", "))
    assert one_line(capsys) == f"make plan: STACK='staging': no terraform/staging/main.tf.json; the stacks are {stacks}\n"


def test_an_empty_stack_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert saved_plan_cli.main(["drift", ""]) == 1
    assert "STACK=''" in one_line(capsys)
    assert not (tmp_path / "drift").exists()


def test_a_drift_check_that_could_not_run_says_error_in_its_report(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """make exits 2 for drift and for an error alike; the report tells them apart."""
    monkeypatch.delenv("MLGOV_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(saved_plan_cli, "working_copy", lambda *a: saved_plan_cli.sandbox_endpoint())
    assert saved_plan_cli.main(["drift", "dev", "--sandbox"]) == 1
    one_line(capsys)
    report = json.loads((tmp_path / "drift" / "dev.json").read_text())
    assert report["status"] == "error" and "MLGOV_ENDPOINT_URL is not set" in report["error"] and report["drift"] == []


def test_sandbox_needs_an_endpoint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MLGOV_ENDPOINT_URL", raising=False)
    with pytest.raises(saved_plan_cli.BadInput, match="MLGOV_ENDPOINT_URL is not set"):
        saved_plan_cli.sandbox_endpoint()
    monkeypatch.setenv("MLGOV_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(saved_plan_cli.BadInput, match=r"MLGOV_ENDPOINT_URL=http://127.0.0.1:9: no sandbox server answers"):
        saved_plan_cli.sandbox_endpoint()


def test_apply_without_a_plan_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert saved_plan_cli.main(["apply", "dev"]) == 1
    line = one_line(capsys)
    assert line.startswith("make apply: ") and "plans/dev/tfplan: missing" in line and "make plan STACK=dev" in line


def test_apply_of_a_plan_for_other_stack_files_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_dir = tmp_path / "plans" / "dev"
    plan_dir.mkdir(parents=True)
    (plan_dir / PLAN_FILE).write_bytes(b"plan")
    (plan_dir / PLAN_SHA256).write_text(sha256_line(sha256_file(plan_dir / PLAN_FILE)))
    (plan_dir / MANIFEST).write_text(PlanManifest("dev", "aws", "0" * 64, "b" * 40).to_json())
    assert saved_plan_cli.main(["apply", "dev"]) == 1
    assert "stale, " in one_line(capsys)
    assert saved_plan_cli.main(["apply", "dev", "--sandbox"]) == 1
    assert "planned against aws, this apply targets sandbox" in one_line(capsys)
