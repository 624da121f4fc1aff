"""mlgov_core.queries against moto: each access pattern is a paginated Query with a key condition, never a Scan."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from sync_testkit import TABLE, CallCounter

from mlgov_core import aws, keys, queries


def state(group: str, version: int, stage: str, status: str, use_case: str, last_modified: str) -> dict:
    return {
        "pk": keys.version_pk(group, version), "sk": keys.STATE_SORT_KEY, "item_type": "state",
        "version": version, "version_key": keys.version_key(version), "version_id": keys.version_id(group, version),
        "model_group": group, "use_case": use_case, "stage": stage, "status": status,
        "stage_status": keys.stage_status_key(stage, status), "last_modified": last_modified,
        "qa_metrics": {"auc": Decimal("0.91"), "n": Decimal("100")},
    }


def history(group: str, version: int, changed_at: str, idem: str = "k") -> dict:
    vid = keys.version_id(group, version)
    return {
        "pk": keys.version_pk(group, version), "sk": keys.history_sk(changed_at, idem), "item_type": "history",
        "version": version, "version_id": vid, "last_modified": changed_at,
        "change_day": changed_at[:10], "change_key": keys.change_key(changed_at, vid),
    }


@pytest.fixture
def filled(table):
    items = [
        state("credit-risk", 1, "Prod", "Approved", "credit", "2025-03-01T10:00:00.000Z"),
        state("credit-risk", 2, "Prod", "Approved", "credit", "2025-03-05T10:00:00.000Z"),
        state("credit-risk", 3, "Dev", "Pending", "credit", "2025-03-06T10:00:00.000Z"),
        state("fraud", 1, "Prod", "Rejected", "fraud", "2025-03-02T10:00:00.000Z"),
        history("credit-risk", 1, "2025-02-27T09:00:00.000Z", "a"),
        history("credit-risk", 1, "2025-03-01T10:00:00.000Z", "b"),
        history("credit-risk", 2, "2025-03-05T10:00:00.000Z"),
        history("credit-risk", 3, "2025-03-06T10:00:00.000Z"),
        history("fraud", 1, "2025-03-06T08:00:00.000Z"),
        {"pk": keys.version_pk("credit-risk", 1), "sk": keys.metrics_sk("qa"), "item_type": "metrics_latest",
         "kind": "qa", "metrics": {"auc": Decimal("0.9")}},
    ]
    with boto3.resource("dynamodb").Table(TABLE).batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
    return TABLE


@pytest.fixture
def counted(aws_env) -> CallCounter:
    return CallCounter(aws.client("dynamodb"))


@pytest.fixture
def tiny_pages(aws_env):
    """Every Query without a Limit gets Limit=1, so each call must follow LastEvaluatedKey."""

    def limit(params, **_):
        params.setdefault("Limit", 1)

    aws.client("dynamodb").meta.events.register("before-parameter-build.dynamodb.Query", limit)


def test_version_state_and_history_is_one_query(filled, counted):
    found = queries.version_state_and_history(filled, "credit-risk", 1)
    assert counted.calls == {"dynamodb.Query": 1}
    assert found["state"]["stage_status"] == "Prod#Approved"
    assert found["state"]["qa_metrics"] == {"auc": 0.91, "n": 100}  # plain numbers, no Decimals
    assert isinstance(found["state"]["version"], int)
    assert [h["last_modified"] for h in found["history"]] == ["2025-02-27T09:00:00.000Z", "2025-03-01T10:00:00.000Z"]
    assert [m["kind"] for m in found["metrics"]] == ["qa"]


def test_unknown_version(filled):
    assert queries.version_state_and_history(filled, "credit-risk", 99) == {"state": None, "history": [], "metrics": [],
                                                                                "chain": None}


def test_versions_of_group_in_version_order(filled, counted):
    assert [s["version"] for s in queries.versions_of_group(filled, "credit-risk")] == [1, 2, 3]
    assert counted.calls == {"dynamodb.Query": 1}


def test_in_stage_status_newest_first_state_items_only(filled, counted):
    found = queries.in_stage_status(filled, "Prod", "Approved")
    assert [(s["model_group"], s["version"]) for s in found] == [("credit-risk", 2), ("credit-risk", 1)]
    assert queries.in_stage_status(filled, "Test", "Approved") == []
    assert set(counted.calls) == {"dynamodb.Query"}


def test_of_use_case(filled):
    assert [s["version_id"] for s in queries.of_use_case(filled, "fraud")] == [keys.version_id("fraud", 1)]


def test_latest_metrics(filled):
    assert [m["kind"] for m in queries.latest_metrics(filled, "credit-risk", 1)] == ["qa"]


def test_recent_changes_one_query_per_day_newest_first(filled, counted):
    found = queries.recent_changes(filled, days=3, now=lambda: "2025-03-06T23:00:00.000Z")
    assert [h["last_modified"] for h in found] == [
        "2025-03-06T10:00:00.000Z", "2025-03-06T08:00:00.000Z", "2025-03-05T10:00:00.000Z"]
    assert counted.calls == {"dynamodb.Query": 3}


def test_recent_changes_limit_stops_early(filled, counted):
    found = queries.recent_changes(filled, days=30, limit=1, now=lambda: "2025-03-06T23:00:00.000Z")
    assert [h["version_id"] for h in found] == [keys.version_id("credit-risk", 3)]
    assert counted.calls == {"dynamodb.Query": 1}
    with pytest.raises(ValueError):
        queries.recent_changes(filled, days=0)


def test_every_pattern_follows_pagination(filled, tiny_pages, counted):
    assert [s["version"] for s in queries.versions_of_group(filled, "credit-risk")] == [1, 2, 3]
    assert len(queries.version_state_and_history(filled, "credit-risk", 1)["history"]) == 2
    assert len(queries.in_stage_status(filled, "Prod", "Approved")) == 2
    assert len(queries.recent_changes(filled, days=10, now=lambda: "2025-03-06T23:00:00.000Z")) == 5
    assert counted.calls["dynamodb.Query"] > 10
    assert "dynamodb.Scan" not in counted.calls


def test_filters_are_refused(aws_env):
    with pytest.raises(ValueError, match="key conditions only"):
        list(queries.query_pages(aws.client("dynamodb"), TableName=TABLE, KeyConditionExpression="pk = :p",
                                 FilterExpression="x = :y"))
    with pytest.raises(ValueError, match="KeyConditionExpression"):
        list(queries.query_pages(aws.client("dynamodb"), TableName=TABLE))
