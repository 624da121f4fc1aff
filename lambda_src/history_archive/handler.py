"""Lambda entry point for history-archive: the governance table's stream into the Object Lock archive.

Every history item any writer puts into the table reaches this function through the table's stream
(the event source mapping passes only ``HIST#`` keys), so no code path of ours can skip the archive.
Logic lives in mlgov_core.archive. Records are processed in order with Powertools' batch utility: a
failed record is reported (ReportBatchItemFailures) and the batch is retried from it, bisected,
then sent to the on-failure destination (the DLQ, with its alarm).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from mlgov_core import archive
from mlgov_core.settings import ConfigurationError

logger = Logger()  # service name and level from POWERTOOLS_SERVICE_NAME and LOG_LEVEL
metrics = Metrics(namespace=archive.METRIC_NAMESPACE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _bucket() -> str:
    bucket = os.environ.get(archive.BUCKET_ENV, "").strip()
    if not bucket:
        raise ConfigurationError(f"{archive.BUCKET_ENV} is not set: the history-archive function needs the archive bucket")
    return bucket


def record_handler(record: DynamoDBRecord) -> str:
    result = archive.archive_stream_record(record.raw_event, _bucket())
    if result.outcome == "change recorded":
        # The writers only ever insert history items: this is an edit or deletion by someone else.
        logger.error("history item changed in the table", extra={"key": result.key, "event": record.raw_event.get("eventName")})
        metrics.add_metric(name=archive.CHANGED_METRIC, unit=MetricUnit.Count, value=1)
    else:
        logger.info("history item archived", extra={"key": result.key, "outcome": result.outcome})
    return result.outcome


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
