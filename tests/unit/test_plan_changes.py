"""Reading a plan's JSON: planned changes by action, and drift without the provider's read-back noise."""

from __future__ import annotations

from typing import Any

from plan_changes import Change, Drift, drift, planned_changes


def change(address: str, actions: list[str]) -> dict[str, Any]:
    kind, name = address.split("[")[0].split(".")
    return {"address": address, "mode": "managed", "type": kind, "name": name, "change": {"actions": actions}}


def drifted(address: str, before: dict | None, after: dict | None, actions: list[str] | None = None) -> dict[str, Any]:
    entry = change(address, actions or ["update"])
    entry["change"].update(before=before, after=after)
    return entry


def plan(drifts: list[dict], configured: dict[str, list[str]] | None = None) -> dict[str, Any]:
    resources = [{"address": a, "expressions": {k: {"constant_value": 1} for k in keys}} for a, keys in (configured or {}).items()]
    return {"resource_drift": drifts, "configuration": {"root_module": {"resources": resources}}}


def test_planned_changes_name_every_action_and_leave_out_no_ops() -> None:
    plan_json = {"resource_changes": [
        change("aws_s3_bucket.a", ["no-op"]), change("aws_s3_bucket.b", ["create"]), change("aws_kms_key.k", ["delete", "create"]),
        change("aws_sagemaker_endpoint_configuration.c", ["create", "delete"]), change("aws_iam_role.r", ["update"]),
        change("aws_sqs_queue.q", ["delete"]),
    ]}
    assert planned_changes(plan_json) == [
        Change("aws_s3_bucket.b", "create"), Change("aws_kms_key.k", "replace (delete first)"),
        Change("aws_sagemaker_endpoint_configuration.c", "replace (create first)"), Change("aws_iam_role.r", "update"),
        Change("aws_sqs_queue.q", "delete"),
    ]
    assert planned_changes({}) == []


def test_a_changed_attribute_is_drift_named_without_its_value() -> None:
    found = drift(plan([drifted("aws_kms_key.k", {"enable_key_rotation": True, "tags": None},
                                {"enable_key_rotation": False, "tags": {}})], {"aws_kms_key.k": ["enable_key_rotation"]}))
    assert found == [Drift("aws_kms_key.k", "update", ("enable_key_rotation",))]


def test_null_and_empty_are_the_same_value() -> None:
    assert drift(plan([drifted("aws_iam_policy.p", {"tags": None, "x": [{"a": None}]}, {"tags": {}, "x": [{"a": []}]})])) == []


def test_a_tag_added_outside_is_drift() -> None:
    found = drift(plan([drifted("aws_iam_policy.p", {"tags_all": {"project": "mlgov"}}, {"tags_all": {"project": "mlgov", "x": "y"}})]))
    assert found == [Drift("aws_iam_policy.p", "update", ("tags_all",))]


def test_attributes_an_own_resource_manages_are_not_the_parents_drift() -> None:
    bucket = drifted("aws_s3_bucket.b", {"versioning": [{"enabled": False}], "policy": "", "bucket": "b"},
                     {"versioning": [{"enabled": True}], "policy": '{"Statement": []}', "bucket": "b"})
    role = drifted("aws_iam_role.r", {"inline_policy": []}, {"inline_policy": [{"name": "p", "policy": "{}"}]})
    assert drift(plan([bucket, role], {"aws_s3_bucket.b": ["bucket"]})) == []


def test_an_own_resource_attribute_the_configuration_sets_counts() -> None:
    bucket = drifted("aws_s3_bucket.b", {"policy": '{"a": 1}'}, {"policy": '{"a": 2}'})
    assert drift(plan([bucket], {"aws_s3_bucket.b": ["policy"]})) == [Drift("aws_s3_bucket.b", "update", ("policy",))]


def test_the_same_attribute_on_another_type_counts() -> None:
    queue = drifted("aws_sqs_queue.q", {"policy": "a"}, {"policy": "b"})
    assert drift(plan([queue])) == [Drift("aws_sqs_queue.q", "update", ("policy",))]


def test_an_object_deleted_outside_is_drift() -> None:
    gone = drifted("aws_dynamodb_table.t", {"name": "t"}, None, ["delete"])
    assert drift(plan([gone])) == [Drift("aws_dynamodb_table.t", "delete", ())]


def test_an_indexed_resource_uses_its_configuration() -> None:
    bucket = drifted('aws_s3_bucket.b["x"]', {"policy": "a"}, {"policy": "b"})
    assert drift(plan([bucket], {"aws_s3_bucket.b": ["policy"]})) == [Drift('aws_s3_bucket.b["x"]', "update", ("policy",))]
    assert drift(plan([bucket], {"aws_s3_bucket.b": []})) == []
