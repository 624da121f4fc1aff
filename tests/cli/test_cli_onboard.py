"""`mlgov onboard`: a use-case file from the template, validated with the whole config before writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from approve_testkit import REPO_ROOT, copy_config
from governance_testkit import run

from mlgov_config import load_config

FLAGS = ["--description", "Card fraud: score transactions \"in flight\"", "--group", "card-fraud",
         "--business", "head-of-payments@example.com", "--ds-lead", "ds-lead-fraud@example.com",
         "--ml-engineer", "mle-fraud@example.com", "--risk-tier", "high", "--line-of-business", "payments",
         "--shared-with", "dev,test,prod"]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return copy_config(tmp_path, "credit-risk")


def snapshot(config_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(config_dir)): p.read_text() for p in sorted(config_dir.rglob("*")) if p.is_file()}


def test_help(config_dir: Path) -> None:
    result = run(config_dir, "onboard", "--help")
    assert result.exit_code == 0 and "--risk-tier" in result.output and "--shared-with" in result.output


def test_writes_a_valid_file_and_prints_next_steps(config_dir: Path) -> None:
    result = run(config_dir, "onboard", "fraud", *FLAGS, "--gate", "auc >= 0.8", "--gate", "p95_latency_ms <= 150")
    assert result.exit_code == 0, result.output
    path = config_dir / "use_cases" / "fraud.yaml"
    assert f"wrote {path}" in result.output
    assert "make synth" in result.output and "terraform/" in result.output and "pull request" in result.output
    config = load_config(config_dir)
    uc = config.use_cases["fraud"]
    assert uc.model_package_group.name == "card-fraud"
    assert uc.description == "Card fraud: score transactions \"in flight\""
    assert uc.owners.data_science_lead == "ds-lead-fraud@example.com"
    assert [r.value for r in uc.shared_with] == ["dev", "test", "prod"]
    assert uc.gates.prod == ["auc >= 0.8", "p95_latency_ms <= 150"] and uc.gates.test == []
    assert uc.deployments.test is None and uc.deployments.prod is None
    assert "credit-risk" in config.use_cases  # the rest of the config is untouched
    assert path.read_text().startswith("# Use case fraud: written by `mlgov onboard`")


def test_json_output(config_dir: Path) -> None:
    result = run(config_dir, "--json", "onboard", "fraud", *FLAGS)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["written"] is True and out["use_case"] == "fraud" and len(out["next_steps"]) == 4


@pytest.mark.parametrize("name, extra, message", [
    ("fraud", ["--group", "Card_Fraud!"], "does not match SageMaker's pattern"),
    ("fraud", ["--group", "credit-risk"], "already used"),
    ("Fraud", [], "should match pattern"),
    ("../evil", [], "not a use-case name"),
    ("fraud", ["--gate", "auc >>= 1"], "is not a gate"),
    ("fraud", ["--shared-with", "dev,governance"], "--shared-with"),
    ("fraud", ["--risk-tier", "extreme"], "extreme"),
])
def test_refuses_invalid_input_without_writing(config_dir: Path, name: str, extra: list[str], message: str) -> None:
    before = snapshot(config_dir)
    result = run(config_dir, "onboard", name, *FLAGS, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert snapshot(config_dir) == before
    assert not (config_dir.parent / "evil.yaml").exists()


def test_refuses_existing_file(config_dir: Path) -> None:
    before = snapshot(config_dir)
    result = run(config_dir, "onboard", "credit-risk", *FLAGS[:2], *FLAGS[4:])
    assert result.exit_code == 2 and "already exists" in result.output
    assert snapshot(config_dir) == before


def test_dry_run(config_dir: Path) -> None:
    before = snapshot(config_dir)
    result = run(config_dir, "onboard", "fraud", *FLAGS, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "name: fraud" in result.output and "not written" in result.output
    assert snapshot(config_dir) == before


def test_template_reproduces_the_example_use_case(config_dir: Path) -> None:
    """Onboarding credit-risk with its own values gives a file that loads to the same owners and gates."""
    (config_dir / "use_cases" / "credit-risk.yaml").unlink()
    example = load_config(REPO_ROOT / "config").use_cases["credit-risk"]
    result = run(config_dir, "onboard", "credit-risk", "--description", example.description, "--group", "credit-risk",
                 "--group-description", example.model_package_group.description,
                 "--business", example.owners.business, "--ds-lead", example.owners.data_science_lead,
                 "--ml-engineer", example.owners.ml_engineer, "--risk-tier", example.risk_tier.value,
                 "--line-of-business", example.line_of_business,
                 "--gate", "auc >= 0.75", "--gate", "p95_latency_ms <= 200")
    assert result.exit_code == 0, result.output
    onboarded = load_config(config_dir).use_cases["credit-risk"]
    assert onboarded.model_copy(update={"deployments": example.deployments}) == example


@pytest.mark.parametrize("extra, words", [
    # A use case onboard writes has no deployments yet: its derived names are the group's. Shared with
    # prod, the group gets a release group "<group>-prod-release", which must fit SageMaker's 63.
    (["--group", "g" * 55], ["field 'model_package_group.name'", "prod release group", "SageMaker's 63"]),
    (["--business", "head of payments"], ["field 'owners.business'", "not an e-mail address"]),
    (["--ds-lead", "ds-lead@localhost"], ["field 'owners.data_science_lead'", "domain 'localhost'"]),
    (["--ml-engineer", "mle@exa mple.com"], ["field 'owners.ml_engineer'", "domain"]),
    (["--line-of-business", "Retail Credit"], ["field 'line_of_business'", "Retail Credit"]),
])
def test_refuses_what_aws_would_refuse_without_writing(config_dir: Path, extra: list[str], words: list[str]) -> None:
    before = snapshot(config_dir)
    result = run(config_dir, "onboard", "fraud", *FLAGS, *extra)
    assert result.exit_code == 2, result.output
    assert "nothing written" in result.output and "fraud.yaml" in result.output
    assert all(w in result.output for w in words), result.output
    assert "Traceback" not in result.output
    assert snapshot(config_dir) == before

