"""history-archive against moto: the table's real stream records into an Object Lock bucket, once per item."""

from __future__ import annotations

import gzip
import importlib
import json
from dataclasses import dataclass
from decimal import Decimal

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.config import Config
from botocore.exceptions import ClientError
from sync_testkit import REGION, TABLE, history_of, load_event

from history_archive import handler
from mlgov_core import archive, aws, chain, keys
from mlgov_core.sync import record_registry_change

BUCKET = "mlgov-audit-archive-123456789012"
PK = keys.version_pk("fraud-detection", 1)


@dataclass
class FakeContext:
    function_name: str = "mlgov-history-archive"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:mlgov-history-archive"
    aws_request_id: str = "5f2e1c3a-0000-4000-8000-000000000003"


@pytest.fixture
def streamed(table, package_arn, monkeypatch) -> str:
    """The governance table with its stream on, and the archive bucket under Object Lock COMPLIANCE."""
    stream_arn = boto3.client("dynamodb").update_table(
        TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    monkeypatch.setenv(archive.BUCKET_ENV, BUCKET)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "history-archive")
    importlib.reload(handler)
    return stream_arn


class Stream:
    """Reads the table's stream from where the last read stopped, as Lambda's poller does."""

    def __init__(self, arn: str) -> None:
        # moto serves streams only on the regional endpoint, not botocore's account-based one.
        self.client = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        shard = self.client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.client.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.arn = arn

    def event(self, only_history: bool = True) -> dict:
        """The next records as a Lambda event; only_history applies the event source mapping's filter."""
        response = self.client.get_records(ShardIterator=self.iterator)
        self.iterator = response["NextShardIterator"]
        records = []
        for record in response["Records"]:
            change = dict(record["dynamodb"])
            created = change.get("ApproximateCreationDateTime")
            if created is not None and not isinstance(created, (int, float)):
                change["ApproximateCreationDateTime"] = created.timestamp()  # Lambda delivers epoch seconds
            if only_history and not change["Keys"]["sk"]["S"].startswith(keys.HISTORY_PREFIX):
                continue
            records.append({**record, "dynamodb": change, "eventSource": "aws:dynamodb", "eventSourceARN": self.arn})
        return {"Records": records}


def _objects(prefix: str = "") -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def _lines(data: bytes) -> list[dict]:
    return [json.loads(line, parse_float=Decimal) for line in gzip.decompress(data).decode().splitlines()]


def test_each_history_item_is_archived_once_under_its_change_day(streamed, settings):
    stream = Stream(streamed)
    record_registry_change(load_event("registered"), settings)
    record_registry_change(load_event("approved_for_test"), settings)
    assert handler.lambda_handler(stream.event(), FakeContext()) == {"batchItemFailures": []}
    objects = _objects()
    expected = {archive.history_key(item) for item in history_of()}
    assert set(objects) == expected  # history only: no STATE, no CHAIN head
    assert sorted(k.split("/")[1] for k in objects) == ["dt=2025-03-04", "dt=2025-03-05"]
    assert all(k.startswith("history/dt=") and "%23" in k and "#" not in k for k in objects)
    lines = [line for data in objects.values() for line in _lines(data)]
    assert len(lines) == 2  # one JSON line per object
    assert chain.verify_chain(lines, check_head=False) == []  # the archive re-verifies without the table
    versions = boto3.client("s3").head_object(Bucket=BUCKET, Key=sorted(objects)[0])
    assert versions["ObjectLockMode"] == "COMPLIANCE"


def test_a_retried_batch_writes_no_second_version(streamed, settings):
    stream = Stream(streamed)
    record_registry_change(load_event("registered"), settings)
    event = stream.event()
    handler.lambda_handler(event, FakeContext())
    outcomes = [archive.archive_stream_record(r, BUCKET) for r in event["Records"]]
    assert [o.outcome for o in outcomes] == ["already archived"]
    assert len(boto3.client("s3").list_object_versions(Bucket=BUCKET)["Versions"]) == 1


def test_an_edited_history_item_is_kept_as_a_change_and_counted(streamed, settings, capsys):
    stream = Stream(streamed)
    record_registry_change(load_event("registered"), settings)
    handler.lambda_handler(stream.event(), FakeContext())
    sk, registrant = history_of()[0]["sk"], history_of()[0]["registered_by"]
    boto3.client("dynamodb").update_item(TableName=TABLE, Key={"pk": {"S": PK}, "sk": {"S": sk}},
                                         UpdateExpression="SET registered_by = :who",
                                         ExpressionAttributeValues={":who": {"S": "mallory"}})
    capsys.readouterr()
    handler.lambda_handler(stream.event(), FakeContext())
    changes = _objects(archive.CHANGES_PREFIX)
    assert len(changes) == 1
    [evidence] = _lines(next(iter(changes.values())))
    assert evidence["event"] == "MODIFY"
    assert (evidence["old"]["registered_by"], evidence["new"]["registered_by"]) == (registrant, "mallory")
    assert archive.CHANGED_METRIC in capsys.readouterr().out  # the metric the alarm watches
    assert len(_objects(f"{archive.HISTORY_PREFIX}/")) == 1  # the archived original is untouched


def test_a_history_item_deleted_and_reinserted_with_other_content_is_a_change(streamed, settings):
    stream = Stream(streamed)
    record_registry_change(load_event("registered"), settings)
    handler.lambda_handler(stream.event(), FakeContext())
    original = history_of()[0]
    ddb = boto3.resource("dynamodb").Table(TABLE)
    ddb.delete_item(Key={"pk": PK, "sk": original["sk"]})
    ddb.put_item(Item={**original, "registered_by": "mallory"})
    handler.lambda_handler(stream.event(), FakeContext())
    events = sorted(_lines(data)[0]["event"] for data in _objects(archive.CHANGES_PREFIX).values())
    assert events == ["INSERT", "REMOVE"]
    [kept] = _objects(f"{archive.HISTORY_PREFIX}/").values()
    assert _lines(kept)[0]["registered_by"] == original["registered_by"]  # the first write wins for the retention


def test_a_failed_put_reports_that_record_for_retry(streamed, settings):
    stream = Stream(streamed)
    record_registry_change(load_event("registered"), settings)
    record_registry_change(load_event("approved_for_test"), settings)
    event = stream.event()
    puts = []

    def fail_second(**_):
        puts.append(1)
        if len(puts) == 2:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "PutObject")

    aws.client("s3").meta.events.register("before-call.s3.PutObject", fail_second)
    response = handler.lambda_handler(event, FakeContext())
    second = event["Records"][1]["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": second}]}
    assert len(_objects()) == 1


def test_the_function_refuses_to_start_without_its_bucket(streamed, settings, monkeypatch):
    stream = Stream(streamed)
    record_registry_change(load_event("registered"), settings)
    monkeypatch.delenv(archive.BUCKET_ENV)
    with pytest.raises(BatchProcessingError, match="All records failed"):  # the batch is retried, not dropped
        handler.lambda_handler(stream.event(), FakeContext())
    assert _objects() == {}
