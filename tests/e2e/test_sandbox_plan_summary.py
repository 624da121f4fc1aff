"""The plan summary on real plans of the story's applied stacks (three plans, never an apply).

Each plan runs in a copy of a stack's working folder (its Terraform files, provider setup and local
state); the copy's main.tf.json is edited the way a pull request would change it, so no synth runs:

- dev unchanged: no changes, nothing blocked;
- prod: the challenger moves to the A/B loser's release at new weights, as `mlgov promote` writes it:
  a new model and endpoint configuration created before the old ones go, the endpoint updated in
  place, not blocked, with the `mlgov check` verdict of the promoted config;
- governance: the credit-risk use case removed from the registry (its groups, policies and shares)
  and the audit-trail KMS key replaced (multi_region forces it; its prevent_destroy removed, as the
  pull request would have to): blocked, then let through only as far as the allow-list reaches.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

import plan_summary as ps
from mlgov_config import load_config
from mlgov_config.allowed_destroys import AllowedDestroy, AllowedDestroys
from mlgov_config.stateful_types import STATEFUL_TYPES
from sandbox.lifecycle import USE_CASE, Mlgov
from sandbox.stacks import plan as terraform_plan
from terraform_cli import Terraform

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]

NOTHING_ALLOWED = AllowedDestroys(allowed_destroys=[])
AUDIT_KEY = "aws_kms_key.audit-trail_key_7FA38FC3"
NEW_WEIGHTS = {"champion": 75.0, "challenger": 25.0}  # exact in float32 (README)
DESTROYED = re.compile(r"^(\S+) (?:will be destroyed|must be replaced)")


def planned(story, stack: str, work: Path, edit=None) -> dict:
    """`terraform plan -out` + `show -json` in a copy of the story's working folder of the stack."""
    source = story.deployed.work_root / "stacks" / stack
    target = work / stack
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("*.tfplan"))
    if edit is not None:
        tf_json = target / "main.tf.json"
        stack_json = json.loads(tf_json.read_text())
        edit(stack_json)
        tf_json.write_text(json.dumps(stack_json, indent=2))
    tf = Terraform(target)
    terraform_plan(tf, "-out=tfplan")
    return json.loads(tf.run("show", "-json", "tfplan").stdout)


def sensitive_values(value, mask) -> list:
    """Every leaf Terraform marks sensitive in one side of a change."""
    if mask is True:
        if isinstance(value, dict):
            return [v for k in value for v in sensitive_values(value[k], True)]
        if isinstance(value, list):
            return [v for item in value for v in sensitive_values(item, True)]
        return [] if value is None or isinstance(value, bool) else [value]
    if isinstance(mask, dict) and isinstance(value, dict):
        return [v for k in mask for v in sensitive_values(value.get(k), mask[k])]
    if isinstance(mask, list) and isinstance(value, list):
        return [v for m, item in zip(mask, value) for v in sensitive_values(item, m)]
    return []


def all_sensitive(plan: dict) -> list:
    found = []
    for rc in plan.get("resource_changes", []) + plan.get("resource_drift", []):
        change = rc["change"]
        found += sensitive_values(change.get("before"), change.get("before_sensitive"))
        found += sensitive_values(change.get("after"), change.get("after_sensitive"))
    return [v for v in found if len(str(v)) >= 4]  # short values (1, true) would match anywhere


# --- the story itself --------------------------------------------------------------------------------


def test_the_story_never_destroys_a_stateful_resource(sandbox_story):
    destroyed = [f"{a.stack}: {m.group(1)}" for a in sandbox_story.deployed.result.applies for line in a.changes
                 if (m := DESTROYED.match(line)) and m.group(1).split(".")[0] in STATEFUL_TYPES]
    assert destroyed == [], "prevent_destroy would refuse these story applies"


# --- plan 1: dev unchanged ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("plan-summary")


@pytest.fixture(scope="module")
def dev_plan(sandbox_story, work):
    return planned(sandbox_story, "dev", work)


def test_an_unchanged_stack_plans_as_no_changes(dev_plan):
    summary = ps.summarize("dev", dev_plan, NOTHING_ALLOWED)
    assert summary.status == "no changes" and summary.changes == [] and summary.moves == []
    assert "| **dev** | 0 | 0 | 0 | 0 | 0 |" in ps.render([summary])


# --- plan 2: prod, a model version moves ------------------------------------------------------------------


@pytest.fixture(scope="module")
def promoted(sandbox_story, work):
    """The story's final config with the A/B loser promoted back behind the challenger at 25%: (config, loser, its release)."""
    lifecycle, deployed = sandbox_story.lifecycle, sandbox_story.deployed
    loser = lifecycle.first if lifecycle.winner == lifecycle.challenger else lifecycle.challenger
    config_dir = work / "promoted-config"
    shutil.copytree(lifecycle.config_dir, config_dir)
    mlgov = Mlgov(deployed.sandbox.url, config_dir, work, deployed.config.platform.home_region)
    mlgov("promote", USE_CASE, str(loser), "--to", "prod", "--variant", "challenger", "--weight", "25", "--rebalance")
    variants = {v.name: v for v in load_config(config_dir).use_cases[USE_CASE].deployments.prod.variants}
    assert {n: v.weight for n, v in variants.items()} == NEW_WEIGHTS and variants["challenger"].version == loser
    check = mlgov("check", "--use-case", USE_CASE, as_json=True)
    return config_dir, loser, variants["challenger"].release, check


def move_challenger(names, group: str, version: int, release: int):
    def edit(stack: dict) -> None:
        resources = stack["resource"]
        (model_id,) = [k for k in resources["aws_sagemaker_model"] if "model-challenger" in k]
        model = resources["aws_sagemaker_model"][model_id]
        endpoint = names.endpoint(USE_CASE, "prod")
        # What synth writes for the promoted variant: a new content name, the release's ARN.
        model["name"] = f"{names.model(endpoint, 'challenger', version)}-5ca1ab1e"
        model["primary_container"]["model_package_name"] = names.release_package_arn(group, release)
        (config,) = resources["aws_sagemaker_endpoint_configuration"].values()
        config["name"] = f"{endpoint}-0ddba11e"
        for variant in config["production_variants"]:
            variant["initial_variant_weight"] = NEW_WEIGHTS[variant["variant_name"]]
    return edit


@pytest.fixture(scope="module")
def prod_plan(sandbox_story, work, promoted):
    _, loser, release, _ = promoted
    deployed = sandbox_story.deployed
    group = deployed.config.use_cases[USE_CASE].model_package_group.name
    return planned(sandbox_story, "prod", work, move_challenger(deployed.names, group, loser, release))


def test_a_model_version_move_is_created_before_the_old_goes_and_not_blocked(sandbox_story, prod_plan, promoted):
    config_dir, loser, release, check = promoted
    verdicts = ps.verdicts_from_check(check, "mlgov --json check", ps.endpoints_of_config(config_dir))
    summary = ps.summarize("prod", prod_plan, NOTHING_ALLOWED, verdicts)
    kinds = {c.type: c.kind for c in summary.changes}
    assert kinds["aws_sagemaker_endpoint_configuration"] == "replace (create first)"
    assert kinds["aws_sagemaker_model"] == "replace (create first)"
    assert kinds["aws_sagemaker_endpoint"] == "update"
    assert summary.count("replace (delete first)") == 0 and summary.count("delete") == 0
    assert not summary.blocked and not summary.is_blocked

    endpoint = sandbox_story.deployed.names.endpoint(USE_CASE, "prod")
    moves = {m.variant: m for m in summary.moves}
    winner = sandbox_story.lifecycle.winner
    assert set(moves) == {"champion", "challenger"} and {m.endpoint for m in moves.values()} == {endpoint}
    challenger = moves["challenger"]
    assert (challenger.before.version, challenger.after.version) == (str(winner), str(loser))
    assert challenger.after.package.startswith(f"release {release} of ")
    assert (moves["champion"].before.version, moves["champion"].after.version) == (str(winner), str(winner))
    assert (moves["champion"].after.weight, challenger.after.weight) == ("75", "25")
    assert [m.verdict_text() for m in (moves["champion"], challenger)] == ["ok", "ok"], "both versions are approved for Prod"

    text = ps.render([summary])
    assert f"| `{endpoint}` | `challenger` | {winner} → {loser} |" in text
    for value in all_sensitive(prod_plan):
        assert str(value) not in text


# --- plan 3: governance, a use case removed and a key replaced --------------------------------------------


def remove_use_case_and_replace_key(stack: dict) -> None:
    resources = stack["resource"]
    for kind in list(resources):
        for name in [n for n in resources[kind] if n.startswith(f"registry_{USE_CASE}-")]:
            del resources[kind][name]
        if not resources[kind]:  # Terraform refuses a type with no resource under it
            del resources[kind]
    key = resources["aws_kms_key"][AUDIT_KEY.split(".", 1)[1]]
    key["multi_region"] = True
    del key["lifecycle"]


@pytest.fixture(scope="module")
def governance_plan(sandbox_story, work):
    return planned(sandbox_story, "governance", work, remove_use_case_and_replace_key)


def groups_of(sandbox_story) -> set[str]:
    return {f"aws_sagemaker_model_package_group.{name}"
            for name in json.loads((sandbox_story.deployed.work_root / "stacks" / "governance" / "main.tf.json").read_text())
            ["resource"]["aws_sagemaker_model_package_group"] if name.startswith(f"registry_{USE_CASE}-")}


def test_removing_a_use_case_and_replacing_a_key_is_blocked(sandbox_story, governance_plan):
    summary = ps.summarize("governance", governance_plan, NOTHING_ALLOWED)
    blocked = {b.change.address: b.change for b in summary.blocked}
    groups = groups_of(sandbox_story)
    assert len(groups) == 2 and set(blocked) == groups | {AUDIT_KEY}
    assert all(blocked[g].kind == "delete" and blocked[g].reason == "delete_because_no_resource_config" for g in groups)
    assert blocked[AUDIT_KEY].kind == "replace (delete first)" and "multi_region" in blocked[AUDIT_KEY].replace_paths
    text = ps.render([summary])
    assert "**BLOCKED** in governance" in text and f"- `{AUDIT_KEY}` forced by `multi_region`" in text
    for value in all_sensitive(governance_plan):
        assert str(value) not in text


def test_the_allow_list_lets_through_only_what_it_lists(sandbox_story, governance_plan):
    reason = "audit trail moves to a multi-Region key (reviewed)"
    only_key = AllowedDestroys(allowed_destroys=[AllowedDestroy(stack="governance", address=AUDIT_KEY, reason=reason)])
    summary = ps.summarize("governance", governance_plan, only_key)
    assert [a.change.address for a in summary.allowed] == [AUDIT_KEY] and summary.is_blocked
    assert {b.change.address for b in summary.blocked} == groups_of(sandbox_story)

    everything = AllowedDestroys(allowed_destroys=[AllowedDestroy(stack="governance", address=a, reason=reason)
                                                   for a in sorted(groups_of(sandbox_story) | {AUDIT_KEY})])
    summary = ps.summarize("governance", governance_plan, everything)
    assert not summary.is_blocked and summary.status == "changes"


def test_make_plan_summary_over_the_three_plans(sandbox_story, work, dev_plan, prod_plan, governance_plan, promoted, capsys):
    plans = work / "plans"
    for stack, plan in (("dev", dev_plan), ("prod", prod_plan), ("governance", governance_plan)):
        (plans / stack).mkdir(parents=True)
        (plans / stack / "plan.json").write_text(json.dumps(plan))
    config_dir, *_ = promoted
    check = work / "check.json"
    check.write_text(json.dumps(promoted[3]))
    allowed = work / "allowed_destroys.yaml"
    allowed.write_text(yaml.safe_dump({"allowed_destroys": [
        {"stack": "governance", "address": AUDIT_KEY, "reason": "audit trail moves to a multi-Region key (reviewed)"}]}))
    code = ps.main(["--plans", str(plans), "--config", str(config_dir), "--allowed", str(allowed), "--verdicts", str(check)])
    out = capsys.readouterr().out
    assert code == 1, "the use case's groups are still blocked"
    assert out == (plans / "summary.md").read_text() and len(out) <= ps.COMMENT_LIMIT
    assert "| **test** | - | - | - | - | - | - | not planned |" in out
    assert "### governance: BLOCKED" in out and "### prod: changes" in out and "### dev: no changes" in out
