"""Typed, validated configuration: config/platform.yaml plus config/use_cases/*.yaml."""

from mlgov_config.errors import ConfigError
from mlgov_config.loader import load_config
from mlgov_config.models import AccountRole, MlgovConfig, PlatformConfig, UseCaseConfig

__all__ = [
    "AccountRole",
    "ConfigError",
    "MlgovConfig",
    "PlatformConfig",
    "UseCaseConfig",
    "load_config",
]
