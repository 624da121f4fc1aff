"""Configuration of the registry-sync function, read from the environment the Terraform construct sets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlgov_core import rules

TABLE_ENV = "GOVERNANCE_TABLE_NAME"
USE_CASES_ENV = "USE_CASE_BY_GROUP"
# The decision function's role: the decider it records with a decision is credited (records.resolve_identities).
DECIDER_ROLE_ENV = "DECISION_ROLE_ARN"
# The platform config's governance.registry_stage_names: JSON object, overrides of rules.DEFAULT_STAGE_NAMES.
STAGE_NAMES_ENV = "REGISTRY_STAGE_NAMES"


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or invalid; the message names the variable."""


@dataclass(frozen=True)
class SyncSettings:
    table_name: str
    use_case_by_group: Mapping[str, str] = field(default_factory=dict)
    decider_role_arn: str | None = None
    # Casefolded registry stage name -> governance stage (rules.stage_names).
    stage_names: Mapping[str, rules.Stage] = field(default_factory=rules.stage_names)

    def use_case_for(self, group: str) -> str:
        # A group nobody claims is still recorded, so the dashboard shows it instead of losing it.
        return self.use_case_by_group.get(group, rules.UNASSIGNED_USE_CASE)


def settings_from_env(environ: Mapping[str, str]) -> SyncSettings:
    """SyncSettings from GOVERNANCE_TABLE_NAME (required) and USE_CASE_BY_GROUP (JSON object, optional)."""
    table = environ.get(TABLE_ENV, "").strip()
    if not table:
        raise ConfigurationError(f"{TABLE_ENV} is not set: the registry-sync function needs the governance table name")
    return SyncSettings(table_name=table, use_case_by_group=use_case_mapping(environ),
                        decider_role_arn=environ.get(DECIDER_ROLE_ENV, "").strip() or None,
                        stage_names=stage_names_from_env(environ))


def stage_names_from_env(environ: Mapping[str, str]) -> dict[str, rules.Stage]:
    """REGISTRY_STAGE_NAMES (JSON object of registry stage name to Dev/Test/Prod, optional) on top of the defaults."""
    raw = environ.get(STAGE_NAMES_ENV, "").strip() or "{}"
    try:
        overrides = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{STAGE_NAMES_ENV} is not valid JSON ({error.msg}): {raw[:200]!r}") from None
    problems = rules.check_stage_names(overrides)
    if problems:
        raise ConfigurationError(f"{STAGE_NAMES_ENV}: " + "; ".join(problems))
    return rules.stage_names(overrides)


def use_case_mapping(environ: Mapping[str, str]) -> dict[str, str]:
    """USE_CASE_BY_GROUP: a JSON object of group name to use case name; absent means {}."""
    raw = environ.get(USE_CASES_ENV, "").strip() or "{}"
    try:
        mapping = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{USE_CASES_ENV} is not valid JSON ({error.msg}): {raw!r}") from None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ConfigurationError(f"{USE_CASES_ENV} must be a JSON object of group name to use case name: {raw!r}")
    return mapping
