"""Stage-enforced deployment (docs/security.md, path 4b): prod builds models only from release groups
that only the decision function writes; the source group gives prod no CreateModel."""

from __future__ import annotations

import json

import pytest
from test_synth_policies import account_of, group_policies
from tf_json import actions, config, iam_role_policy, one, principal_values, resources, statements

from mlgov_config import AccountRole
from mlgov_core import release
from modules.naming import Names

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
PROD = CONFIG.platform.account_id(AccountRole.PROD)
DEPLOY = "sagemaker:CreateModel"
RELEASED = sorted(uc.model_package_group.name for uc in CONFIG.use_cases.values() if AccountRole.PROD in uc.shared_with)
assert RELEASED, "the example config shares a group with prod"


def test_each_group_shared_with_prod_has_a_release_group_that_prod_alone_may_deploy_from(synth):
    policies = group_policies(synth, releases=True)
    assert set(policies) == {release.release_group(g) for g in RELEASED}
    for group, sts in policies.items():
        allows = [s for s in sts if s["Effect"] == "Allow"]
        assert [{account_of(p) for p in principal_values(s)} for s in allows] == [{PROD}], group
        assert DEPLOY in actions(allows[0]) and not {a for a in actions(allows[0]) if "Create" in a or "Update" in a} - {DEPLOY}


def test_nobody_but_the_decision_function_writes_a_release_group(synth):
    for group, sts in group_policies(synth, releases=True).items():
        [deny] = [s for s in sts if s["Effect"] == "Deny"]
        assert set(actions(deny)) == {"sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:DeleteModelPackage"}
        assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": NAMES.decision_function_role_arn}}
        assert {account_of(p) for p in principal_values(deny)} == {PROD, NAMES.governance_account}, group


def test_the_source_group_gives_prod_no_create_model_and_denies_it(synth):
    policies = group_policies(synth)
    for group in RELEASED:
        sts = policies[group]
        prod_allows = [s for s in sts if s["Effect"] == "Allow" and PROD in {account_of(p) for p in principal_values(s)}]
        assert prod_allows and all(DEPLOY not in actions(s) for s in prod_allows), group
        [deny] = [s for s in sts if s["Effect"] == "Deny" and DEPLOY in actions(s)]
        assert {account_of(p) for p in principal_values(deny)} == {PROD} and "Condition" not in deny


def test_prod_models_are_built_from_releases_only(synth):
    models = resources(synth.stacks[AccountRole.PROD.value], "aws_sagemaker_model")
    assert models
    releases = {NAMES.group_packages_arn(release.release_group(g))[:-1] for g in RELEASED}
    for name, model in models.items():
        arn = one(model["primary_container"])["model_package_name"]
        assert any(arn.startswith(prefix) for prefix in releases), f"prod model {name} is built from {arn}"


def test_the_decision_function_may_create_versions_only_in_release_groups(synth):
    gov = synth.stacks[AccountRole.GOVERNANCE.value]
    _, policy = iam_role_policy(gov, NAMES.decision_function_role_arn.split("/")[-1])
    [create] = [s for s in statements(policy) if s["Effect"] == "Allow" and "sagemaker:CreateModelPackage" in actions(s)]
    assert set(create["Resource"]) == {arn for g in RELEASED for arn in (
        NAMES.group_arn(release.release_group(g)), NAMES.group_packages_arn(release.release_group(g)))}
    [function] = [f for f in resources(gov, "aws_lambda_function").values()
                  if f["function_name"] == NAMES.function(NAMES.DECISION_FUNCTION)]
    environment = one(function["environment"])["variables"]
    assert json.loads(environment["RELEASED_GROUPS"]) == RELEASED
    assert environment["DECISION_ROLE_ARN"] == NAMES.decision_function_role_arn


def test_registry_sync_leaves_release_groups_to_the_guard(synth):
    rules = {r["name"]: json.loads(r["event_pattern"])
             for r in resources(synth.stacks[AccountRole.GOVERNANCE.value], "aws_cloudwatch_event_rule").values()}
    sync = rules[f"{CONFIG.platform.name_prefix}-registry-changes"]
    assert sync["detail"]["ModelPackageGroupName"] == [{"anything-but": [release.release_group(g) for g in RELEASED]}]
    assert "detail" not in rules[f"{CONFIG.platform.name_prefix}-registration-guard"]
