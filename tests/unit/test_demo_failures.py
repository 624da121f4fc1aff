"""`make demo` fails in one line and exit 1, never a traceback: bad config, or a sandbox step that fails."""

from __future__ import annotations

from pathlib import Path

from sandbox import demo
from terraform_cli import TerraformError


def test_a_failed_terraform_step_is_one_line(monkeypatch, tmp_path: Path, capsys) -> None:
    def failing(*_args):
        raise TerraformError("plan in /w/prod failed:\nError: Cannot assume IAM Role")

    monkeypatch.setattr(demo, "run_demo", failing)
    assert demo.main(["--work", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "demo: FAILED: TerraformError: plan in /w/prod failed:" in out.out
    assert "Traceback" not in out.out + out.err
    assert "Cannot assume IAM Role" in (tmp_path / "demo-failure.txt").read_text()


def test_a_bad_config_names_the_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "platform.yaml").write_text("platform: [\n")
    assert demo.main(["--config", str(tmp_path), "--work", str(tmp_path / "work")]) == 1
    out = capsys.readouterr()
    assert "demo: FAILED:" in out.out and "platform.yaml" in out.out
    assert "Traceback" not in out.out + out.err
