"""Which roles require sts:SourceIdentity: every role people assume does, the pipeline roles do not.

A role trusted by AWS principals (not a service) is either a person's role or a pipeline role, so a
new role fails here until it is put on one side.
"""

from __future__ import annotations

import json

import pytest

from modules.naming import Names
from tf_json import actions, config, resources, statements

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
PREFIX = CONFIG.platform.name_prefix
PEOPLE = {
    "dev": {f"{PREFIX}-data-scientist", f"{PREFIX}-data-science-lead"},
    "governance": {f"{PREFIX}-model-approver", f"{PREFIX}-compliance-officer", NAMES.table_reconciler_role,
                   NAMES.external_registrar_role, NAMES.table_break_glass_role},
    "test": set(), "prod": set(),
}
PIPELINE = {"dev": set(), "governance": set(), "test": {f"{PREFIX}-deployer", f"{PREFIX}-metrics-publisher"},
            "prod": {f"{PREFIX}-deployer", f"{PREFIX}-metrics-publisher"}}


def _trusts(stack: dict) -> dict[str, list[dict]]:
    """Role name -> Allow statements of its trust policy, for roles trusted by AWS principals."""
    found = {}
    for role in resources(stack, "aws_iam_role").values():
        allows = [s for s in statements(json.loads(role["assume_role_policy"])) if s["Effect"] == "Allow"]
        if any("AWS" in s.get("Principal", {}) for s in allows):
            found[role["name"]] = allows
    return found


@pytest.mark.parametrize("stack", sorted(PEOPLE))
def test_every_role_assumed_by_aws_principals_is_a_persons_or_a_pipelines(synth, stack):
    assert set(_trusts(synth.stacks[stack])) == PEOPLE[stack] | PIPELINE[stack]


@pytest.mark.parametrize("stack", ["dev", "governance"])
def test_peoples_roles_require_a_source_identity_on_every_allow(synth, stack):
    trusts = _trusts(synth.stacks[stack])
    for name in PEOPLE[stack]:
        for st in trusts[name]:
            assert "sts:SetSourceIdentity" in actions(st), f"{name}: cannot set a source identity: {st}"
            assert st.get("Condition", {}).get("Null") == {"sts:SourceIdentity": "false"}, f"{name}: none required: {st}"


@pytest.mark.parametrize("stack", ["test", "prod"])
def test_pipeline_roles_neither_require_nor_accept_a_source_identity(synth, stack):
    trusts = _trusts(synth.stacks[stack])
    for name in PIPELINE[stack]:
        for st in trusts[name]:
            assert "sts:SetSourceIdentity" not in actions(st) and "Condition" not in st, f"{name}: {st}"
