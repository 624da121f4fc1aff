"""mlgov_core.lake: deterministic keys and bytes, derived history fields, metrics in long format."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

from boto3.dynamodb.types import TypeSerializer

from mlgov_core import lake, lake_tables

PK = "MODEL#credit-risk#000003"
DEV = "arn:aws:sts::222222222222:assumed-role/mlgov-data-scientist/alice"
APPROVER_ALICE = "arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/alice"
APPROVER_CAROL = "arn:aws:sts::111111111111:assumed-role/mlgov-model-approver/carol"


def change(sk_time: str, stage: str, status: str, approval: str, changed_by: str | None) -> dict:
    return {"pk": PK, "sk": f"HIST#{sk_time}#abc", "item_type": "history", "version_id": "credit-risk#000003",
            "version": Decimal(3), "stage": stage, "status": status, "approval_status": approval,
            "registered_by": DEV, "changed_by": changed_by, "last_modified": sk_time, "change_day": sk_time[:10],
            "chain_seq": Decimal(1), "chain_hash": "h"}


REGISTERED = change("2026-01-02T09:00:00.000Z", "Dev", "Pending", "PendingManualApproval", DEV)


def record(event: str, item: dict, old: dict | None = None) -> dict:
    ser = TypeSerializer()
    image = {k: ser.serialize(v) for k, v in item.items() if v is not None}
    dynamodb = {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image}
    if old is not None:
        dynamodb["OldImage"] = {k: ser.serialize(v) for k, v in old.items() if v is not None}
    return {"eventName": event, "dynamodb": dynamodb}


def rows(data: bytes) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(data).decode().splitlines()]


def test_a_self_approval_across_roles_is_a_sod_breach_and_another_person_is_not():
    own = change("2026-01-03T09:00:00.000Z", "Test", "Approved", "Approved", APPROVER_ALICE)
    other = {**own, "changed_by": APPROVER_CAROL}
    assert lake.history_row(own, REGISTERED)["sod_breach"] is True  # same person, other account and role
    assert lake.history_row(own, REGISTERED)["decider"] == "alice"
    assert lake.history_row(other, REGISTERED)["sod_breach"] is False
    assert lake.history_row(other, REGISTERED)["registrant"] == "alice"


def test_a_metadata_change_in_an_approved_state_is_no_decision():
    approved = change("2026-01-03T09:00:00.000Z", "Test", "Approved", "Approved", APPROVER_CAROL)
    metadata = change("2026-01-04T09:00:00.000Z", "Test", "Approved", "Approved", DEV)
    first = lake.history_row(metadata, approved)
    assert (first["is_decision"], first["sod_breach"], first["decider"]) == (False, False, None)
    assert lake.history_row(metadata, None)["is_decision"] is True  # without its previous change it would read as one


def test_bytes_and_keys_are_deterministic_and_the_stream_matches_the_batch_path():
    approved = change("2026-01-03T09:00:00.000Z", "Test", "Approved", "Approved", APPROVER_CAROL)
    from_stream = lake.writes_for_record(record("INSERT", approved), lambda item: REGISTERED)
    previous = lake.previous_in([approved, REGISTERED])
    assert from_stream == lake.history_writes(approved, previous[approved["sk"]])
    [write] = from_stream
    assert write.key == "history/dt=2026-01-03/MODEL%23credit-risk%23000003__HIST%232026-01-03T09%3A00%3A00.000Z%23abc.json.gz"
    assert write.body[4:8] == b"\x00\x00\x00\x00"  # gzip mtime 0
    [row] = rows(write.body)
    assert list(row) == sorted(lake_tables.HISTORY.column_names())


def test_metrics_reports_are_long_format_and_in_history_too():
    report = {"pk": PK, "sk": "HIST#2026-01-05T10:00:00.000Z#m1", "item_type": "metrics", "version_id": "credit-risk#000003",
              "version": Decimal(3), "kind": "production", "stage": "Prod", "variant": "champion",
              "metrics": {"auc": Decimal("0.81"), "p95_latency_ms": Decimal(120)}, "reported_by": "prod-reporter",
              "reported_at": "2026-01-05T10:00:00.000Z", "last_modified": "2026-01-05T10:00:00.000Z",
              "change_day": "2026-01-05"}
    history, metrics = lake.writes_for_record(record("INSERT", report), lambda item: None)
    assert history.key.startswith("history/dt=2026-01-05/") and metrics.key.startswith("metrics/dt=2026-01-05/")
    got = rows(metrics.body)
    assert [(r["metric"], r["value"], r["variant"], r["report_key"]) for r in got] == [
        ("auc", 0.81, "champion", report["sk"]), ("p95_latency_ms", 120.0, "champion", report["sk"])]
    assert rows(history.body)[0]["is_decision"] is False


def test_state_overwrites_remove_deletes_and_bookkeeping_is_ignored():
    state = {"pk": PK, "sk": "STATE", "version_id": "credit-risk#000003", "use_case": "credit-risk",
             "model_group": "credit-risk", "version": Decimal(3), "stage": "Dev", "status": "Pending"}
    [put] = lake.writes_for_record(record("MODIFY", state, state), lambda item: None)
    assert put.key == "versions/credit-risk%23000003.json.gz" and rows(put.body)[0]["version"] == 3
    [delete] = lake.writes_for_record({"eventName": "REMOVE", "dynamodb": {**record("INSERT", state)["dynamodb"],
                                      "OldImage": record("INSERT", state)["dynamodb"]["NewImage"]}}, lambda item: None)
    assert (delete.key, delete.body) == (put.key, None)
    for sk in ("CHAIN", "METRICS#qa"):
        assert lake.writes_for_record(record("INSERT", {**state, "sk": sk}), lambda item: None) == []
    assert lake.writes_for_record(record("INSERT", {**state, "pk": "COUNTER#x-external"}), lambda item: None) == []


def test_config_objects_from_the_repository_config():
    from mlgov_config import load_config
    from pathlib import Path

    config = load_config(Path(__file__).resolve().parents[2] / "config")
    tables = lake.config_rows(config)
    assert tables[lake_tables.USE_CASES][0]["line_of_business"] == "retail-credit"
    assert {(g["stage"], g["metric"], g["comparison"], g["threshold"]) for g in tables[lake_tables.GATES]} == {
        ("Prod", "auc", ">=", 0.75), ("Prod", "p95_latency_ms", "<=", 200.0)}
    assert [(a["metric"], a["max_value"]) for a in tables[lake_tables.ALARMS]] == [("p95_latency_ms", 200.0)]
    assert lake.config_objects(config) == lake.config_objects(config)
