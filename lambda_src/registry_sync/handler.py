"""Lambda entry point for registry-sync: parse, record, return. Logic lives in mlgov_core.sync."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from mlgov_core.events import MalformedEventError
from mlgov_core.settings import settings_from_env
from mlgov_core import rules
from mlgov_core.sync import UNMAPPED_LOG_MESSAGE, record_registry_change

logger = Logger()  # service name and level from POWERTOOLS_SERVICE_NAME and LOG_LEVEL


@logger.inject_lambda_context
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    settings = settings_from_env(os.environ)
    event_id = event.get("id") if isinstance(event, dict) else None
    try:
        outcome = record_registry_change(event, settings)
    except MalformedEventError as error:
        # Re-raised so Lambda's async retries end in the dead-letter queue, where the event is kept.
        logger.error("malformed registry event", extra={"event_id": event_id, "error": str(error)})
        raise
    logger.info("registry change processed", extra={"event_id": event_id, **outcome})
    if outcome["stage"] == rules.UNMAPPED:
        # Recorded, not dropped; this line feeds the unmapped-stage alarm (sync.UNMAPPED_LOG_MESSAGE).
        logger.warning(UNMAPPED_LOG_MESSAGE, extra={"event_id": event_id, **outcome})
    return outcome
