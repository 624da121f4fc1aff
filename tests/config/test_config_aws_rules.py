"""Config that AWS (or Terraform's construct ids) would refuse later is refused by the loader, naming the field.

Classes: digits are ASCII digits; names SageMaker compares ignoring case are unique ignoring case;
list entries that become alarms or models are unique; default tags keep AWS's tag rules.
"""

from __future__ import annotations

import pytest

from config_edits import CREDIT_RISK, PLATFORM, refusal, replace_line
from mlgov_config import load_config

ARABIC_INDIC_ONE, DEVANAGARI_SIX = "\u0661", "\u096c"

# (description, file, line as committed, line as mistyped, words the message must contain)
NON_ASCII_DIGITS = [
    ("region", PLATFORM, "home_region: eu-west-1", f"home_region: eu-west-{ARABIC_INDIC_ONE}", "home_region"),
    ("state backend region", PLATFORM, "  region: eu-west-1", f"  region: eu-west-{DEVANAGARI_SIX}", "state_backend.region"),
    ("mlflow version", PLATFORM, 'mlflow_version: "2.16"', f'mlflow_version: "2.1{DEVANAGARI_SIX}"', "mlflow_version"),
    ("maintenance window", PLATFORM, 'weekly_maintenance_window_start: "Sun:02:00"',
     f'weekly_maintenance_window_start: "Sun:0{ARABIC_INDIC_ONE}:00"', "weekly_maintenance_window_start"),
    ("gate threshold", CREDIT_RISK, "- auc >= 0.75", f"- auc >= 0.7{DEVANAGARI_SIX}", "gates"),
]


@pytest.mark.parametrize("case", NON_ASCII_DIGITS, ids=[c[0] for c in NON_ASCII_DIGITS])
def test_digits_of_other_scripts_are_not_digits(config_dir, case):
    _, rel, old, new, field = case
    replace_line(config_dir, rel, old, new)
    assert field in refusal(config_dir)


def _second_use_case(config_dir, group: str) -> None:
    text = (config_dir / CREDIT_RISK).read_text()
    text = text.replace("name: credit-risk\n", "name: fraud\n", 1).replace("  name: credit-risk\n", f"  name: {group}\n", 1)
    text = text.replace("baselines/credit-risk/", "baselines/fraud/")
    (config_dir / "use_cases" / "fraud.yaml").write_text(text)


@pytest.mark.parametrize("group", ["Credit-Risk", "CREDIT-RISK", "credit-RISK"])
def test_group_names_are_unique_ignoring_case(config_dir, group):
    _second_use_case(config_dir, group)
    message = refusal(config_dir)
    assert "fraud.yaml: field 'model_package_group.name'" in message and "ignoring case" in message, message


def test_a_group_of_its_own_is_accepted(config_dir):
    _second_use_case(config_dir, "fraud")
    assert set(load_config(config_dir).use_cases) == {"credit-risk", "fraud"}


DUPLICATE_ENTRIES = [
    ("a repeated drift feature", "drift_alarm_features: [income, debt_ratio]", "drift_alarm_features: [income, income]",
     "deployments.prod.monitoring.drift_alarm_features", "repeated: ['income']"),
    ("a drift feature with a space", "drift_alarm_features: [income, debt_ratio]", "drift_alarm_features: [income, debt ratio]",
     "deployments.prod.monitoring.drift_alarm_features", "'debt ratio'"),
    ("an empty drift feature", "drift_alarm_features: [income, debt_ratio]", "drift_alarm_features: [income, '']",
     "deployments.prod.monitoring.drift_alarm_features", "''"),
    ("variant names differing in case", "      - name: challenger", "      - name: Champion",
     "deployments.prod.variants", "ignoring case"),
]


@pytest.mark.parametrize("case", DUPLICATE_ENTRIES, ids=[c[0] for c in DUPLICATE_ENTRIES])
def test_entries_that_become_resources_are_unique_and_well_formed(config_dir, case):
    _, old, new, field, words = case
    replace_line(config_dir, CREDIT_RISK, old, new)
    message = refusal(config_dir)
    assert f"field '{field}'" in message and words in message, message


def _tags(config_dir, lines: list[str]) -> None:
    replace_line(config_dir, PLATFORM, "  cost-center: ml-platform\n", "".join(f"  {line}\n" for line in lines))


TAG_MISTAKES = [
    ("AWS's prefix", ["aws:owner: team"], "'aws:owner'"),
    ("AWS's prefix in capitals", ["AWS:owner: team"], "'AWS:owner'"),
    ("the stacks' prefix", ["mlgov:account-role: shared"], "'mlgov:account-role'"),
    ("a key over 128 characters", ["k" * 129 + ": v"], "1 to 128"),
    ("a value over 256 characters", ["owner: " + "v" * 257], "at most 256"),
    ("a character AWS refuses", ["owner: 'team#1'"], "'team#1'"),
    ("more than AWS allows with the stacks' own", [f"t{i}: v" for i in range(47)], "AWS allows 50 per resource"),
]


@pytest.mark.parametrize("case", TAG_MISTAKES, ids=[c[0] for c in TAG_MISTAKES])
def test_default_tags_keep_aws_tag_rules(config_dir, case):
    _, lines, words = case
    _tags(config_dir, lines)
    message = refusal(config_dir)
    assert "field 'default_tags'" in message and words in message, message


def test_as_many_default_tags_as_fit_are_accepted(config_dir):
    _tags(config_dir, [f"t{i}: v" for i in range(46)])  # with project and managed-by: 48, plus the stacks' 2
    assert len(load_config(config_dir).platform.default_tags) == 48
