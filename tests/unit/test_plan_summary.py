"""scripts/plan_summary.py on hand-written plans: counts, the guard, model moves, secrets, size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import plan_summary as ps
from mlgov_config.allowed_destroys import AllowedDestroy, AllowedDestroys
from tests.unit.plan_json import PROD_ENDPOINT, change, plan, version_move_plan

NOTHING_ALLOWED = AllowedDestroys(allowed_destroys=[])
KEY = "aws_kms_key.governance-key_0A058AF6"
BUCKET = "aws_s3_bucket.artifacts_bucket_66500758"


def allowing(stack: str, address: str) -> AllowedDestroys:
    return AllowedDestroys(allowed_destroys=[AllowedDestroy(stack=stack, address=address, reason="reviewed: the key is rotated")])


def every_kind() -> dict:
    return plan(
        change("aws_iam_role.a", ["create"], None, {"name": "a"}),
        change("aws_iam_role.b", ["update"], {"name": "b"}, {"name": "b"}),
        change("aws_iam_role.c", ["delete"], {"name": "c"}, None, action_reason="delete_because_no_resource_config"),
        change("aws_lambda_function.d", ["delete", "create"], {}, {}, action_reason="replace_because_cannot_update",
               replace_paths=[["function_name"]]),
        change("aws_sagemaker_model.e", ["create", "delete"], {}, {}, replace_paths=[["primary_container", 0, "model_package_name"]]),
        change("aws_iam_role.f", ["no-op"], {"name": "f"}, {"name": "f"}),
        change("data.aws_iam_policy_document.g", ["read"], None, {}, mode="data"),
    )


# --- counts, reasons, drift -------------------------------------------------------------------------


def test_counts_each_kind_of_change_once_and_leaves_out_no_ops_and_reads():
    s = ps.summarize("governance", every_kind(), NOTHING_ALLOWED)
    assert [s.count(k) for k in ps.COUNT_COLUMNS] == [1, 1, 1, 1, 1]
    assert s.status == "changes" and not s.is_blocked


def test_the_comment_shows_reasons_replace_paths_and_flags_delete_first_replacement():
    text = ps.render([ps.summarize("governance", every_kind(), NOTHING_ALLOWED)])
    assert "| **governance** | 1 | 1 | 1 | ⚠️ 1 | 1 | 0 | changes |" in text
    assert "Replaced by deleting first" in text and "- `aws_lambda_function.d` forced by `function_name`" in text
    assert "no longer in the configuration" in text and "cannot update in place" in text
    assert "`primary_container[0].model_package_name`" in text


def test_no_changes():
    s = ps.summarize("dev", plan(change("aws_iam_role.f", ["no-op"], {}, {})), NOTHING_ALLOWED)
    assert s.status == "no changes" and "| **dev** | 0 | 0 | 0 | 0 | 0 | 0 | no changes |" in ps.render([s])


def test_drift_names_the_attributes_that_differ_never_their_values():
    drifted = change("aws_s3_bucket_policy.p", ["update"], {"policy": "OLD-SECRETISH", "bucket": "b"},
                     {"policy": "NEW-SECRETISH", "bucket": "b"})
    s = ps.summarize("test", plan(drift=[drifted]), NOTHING_ALLOWED)
    assert s.drift == [ps.Drift("aws_s3_bucket_policy.p", ("update",), ("policy",))]
    text = ps.render([s])
    assert "`policy`" in text and "SECRETISH" not in text
    assert "| **test** | 0 | 0 | 0 | 0 | 0 | 1 | no changes |" in text


def test_a_stack_without_a_plan_is_listed_as_not_planned():
    text = ps.render([ps.summarize("prod", None, NOTHING_ALLOWED)])
    assert "| **prod** | - | - | - | - | - | - | not planned |" in text and "make plan STACK=prod" in text


# --- the destructive-change guard ---------------------------------------------------------------------


@pytest.mark.parametrize("actions", [["delete"], ["delete", "create"], ["create", "delete"]])
def test_destroying_a_stateful_resource_blocks(actions):
    s = ps.summarize("governance", plan(change(KEY, actions, {}, {} if len(actions) > 1 else None)), NOTHING_ALLOWED)
    assert [b.change.address for b in s.blocked] == [KEY] and s.status == "BLOCKED"
    assert "**BLOCKED** in governance" in ps.render([s])


def test_destroying_a_stateless_resource_does_not_block():
    s = ps.summarize("governance", plan(change("aws_iam_role.r", ["delete"], {}, None),
                                        change("aws_sagemaker_endpoint_configuration.c", ["create", "delete"], {}, {})), NOTHING_ALLOWED)
    assert not s.blocked and not s.is_blocked


@pytest.mark.parametrize("kind", sorted(ps.STATEFUL_TYPES))
def test_every_stateful_type_is_guarded(kind):
    assert ps.summarize("prod", plan(change(f"{kind}.x", ["delete"], {}, None)), NOTHING_ALLOWED).is_blocked


def test_the_allow_list_lets_exactly_its_stack_and_address_through():
    the_plan = plan(change(KEY, ["delete", "create"], {}, {}), change(BUCKET, ["delete"], {}, None))
    s = ps.summarize("governance", the_plan, allowing("governance", KEY))
    assert [a.change.address for a in s.allowed] == [KEY] and [b.change.address for b in s.blocked] == [BUCKET]
    text = ps.render([s])
    assert "reviewed: the key is rotated" in text and "Destroys allowed" in text
    assert ps.summarize("dev", the_plan, allowing("governance", KEY)).is_blocked, "an entry of another stack does not count"
    assert not ps.summarize("governance", plan(change(KEY, ["delete"], {}, None)), allowing("governance", KEY)).is_blocked


def test_unused_allow_list_entries_are_named():
    s = ps.summarize("governance", plan(), allowing("governance", KEY))
    assert ps.unused_entries([s], allowing("governance", KEY)) == [f"governance {KEY}"]
    assert ps.unused_entries([ps.summarize("governance", None, NOTHING_ALLOWED)], allowing("governance", KEY)) == []


# --- model moves ------------------------------------------------------------------------------------------


def test_model_moves_read_version_weight_and_release_along_the_plan():
    moves = ps.model_moves(version_move_plan())
    assert [(m.endpoint, m.variant, m.before.version, m.after.version, m.before.weight, m.after.weight) for m in moves] == [
        (PROD_ENDPOINT, "challenger", "1", "2", "10", "50"), (PROD_ENDPOINT, "champion", "1", "1", "90", "50")]
    assert moves[0].before.package == "release 1 of credit-risk" and moves[0].after.package == "release 2 of credit-risk"


def test_a_version_move_is_not_blocked_and_shows_the_check_verdicts():
    verdicts = {(PROD_ENDPOINT, "challenger"): ps.Verdict(2, True), (PROD_ENDPOINT, "champion"): ps.Verdict(1, True)}
    s = ps.summarize("prod", version_move_plan(), NOTHING_ALLOWED, verdicts)
    assert not s.is_blocked and s.count("replace (create first)") == 2 and s.count("update") == 1
    text = ps.render([s])
    assert f"| `{PROD_ENDPOINT}` | `challenger` | 1 → 2 | 10 → 50 | release 1 of credit-risk → release 2 of credit-risk | ok |" in text


def test_a_version_check_refuses_blocks():
    verdicts = {(PROD_ENDPOINT, "challenger"): ps.Verdict(2, False, ("version 2 is not approved for Prod",))}
    s = ps.summarize("prod", version_move_plan(), NOTHING_ALLOWED, verdicts)
    assert s.is_blocked and "REFUSED: version 2 is not approved for Prod" in ps.render([s])


def test_a_verdict_for_another_version_is_shown_not_trusted():
    s = ps.summarize("prod", version_move_plan(), NOTHING_ALLOWED, {(PROD_ENDPOINT, "challenger"): ps.Verdict(3, False)})
    assert not s.is_blocked
    assert "check judged version 3, the plan deploys 2" in ps.render([s])
    assert "not checked" in ps.render([ps.summarize("prod", version_move_plan(), NOTHING_ALLOWED)])


def test_an_endpoint_whose_configuration_stays_has_no_move():
    cfg = {"name": PROD_ENDPOINT, "endpoint_config_name": "same"}
    assert ps.model_moves(plan(change("aws_sagemaker_endpoint.e", ["no-op"], cfg, cfg))) == []


# --- sensitive and unknown values -------------------------------------------------------------------------


def test_sensitive_values_are_never_printed():
    secret = "arn:aws:sagemaker:eu-west-1:444455556666:model-package/secret-group/7"
    the_plan = version_move_plan()
    for rc in the_plan["resource_changes"]:
        if rc["type"] == "aws_sagemaker_model" and rc["change"]["after"]["name"].endswith("cccccccc"):
            rc["change"]["after"]["primary_container"][0]["model_package_name"] = secret
            rc["change"]["after_sensitive"] = {"primary_container": [{"model_package_name": True}]}
        if rc["type"] == "aws_sagemaker_endpoint_configuration":
            rc["change"]["after"]["production_variants"][0]["initial_variant_weight"] = 42.5
            rc["change"]["before_sensitive"] = True
            rc["change"]["after_sensitive"] = {"production_variants": [{"initial_variant_weight": True}]}
    the_plan["resource_changes"].append(change("aws_lambda_function.f", ["update"], {"environment": [{"variables": {"TOKEN": "hunter2-old"}}]},
                                               {"environment": [{"variables": {"TOKEN": "hunter2-new"}}]},
                                               before_sensitive={"environment": [{"variables": {"TOKEN": True}}]},
                                               after_sensitive={"environment": [{"variables": {"TOKEN": True}}]}))
    text = ps.render([ps.summarize("prod", the_plan, NOTHING_ALLOWED)])
    for value in (secret, "secret-group", "42.5", "hunter2"):
        assert value not in text
    assert ps.SENSITIVE in text


def test_values_known_only_after_apply_say_so():
    the_plan = version_move_plan()
    endpoint = the_plan["resource_changes"][-1]["change"]
    del endpoint["after"]["endpoint_config_name"]
    endpoint["after_unknown"] = {"endpoint_config_name": True}
    moves = ps.model_moves(the_plan)
    assert moves and all(m.after is None for m in moves), "an unknown configuration name leads to no configuration"


# --- size ---------------------------------------------------------------------------------------------------


def test_a_huge_plan_stays_under_the_comment_limit_and_says_what_it_left_out():
    many = [change(f"aws_iam_role.role_number_{i:05d}_with_a_long_construct_path", ["update"], {}, {}) for i in range(3000)]
    many.append(change(BUCKET, ["delete"], {}, None))
    summaries = [ps.summarize("governance", plan(*many), NOTHING_ALLOWED), ps.summarize("prod", version_move_plan(), NOTHING_ALLOWED)]
    text = ps.render(summaries)
    assert len(text) <= ps.COMMENT_LIMIT
    assert "**Truncated**" in text and "governance: the list of all 3001 changes" in text
    assert f"`{BUCKET}`" in text, "blocked destroys are never left out"
    assert "**Model moves**" in text, "a block that fits after the big one went stays"


def test_a_small_plan_is_not_truncated():
    assert "Truncated" not in ps.render([ps.summarize("governance", every_kind(), NOTHING_ALLOWED)])


# --- the command ----------------------------------------------------------------------------------------------


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    for stack in ("governance", "dev", "test", "prod"):
        (tmp_path / "terraform" / stack).mkdir(parents=True)
        (tmp_path / "terraform" / stack / "main.tf.json").write_text("{}")
    (tmp_path / "allowed.yaml").write_text("allowed_destroys: []\n")
    return tmp_path


def run(layout: Path, *extra: str) -> int:
    return ps.main(["--plans", str(layout / "plans"), "--terraform", str(layout / "terraform"),
                    "--allowed", str(layout / "allowed.yaml"), *extra])


def write_plan(layout: Path, stack: str, the_plan: dict | str) -> None:
    (layout / "plans" / stack).mkdir(parents=True, exist_ok=True)
    (layout / "plans" / stack / "plan.json").write_text(the_plan if isinstance(the_plan, str) else json.dumps(the_plan))


def test_main_writes_the_summary_and_exits_1_when_blocked(layout, capsys):
    write_plan(layout, "prod", version_move_plan())
    assert run(layout) == 0
    written = (layout / "plans" / "summary.md").read_text()
    assert written == capsys.readouterr().out and "| **governance** | - |" in written
    write_plan(layout, "governance", plan(change(KEY, ["delete"], {}, None)))
    assert run(layout) == 1
    assert "**BLOCKED** in governance" in (layout / "plans" / "summary.md").read_text()


def test_stacks_follow_the_apply_order(layout):
    (layout / "terraform" / "bootstrap").mkdir()
    (layout / "terraform" / "bootstrap" / "main.tf.json").write_text("{}")
    assert ps.stack_names(layout / "terraform") == ["bootstrap", "governance", "dev", "test", "prod"]


@pytest.mark.parametrize("content, message", [
    ("{not json", "not JSON (line 1"),
    (json.dumps({"resource_changes": []}), "no 'format_version'"),
    (json.dumps({"format_version": "1.2", "resource_changes": [{"address": "a.b", "type": "a", "change": {"actions": "delete"}}]}),
     "resource_changes[0].change: field 'actions' must be a list, got str"),
])
def test_a_bad_plan_file_is_one_line_naming_file_and_field(layout, capsys, content, message):
    write_plan(layout, "dev", content)
    assert run(layout) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(layout / "plans" / "dev" / "plan.json") in err and message in err
    assert not (layout / "plans" / "summary.md").exists(), "nothing is written half-way"


def test_a_bad_allow_list_stops_before_anything_is_written(layout, capsys):
    (layout / "allowed.yaml").write_text("allowed_destroys:\n  - stack: governance\n    address: aws_iam_role.r\n    reason: it is fine to go\n")
    write_plan(layout, "dev", plan())
    assert run(layout) == 2
    err = capsys.readouterr().err
    assert "allowed.yaml" in err and "allowed_destroys.0.address" in err and "aws_iam_role is not a stateful type" in err
    assert not (layout / "plans" / "summary.md").exists()


def test_verdicts_come_from_mlgov_check_json():
    check = {"ok": False, "reasons": [], "deployments": [
        {"use_case": "credit-risk", "deployment": "prod/challenger", "version": 2, "ok": False, "problems": ["not approved for Prod"]},
        {"use_case": "credit-risk", "deployment": "test", "version": 2, "ok": True, "problems": []}]}
    endpoints = {("credit-risk", "prod"): PROD_ENDPOINT, ("credit-risk", "test"): "mlgov-credit-risk-test"}
    assert ps.verdicts_from_check(check, "check.json", endpoints) == {
        (PROD_ENDPOINT, "challenger"): ps.Verdict(2, False, ("not approved for Prod",)),
        ("mlgov-credit-risk-test", "qa"): ps.Verdict(2, True)}
    with pytest.raises(ps.PlanError, match="check.json: deployments\\[0\\]: use_case 'other'"):
        ps.verdicts_from_check({"deployments": [{"use_case": "other", "deployment": "test", "version": 1}]}, "check.json", endpoints)


def test_even_required_text_is_cut_at_the_limit_with_a_note():
    blocked = [change(f"aws_s3_bucket.bucket_{i:05d}_of_a_very_long_construct_path_name", ["delete"], {}, None) for i in range(2000)]
    text = ps.render([ps.summarize("governance", plan(*blocked), NOTHING_ALLOWED)])
    assert len(text) <= ps.COMMENT_LIMIT and "**Truncated**" in text and "everything after character" in text
