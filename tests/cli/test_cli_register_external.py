"""`mlgov register-external`: a model from outside SageMaker, straight into the governance table."""

from __future__ import annotations

import json
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer
from register_testkit import RegEnv, reg, reg_store  # noqa: F401 (fixtures)

from mlgov_cli.errors import EXIT_INPUT, EXIT_RULE
from mlgov_core import chain, keys, rules


def _external(reg: RegEnv, label: str, *extra: str, artifact: str = "s3://vendor-bucket/models/v1.tar.gz") -> object:
    return reg.run("register-external", "--use-case", reg.use_case, "--version-label", label, "--source", "databricks",
                   "--artifact-uri", artifact, "--metric", "auc=0.81", "--metric", "accuracy=0.77",
                   "--registered-by", "vendor-ds@example.com", *extra)


def _items(reg: RegEnv, version: int) -> list[dict]:
    ddb = reg.gov("dynamodb")
    pk = keys.version_pk(f"{reg.group}-external", version)
    found = ddb.query(TableName=reg.store.table, KeyConditionExpression="pk = :pk",
                      ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
    return [{k: TypeDeserializer().deserialize(v) for k, v in item.items()} for item in found]


def test_records_state_and_history_like_registry_versions(reg: RegEnv):
    result = _external(reg, "2024.06-rc1")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["model_group"] == f"{reg.group}-external" and out["version"] == 1 and out["result"] == "recorded"
    items = {item["item_type"]: item for item in _items(reg, 1)}
    assert set(items) == {"state", "history", "chain_head"}
    assert chain.verify_chain([items["history"]], items["chain_head"]) == []  # linked like every other writer
    state, history = items["state"], items["history"]
    assert state["sk"] == keys.STATE_SORT_KEY and history["sk"].startswith(keys.HISTORY_PREFIX)
    for item in (state, history):
        assert item["source"] == rules.SOURCE_EXTERNAL
        assert (item["stage"], item["status"], item["approval_status"]) == ("Dev", "Pending", "PendingManualApproval")
        assert item["registered_by"] == "vendor-ds@example.com"
        assert item["metrics"] == {"auc": Decimal("0.81"), "accuracy": Decimal("0.77")}
        assert item["version_id"] == keys.version_id(f"{reg.group}-external", 1)
        assert item["artifact_uri"] == "s3://vendor-bucket/models/v1.tar.gz" and item["external_source"] == "databricks"
        assert item["customer_metadata"]["version_label"] == "2024.06-rc1"
    # the index keys of records.build_items: group, use case and stage/status on the state item only
    assert state["model_group"] == f"{reg.group}-external" and state["use_case"] == reg.use_case
    assert state["stage_status"] == "Dev#Pending" and "change_day" not in state
    assert history["change_day"] == state["last_modified"][:10] and "model_group" not in history


def test_idempotent_on_the_same_label(reg: RegEnv):
    first = json.loads(_external(reg, "v7").output)
    again = _external(reg, "v7")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["version"] == first["version"] == 1
    assert json.loads(again.output)["result"] == "already recorded"
    assert len(_items(reg, 1)) == 3  # still one state, one history item and the chain head
    # another label is another version
    assert json.loads(_external(reg, "v8").output)["version"] == 2


def test_same_label_with_another_artifact_refused(reg: RegEnv):
    _external(reg, "v1")
    result = _external(reg, "v1", artifact="s3://vendor-bucket/models/other.tar.gz")
    assert result.exit_code == EXIT_RULE and "already recorded" in result.output and "new label" in result.output
    assert _items(reg, 2) == []


def test_bad_metric_and_unknown_use_case(reg: RegEnv):
    result = _external(reg, "v1", "--metric", "auc=high")
    assert result.exit_code == EXIT_INPUT and "not a number" in result.output
    result = reg.run("register-external", "--use-case", "nope", "--version-label", "v1", "--source", "x",
                     "--artifact-uri", "s3://b/k", "--registered-by", "a@example.com")
    assert result.exit_code == EXIT_INPUT and "unknown use case" in result.output
    assert _items(reg, 1) == []
