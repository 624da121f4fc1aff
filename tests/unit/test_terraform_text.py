"""The config view the stacks receive (mlgov_config/terraform_text.py): every string escaped exactly once.

That Terraform reads the escaped text back as written is shown by Terraform itself in
tests/synth/test_synth_terraform_text.py; here, which strings are escaped and how.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mlgov_config import load_config
from mlgov_config.terraform_text import TerraformConfig, escape_template, terraform_config

CONFIG = load_config(Path(__file__).resolve().parents[2] / "config")
HOSTILE = " ${path.cwd} %{ if true }x%{ endif } $${already}"

ESCAPES = [
    ("${path.cwd}", "$${path.cwd}"),
    ('${file("/etc/passwd")}', '$${file("/etc/passwd")}'),
    ("%{ if true }x%{ endif }", "%%{ if true }x%%{ endif }"),
    ("$${already}", "$$${already}"),
    ("%%{already}", "%%%{already}"),
    ("$%{x}", "$%%{x}"),
    ("%${x}", "%$${x}"),
    ("costs $5 {approx} 100% {sure}", "costs $5 {approx} 100% {sure}"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "escaped"), ESCAPES, ids=[e[0] or "empty" for e in ESCAPES])
def test_template_sequences_are_escaped_and_nothing_else_changes(text, escaped):
    assert escape_template(text) == escaped


def _with_hostile_text(value: Any) -> Any:
    """Every string of the config (values and map keys) with template sequences appended."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return value + HOSTILE
    if isinstance(value, BaseModel):
        return type(value).model_construct(**{n: _with_hostile_text(getattr(value, n)) for n in type(value).model_fields})
    if isinstance(value, dict):
        return {_with_hostile_text(k): _with_hostile_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_with_hostile_text(v) for v in value)
    return value


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, leaf) in order; a map contributes its keys as leaves too, so both sides must agree on them."""
    if isinstance(value, BaseModel):
        assert not isinstance(value, Enum)
        return [(f"{path}:{type(value).__name__}", None)] + [
            leaf for n in type(value).model_fields for leaf in _leaves(getattr(value, n), f"{path}.{n}")]
    if isinstance(value, dict):
        return [leaf for i, (k, v) in enumerate(value.items())
                for leaf in _leaves(k, f"{path}.key{i}") + _leaves(v, f"{path}[{i}]")]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


def test_every_string_of_every_field_is_escaped_once_and_everything_else_is_kept():
    plain = _with_hostile_text(CONFIG)
    view = terraform_config(plain)
    # The top level is the view's own type; below it the same fields, keys and model types in the same order.
    plain_leaves, view_leaves = _leaves(plain)[1:], _leaves(view)[1:]
    assert [p for p, _ in plain_leaves] == [p for p, _ in view_leaves]
    escaped = []
    for (path, before), (_, after) in zip(plain_leaves, view_leaves):
        if isinstance(before, str) and not isinstance(before, Enum):
            escaped.append(path)
            assert after == escape_template(before) and after.endswith(escape_template(HOSTILE)), path
        else:
            assert after is before or (after == before and type(after) is type(before)), path
    deep = (".platform.default_tags.key0", ".platform.role_trust.break_glass[0]", ".platform.governance.alarm_email",
            ".model_package_group.description", ".owners.business", ".deployments.prod.variants[1].name",
            ".deployments.prod.monitoring.drift_alarm_features[1]", ".gates.prod[1]")
    missed = [p for p in deep if not any(path.endswith(p) for path in escaped)]
    assert not missed, f"the walk missed {missed} (walked {len(escaped)} strings)"
    # Enum members stay members (str-valued enums are strings too, and must not be turned into text).
    assert all(isinstance(role, Enum) for role in view.platform.accounts)
    assert isinstance(view, TerraformConfig) and view.use_case_by_group()


def test_a_view_is_not_escaped_twice_and_the_plain_config_stays_plain():
    plain = _with_hostile_text(CONFIG)
    view = terraform_config(plain)
    assert terraform_config(view) is view
    group = next(iter(plain.use_cases.values())).model_package_group
    assert group.description.endswith(HOSTILE), "the loader's, the CLI's and the Lambdas' config is untouched"
