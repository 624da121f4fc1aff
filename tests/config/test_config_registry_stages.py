"""governance.registry_stage_names: registry stage name -> Dev/Test/Prod, refused unless unambiguous."""

from __future__ import annotations

import pytest

from config_edits import PLATFORM, refusal, replace_line
from mlgov_config import load_config
from mlgov_core import rules

LINE = "  registry_stage_names: {}"

# (case, the mapping as written in platform.yaml, words the refusal must contain)
REFUSED = [
    ("unknown stage", "{Integration: Staging}", "'Staging' is not a stage"),
    ("lower-case stage value", "{Integration: test}", "'test' is not a stage"),
    ("same name ignoring case", "{Integration: Test, INTEGRATION: Prod}", "same name ignoring case"),
    ("canonical name remapped", "{Test: Prod}", "always means itself"),
    ("canonical name remapped, other case", "{prod: Dev}", "always means itself"),
    ("name SageMaker would refuse", "{'Pre Prod': Test}", "not a registry stage name"),
    ("not a mapping", "[Staging]", "registry_stage_names"),
    ("boolean value", "{Integration: yes}", "registry_stage_names"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_an_ambiguous_stage_mapping_is_refused_naming_the_field(config_dir, case):
    _, mapping, words = case
    replace_line(config_dir, PLATFORM, LINE, f"  registry_stage_names: {mapping}")
    message = refusal(config_dir)
    assert "registry_stage_names" in message and words in message


def test_a_valid_mapping_extends_and_overrides_the_defaults(config_dir):
    replace_line(config_dir, PLATFORM, LINE, "  registry_stage_names: {Integration: Test, Staging: Prod, test: Test}")
    names = load_config(config_dir).platform.governance.registry_stage_names
    mapping = rules.stage_names(names)
    assert mapping["integration"] == rules.Stage.TEST
    assert mapping["staging"] == rules.Stage.PROD  # overrides the default Test
    assert mapping["production"] == rules.Stage.PROD  # defaults kept
