"""dynamodb_stream_delivery + stream_poller: a table's stream reaches its Lambda mappings asynchronously,
per mapping in order, in batches of BatchSize, through FilterCriteria, with partial-batch retries,
bisection and the OnFailure destination once retries are spent; lambda_runner.drain() waits for it."""

from __future__ import annotations

import json
import uuid

from sandbox_accounts import GOV, REGION
from sandbox_functions import LAMBDA_TRUST, create_python_function

from modules.analytics_lake import STREAM_PATTERNS
from modules.history_archive import STREAM_PATTERNS as HISTORY_PATTERNS
from sandbox import lambda_runner

POWERTOOLS_LAYER = f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7"

# Logs the sort keys it got; raises if one starts with BOOM; reports those starting with BAD as failed;
# with GATE set, waits (up to 10 s) for that file before returning whether it appeared meanwhile.
ECHO = """
import json, os, time
def handler(event, context):
    keys = [r["dynamodb"]["Keys"]["sk"]["S"] for r in event["Records"]]
    print("SEEN " + json.dumps(keys))
    gate, gated = os.environ.get("GATE"), None
    if gate:
        deadline = time.time() + 10
        while not os.path.exists(gate) and time.time() < deadline:
            time.sleep(0.05)
        gated = os.path.exists(gate)
    if any(k.startswith("BOOM") for k in keys):
        raise RuntimeError("boom")
    return {"gated": gated, "batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
                                                  for r in event["Records"] if r["dynamodb"]["Keys"]["sk"]["S"].startswith("BAD")]}
"""


def _table(aws) -> tuple[str, str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    stream = aws("dynamodb", GOV).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]  # fmt: skip
    return name, stream


def _dlq(aws) -> tuple[str, str]:
    sqs = aws("sqs", GOV)
    url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _mapping(aws, stream: str, function: str, **extra) -> str:
    return aws("lambda", GOV).create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"], **extra)["UUID"]  # fmt: skip


def _put(aws, table: str, *sort_keys: str, pk: str = "MODEL#g#000001", **attributes: str) -> None:
    for sk in sort_keys:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attributes.items()}}
        aws("dynamodb", GOV).put_item(TableName=table, Item=item)


def _enable(aws, mapping: str) -> None:
    aws("lambda", GOV).update_event_source_mapping(UUID=mapping, Enabled=True)


def _invocations(mapping: str) -> list[dict]:
    return [i for i in lambda_runner.invocations() if i["source"] == f"dynamodb-stream:{mapping}"]


def _seen(mapping: str) -> list[list[str]]:
    """The sort keys of every invocation's batch, in order (from the function's own log line)."""
    batches = []
    for entry in _invocations(mapping):
        if entry["status"] != "Discarded":
            line = next(line for line in entry["logs"].splitlines() if line.startswith("SEEN "))
            batches.append(json.loads(line[len("SEEN "):]))
    return batches


def _drain() -> None:
    assert lambda_runner.drain(120)


def test_batches_hold_at_most_batch_size_records_in_stream_order(aws):
    table, stream = _table(aws)
    mapping = _mapping(aws, stream, create_python_function(aws, ECHO), BatchSize=2, Enabled=False)
    _put(aws, table, "a", "b", "c", "d", "e")  # queued in the stream while the mapping is disabled
    _drain()
    assert _invocations(mapping) == []
    _enable(aws, mapping)
    _drain()
    assert _seen(mapping) == [["a", "b"], ["c", "d"], ["e"]]


def test_each_mapping_gets_only_the_records_its_filter_criteria_pass(aws):
    """The history archive's and the lake projection's real patterns, on one table."""
    table, stream = _table(aws)
    filters = lambda patterns: {"Filters": [{"Pattern": json.dumps(p, sort_keys=True)} for p in patterns]}  # noqa: E731
    history = _mapping(aws, stream, create_python_function(aws, ECHO), FilterCriteria=filters(HISTORY_PATTERNS),
                       Enabled=False)
    lake = _mapping(aws, stream, create_python_function(aws, ECHO), FilterCriteria=filters(STREAM_PATTERNS),
                    Enabled=False)
    _put(aws, table, "STATE")
    _put(aws, table, "HIST#1", item_type="history")
    _put(aws, table, "HIST#2", item_type="metrics")
    _put(aws, table, "HIST#3", item_type="other")
    _put(aws, table, "HIST#1", item_type="history", note="modified")  # MODIFY: the lake reads inserts only
    _put(aws, table, "STATE", pk="COUNTER#g")
    _put(aws, table, "CHAIN")
    _enable(aws, history)
    _enable(aws, lake)
    _drain()
    assert _seen(history) == [["HIST#1", "HIST#2", "HIST#3", "HIST#1"]]
    assert _seen(lake) == [["STATE", "HIST#1", "HIST#2"]]


def test_a_failing_record_is_bisected_retried_then_described_to_the_dead_letter_queue(aws):
    table, stream = _table(aws)
    dlq_url, dlq_arn = _dlq(aws)
    function = create_python_function(aws, ECHO)
    mapping = _mapping(aws, stream, function, Enabled=False, BisectBatchOnFunctionError=True, MaximumRetryAttempts=2,
                       DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    _put(aws, table, "ok1", "BOOM", "ok2")
    _enable(aws, mapping)
    _drain()
    # 3 invocations of BOOM (1 + MaximumRetryAttempts), halving the batch each time; ok1 and ok2 get through
    assert _seen(mapping) == [["ok1", "BOOM", "ok2"], ["ok1"], ["BOOM", "ok2"], ["BOOM"], ["ok2"]]
    messages = aws("sqs", GOV).receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    boom = _sequence_of(aws, stream, "BOOM")
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3
    assert body["requestContext"]["functionArn"] == function
    assert body["responseContext"]["functionError"] == "Unhandled"
    info = body["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"], info["streamArn"]) == (
        boom, boom, 1, stream)


def test_reported_item_failures_retry_from_the_first_failed_record_then_the_stream_moves_on(aws):
    table, stream = _table(aws)
    dlq_url, dlq_arn = _dlq(aws)
    mapping = _mapping(aws, stream, create_python_function(aws, ECHO), Enabled=False, BisectBatchOnFunctionError=True,
                       MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    _put(aws, table, "ok1", "BAD", "ok2")
    _enable(aws, mapping)
    _drain()
    _put(aws, table, "ok3")
    _drain()
    assert _seen(mapping) == [["ok1", "BAD", "ok2"], ["BAD", "ok2"], ["ok3"]]
    body = json.loads(aws("sqs", GOV).receive_message(QueueUrl=dlq_url)["Messages"][0]["Body"])
    info = body["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        _sequence_of(aws, stream, "BAD"), _sequence_of(aws, stream, "ok2"), 2)
    assert "functionError" not in body["responseContext"]  # the function succeeded and reported the items


def test_put_item_returns_before_the_function_runs_and_drain_waits_for_it(aws, tmp_path):
    table, stream = _table(aws)
    gate = tmp_path / "gate"
    function = create_python_function(aws, ECHO, Environment={"Variables": {"GATE": str(gate)}})
    mapping = _mapping(aws, stream, function)
    _put(aws, table, "a")  # synchronous delivery would block here until the function gave up on the gate
    assert _invocations(mapping) == []
    gate.touch()
    _drain()
    (entry,) = _invocations(mapping)
    assert (entry["status"], entry["payload"]) == ("Success", {"gated": True, "batchItemFailures": []})


def _sequence_of(aws, stream: str, sort_key: str) -> str:
    """A record's sequence number, read back through DynamoDB Streams (the patch keeps delivered records)."""
    streams = aws("dynamodbstreams", GOV)
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    return next(r["dynamodb"]["SequenceNumber"] for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == sort_key)


def test_the_packaged_lake_projection_behind_its_mapping_writes_what_lake_py_computes(aws, tmp_path):
    """lake-projection's own code, mapping settings and grants, fed by the stream asynchronously."""
    from modules.analytics_lake import AnalyticsLakeProps, SERVICE_NAME
    from modules.lambda_package import build_zip
    from modules.python_function import LAMBDA_SRC
    from mlgov_core import lake, lake_tables
    from mlgov_core.settings import TABLE_ENV

    table, stream = _table(aws)
    bucket = f"lake-{uuid.uuid4().hex[:8]}-{GOV}"
    aws("s3", GOV).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    zip_path = tmp_path / "lake_projection.zip"
    build_zip(LAMBDA_SRC, "lake_projection", zip_path)
    grants = (
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [f"arn:aws:dynamodb:{REGION}:{GOV}:table/{table}"]},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]},
    )
    role = aws("iam", GOV).create_role(RoleName=f"lake-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    aws("iam", GOV).put_role_policy(RoleName=role["Role"]["RoleName"], PolicyName="function",
                                    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(grants)}))
    function = aws("lambda", GOV).create_function(
        FunctionName=f"lake-projection-{uuid.uuid4().hex[:6]}", Runtime="python3.11", Role=role["Role"]["Arn"],
        Handler="lake_projection.handler.lambda_handler", Code={"ZipFile": zip_path.read_bytes()}, Timeout=30,
        Layers=[POWERTOOLS_LAYER],
        Environment={"Variables": {lake_tables.LAKE_BUCKET_ENV: bucket, TABLE_ENV: table, "POWERTOOLS_SERVICE_NAME": SERVICE_NAME}},
    )["FunctionArn"]  # fmt: skip
    defaults = AnalyticsLakeProps.__dataclass_fields__
    _dlq_url, dlq_arn = _dlq(aws)
    mapping = _mapping(aws, stream, function, BatchSize=defaults["batch_size"].default, BisectBatchOnFunctionError=True,
                       MaximumRetryAttempts=defaults["max_retry_attempts"].default,
                       FilterCriteria={"Filters": [{"Pattern": json.dumps(p, sort_keys=True)} for p in STREAM_PATTERNS]},
                       DestinationConfig={"OnFailure": {"Destination": dlq_arn}}, Enabled=False)
    state = {"pk": "MODEL#credit-risk#000001", "sk": "STATE", "version_id": "credit-risk#000001",
             "model_group": "credit-risk", "version": 1, "stage": "Dev", "status": "Pending"}
    change = {"pk": "MODEL#credit-risk#000001", "sk": "HIST#2026-12-01T10:00:00.000Z#abc", "item_type": "history",
              "change_day": "2026-12-01", "version_id": "credit-risk#000001", "model_group": "credit-risk", "version": 1,
              "stage": "Dev", "status": "Pending", "registered_by": "alice", "changed_by": "alice",
              "last_modified": "2026-12-01T10:00:00.000Z", "recorded_at": "2026-12-01T10:00:00.000Z"}
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    for item in (state, change, {"pk": "MODEL#credit-risk#000001", "sk": "CHAIN", "head": "x"}):
        aws("dynamodb", GOV).put_item(TableName=table, Item={k: serialize(v) for k, v in item.items()})
    _enable(aws, mapping)  # the three records wait in the stream, so they are one poll
    _drain()

    assert [i["status"] for i in _invocations(mapping)] == ["Success"]  # one batch: STATE and HIST#, not CHAIN
    s3 = aws("s3", GOV)
    written = {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
               for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    expected = {w.key: w.body for w in [lake.state_write(state), *lake.history_writes(change, None)]}
    assert written == expected
