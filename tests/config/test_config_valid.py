"""The real config loads, and valid variations of it load with the expected values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config_edits import move_to_region
from mlgov_config import AccountRole, ConfigError, MlgovConfig, load_config

REAL_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_real_config_loads():
    cfg = load_config(REAL_CONFIG_DIR)

    assert isinstance(cfg, MlgovConfig)
    assert cfg.platform.home_region == "eu-west-1"
    assert set(cfg.platform.accounts) == set(AccountRole)
    assert len(set(cfg.platform.accounts.values())) == len(AccountRole)
    assert cfg.platform.governance.deletion_protection is True
    assert AccountRole.GOVERNANCE not in cfg.platform.ram_permissions
    assert list(cfg.use_cases) == ["credit-risk"]
    uc = cfg.use_cases["credit-risk"]
    assert uc.shared_with == [AccountRole.DEV, AccountRole.TEST, AccountRole.PROD]
    assert cfg.use_case_by_group() == {"credit-risk": "credit-risk"}


def test_load_config_accepts_str_path():
    assert load_config(str(REAL_CONFIG_DIR)).use_case_by_group() == {"credit-risk": "credit-risk"}


def test_use_case_by_group_maps_group_name_to_use_case_name(config_dir: Path):
    src = config_dir / "use_cases" / "credit-risk.yaml"
    fraud = yaml.safe_load(src.read_text())
    fraud["name"] = "fraud"
    fraud["model_package_group"]["name"] = "FraudDetection-v2"
    (config_dir / "use_cases" / "fraud.yaml").write_text(yaml.safe_dump(fraud))

    cfg = load_config(config_dir)

    assert sorted(cfg.use_cases) == ["credit-risk", "fraud"]
    assert cfg.use_case_by_group() == {"credit-risk": "credit-risk", "FraudDetection-v2": "fraud"}


def test_optional_fields_take_secure_defaults(config_dir: Path):
    def strip_platform(d):
        del d["default_tags"], d["ram_permissions"]
        del d["governance"]["deletion_protection"], d["governance"]["log_retention_days"]
        del d["governance"]["alarm_email"], d["governance"]["trail"], d["organization_id"], d["gitops"]

    def strip_use_case(d):
        del d["description"], d["model_package_group"]["description"], d["shared_with"], d["deployments"]

    _edit(config_dir / "platform.yaml", strip_platform)
    _edit(config_dir / "use_cases" / "credit-risk.yaml", strip_use_case)

    cfg = load_config(config_dir)

    assert cfg.platform.governance.deletion_protection is True
    assert cfg.platform.governance.log_retention_days == 365
    assert cfg.platform.ram_permissions == {}
    # Our own trail with a year of Object Lock unless the organisation trail is declared; no
    # organisation condition unless an organisation is named.
    assert cfg.platform.governance.trail.organization_trail is False
    assert cfg.platform.governance.trail.retention_days == 365
    assert cfg.platform.organization_id is None
    assert cfg.platform.gitops is None
    assert cfg.use_cases["credit-risk"].shared_with == [AccountRole.DEV]
    assert cfg.use_cases["credit-risk"].deployments.by_role() == {}


@pytest.mark.parametrize(
    "group_name",
    ["a", "A1", "a--b", "Credit-Risk-2", "x" * 63],
    ids=["one-char", "mixed-case", "double-hyphen", "mixed", "63-chars"],
)
def test_valid_group_names(config_dir: Path, group_name: str):
    # 63 characters only for a group not shared with prod (its release group needs the suffix too)
    _edit(config_dir / "use_cases" / "credit-risk.yaml", lambda d: d.update(
        model_package_group={**d["model_package_group"], "name": group_name}, shared_with=["dev", "test"],
        deployments={"test": d["deployments"]["test"]}))
    assert load_config(config_dir).use_case_by_group() == {group_name: "credit-risk"}


@pytest.mark.parametrize("region", ["us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2", "il-central-1"])
def test_valid_regions(config_dir: Path, region: str):
    # regions, ARNs and the ECR host move together: a deployment lives in one partition
    move_to_region(config_dir, region)
    assert load_config(config_dir).platform.home_region == region


def test_loaded_config_is_immutable():
    cfg = load_config(REAL_CONFIG_DIR)
    with pytest.raises(Exception):
        cfg.platform.home_region = "us-east-1"  # type: ignore[misc]


def test_config_error_is_an_exception_with_path_and_problems():
    err = ConfigError("config/platform.yaml", ["a", "b"])
    assert err.path == "config/platform.yaml"
    assert str(err) == "config/platform.yaml: a\nconfig/platform.yaml: b"
