"""Every IAM-style policy document in every stack, plus the registry's sharing and the dev roles."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pytest

from mlgov_config import AccountRole
from mlgov_core import release
from modules.naming import Names
from tf_json import (
    ACCOUNT_ROOT,
    STACKS,
    actions,
    as_list,
    attached,
    config,
    iam_role_policy,
    policy_documents,
    principal_values,
    referenced,
    resources,
    statements,
)

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
# Actions AWS offers no resource-level permission for: only these may pair an Allow with Resource "*".
# Actions AWS offers no resource-level permission for (Service Authorization Reference).
NO_RESOURCE_LEVEL_ACTIONS = ("xray:Put*", "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData")
# In a key policy, Resource "*" means "this key".
KEY_POLICY_PREFIX = "aws_kms_key."
# Permissions boundaries (modules/role_boundary.py) are the one place for "service:*" on "*": a boundary
# grants nothing, it caps each role at the services the stack's roles use; their identity policies grant.
BOUNDARY_SID = "UsedServices"
BOUNDARY_PREFIX = "aws_iam_policy.role-boundary_"


def is_boundary_cap(address: str, statement: dict) -> bool:
    return address.startswith(BOUNDARY_PREFIX) and statement.get("Sid") == BOUNDARY_SID


def is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def has_no_resource_level_permission(action: str) -> bool:
    return any(fnmatchcase(action, pattern) for pattern in NO_RESOURCE_LEVEL_ACTIONS)


def policy_violations(address: str, doc: dict) -> list[str]:
    problems = []
    for st in statements(doc):
        where = f"{address} statement {st.get('Sid', '?')!r}"
        allow = st.get("Effect") == "Allow"
        if allow:
            for inverse in ("NotAction", "NotResource", "NotPrincipal"):
                if inverse in st:
                    problems.append(f"{where}: Allow with {inverse} grants everything not listed")
            problems += [f"{where}: Allow of wildcard action {a!r}" for a in actions(st)
                         if is_wildcard_action(a) and not (a != "*" and is_boundary_cap(address, st))]
            if "*" in principal_values(st):
                problems.append(f"{where}: Allow to the '*' principal")
        if "*" in as_list(st.get("Resource", [])) and not address.startswith(KEY_POLICY_PREFIX) \
                and not is_boundary_cap(address, st):
            if not allow or not all(has_no_resource_level_permission(a) for a in actions(st)):
                problems.append(f"{where}: Resource '*' for {actions(st)} (only {NO_RESOURCE_LEVEL_ACTIONS} or key policies)")
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_no_policy_allows_wildcards(synth, stack):
    docs = list(policy_documents(synth.stacks[stack]))
    assert docs, f"{stack}: found no policy document to check"
    problems = [p for address, doc in docs for p in policy_violations(address, doc)]
    assert not problems, "\n".join(problems)


def test_the_walker_catches_what_it_should():
    """Guard the guard: the checks above flag a known-bad document and pass the allowed shapes."""
    bad = {"Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "${aws_s3_bucket.b.arn}"},
        {"Sid": "B", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Principal": "*", "Resource": ["x"]},
        {"Sid": "C", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
        {"Sid": "D", "Effect": "Deny", "Action": ["s3:*"], "Principal": {"AWS": "*"}, "Resource": "*"},
    ]}
    assert len(policy_violations("aws_iam_role_policy.x.policy", bad)) == 4
    fine = {"Statement": [
        {"Sid": "E", "Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": ["*"]},
        {"Sid": "F", "Effect": "Deny", "Action": ["s3:*"], "Principal": {"AWS": ["*"]}, "Resource": ["arn:aws:s3:::b"]},
    ]}
    assert policy_violations("aws_iam_role_policy.x.policy", fine) == []
    key_policy = {"Statement": [{"Sid": "G", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*",
                                 "Principal": {"AWS": "arn:aws:iam::111111111111:root"}}]}
    assert policy_violations("aws_kms_key.k.policy", key_policy) == []
    cap = {"Statement": [{"Sid": BOUNDARY_SID, "Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]}
    assert policy_violations(f"{BOUNDARY_PREFIX}x.policy", cap) == []
    assert len(policy_violations("aws_iam_policy.other.policy", cap)) == 2, "only a boundary may cap by service"
    everything = {"Statement": [{**cap["Statement"][0], "Action": ["*"]}]}
    assert len(policy_violations(f"{BOUNDARY_PREFIX}x.policy", everything)) == 1, "not even a boundary allows '*'"


@pytest.mark.parametrize("stack", STACKS)
def test_policy_documents_are_well_formed(synth, stack):
    """IAM refuses a trust policy with a Resource element ("Has prohibited field Resource") and an
    identity policy statement without resources; an empty Resource list is never meaningful."""
    problems = []
    for address, doc in policy_documents(synth.stacks[stack]):
        for st in statements(doc):
            where = f"{address} statement {st.get('Sid', '?')!r}"
            if address.endswith(".assume_role_policy"):
                if "Resource" in st or "NotResource" in st:
                    problems.append(f"{where}: trust policies must not have a Resource element")
            elif "Resource" in st and not as_list(st["Resource"]):
                problems.append(f"{where}: empty Resource list (omit the element in resource policies)")
    assert not problems, "\n".join(problems)


# --- the shared model package groups -------------------------------------------------------------

def group_policies(synth, releases: bool = False) -> dict[str, list[dict]]:
    """group name -> statements of its aws_sagemaker_model_package_group_policy: the use cases' groups,
    or (``releases``) their prod release groups (tests/synth/test_synth_prod_releases.py)."""
    gov = synth.stacks[AccountRole.GOVERNANCE.value]
    out = {}
    for name, body in resources(gov, "aws_sagemaker_model_package_group_policy").items():
        _, _, group = referenced(gov, body["model_package_group_name"])
        if release.is_release_group(group["model_package_group_name"]) == releases:
            out[group["model_package_group_name"]] = statements(json.loads(body["resource_policy"]))
    return out


def account_of(principal_arn: str) -> str:
    return principal_arn.split(":")[4]


def role_of(account: str) -> AccountRole:
    return {acct: role for role, acct in CONFIG.platform.accounts.items()}[account]


def test_every_shared_group_has_a_resource_policy(synth):
    shared = {uc.model_package_group.name for uc in CONFIG.use_cases.values() if uc.shared_with}
    assert shared, "config shares no group: nothing to check"
    assert set(group_policies(synth)) == shared


def test_group_policies_name_account_roots_and_explicit_actions(synth):
    for group, sts in group_policies(synth).items():
        use_case = next(uc for uc in CONFIG.use_cases.values() if uc.model_package_group.name == group)
        expected_accounts = {CONFIG.platform.account_id(role) for role in use_case.shared_with}
        seen_accounts = set()
        for st in sts:
            principals = principal_values(st)
            assert principals and all(ACCOUNT_ROOT.match(p) for p in principals), \
                f"{group} statement {st.get('Sid')}: principals {principals} are not account roots (RAM cannot promote the share)"
            assert all("*" not in a for a in actions(st)), f"{group} statement {st.get('Sid')}: wildcard in {actions(st)}"
            if st["Effect"] == "Allow":
                seen_accounts |= {account_of(p) for p in principals}
        assert seen_accounts == expected_accounts, f"{group}: policy admits {sorted(seen_accounts)}, config shares with {sorted(expected_accounts)}"


def test_only_dev_may_register_and_nobody_outside_may_approve(synth):
    for group, sts in group_policies(synth).items():
        for st in (s for s in sts if s["Effect"] == "Allow"):
            granted = set(actions(st))
            for principal in principal_values(st):
                role = role_of(account_of(principal))
                where = f"{group}: {role.value} account ({st.get('Sid')})"
                assert "sagemaker:UpdateModelPackage" not in granted, f"{where} may approve versions"
                if role == AccountRole.DEV:
                    assert "sagemaker:CreateModelPackage" in granted, f"{where} cannot register versions"
                else:
                    assert "sagemaker:CreateModelPackage" not in granted, f"{where} may register versions"


def test_one_ram_share_per_consumer_with_the_configured_permissions(synth):
    gov = synth.stacks[AccountRole.GOVERNANCE.value]
    shares = {}  # (group, account) -> share body
    for association in resources(gov, "aws_ram_principal_association").values():
        _, share_name, share = referenced(gov, association["resource_share_arn"])
        groups = []
        for res in attached(gov, "aws_ram_resource_association", "resource_share_arn", "aws_ram_resource_share", share_name):
            _, _, group = referenced(gov, res["resource_arn"])
            groups.append(group["model_package_group_name"])
        assert len(groups) == 1, f"share {share_name} carries {groups}; one group per share"
        key = (groups[0], association["principal"])
        assert key not in shares, f"two shares give group {key[0]} to account {key[1]}"
        shares[key] = share
    expected = {(uc.model_package_group.name, CONFIG.platform.account_id(role))
                for uc in CONFIG.use_cases.values() for role in uc.shared_with}
    expected |= {(release.release_group(uc.model_package_group.name), CONFIG.platform.account_id(AccountRole.PROD))
                 for uc in CONFIG.use_cases.values() if AccountRole.PROD in uc.shared_with}
    assert set(shares) == expected
    for (group, account), share in shares.items():
        permissions = CONFIG.platform.ram_permissions.get(role_of(account))
        assert share.get("permission_arns") == (permissions or None), \
            f"share of {group} to {role_of(account).value}: permission_arns {share.get('permission_arns')}, config {permissions}"
        assert share.get("allow_external_principals") is False


# --- dev roles -----------------------------------------------------------------------------------

DEV_ROLES = {
    f"{CONFIG.platform.name_prefix}-data-scientist": CONFIG.platform.role_trust.data_scientist,
    f"{CONFIG.platform.name_prefix}-data-science-lead": CONFIG.platform.role_trust.data_science_lead,
}
# Approval (UpdateModelPackage) is denied by condition keys; tests/synth/test_synth_dev.py covers it.
FORBIDDEN_IN_DEV = ("sagemaker:DeleteModelPackage", "sagemaker:DeleteModelPackageGroup")


def shared_with_dev() -> list[str]:
    return [uc.model_package_group.name for uc in CONFIG.use_cases.values() if AccountRole.DEV in uc.shared_with]


def denied(policy: dict, action: str, resource: str) -> bool:
    return any(
        st["Effect"] == "Deny" and "Condition" not in st
        and any(fnmatchcase(action, a) for a in actions(st))
        and any(fnmatchcase(resource, r) for r in as_list(st.get("Resource", [])))
        for st in statements(policy)
    )


@pytest.mark.parametrize("role_name", sorted(DEV_ROLES))
def test_dev_roles_explicitly_deny_approval_and_deletion(synth, role_name):
    _, policy = iam_role_policy(synth.stacks[AccountRole.DEV.value], role_name)
    groups = shared_with_dev()
    assert groups, "no group is shared with dev: nothing to check"
    for group in groups:
        targets = (NAMES.group_arn(group), NAMES.group_packages_arn(group).replace("*", "1"))
        for action in FORBIDDEN_IN_DEV:
            for target in targets:
                assert denied(policy, action, target), f"{role_name}: no unconditional Deny of {action} on {target}"


@pytest.mark.parametrize("role_name", sorted(DEV_ROLES))
def test_dev_roles_trust_the_configured_role_arns_only(synth, role_name):
    trust, _ = iam_role_policy(synth.stacks[AccountRole.DEV.value], role_name)
    trusted = sorted(p for st in statements(trust) if st["Effect"] == "Allow" for p in principal_values(st))
    assert trusted == sorted(DEV_ROLES[role_name]), f"{role_name} trusts {trusted}"
    assert not [p for p in trusted if p.endswith(":root")], f"{role_name} trusts an account root"
    for st in statements(trust):
        assert set(st.get("Principal", {})) <= {"AWS"}, f"{role_name}: trusts a non-AWS principal kind: {st}"


def test_group_policy_denies_every_account_but_the_decision_function_a_decision(synth):
    """Every principal of every account that can reach the group, the governance account included."""
    decider = NAMES.decision_function_role_arn
    for group, sts in group_policies(synth).items():
        use_case = next(uc for uc in CONFIG.use_cases.values() if uc.model_package_group.name == group)
        accounts = {CONFIG.platform.account_id(role) for role in use_case.shared_with} | {NAMES.governance_account}
        guarded = {}
        for st in (s for s in sts if s["Effect"] == "Deny" and s["Sid"].startswith("OnlyDecisionFunction")):
            assert actions(st) == ["sagemaker:UpdateModelPackage"], st
            assert st["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": decider}, st
            [(key, present)] = st["Condition"]["Null"].items()
            assert present == "false"
            guarded[key] = {account_of(p) for p in principal_values(st)}
        assert guarded == {k: accounts for k in ("sagemaker:ModelApprovalStatus", "sagemaker:ModelLifeCycle:stage",
                                                 "sagemaker:ModelLifeCycle:stageStatus")}, guarded


def test_group_policy_lets_dev_register_only_candidates(synth):
    dev = CONFIG.platform.account_id(AccountRole.DEV)
    for group, sts in group_policies(synth).items():
        wanted = {}
        for st in (s for s in sts if s["Effect"] == "Deny" and s["Sid"].startswith("DevRegisters")):
            assert actions(st) == ["sagemaker:CreateModelPackage"] and {account_of(p) for p in principal_values(st)} == {dev}
            [(key, value)] = st["Condition"]["StringNotEqualsIgnoreCase"].items()
            assert st["Condition"]["Null"] == {key: "false"}
            wanted[key] = value
        assert wanted == {"sagemaker:ModelApprovalStatus": "PendingManualApproval", "sagemaker:ModelLifeCycle:stage": "Dev",
                          "sagemaker:ModelLifeCycle:stageStatus": "Pending"}, f"{group}: {wanted}"
