"""A config file is read as written, or refused with its file, line, field and the fix.

Each case edits the real config as a person would (a line changed in the text), loads it, and checks
the message. The last tests show why each refused form is refused: PyYAML (the loader) and
ruamel.yaml (the editor of `mlgov promote`/`onboard`) read it differently, or both read it as
something other than its text, while on every accepted file they agree.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from config_edits import CREDIT_RISK, PLATFORM, refusal, replace_line
from mlgov_config import load_config

REAL_CONFIG = Path(__file__).resolve().parents[2] / "config"


# (description, file, line as committed, line as mistyped, words the message must contain)
MISREAD_SCALARS = [
    ("yes as a boolean", PLATFORM, "deletion_protection: true", "deletion_protection: yes",
     ["line", "governance.deletion_protection", "'yes'", "true or false", '"yes"']),
    ("off as a boolean", PLATFORM, "organization_trail: false", "organization_trail: off",
     ["governance.trail.organization_trail", "'off'"]),
    ("On as a boolean", CREDIT_RISK, "risk_tier: high", "risk_tier: On", ["risk_tier", "'On'", '"On"']),
    ("a leading zero (octal in YAML 1.1)", PLATFORM, "log_retention_days: 365", "log_retention_days: 0365",
     ["governance.log_retention_days", "'0365'", "without leading zeros"]),
    ("sexagesimal", CREDIT_RISK, "max_5xx_errors_per_5_minutes: 5", "max_5xx_errors_per_5_minutes: 1:30",
     ["deployments.prod.alarms.max_5xx_errors_per_5_minutes", "'1:30'"]),
    ("digits with underscores", CREDIT_RISK, "max_p95_model_latency_ms: 200", "max_p95_model_latency_ms: 2_00",
     ["max_p95_model_latency_ms", "'2_00'"]),
    ("a date", CREDIT_RISK, "description: Probability of default for retail credit applications", "description: 2026-12-01",
     ["field 'description'", "timestamp", '"2026-12-01"']),
    ("an exponent without sign (text to PyYAML, a number to ruamel)", CREDIT_RISK, "data_capture_percent: 100",
     "data_capture_percent: 1e2", ["deployments.prod.data_capture_percent", "'1e2'", "number to another"]),
    ("a YAML 1.2 octal", PLATFORM, "    organization_trail: false\n    retention_days: 30\n",
     "    organization_trail: false\n    retention_days: 0o36\n", ["governance.trail.retention_days", "'0o36'"]),
    ("infinity", CREDIT_RISK, "max_p95_model_latency_ms: 200", "max_p95_model_latency_ms: .inf", ["'.inf'"]),
    ("a boolean as a key", PLATFORM, "  dev:\n    - arn:aws:ram", "  yes:\n    - arn:aws:ram", ["ram_permissions.yes", "'yes'"]),
]


@pytest.mark.parametrize("case", MISREAD_SCALARS, ids=[c[0] for c in MISREAD_SCALARS])
def test_a_scalar_that_reads_as_something_else_is_refused(config_dir, case):
    _, rel, old, new, words = case
    replace_line(config_dir, rel, old, new)
    message = refusal(config_dir)
    assert message.startswith(str(config_dir / rel) + ": line "), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_quoting_the_text_is_accepted_as_text(config_dir):
    replace_line(config_dir, CREDIT_RISK, "description: Probability of default for retail credit applications",
                 'description: "2026-12-01"')
    assert load_config(config_dir).use_cases["credit-risk"].description == "2026-12-01"


DUPLICATE_KEYS = [
    ("a second deletion_protection", PLATFORM, "  deletion_protection: true\n",
     "  deletion_protection: true\n  deletion_protection: false\n", "governance.deletion_protection"),
    ("a second account entry", PLATFORM, '  prod: "444444444444"\n', '  prod: "444444444444"\n  dev: "555555555555"\n',
     "accounts.dev"),
    ("a second top-level key", CREDIT_RISK, "risk_tier: high\n", "risk_tier: high\nrisk_tier: low\n", "risk_tier"),
    ("a quoted twin of a key", CREDIT_RISK, "risk_tier: high\n", "risk_tier: high\n'risk_tier': low\n", "risk_tier"),
    ("a second variant field", CREDIT_RISK, "        release: 1\n        weight: 90\n",
     "        release: 1\n        weight: 90\n        weight: 10\n", "deployments.prod.variants[0].weight"),
]


@pytest.mark.parametrize("case", DUPLICATE_KEYS, ids=[c[0] for c in DUPLICATE_KEYS])
def test_a_duplicate_key_is_refused_naming_both_lines(config_dir, case):
    _, rel, old, new, field = case
    replace_line(config_dir, rel, old, new)
    message = refusal(config_dir)
    assert f"field '{field}': duplicate key (first set on line " in message, message
    assert message.startswith(str(config_dir / rel) + ": line "), message


# Values YAML reads correctly that are still the wrong type: pydantic would coerce them.
WRONG_TYPES = [
    ("a boolean for a retention", PLATFORM, "log_retention_days: 365", "log_retention_days: true",
     "governance.log_retention_days", "True"),
    ("a boolean for a version", CREDIT_RISK, "    version: 1\n    instance_type", "    version: true\n    instance_type",
     "deployments.test.version", "True"),
    ("a number for a description", CREDIT_RISK, "description: Probability of default for retail credit applications",
     "description: 42", "description", "42"),
    ("a number for an owner", CREDIT_RISK, "ml_engineer: mle-credit@example.com", "ml_engineer: 7", "owners.ml_engineer", "7"),
    ("a boolean for a percentage", CREDIT_RISK, "data_capture_percent: 100", "data_capture_percent: true",
     "deployments.prod.data_capture_percent", "True"),
    ("a decimal for a whole number", PLATFORM, "log_retention_days: 365", "log_retention_days: 365.0",
     "governance.log_retention_days", "365.0"),
]


@pytest.mark.parametrize("case", WRONG_TYPES, ids=[c[0] for c in WRONG_TYPES])
def test_a_value_of_the_wrong_type_is_not_coerced(config_dir, case):
    _, rel, old, new, field, value = case
    replace_line(config_dir, rel, old, new)
    message = refusal(config_dir)
    assert f"field '{field}'" in message and f"(value {value})" in message, message


def _not_utf8(config_dir: Path) -> Path:
    path = config_dir / CREDIT_RISK
    path.write_bytes(path.read_bytes().replace(b"retail credit", b"r\xe9tail credit"))
    return path


def _folder(config_dir: Path) -> Path:
    path = config_dir / "use_cases" / "fraud.yaml"
    path.mkdir()
    return path


def _symlink_loop(config_dir: Path) -> Path:
    path = config_dir / "use_cases" / "loop.yaml"
    os.symlink(path, path)
    return path


def _deep(config_dir: Path) -> Path:
    path = config_dir / CREDIT_RISK
    path.write_text(path.read_text() + "extra: " + "[" * 20000 + "]" * 20000 + "\n")
    return path


def _alias_bomb(config_dir: Path) -> Path:
    path = config_dir / CREDIT_RISK
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path.write_text(path.read_text() + "\n".join(levels) + "\n")
    return path


def _merge_key(config_dir: Path) -> Path:
    path = config_dir / CREDIT_RISK
    path.write_text(path.read_text().replace("  test:\n    version: 1\n", "  test:\n    <<: {version: 1}\n"))
    return path


def _huge(config_dir: Path) -> Path:
    path = config_dir / CREDIT_RISK
    path.write_text(path.read_text() + "#" * (1024 * 1024) + "\n")
    return path


def _stray(name: str):
    def make(config_dir: Path) -> Path:
        (config_dir / "use_cases" / name).write_text((config_dir / CREDIT_RISK).read_text())
        return config_dir / "use_cases"

    return make


READ_FAILURES = [
    ("not UTF-8", _not_utf8, "is not UTF-8 text (byte 0xe9 at offset"),
    ("a folder named like a use case", _folder, "is a folder, not a file"),
    ("a symlink loop", _symlink_loop, "cannot be read: Too many levels of symbolic links"),
    ("nesting that would exhaust recursion", _deep, "nested"),
    ("an alias bomb", _alias_bomb, "is an alias (*name)"),
    ("a merge key", _merge_key, "merge key (<<)"),
    ("a file over 1 MiB", _huge, "a config file has at most 1048576"),
    ("an upper-case extension", _stray("fraud.YAML"), "'fraud.YAML'"),
    ("the .yml extension", _stray("fraud.yml"), "'fraud.yml'"),
    ("a JSON file", _stray("fraud.json"), "'fraud.json'"),
]


@pytest.mark.parametrize("case", READ_FAILURES, ids=[c[0] for c in READ_FAILURES])
def test_every_read_failure_is_a_config_error_naming_the_file(config_dir, case):
    _, make, words = case
    path = make(config_dir)
    message = refusal(config_dir)
    assert message.startswith(f"{path}: "), message
    assert words in message, message
    assert len(message) < 600, "messages quote values shortened"


def test_hidden_files_in_use_cases_are_left_alone(config_dir):
    (config_dir / "use_cases" / ".gitkeep").write_text("")
    assert set(load_config(config_dir).use_cases) == {"credit-risk"}


def test_a_long_unknown_value_is_quoted_shortened(config_dir):
    replace_line(config_dir, CREDIT_RISK, "risk_tier: high", "risk_tier: high\ncolour: " + "x" * 5000)
    message = refusal(config_dir)
    assert "field 'colour': unknown key" in message and len(message) < 400, message


# --- why: the two readers -----------------------------------------------------------------------


def _both_readings(text: str) -> tuple[object, object]:
    ruamel = YAML()  # the round-trip reader `mlgov promote` edits with
    return yaml.safe_load(text), _plain(ruamel.load(io.StringIO(text)))


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


@pytest.mark.parametrize("text", ["yes", "off", "On", "0365", "1:30", "2_00", "2026-12-01", "1e2", "0o36", ".inf"])
def test_each_refused_scalar_is_misread_by_one_of_the_readers(text):
    pyyaml, ruamel = (reading["k"] for reading in _both_readings(f"k: {text}\n"))
    assert pyyaml != ruamel or pyyaml != text, (text, pyyaml, ruamel)


@pytest.mark.parametrize("rel", sorted(str(p.relative_to(REAL_CONFIG)) for p in REAL_CONFIG.rglob("*.yaml")))
def test_on_accepted_files_both_readers_agree(rel):
    load_config(REAL_CONFIG)  # accepted as a whole
    pyyaml, ruamel = _both_readings((REAL_CONFIG / rel).read_text())
    assert pyyaml == ruamel


def test_a_duplicate_key_is_refused_by_the_editor_too():
    with pytest.raises(Exception, match="duplicate key"):
        YAML().load("a: 1\na: 2\n")
