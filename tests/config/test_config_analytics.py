"""platform.governance.analytics: the Athena workgroup's cutoff, the results' retention, the projection's start."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgov_config import ConfigError, load_config
from mlgov_config.models import ATHENA_MIN_BYTES_SCANNED_CUTOFF

PLATFORM = "platform.yaml"
FIELD = "governance.analytics"


def _set(config_dir: Path, key: str, value: Any) -> None:
    path = config_dir / PLATFORM
    data = yaml.safe_load(path.read_text())
    data["governance"].setdefault("analytics", {})[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _refusal(config_dir: Path) -> str:
    with pytest.raises(ConfigError) as refused:
        load_config(config_dir)
    return str(refused.value)


def test_shipped_values(config_dir: Path):
    analytics = load_config(config_dir).platform.governance.analytics
    assert analytics.bytes_scanned_cutoff_per_query == 1024 ** 3
    assert analytics.results_retention_days == 30
    assert analytics.projection_start_date == date(2024, 1, 1)


def test_section_is_optional_with_the_written_defaults(config_dir: Path):
    path = config_dir / PLATFORM
    data = yaml.safe_load(path.read_text())
    del data["governance"]["analytics"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    analytics = load_config(config_dir).platform.governance.analytics
    assert (analytics.bytes_scanned_cutoff_per_query, analytics.results_retention_days) == (1024 ** 3, 30)


def test_the_athena_minimum_cutoff_is_accepted(config_dir: Path):
    _set(config_dir, "bytes_scanned_cutoff_per_query", ATHENA_MIN_BYTES_SCANNED_CUTOFF)
    assert load_config(config_dir).platform.governance.analytics.bytes_scanned_cutoff_per_query == 10485760


TOMORROW = (datetime.now(timezone.utc).date() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("bytes_scanned_cutoff_per_query", ATHENA_MIN_BYTES_SCANNED_CUTOFF - 1, "10485759"),
    ("bytes_scanned_cutoff_per_query", "1GB", "1GB"),
    ("results_retention_days", 0, "0"),
    ("results_retention_days", 3651, "3651"),
    ("projection_start_date", "01/02/2024", "01/02/2024"),
    ("projection_start_date", "2024-02-30", "2024-02-30"),
    ("projection_start_date", "1999-12-31", "1999-12-31"),
    ("projection_start_date", TOMORROW, TOMORROW),
    ("projection_start_date", "2024-01-01T10:00:00", "2024-01-01T10:00:00"),
    ("workgroup", "primary", "primary"),
])
def test_bad_analytics_settings_name_file_field_and_value(config_dir: Path, key: str, value: Any, shown: str):
    _set(config_dir, key, value)
    message = _refusal(config_dir)
    assert PLATFORM in message and f"{FIELD}.{key}" in message and shown in message, message
