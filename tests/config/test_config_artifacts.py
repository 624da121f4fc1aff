"""Artifact store settings: the Object Lock retention and where the Model Monitor baseline may live."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlgov_config import ConfigError, load_config
from mlgov_config.models import GovernanceSettings

LAYER = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:18"
STORE = "s3://mlgov-artifacts-111111111111-eu-west-1"


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _set_retention(config_dir: Path, value) -> None:
    _edit(config_dir / "platform.yaml", lambda d: d["governance"].update(artifact_retention_days=value))


def _set_baseline(config_dir: Path, uri: str) -> None:
    _edit(config_dir / "use_cases" / "credit-risk.yaml",
          lambda d: d["deployments"]["prod"]["monitoring"].update(baseline_s3_uri=uri))


def test_retention_default_is_written_and_example_sets_its_own(config_dir: Path):
    assert GovernanceSettings(powertools_layer_arn=LAYER).artifact_retention_days == 365
    assert load_config(config_dir).platform.governance.artifact_retention_days == 30
    _edit(config_dir / "platform.yaml", lambda d: d["governance"].pop("artifact_retention_days"))
    assert load_config(config_dir).platform.governance.artifact_retention_days == 365


@pytest.mark.parametrize("value", [0, -1, 36501, "a year", 1.5])
def test_bad_retention_names_file_field_and_value(config_dir: Path, value):
    _set_retention(config_dir, value)
    with pytest.raises(ConfigError) as excinfo:
        load_config(config_dir)
    message = str(excinfo.value)
    assert excinfo.value.path == str(config_dir / "platform.yaml")
    assert "field 'governance.artifact_retention_days'" in message and repr(value) in message, message


def test_example_baseline_is_in_the_governance_prefix():
    config = load_config(Path(__file__).resolve().parents[2] / "config")
    uri = config.use_cases["credit-risk"].deployments.prod.monitoring.baseline_s3_uri
    assert uri.startswith(config.platform.baseline_uri_prefix()) == uri.startswith(f"{STORE}/baselines/") is True


@pytest.mark.parametrize("uri", [
    f"{STORE}/models/credit-risk/baseline/",  # the data scientists' prefix
    f"{STORE}/baselines/",  # the prefix itself, no folder of its own
    f"{STORE}/baselines/../models/x/",  # escapes the prefix
    "s3://some-other-bucket/baselines/credit-risk/",
    "s3://mlgov-artifacts-222222222222-eu-west-1/baselines/credit-risk/",  # dev's own bucket name pattern
])  # fmt: skip
def test_baseline_outside_the_governance_prefix_is_refused(config_dir: Path, uri: str):
    _set_baseline(config_dir, uri)
    with pytest.raises(ConfigError) as excinfo:
        load_config(config_dir)
    message = str(excinfo.value)
    assert excinfo.value.path == str(config_dir / "use_cases" / "credit-risk.yaml")
    assert "field 'deployments.prod.monitoring.baseline_s3_uri'" in message and repr(uri) in message, message
    assert f"{STORE}/baselines/" in message  # says where it must go


def test_baseline_in_a_folder_of_the_prefix_loads(config_dir: Path):
    _set_baseline(config_dir, f"{STORE}/baselines/credit-risk/2026-12-01/")
    assert load_config(config_dir).use_cases["credit-risk"].deployments.prod.monitoring.baseline_s3_uri.endswith("2026-12-01/")
