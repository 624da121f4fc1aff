"""Lambda entry point for lake-projection: the governance table's stream into the analytics lake.

The event source mapping passes only STATE and HIST# records of model versions; mlgov_core.lake turns
each into the objects it implies, mlgov_core.lake_store reads the previous registry change (for
decisions) and writes them. Records are processed in order with Powertools' batch utility: a failed
record is reported (ReportBatchItemFailures), the batch retried from it, bisected, then handed to the
on-failure destination (the DLQ, alarmed); `mlgov analytics backfill` rebuilds whatever was lost.
Every write is an idempotent overwrite, so a retried record is harmless.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from mlgov_core import lake, lake_store
from mlgov_core.archive import METRIC_NAMESPACE
from mlgov_core.lake_tables import LAKE_BUCKET_ENV
from mlgov_core.settings import TABLE_ENV, ConfigurationError

logger = Logger()  # service name and level from POWERTOOLS_SERVICE_NAME and LOG_LEVEL
metrics = Metrics(namespace=METRIC_NAMESPACE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
WRITTEN_METRIC = "LakeObjectsWritten"


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set: the lake-projection function needs it")
    return value


def record_handler(record: DynamoDBRecord) -> int:
    bucket, table = _env(LAKE_BUCKET_ENV), _env(TABLE_ENV)
    writes = lake.writes_for_record(record.raw_event, lambda item: lake_store.previous_change(table, item))
    count = lake_store.apply(writes, bucket)
    logger.info("stream record projected", extra={"event": record.raw_event.get("eventName"),
                                                    "keys": [w.key for w in writes], "deleted": [w.key for w in writes if w.body is None]})
    metrics.add_metric(name=WRITTEN_METRIC, unit=MetricUnit.Count, value=count)
    return count


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
