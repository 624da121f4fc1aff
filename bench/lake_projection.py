"""The analytics lake at 1,000 and 10,000 versions, in moto in process: lake size, lake-projection's AWS
calls per stream batch, `mlgov analytics backfill`'s calls and wall time.

Fixture items come from tests/cli/governance_testkit.py's TableFiller (records.build_items and
metrics.build_items, as registry-sync and metrics-ingest write them): per version a registration, a
Test decision and a QA metrics report (3 history items, the state item, the latest-metrics item),
spread over the last DAYS days. The table's stream (NEW_AND_OLD_IMAGES) is read back with
DynamoDB Streams, filtered with the mapping's own patterns (modules/analytics_lake.STREAM_PATTERNS,
moto's EventBridge matcher, as the sandbox's stream_poller does) and cut into batches of the
mapping's batch size; each batch goes to lake-projection's handler in process, with its AWS calls
counted by type (botocore). Then the backfill (mlgov_cli.lake_backfill.build + write, what the
command runs) rebuilds the lake into a second bucket, --repeats times (each run overwrites the same
objects); its calls are counted on the first run. Both lakes are compared object by object.

moto 5.2.5 answers every Query by sorting the whole table (`Table.all_items`, see the report
section of bench/README.md), which makes the per-version Queries quadratic in the table size. With
--partition-index a Query on the table's key reads only its partition and an index Query sorts the
table once (the measured phase writes S3 only, never the table): moto's answers are the same (checked
on a sample each run), only faster, as DynamoDB's would be. The README says which runs used it.

    .venv/bin/python bench/lake_projection.py [--versions 1000 10000] [--repeats 3] [--partition-index]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import threading
import time
import warnings
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src"), str(ROOT / "scripts"), str(ROOT / "tests" / "cli")]
for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1", "LOG_LEVEL": "WARNING",
                    "POWERTOOLS_SERVICE_NAME": "lake-projection"}.items():
    os.environ[name] = value
for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MLGOV_ENDPOINT_URL"):
    os.environ.pop(name, None)

import boto3  # noqa: E402
import botocore.client  # noqa: E402
from botocore.config import Config  # noqa: E402
from moto import mock_aws  # noqa: E402

warnings.filterwarnings("ignore", message="No application metrics to publish")  # a batch of STATE records only

from governance_testkit import TableFiller  # noqa: E402
from mlgov_config import load_config  # noqa: E402
from mlgov_core import aws, lake  # noqa: E402

DAYS = 90
REGION = "eu-west-1"
TABLE, LAKE, REBUILT = "mlgov-governance", "mlgov-lake-bench", "mlgov-lake-bench-rebuilt"
_calls: Counter = Counter()
_original_call = botocore.client.BaseClient._make_api_call


def _counted_call(self: Any, operation_name: str, api_params: Any) -> Any:
    _calls[f"{self.meta.service_model.service_name}.{operation_name}"] += 1
    return _original_call(self, operation_name, api_params)


@contextlib.contextmanager
def counting() -> Any:
    """Count the AWS calls made inside (by "service.Operation")."""
    _calls.clear()
    botocore.client.BaseClient._make_api_call = _counted_call  # type: ignore[method-assign]
    try:
        yield _calls
    finally:
        botocore.client.BaseClient._make_api_call = _original_call  # type: ignore[method-assign]


@contextlib.contextmanager
def partition_index(enabled: bool) -> Any:
    """A Query on the table's key reads only its partition (index Queries: the table, sorted once).

    moto's answer is unchanged: it keeps exactly the items of that partition, in range-key order."""
    from moto.dynamodb.models.table import Table

    original_query, original_all = Table.query, Table.all_items
    local = threading.local()
    sorted_once: dict[int, list[Any]] = {}

    def all_items(self: Any) -> list[Any]:
        hash_key = getattr(local, "hash_key", None)
        if hash_key is not None:
            return list(self.items.get(hash_key, {}).values())
        return sorted_once.setdefault(id(self), original_all(self))

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        local.hash_key = hash_key if index_name is None else None
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            local.hash_key = None

    if enabled:
        Table.query, Table.all_items = query, all_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query, Table.all_items = original_query, original_all  # type: ignore[method-assign]


def same_answers_with_partition_index(ddb: Any, records: list[dict[str, Any]], sample: int = 25) -> bool:
    """The previous-change Query and a by_change_day page answer the same with and without partition_index."""
    from mlgov_cli import lake_backfill
    from mlgov_core import archive, lake_store

    changes = [archive.plain_image(r["dynamodb"]["NewImage"]) for r in records
               if r["eventName"] == "INSERT" and r["dynamodb"].get("NewImage", {}).get("item_type", {}).get("S") == lake.REGISTRY_CHANGE]
    step = max(1, len(changes) // sample)
    picked = changes[::step][:sample]
    day = str(picked[0]["change_day"])

    def answers() -> list[Any]:
        return [lake_store.previous_change(TABLE, c, ddb) for c in picked] + [list(lake_backfill.history_of_day(ddb, TABLE, day))]

    plain = answers()
    with partition_index(True):
        indexed = answers()
    return plain == indexed


class LambdaContext:
    function_name = "mlgov-lake-projection"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:111111111111:function:mlgov-lake-projection"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


def fill(filler: TableFiller, versions: int, first_day: datetime) -> None:
    for v in range(1, versions + 1):
        day = (first_day + timedelta(days=(v - 1) * DAYS // versions)).strftime("%Y-%m-%d")
        filler.change("credit-risk", v, f"{day}T08:00:00.000Z", use_case="credit-risk", registered_by=f"ds-{v % 7}")
        filler.change("credit-risk", v, f"{day}T09:00:00.000Z", use_case="credit-risk", approval="Approved", stage="Test",
                      status="Approved", reason=f"decision on v{v}", decided_by=f"approver-{v % 3}",
                      metadata={"approved_by": f"approver-{v % 3}"})
        filler.metrics("credit-risk", v, f"{day}T10:00:00.000Z",
                       {"auc": 0.6 + (v % 40) / 100, "accuracy": 0.7, "p95_latency_ms": 80 + v % 200})
        if v % 500 == 0:
            filler.flush()
    filler.flush()


def stream_records(stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the table's stream, as Lambda passes it (creation time in epoch seconds)."""
    # moto serves streams only on the regional endpoint, not botocore's account-based one.
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            break
        for record in page["Records"]:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if isinstance(created, datetime):
                record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
            records.append({**record, "eventSourceARN": stream_arn, "awsRegion": REGION})
        iterator = page.get("NextShardIterator")
    return records


def batches(records: list[dict[str, Any]], batch_size: int) -> list[list[dict[str, Any]]]:
    import json

    from moto.events.models import EventPattern

    from modules.analytics_lake import STREAM_PATTERNS

    patterns = [EventPattern.load(json.dumps(p, sort_keys=True)) for p in STREAM_PATTERNS]
    passed = [r for r in records if any(p.matches_event(r) for p in patterns)]
    return [passed[i:i + batch_size] for i in range(0, len(passed), batch_size)]


def lake_objects(bucket: str) -> dict[str, bytes]:
    s3 = aws.client("s3")
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in page.get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def measure(versions: int, repeats: int, partition: bool) -> dict[str, Any]:
    from importlib import reload

    import lake_projection.handler as handler
    from mlgov_cli import lake_backfill
    from mlgov_core.lake_tables import LAKE_BUCKET_ENV
    from mlgov_core.settings import TABLE_ENV
    from modules.analytics_lake import AnalyticsLakeProps

    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = today - timedelta(days=DAYS)
    config = load_config(ROOT / "config")
    out: dict[str, Any] = {"versions": versions, "partition_index": partition}
    with mock_aws():
        aws.reset_clients()
        ddb, s3 = aws.client("dynamodb"), aws.client("s3")
        filler = TableFiller(ddb, TABLE)
        filler.create_table()
        stream_arn = ddb.update_table(TableName=TABLE, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]["LatestStreamArn"]
        for bucket in (LAKE, REBUILT):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        started = time.monotonic()
        fill(filler, versions, first_day)
        out["fill_s"] = time.monotonic() - started
        out["table_items"] = ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"]
        records = stream_records(stream_arn)
        batch_size = AnalyticsLakeProps.__dataclass_fields__["batch_size"].default
        cut = batches(records, batch_size)
        out.update(stream_records=len(records), batch_size=batch_size, batches=len(cut),
                   passed_records=sum(len(b) for b in cut))
        if partition:
            out["partition_index_checked"] = same_answers_with_partition_index(ddb, records)
            assert out["partition_index_checked"], "partition_index changed moto's answers"

        os.environ[LAKE_BUCKET_ENV], os.environ[TABLE_ENV] = LAKE, TABLE
        reload(handler)
        per_batch: list[Counter] = []
        with partition_index(partition):
            started = time.monotonic()
            for batch in cut:
                with counting() as calls, contextlib.redirect_stdout(io.StringIO()):
                    response = handler.lambda_handler({"Records": batch}, LambdaContext())
                assert response == {"batchItemFailures": []}, response
                per_batch.append(Counter(calls))
            out["projection_s"] = time.monotonic() - started
            kinds = sorted({k for c in per_batch for k in c})
            out["projection_calls_per_batch_median"] = {k: statistics.median(c[k] for c in per_batch) for k in kinds}
            out["projection_calls_per_batch_max"] = {k: max(c[k] for c in per_batch) for k in kinds}
            out["projection_calls_total"] = dict(sum(per_batch, Counter()))

            backfill_s: list[float] = []
            for run in range(repeats):
                with counting() as calls:
                    started = time.monotonic()
                    result = lake_backfill.build(ddb, TABLE, first_day.date(), today.date(), config)
                    lake_backfill.write(result, s3, REBUILT)
                    backfill_s.append(time.monotonic() - started)
                if run == 0:
                    out["backfill_calls"] = dict(sorted(calls.items()))
            out["backfill_s"] = backfill_s

        projected, rebuilt = lake_objects(LAKE), lake_objects(REBUILT)
        config_keys = set(lake.config_objects(config))
        out["lake_objects"] = len(rebuilt)
        out["lake_bytes"] = sum(len(b) for b in rebuilt.values())
        out["lake_objects_by_table"] = dict(sorted(Counter(k.split("/", 1)[0] for k in rebuilt).items()))
        out["projection_equals_backfill"] = projected == {k: v for k, v in rebuilt.items() if k not in config_keys}
    aws.reset_clients()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--partition-index", action="store_true", help="see partition_index (moto's answers unchanged)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    for versions in args.versions:
        r = measure(versions, args.repeats, args.partition_index)
        median = statistics.median(r["backfill_s"])
        print(f"\n{versions:,} versions ({r['table_items']:,} table items, fill {r['fill_s']:.1f} s, "
              f"moto Query {'on the partition (--partition-index, answers checked)' if r['partition_index'] else 'sorting the whole table'})")
        print(f"  lake: {r['lake_objects']:,} objects, {r['lake_bytes']:,} bytes; by table {r['lake_objects_by_table']}")
        print(f"  stream: {r['stream_records']:,} records, {r['passed_records']:,} pass the filter, "
              f"{r['batches']} batches of <= {r['batch_size']}")
        print(f"  projection calls per batch (median): {r['projection_calls_per_batch_median']}; "
              f"max {r['projection_calls_per_batch_max']}; total {r['projection_calls_total']}; "
              f"all batches {r['projection_s']:.1f} s")
        print(f"  backfill calls: {r['backfill_calls']}")
        print(f"  backfill wall time: median {median:.2f} s of {', '.join(f'{s:.2f}' for s in r['backfill_s'])}")
        print(f"  projection lake == backfill lake (without config objects): {r['projection_equals_backfill']}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
