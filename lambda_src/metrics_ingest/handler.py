"""Lambda entry point for metrics-ingest: parse, record, return. Logic lives in mlgov_core.metrics_sync."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from mlgov_core.metrics import MetricsEventError
from mlgov_core.metrics_sync import RegistryLocation, record_metrics_report, settings_from_env

logger = Logger()  # service name and level from POWERTOOLS_SERVICE_NAME and LOG_LEVEL


@logger.inject_lambda_context
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    settings = settings_from_env(os.environ)
    # The registry is in the account and region this function runs in (the governance account).
    location = RegistryLocation.from_function_arn(context.invoked_function_arn)
    event_id = event.get("id") if isinstance(event, dict) else None
    try:
        outcome = record_metrics_report(event, settings, registry_location=location)
    except MetricsEventError as error:
        # Re-raised so Lambda's async retries end in the dead-letter queue, where the event is kept.
        logger.error("malformed metrics event", extra={"event_id": event_id, "error": str(error)})
        raise
    logger.info("metrics report processed", extra={"event_id": event_id, **outcome})
    return outcome
