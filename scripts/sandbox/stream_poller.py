"""Deliver a DynamoDB stream to its event source mappings the way Lambda's stream poller does, locally.

Each mapping keeps its own position in the table's stream (TRIM_HORIZON: the first record, LATEST: the
end at creation) and is polled on `lambda_runner`'s background worker, so a write returns before the
function runs and `lambda_runner.drain()` waits for the delivery. A poll reads from the position in
order: records the mapping's FilterCriteria rejects are skipped (they count neither towards the batch
nor as invocations), matching ones are sent in batches of at most BatchSize, and the position moves
past a batch only once it is handled, so a mapping never sees a record before the ones ahead of it.

A batch fails when the function errors, or, with ReportBatchItemFailures, when it reports items: the
records before the first reported one are done and the rest is retried (a response naming no record of
the batch fails it whole, as on Lambda). A function error with BisectBatchOnFunctionError splits the
batch in two halves, each retried on its own. Every invocation of a record after the first counts
towards MaximumRetryAttempts (-1, Lambda's "until the record expires", is capped at UNBOUNDED_RETRIES
here); when they are spent, the records go to the OnFailure destination as Lambda describes them (a
DDBStreamBatchInfo with the condition RetryAttemptsExhausted) and the poll goes on past them.
Differences from Lambda: retries are immediate, there is one shard, MaximumRecordAgeInSeconds,
batching windows, parallelisation and tumbling windows are not modelled.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from . import lambda_runner

UNBOUNDED_RETRIES = 10
_lock = threading.Lock()


def start_position(esm: Any) -> None:
    """Set a new mapping's position in its table's stream."""
    shard = _shard(esm)
    esm._mlgov_position = len(shard.items) if shard is not None and esm.starting_position == "LATEST" else 0


def schedule(esm: Any) -> None:
    """Queue a poll of the mapping unless one is already queued."""
    with _lock:
        if getattr(esm, "_mlgov_scheduled", False):
            return
        esm._mlgov_scheduled = True
    lambda_runner.submit_task(lambda: poll(esm), source=f"dynamodb-stream:{esm.uuid}")


def poll(esm: Any) -> None:
    """Deliver every record past the mapping's position, batch by batch."""
    with _lock:
        esm._mlgov_scheduled = False
    while _active(esm):
        shard = _shard(esm)
        if shard is None:
            return
        position = getattr(esm, "_mlgov_position", 0)
        batch, end = _next_batch(esm, shard, position)
        if batch:
            fn = lambda_runner.get_function(esm.function_arn)
            _handle(esm, fn, batch, attempt=1)
        esm._mlgov_position = end
        if end >= len(shard.items):
            return


def _active(esm: Any) -> bool:
    from moto.awslambda.utils import get_backend

    current = get_backend(esm.account_id, esm.region).get_event_source_mapping(esm.uuid)
    return current is esm and esm.enabled not in (False, "false", "False")


def _shard(esm: Any) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    # arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
    parts = esm.event_source_arn.split(":")
    table_name = parts[5].split("/")[1]
    table = dynamodb_backends[parts[4]][parts[3]].tables.get(table_name)
    return table.stream_shard if table is not None else None


def _next_batch(esm: Any, shard: Any, position: int) -> tuple[list[dict[str, Any]], int]:
    """Up to BatchSize matching records from position, and the position after the last record read."""
    patterns = _patterns(esm)
    batch: list[dict[str, Any]] = []
    index = position
    while index < len(shard.items) and len(batch) < esm.batch_size:
        record = lambda_record(shard.items[index], esm)
        index += 1
        if not patterns or any(p.matches_event(record) for p in patterns):
            batch.append(record)
    return batch, index


def _patterns(esm: Any) -> list[Any]:
    from moto.events.models import EventPattern

    filters = (esm.filter_criteria or {}).get("Filters") or []
    return [EventPattern.load(f["Pattern"]) for f in filters if f.get("Pattern")]


def lambda_record(item: Any, esm: Any) -> dict[str, Any]:
    """A stream record as Lambda passes it to the function (moto keeps the creation time as a datetime)."""
    record = item.to_json()
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.replace(tzinfo=created.tzinfo or timezone.utc).timestamp())
    return {
        "eventID": record["eventID"], "eventName": record["eventName"], "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"], "awsRegion": esm.region, "dynamodb": dynamodb,
        "eventSourceARN": esm.event_source_arn,
    }  # fmt: skip


def _max_retries(esm: Any) -> int:
    configured = esm.max_retry_attempts
    return UNBOUNDED_RETRIES if configured is None or int(configured) < 0 else int(configured)


def _handle(esm: Any, fn: Any, records: list[dict[str, Any]], attempt: int) -> None:
    result = lambda_runner.invoke_sync(fn, {"Records": records}, source=f"dynamodb-stream:{esm.uuid}")
    failed_from = _failed_from(esm, records, result)
    if failed_from is None:
        return
    remaining = records[failed_from:]
    if attempt > _max_retries(esm):
        _discard(esm, fn, remaining, result, attempt)
        return
    if not result.ok and esm.bisect_on_error and len(remaining) > 1:
        half = len(remaining) // 2
        _handle(esm, fn, remaining[:half], attempt + 1)
        _handle(esm, fn, remaining[half:], attempt + 1)
        return
    _handle(esm, fn, remaining, attempt + 1)


def _failed_from(esm: Any, records: list[dict[str, Any]], result: lambda_runner.Result) -> int | None:
    """Index of the first record to retry, or None if the batch succeeded."""
    if not result.ok:
        return 0
    if "ReportBatchItemFailures" not in (esm.function_response_types or []):
        return None
    failures = (result.payload or {}).get("batchItemFailures") if isinstance(result.payload, dict) else None
    if not failures:
        return None
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    reported = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if any(identifier not in sequence for identifier in reported):
        return 0  # an empty or unknown identifier fails the whole batch
    return min(sequence.index(identifier) for identifier in reported)


def _discard(esm: Any, fn: Any, records: list[dict[str, Any]], result: lambda_runner.Result, attempt: int) -> None:
    """Retries spent: describe the records to the OnFailure destination and move past them."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    shard = _shard(esm)
    message = {
        "requestContext": {"requestId": result.request_id, "functionArn": fn.function_arn,
                           "condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempt},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            **({} if result.ok else {"functionError": "Unhandled"})},
        "version": "1.0",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "DDBStreamBatchInfo": {
            "shardId": shard.id if shard is not None else "", "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"], "batchSize": len(records), "streamArn": esm.event_source_arn,
            "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
            "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
        },
    }  # fmt: skip
    target = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
    sent = lambda_runner.deliver(target, json.dumps(message)) if target else None
    lambda_runner.record(
        function_arn=fn.function_arn, source=f"dynamodb-stream:{esm.uuid}", attempt=attempt, status="Discarded",
        request_id=str(uuid.uuid4()), error=result.error, payload=result.payload, destination=sent,
        records=[r["dynamodb"]["SequenceNumber"] for r in records],
    )  # fmt: skip


def _iso(epoch: Any) -> str | None:
    if not isinstance(epoch, (int, float)):
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")
