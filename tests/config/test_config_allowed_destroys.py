"""config/allowed_destroys.yaml: the reviewed destroys, validated strictly, refused by file, field and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgov_config.allowed_destroys import load_allowed_destroys
from mlgov_config.errors import ConfigError

REAL_FILE = Path(__file__).resolve().parents[2] / "config" / "allowed_destroys.yaml"
GOOD_ENTRY = {"stack": "governance", "address": "aws_kms_key.governance-key_0A058AF6", "reason": "rotated to a multi-Region key"}


def entry_text(**fields: str) -> str:
    return "allowed_destroys:\n" + "".join(f"  {'-' if i == 0 else ' '} {k}: {v}\n" for i, (k, v) in enumerate(fields.items()))


def test_the_shipped_file_allows_nothing():
    assert load_allowed_destroys(REAL_FILE).allowed_destroys == []


def test_an_entry_loads_and_matches_its_stack_and_address(tmp_path):
    path = tmp_path / "allowed_destroys.yaml"
    path.write_text(entry_text(**GOOD_ENTRY))
    allowed = load_allowed_destroys(path)
    assert allowed.allows("governance", GOOD_ENTRY["address"]).reason == GOOD_ENTRY["reason"]
    assert allowed.allows("dev", GOOD_ENTRY["address"]) is None


REFUSED = [
    ("unknown stack", {**GOOD_ENTRY, "stack": "staging"}, "allowed_destroys.0.stack", "unknown stack"),
    ("stateless type", {**GOOD_ENTRY, "address": "aws_iam_role.deployer"}, "allowed_destroys.0.address", "not a stateful type"),
    ("wildcard address", {**GOOD_ENTRY, "address": "aws_s3_bucket.*"}, "allowed_destroys.0.address", "'aws_s3_bucket.*'"),
    ("module address", {**GOOD_ENTRY, "address": "module.x.aws_s3_bucket.b"}, "allowed_destroys.0.address", "root-module"),
    ("short reason", {**GOOD_ENTRY, "reason": "ok"}, "allowed_destroys.0.reason", "'ok'"),
    ("unknown key", {**GOOD_ENTRY, "label": "approved"}, "allowed_destroys.0.label", "unknown key"),
    ("no reason", {k: v for k, v in GOOD_ENTRY.items() if k != "reason"}, "allowed_destroys.0.reason", "required but missing"),
    ("boolean stack", {**GOOD_ENTRY, "stack": "yes"}, "allowed_destroys[0].stack", "quote it"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_bad_entry_is_refused_naming_file_field_and_value(tmp_path, case):
    _, fields, field, words = case
    path = tmp_path / "allowed_destroys.yaml"
    path.write_text(entry_text(**fields))
    with pytest.raises(ConfigError) as err:
        load_allowed_destroys(path)
    message = str(err.value)
    assert str(path) in message and field in message and words in message, message


def test_the_same_destroy_twice_is_refused(tmp_path):
    path = tmp_path / "allowed_destroys.yaml"
    path.write_text(entry_text(**GOOD_ENTRY) + entry_text(**GOOD_ENTRY).removeprefix("allowed_destroys:\n"))
    with pytest.raises(ConfigError, match="governance aws_kms_key.governance-key_0A058AF6 is listed twice"):
        load_allowed_destroys(path)


@pytest.mark.parametrize("text, words", [("", "file is empty"), ("allowed_destroys:\n", "allowed_destroys"), ("[]\n", "mapping")])
def test_an_empty_or_malformed_file_is_refused(tmp_path, text, words):
    path = tmp_path / "allowed_destroys.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_allowed_destroys(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_allowed_destroys(tmp_path / "allowed_destroys.yaml")
