"""Permissions boundaries (modules/role_boundary.py): every role bounded, each boundary no wider than
the services its roles use, the registry guard in every boundary but the decision function's, and
no way for a bounded role to take a boundary off, change it, or create a principal without it."""

from __future__ import annotations

import json

import pytest

from mlgov_config import AccountRole
from modules.naming import Names
from modules.registry_guards import no_decisions
from tf_json import STACKS, actions, attached, config, referenced, resources, statements

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
PREFIX = CONFIG.platform.name_prefix
DECIDER_ROLE = NAMES.decision_function_role_arn.rsplit("/", 1)[-1]


def _boundaries(stack: dict) -> dict[str, tuple[dict, list[dict]]]:
    """role name -> (its boundary aws_iam_policy body, the statements of the role's inline policies)."""
    out = {}
    for address, role in resources(stack, "aws_iam_role").items():
        assert "permissions_boundary" in role, f"role {role['name']!r} has no permissions boundary"
        _, _, policy = referenced(stack, role["permissions_boundary"])
        inline = [st for p in attached(stack, "aws_iam_role_policy", "role", "aws_iam_role", address)
                  for st in statements(json.loads(p["policy"]))]
        out[role["name"]] = (policy, inline)
    return out


def _by_sid(policy: dict) -> dict[str, dict]:
    return {st["Sid"]: st for st in statements(json.loads(policy["policy"]))}


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_has_the_stacks_boundary(synth, stack):
    bounded = _boundaries(synth.stacks[stack])
    assert bounded, f"{stack}: no roles found"
    for role, (policy, _) in bounded.items():
        expected = f"{PREFIX}-decider-boundary" if role == DECIDER_ROLE else f"{PREFIX}-role-boundary"
        assert policy["name"] == expected, f"{stack}: role {role!r} is bounded by {policy['name']!r}"
    if stack == "governance":
        assert DECIDER_ROLE in bounded


@pytest.mark.parametrize("stack", STACKS)
def test_each_boundary_allows_exactly_the_services_its_roles_use(synth, stack):
    """Every allowed action of a role passes its boundary (else the role would silently lose it), and
    the boundary adds no service none of its roles uses; IAM only action by action."""
    used: dict[str, set[str]] = {}
    boundaries = {}
    for _, (policy, inline) in _boundaries(synth.stacks[stack]).items():
        boundaries[policy["name"]] = policy
        used.setdefault(policy["name"], set()).update(a for st in inline if st["Effect"] == "Allow" for a in actions(st))
    for name, policy in boundaries.items():
        sids = _by_sid(policy)
        services = {a.split(":")[0] for a in actions(sids["UsedServices"])}
        assert all(a.endswith(":*") and a != "*" for a in actions(sids["UsedServices"]))
        iam = set(actions(sids["UsedIamActions"])) if "UsedIamActions" in sids else set()
        assert "iam" not in services, f"{name}: iam:* would let a role rewrite roles and policies"
        for action in used[name]:
            assert action.split(":")[0] in services or action in iam, f"{name} cuts off {action}"
        assert services == {a.split(":")[0] for a in used[name]} - {"iam"}, f"{name}: services no role uses"
        assert iam == {a for a in used[name] if a.startswith("iam:")}


@pytest.mark.parametrize("stack", STACKS)
def test_boundaries_repeat_the_registry_guard_except_the_decision_functions(synth, stack):
    guard = {st.sid: st.render() for st in no_decisions(NAMES.partition)}
    for _, (policy, _) in _boundaries(synth.stacks[stack]).items():
        sids = _by_sid(policy)
        if policy["name"] == f"{PREFIX}-decider-boundary":
            assert not set(guard) & set(sids), "the decision function's boundary must let it decide"
        else:
            assert {sid: sids.get(sid) for sid in guard} == guard, f"{policy['name']}: registry guard missing or changed"


@pytest.mark.parametrize("stack", STACKS)
def test_boundaries_deny_self_escalation(synth, stack):
    account = CONFIG.platform.account_id(AccountRole(stack))
    standard = f"arn:aws:iam::{account}:policy/{PREFIX}-role-boundary"
    for _, (policy, _) in _boundaries(synth.stacks[stack]).items():
        sids = _by_sid(policy)
        removal = sids["DenyBoundaryRemoval"]
        every_principal = [f"arn:aws:iam::{account}:role/*", f"arn:aws:iam::{account}:user/*"]
        assert removal["Effect"] == "Deny" and removal["Resource"] == every_principal
        assert {"iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"} <= set(actions(removal))
        changes = sids["DenyBoundaryChanges"]
        assert changes["Effect"] == "Deny" and standard in changes["Resource"]
        assert f"arn:aws:iam::{account}:policy/{policy['name']}" in changes["Resource"], "a boundary must protect itself"
        assert {"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"} <= set(actions(changes))
        unbounded = sids["DenyUnboundedPrincipals"]
        assert unbounded["Effect"] == "Deny" and {"iam:CreateRole", "iam:CreateUser"} <= set(actions(unbounded))
        assert unbounded["Resource"] == every_principal
        assert unbounded["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": standard}}
