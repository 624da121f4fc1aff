"""lake-projection against moto: the table's real stream records into the lake, and the backfill's same bytes."""

from __future__ import annotations

import gzip
import importlib
import json
from datetime import date

import boto3
import pytest
from sync_testkit import REGION, TABLE, history_of, load_event
from test_history_archive import FakeContext, Stream

from lake_projection import handler
from mlgov_core import aws, lake, lake_tables
from mlgov_core.settings import TABLE_ENV
from mlgov_core.sync import record_registry_change
from mlgov_cli import lake_backfill

BUCKET = "mlgov-lake-123456789012-eu-west-1"


class NoConfig:
    use_cases: dict = {}


@pytest.fixture
def streamed(table, package_arn, monkeypatch) -> str:
    stream_arn = boto3.client("dynamodb").update_table(
        TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    monkeypatch.setenv(lake_tables.LAKE_BUCKET_ENV, BUCKET)
    monkeypatch.setenv(TABLE_ENV, TABLE)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "lake-projection")
    importlib.reload(handler)
    return stream_arn


def _objects() -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def _rows(data: bytes) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(data).decode().splitlines()]


def _story(settings) -> None:
    record_registry_change(load_event("registered"), settings)
    record_registry_change(load_event("approved_for_test"), settings)


def test_stream_projects_versions_and_history_and_reads_no_chain_head(streamed, settings):
    stream = Stream(streamed)
    _story(settings)
    assert handler.lambda_handler(stream.event(only_history=False), FakeContext()) == {"batchItemFailures": []}
    objects = _objects()
    history = {lake.history_key(i) for i in history_of()}
    assert set(objects) == history | {lake.versions_key("fraud-detection#000001")}
    [version] = _rows(objects[lake.versions_key("fraud-detection#000001")])
    assert (version["stage"], version["status"]) == ("Test", "Approved")
    rows = sorted((_rows(objects[k])[0] for k in history), key=lambda r: r["sk"])
    # Registered, then approved for Test: a decision only against the previous change the function read.
    assert [r["is_decision"] for r in rows] == [False, True]
    # moto records the same caller as CreatedBy and LastModifiedBy: the approver is the registrant.
    assert [r["sod_breach"] for r in rows] == [False, True]
    assert rows[1]["decider"] == rows[1]["registrant"] == "arn:aws:sts::123456789012:user/moto"
    assert all(set(r) == set(lake_tables.HISTORY.column_names()) for r in rows)


def test_backfill_writes_the_stream_path_bytes_with_queries_only(streamed, settings):
    stream = Stream(streamed)
    _story(settings)
    handler.lambda_handler(stream.event(only_history=False), FakeContext())
    from_stream = _objects()
    dynamodb = aws.client("dynamodb")
    operations: list[str] = []
    dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **_: operations.append(model.name))
    result = lake_backfill.build(dynamodb, TABLE, date(2025, 3, 1), date(2025, 3, 10), NoConfig())
    config_keys = {lake.config_key(t) for t in lake_tables.CONFIG_TABLES}
    assert set(result.objects) - set(from_stream) == config_keys  # empty tables here: NoConfig
    assert {k: v for k, v in result.objects.items() if k not in config_keys} == from_stream  # same keys, same bytes
    assert "Scan" not in operations and operations.count("Query") == 10 + 1  # a day each, one previous change
    assert set(operations) == {"Query", "BatchGetItem"}
    lake_backfill.write(result, aws.client("s3"), BUCKET)
    again = lake_backfill.build(dynamodb, TABLE, date(2025, 3, 1), date(2025, 3, 10), NoConfig())
    after_one = _objects()
    lake_backfill.write(again, aws.client("s3"), BUCKET)
    assert _objects() == after_one and after_one.items() >= from_stream.items()  # idempotent: run twice, the same objects


def test_removing_a_state_item_deletes_its_version_object(streamed, settings):
    stream = Stream(streamed)
    _story(settings)
    handler.lambda_handler(stream.event(only_history=False), FakeContext())
    boto3.client("dynamodb").delete_item(TableName=TABLE, Key={"pk": {"S": "MODEL#fraud-detection#000001"},
                                                               "sk": {"S": "STATE"}})
    handler.lambda_handler(stream.event(only_history=False), FakeContext())
    assert lake.versions_key("fraud-detection#000001") not in _objects()


def test_a_failing_write_is_reported_as_a_batch_item_failure(streamed, settings):
    stream = Stream(streamed)
    _story(settings)
    boto3.client("s3").delete_bucket(Bucket=BUCKET)
    event = stream.event(only_history=False)
    response = handler.lambda_handler(event, FakeContext())
    # Shard order: the first failed record is reported and the batch is retried from it.
    assert response["batchItemFailures"][0]["itemIdentifier"] == event["Records"][0]["dynamodb"]["SequenceNumber"]
