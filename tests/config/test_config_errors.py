"""Every bad config is rejected by load_config with a ConfigError naming file, field and value.

Each case copies the real config dir (fixture `config_dir`), applies one mutation, and checks the
message. Add a case by adding a row to CASES.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from mlgov_config import ConfigError, load_config

PLATFORM = "platform.yaml"
CREDIT_RISK = "use_cases/credit-risk.yaml"
LONG_NAME = "g" * 64

Mutation = Callable[[Path], None]


# --- mutation builders -------------------------------------------------------------------------


def edit(rel: str, change: Callable[[dict[str, Any]], None]) -> Mutation:
    """Load rel as YAML, apply change to the dict in place, dump it back."""

    def mutate(config_dir: Path) -> None:
        path = config_dir / rel
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    return mutate


def write(rel: str, text: str) -> Mutation:
    def mutate(config_dir: Path) -> None:
        (config_dir / rel).write_text(text)

    return mutate


def set_key(rel: str, dotted: str, value: Any) -> Mutation:
    """Set a nested key, e.g. set_key(PLATFORM, 'governance.log_retention_days', 42)."""
    *parents, last = dotted.split(".")

    def change(data: dict[str, Any]) -> None:
        for p in parents:
            data = data[p]
        data[last] = value

    return edit(rel, change)


def del_key(rel: str, dotted: str) -> Mutation:
    *parents, last = dotted.split(".")

    def change(data: dict[str, Any]) -> None:
        for p in parents:
            data = data[p]
        del data[last]

    return edit(rel, change)


def copy_use_case(new_name: str, **overrides: Any) -> Mutation:
    """Add use_cases/<new_name>.yaml, a copy of credit-risk with name=new_name plus overrides."""

    def mutate(config_dir: Path) -> None:
        data = yaml.safe_load((config_dir / CREDIT_RISK).read_text())
        data["name"] = new_name
        data.update(overrides)
        (config_dir / "use_cases" / f"{new_name}.yaml").write_text(yaml.safe_dump(data))

    return mutate


def rename_use_case_file(new_stem: str) -> Mutation:
    def mutate(config_dir: Path) -> None:
        (config_dir / CREDIT_RISK).rename(config_dir / "use_cases" / f"{new_stem}.yaml")

    return mutate


def swap_group(name: str) -> Mutation:
    return set_key(CREDIT_RISK, "model_package_group.name", name)


# --- the table ---------------------------------------------------------------------------------
# (description, mutation, expected file (relative to config dir), expected field, expected value)
# field/value None: the message has no field/value to name (e.g. unparsable file).

CASES: list[tuple[str, Mutation, str, str | None, str | None]] = [
    # platform.yaml: structure
    ("platform missing home_region", del_key(PLATFORM, "home_region"), PLATFORM, "home_region", None),
    ("platform missing state_backend.bucket", del_key(PLATFORM, "state_backend.bucket"), PLATFORM, "state_backend.bucket", None),
    ("platform unknown top-level key", set_key(PLATFORM, "colour", "blue"), PLATFORM, "colour", "blue"),
    ("qa publisher missing", del_key(PLATFORM, "role_trust.qa_publisher"), PLATFORM, "role_trust.qa_publisher", None),
    ("qa publisher trusted as the deployer",
     set_key(PLATFORM, "role_trust.qa_publisher", ["arn:aws:iam::111111111111:role/mlgov-cd-pipeline"]),
     PLATFORM, "role_trust", "role_trust.qa_publisher: ['arn:aws:iam::111111111111:role/mlgov-cd-pipeline'] also in role_trust.deployer"),
    ("metrics publisher an account root", set_key(PLATFORM, "role_trust.metrics_publisher", ["arn:aws:iam::444444444444:root"]),
     PLATFORM, "role_trust.metrics_publisher", "arn:aws:iam::444444444444:root"),
    ("platform unknown nested key", set_key(PLATFORM, "governance.retention", 7), PLATFORM, "governance.retention", "7"),
    ("platform empty file", write(PLATFORM, ""), PLATFORM, None, "empty"),
    ("platform comments only", write(PLATFORM, "# nothing here\n"), PLATFORM, None, "empty"),
    ("platform invalid YAML", write(PLATFORM, "home_region: [eu-west-1\n"), PLATFORM, None, "not valid YAML"),
    ("platform top level is a list", write(PLATFORM, "- a\n- b\n"), PLATFORM, None, "list"),
    ("platform file missing", lambda d: (d / PLATFORM).unlink(), PLATFORM, None, "not found"),
    # platform.yaml: accounts
    ("unknown account role", set_key(PLATFORM, "accounts.staging", "555555555555"), PLATFORM, "accounts", "staging"),
    ("missing account role", del_key(PLATFORM, "accounts.prod"), PLATFORM, "accounts", "prod"),
    ("duplicate account ids", set_key(PLATFORM, "accounts.prod", "333333333333"), PLATFORM, "accounts", "333333333333"),
    ("account id too short", set_key(PLATFORM, "accounts.dev", "12345"), PLATFORM, "accounts", "12345"),
    ("account id 13 digits", set_key(PLATFORM, "accounts.dev", "2222222222222"), PLATFORM, "accounts", "2222222222222"),
    ("account id with letters", set_key(PLATFORM, "accounts.dev", "22222222222a"), PLATFORM, "accounts", "22222222222a"),
    ("account id trailing newline", set_key(PLATFORM, "accounts.dev", "222222222222\n"), PLATFORM, "accounts", "222222222222\\n"),
    ("account id non-ASCII digits", set_key(PLATFORM, "accounts.dev", "٢" * 12), PLATFORM, "accounts", "٢" * 12),
    ("account id unquoted int", set_key(PLATFORM, "accounts.dev", 222222222222), PLATFORM, "accounts.dev", "222222222222"),
    # platform.yaml: other fields
    ("bad home region", set_key(PLATFORM, "home_region", "europe-1"), PLATFORM, "home_region", "europe-1"),
    ("bad state backend region", set_key(PLATFORM, "state_backend.region", "EU-WEST-1"), PLATFORM, "state_backend.region", "EU-WEST-1"),
    ("bad organization id", set_key(PLATFORM, "organization_id", "org-123"), PLATFORM, "organization_id", "org-123"),
    ("bad log retention", set_key(PLATFORM, "governance.log_retention_days", 42), PLATFORM, "governance.log_retention_days", "42"),
    ("zero log retention", set_key(PLATFORM, "governance.log_retention_days", 0), PLATFORM, "governance.log_retention_days", "0"),
    ("bad RAM permission ARN", set_key(PLATFORM, "ram_permissions.dev", ["arn:aws:iam::aws:policy/Admin"]), PLATFORM, "ram_permissions", "arn:aws:iam::aws:policy/Admin"),
    ("RAM permission ARN trailing newline", set_key(PLATFORM, "ram_permissions.dev", ["arn:aws:ram::aws:permission/X\n"]), PLATFORM, "ram_permissions", "permission/X\\n"),
    ("RAM permissions for governance", set_key(PLATFORM, "ram_permissions.governance", []), PLATFORM, "ram_permissions", "governance"),
    ("bad powertools layer ARN", set_key(PLATFORM, "governance.powertools_layer_arn", "layer:18"), PLATFORM, "governance.powertools_layer_arn", "layer:18"),
    ("trail retention zero", set_key(PLATFORM, "governance.trail.retention_days", 0), PLATFORM, "governance.trail.retention_days", "0"),
    ("trail retention beyond Object Lock's limit", set_key(PLATFORM, "governance.trail.retention_days", 36501), PLATFORM,
     "governance.trail.retention_days", "36501"),
    ("organization_trail not a bool", set_key(PLATFORM, "governance.trail.organization_trail", "maybe"), PLATFORM,
     "governance.trail.organization_trail", "maybe"),
    ("trail unknown key", set_key(PLATFORM, "governance.trail.sns_topic", "x"), PLATFORM, "governance.trail.sns_topic", "x"),
    ("deletion_protection not a bool", set_key(PLATFORM, "governance.deletion_protection", "sometimes"), PLATFORM, "governance.deletion_protection", "sometimes"),
    # use case: structure
    ("use case missing risk_tier", del_key(CREDIT_RISK, "risk_tier"), CREDIT_RISK, "risk_tier", None),
    ("use case missing group name", del_key(CREDIT_RISK, "model_package_group.name"), CREDIT_RISK, "model_package_group.name", None),
    ("use case unknown top-level key", set_key(CREDIT_RISK, "approver", "bob"), CREDIT_RISK, "approver", "bob"),
    ("use case empty file", write(CREDIT_RISK, ""), CREDIT_RISK, None, "empty"),
    ("use case invalid YAML", write(CREDIT_RISK, "name: credit-risk\n  owners: : x\n"), CREDIT_RISK, None, "not valid YAML"),
    ("use case name != file name", rename_use_case_file("credit"), "use_cases/credit.yaml", "name", "credit-risk"),
    ("use case bad risk tier", set_key(CREDIT_RISK, "risk_tier", "extreme"), CREDIT_RISK, "risk_tier", "extreme"),
    ("use case missing line_of_business", del_key(CREDIT_RISK, "line_of_business"), CREDIT_RISK, "line_of_business", None),
    ("use case line_of_business not a slug", set_key(CREDIT_RISK, "line_of_business", "Retail Credit"), CREDIT_RISK,
     "line_of_business", "Retail Credit"),
    ("use case empty owner", set_key(CREDIT_RISK, "owners.business", ""), CREDIT_RISK, "owners.business", "''"),
    # use case: model package group name vs [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
    ("group name with underscore", swap_group("credit_risk"), CREDIT_RISK, "model_package_group.name", "credit_risk"),
    ("group name leading hyphen", swap_group("-lead"), CREDIT_RISK, "model_package_group.name", "-lead"),
    ("group name trailing hyphen", swap_group("trail-"), CREDIT_RISK, "model_package_group.name", "trail-"),
    ("group name 64 chars", swap_group(LONG_NAME), CREDIT_RISK, "model_package_group.name", LONG_NAME),
    ("group name empty", swap_group(""), CREDIT_RISK, "model_package_group.name", "''"),
    ("group name trailing newline", swap_group("credit-risk\n"), CREDIT_RISK, "model_package_group.name", "credit-risk\\n"),
    ("duplicate group across files", copy_use_case("fraud"), "use_cases/fraud.yaml", "model_package_group.name", "credit-risk"),
    # use case: shared_with
    ("shared_with undefined account", set_key(CREDIT_RISK, "shared_with", ["dev", "qa"]), CREDIT_RISK, "shared_with", "qa"),
    ("shared_with governance", set_key(CREDIT_RISK, "shared_with", ["governance", "dev"]), CREDIT_RISK, "shared_with", "governance"),
    ("shared_with duplicate", set_key(CREDIT_RISK, "shared_with", ["dev", "dev"]), CREDIT_RISK, "shared_with", "dev"),
]


@pytest.mark.parametrize(
    ("mutate", "file", "field", "value"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_bad_config_is_rejected_with_file_field_and_value(
    config_dir: Path, mutate: Mutation, file: str, field: str | None, value: str | None
):
    mutate(config_dir)

    with pytest.raises(ConfigError) as excinfo:
        load_config(config_dir)

    err = excinfo.value
    message = str(err)
    expected_path = str(config_dir / file)
    assert err.path == expected_path
    assert expected_path in message
    if field is not None:
        assert f"field '{field}" in message, message
    if value is not None:
        assert value in message, message


def test_every_problem_in_a_file_is_reported(config_dir: Path):
    """Several mistakes in one file come back together, not one per run."""

    def break_twice(data: dict[str, Any]) -> None:
        data["home_region"] = "europe-1"
        data["accounts"]["dev"] = "12345"

    edit(PLATFORM, break_twice)(config_dir)

    with pytest.raises(ConfigError) as excinfo:
        load_config(config_dir)

    assert len(excinfo.value.problems) == 2
    assert "europe-1" in str(excinfo.value) and "12345" in str(excinfo.value)


def test_platform_is_validated_before_use_cases(config_dir: Path):
    write(CREDIT_RISK, "")(config_dir)
    set_key(PLATFORM, "home_region", "europe-1")(config_dir)

    with pytest.raises(ConfigError) as excinfo:
        load_config(config_dir)

    assert excinfo.value.path == str(config_dir / PLATFORM)
