"""Lambda entry point for the inference proxy: everything happens in inference_proxy.proxy.handle."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from inference_proxy.proxy import handle

logger = Logger()  # service name and level from POWERTOOLS_SERVICE_NAME and LOG_LEVEL


@logger.inject_lambda_context
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return handle(event, os.environ, logger=logger, request_id=getattr(context, "aws_request_id", None))
