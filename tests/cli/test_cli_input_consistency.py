"""One way in for every command: stage and status names in any case, unknown use cases refused
everywhere, `--version`, and the read commands reading as the compliance officer (or --as-role)."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aws_failure_kit import closed_port_url, failing_endpoint, fake_credentials, no_credentials  # noqa: F401
from governance_testkit import GROUP, Gov, aws_env, config_dir, gov, run, wide_console  # noqa: F401
from mlgov_cli.errors import EXIT_AWS, EXIT_INPUT
from mlgov_cli.main import cli
from mlgov_cli.options import stage_type, status_type
from mlgov_core import rules

COMPLIANCE_OFFICER = "arn:aws:iam::111111111111:role/mlgov-compliance-officer"


def invoke(config: Path, *args: str, endpoint: str | None = None) -> click.testing.Result:
    extra = ["--endpoint-url", endpoint] if endpoint else []
    return CliRunner().invoke(cli, ["--config", str(config), *extra, *args], catch_exceptions=False)


# ------------------------------------------------------------------ --version


def test_version_is_the_installed_distributions() -> None:
    result = CliRunner().invoke(cli, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"mlgov {metadata.version('mlgov')}"


# ------------------------------------------------------------------ stage and status names


@pytest.mark.parametrize("text", ["prod", "PROD", "Prod", " pRoD "])
def test_a_stage_is_read_in_any_case_as_the_canonical_name(text: str) -> None:
    assert stage_type().convert(text, None, None) is rules.Stage.PROD


@pytest.mark.parametrize("text", ["approved", "APPROVED", "Approved"])
def test_a_status_is_read_in_any_case_as_the_canonical_name(text: str) -> None:
    assert status_type().convert(text, None, None) is rules.StageStatus.APPROVED


@pytest.mark.parametrize("args", [
    ("list", "--stage", "Staging"),
    ("list", "--stage", "Prod", "--status", "Accepted"),
    ("approve", GROUP, "1", "--stage", "Dev", "--reason", "r", "--approver", "carol@example.com"),
    ("reject", GROUP, "1", "--stage", "Production", "--reason", "r", "--approver", "carol@example.com"),
    ("promote", GROUP, "1", "--to", "dev"),
])
def test_an_unknown_stage_or_status_is_refused_naming_it_and_the_known_ones(args, config_dir: Path) -> None:
    result = invoke(config_dir, *args)
    bad = args[args.index("--status") + 1] if "--status" in args else args[-1] if args[0] == "promote" else \
        args[args.index("--stage") + 1]
    assert result.exit_code == EXIT_INPUT, result.output
    assert repr(bad) in result.stderr and "any case" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_every_stage_or_status_option_uses_the_one_parser() -> None:
    """No command keeps its own list (a click.Choice) of stage or status names."""
    found = []
    for name, command in cli.commands.items():
        for param in command.params:
            if param.name in ("stage", "stage_status", "target", "to"):
                found.append(name)
                assert not isinstance(param.type, click.Choice), f"{name} {param.opts}: use mlgov_cli.options"
    assert sorted(found) == ["approve", "list", "list", "promote", "reject"]


def test_list_takes_stage_and_status_in_any_case(gov: Gov, config_dir: Path) -> None:
    gov.create_table()
    gov.group(GROUP)
    arn = gov.register(GROUP)
    gov.decide(arn, "Test", "Approved", "ok")
    gov.sync(arn)
    answers = [json.loads(run(config_dir, "--json", "list", "--stage", stage, "--status", status).stdout)
               for stage, status in (("Test", "Approved"), ("test", "approved"), ("TEST", "APPROVED"))]
    assert [(r["group"], r["version"]) for r in answers[0]] == [(GROUP, 1)]
    assert answers[1] == answers[0] == answers[2]


# ------------------------------------------------------------------ unknown use case


@pytest.mark.parametrize("args", [
    ("status", "--use-case", "nope"),
    ("list", "--use-case", "nope"),
    ("report", "--use-case", "nope"),
    ("check", "--use-case", "nope"),
    ("qa", "--use-case", "nope", "--version", "1", "--sample", "{sample}"),
    ("register", "--use-case", "nope", "--run-id", "r", "--tracking-uri", "file:///nonexistent"),
    ("register-external", "--use-case", "nope", "--version-label", "v1", "--source", "s", "--artifact-uri", "s3://b/k",
     "--registered-by", "alice@example.com"),
])
def test_an_unknown_use_case_is_an_input_error_everywhere(args, config_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused before any AWS call: no credentials and a closed port would otherwise end in exit 3."""
    no_credentials(monkeypatch, tmp_path)
    sample = tmp_path / "sample.jsonl"
    sample.write_text('{"features": [1.0], "label": 1}\n')
    result = invoke(config_dir, *(a.format(sample=sample) for a in args), endpoint=closed_port_url())
    assert result.exit_code == EXIT_INPUT, result.output
    assert "unknown use case 'nope'" in result.stderr and "credit-risk" in result.stderr, result.stderr


@pytest.mark.parametrize("args", [
    ("history", "nope", "1"),
    ("list", "--group", "nope"),
    ("reconcile", "--group", "nope"),
    ("reconcile", "--dry-run", "--group", "nope"),
    ("approve", "nope", "1", "--stage", "Test", "--reason", "r"),
    ("reject", "nope", "1", "--stage", "Test", "--reason", "r"),
    ("promote", "nope", "1", "--to", "test"),
])
def test_an_unknown_group_is_an_input_error_everywhere(args, config_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that take a model package group refuse one no use case owns, before any AWS call."""
    no_credentials(monkeypatch, tmp_path)
    result = invoke(config_dir, *args, endpoint=closed_port_url())
    assert result.exit_code == EXIT_INPUT, result.output
    assert "owns model package group 'nope'" in result.stderr and "credit-risk" in result.stderr, result.stderr


# ------------------------------------------------------------------ the role read commands assume


READ_COMMANDS = {
    "status": ["status"], "list": ["list"], "history": ["history", GROUP, "1"], "report": ["report", "--out", "{out}"],
    "check": ["check"], "reconcile --dry-run": ["reconcile", "--dry-run"],
}


@pytest.mark.parametrize("label", sorted(READ_COMMANDS))
def test_read_commands_assume_the_compliance_officer_with_the_operator_as_source_identity(
        label: str, config_dir: Path, failing_endpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("MLGOV_OPERATOR", "erin@example.com")
    args = [a.format(out=tmp_path / "reports") for a in READ_COMMANDS[label]]
    for as_role, expected in ((None, COMPLIANCE_OFFICER), ("auditor", "arn:aws:iam::111111111111:role/auditor")):
        failing_endpoint.failing.__init__(code="Throttling", sts_ok=True)  # AssumeRole works; the reads then fail
        result = invoke(config_dir, *args, *(["--as-role", as_role] if as_role else []), endpoint=failing_endpoint.url)
        assert result.exit_code == EXIT_AWS, result.output
        assumed = failing_endpoint.failing.assumed
        assert assumed and {a["RoleArn"] for a in assumed} == {expected}, assumed
        assert {a.get("SourceIdentity") for a in assumed} == {"erin@example.com"}, assumed


def test_reconcile_that_writes_still_assumes_the_table_reconciler(config_dir: Path, failing_endpoint, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fake_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    failing_endpoint.failing.__init__(code="Throttling", sts_ok=True)
    assert invoke(config_dir, "reconcile", endpoint=failing_endpoint.url).exit_code == EXIT_AWS
    assert {a["RoleArn"] for a in failing_endpoint.failing.assumed} == {
        "arn:aws:iam::111111111111:role/mlgov-table-reconciler"}
