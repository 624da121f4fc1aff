"""Edits of a copied config as a person makes them (a line changed in the text), and the refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgov_config import ConfigError, load_config

PLATFORM = "platform.yaml"
CREDIT_RISK = "use_cases/credit-risk.yaml"


def replace_line(config_dir: Path, rel: str, old: str, new: str) -> None:
    path = config_dir / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} must occur once in {rel}"
    path.write_text(text.replace(old, new))


def refusal(config_dir: Path) -> str:
    with pytest.raises(ConfigError) as refused:
        load_config(config_dir)
    return str(refused.value)


def move_to_region(config_dir: Path, region: str) -> None:
    """Move the whole example (regions, ARNs, ECR hosts) from eu-west-1 into ``region`` and its partition."""
    from mlgov_config.regions import partition_of

    partition = partition_of(region)
    for path in [config_dir / PLATFORM, *sorted((config_dir / "use_cases").glob("*.yaml"))]:
        text = path.read_text().replace("eu-west-1", region).replace("arn:aws:", f"arn:{partition.id}:")
        path.write_text(text.replace(".amazonaws.com/", f".{partition.dns_suffix}/"))
