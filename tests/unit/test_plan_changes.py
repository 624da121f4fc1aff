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
    same = drifted("aws_iam_policy.p", {"tags": None, "description": None, "x": [{"a": None}]},
                   {"tags": {}, "description": "", "x": [{"a": []}]})
    assert drift(plan([same], {"aws_iam_policy.p": ["description", "x"]})) == []


def test_json_texts_compare_by_content() -> None:
    laid_out = drifted("aws_api_gateway_model.m", {"schema": '{"type": "object", "required": ["a"]}'},
                       {"schema": '{"required":["a"],"type":"object"}'})
    assert drift(plan([laid_out], {"aws_api_gateway_model.m": ["schema"]})) == []
    edited = drifted("aws_api_gateway_model.m", {"schema": '{"required": ["a"]}'}, {"schema": '{"required": []}'})
    assert drift(plan([edited], {"aws_api_gateway_model.m": ["schema"]})) == [Drift("aws_api_gateway_model.m", "update", ("schema",))]


def test_what_only_the_service_computes_is_not_drift() -> None:
    attached = drifted("aws_iam_policy.p", {"attachment_count": 0, "name": "p"}, {"attachment_count": 2, "name": "p"})
    method = drifted("aws_api_gateway_method.m", {"operation_name": None, "authorizer_id": None, "authorization": "AWS_IAM"},
                     {"operation_name": "x", "authorizer_id": "y", "authorization": "AWS_IAM"})
    assert drift(plan([attached, method], {"aws_iam_policy.p": ["name"], "aws_api_gateway_method.m": ["authorization"]})) == []


def test_a_tag_added_outside_is_drift() -> None:
    found = drift(plan([drifted("aws_iam_policy.p", {"tags_all": {"project": "mlgov"}}, {"tags_all": {"project": "mlgov", "x": "y"}})]))
    assert found == [Drift("aws_iam_policy.p", "update", ("tags_all",))]


def test_attributes_an_own_resource_manages_are_not_the_parents_drift() -> None:
    """Read back into the bucket and the role after aws_s3_bucket_versioning and aws_iam_role_policy applied."""
    bucket = drifted("aws_s3_bucket.b", {"versioning": [{"enabled": False}], "policy": "", "bucket": "b"},
                     {"versioning": [{"enabled": True}], "policy": '{"Statement": []}', "bucket": "b"})
    role = drifted("aws_iam_role.r", {"inline_policy": []}, {"inline_policy": [{"name": "p", "policy": "{}"}]})
    assert drift(plan([bucket, role], {"aws_s3_bucket.b": ["bucket"]})) == []


def test_an_own_resource_attribute_the_configuration_sets_counts() -> None:
    bucket = drifted("aws_s3_bucket.b", {"policy": '{"a": 1}'}, {"policy": '{"a": 2}'})
    assert drift(plan([bucket], {"aws_s3_bucket.b": ["policy"]})) == [Drift("aws_s3_bucket.b", "update", ("policy",))]


def test_a_configured_policy_changed_outside_counts() -> None:
    key = drifted("aws_kms_key.k", {"policy": '{"Statement": [1]}'}, {"policy": '{"Statement": [2]}'})
    assert drift(plan([key], {"aws_kms_key.k": ["policy"]})) == [Drift("aws_kms_key.k", "update", ("policy",))]


def test_policies_of_their_own_resource_are_not_the_parents_drift() -> None:
    parents = [drifted(a, {"policy": ""}, {"policy": '{"Statement": []}'})
               for a in ("aws_sqs_queue.q", "aws_sns_topic.t", "aws_api_gateway_rest_api.api")]
    assert drift(plan(parents)) == []


def test_an_object_deleted_outside_is_drift() -> None:
    gone = drifted("aws_dynamodb_table.t", {"name": "t"}, None, ["delete"])
    assert drift(plan([gone])) == [Drift("aws_dynamodb_table.t", "delete", ())]


def test_an_indexed_resource_uses_its_configuration() -> None:
    bucket = drifted('aws_s3_bucket.b["x"]', {"policy": "a"}, {"policy": "b"})
    assert drift(plan([bucket], {"aws_s3_bucket.b": ["policy"]})) == [Drift('aws_s3_bucket.b["x"]', "update", ("policy",))]
    assert drift(plan([bucket], {"aws_s3_bucket.b": []})) == []
