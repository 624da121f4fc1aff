"""moto runs Lambda code only in Docker (absent here); run Invoke locally via lambda_runner (RequestResponse synchronously, Event queued)."""

from __future__ import annotations

import json
from typing import Any

from ._common import wrap


def apply() -> None:
    from moto.awslambda.models import LambdaFunction

    from .. import lambda_runner

    @wrap(LambdaFunction, "invoke")
    def invoke(orig: Any, self: Any, body: Any, request_headers: Any, response_headers: Any) -> str | bytes:
        event = json.loads(body) if body else {}
        invocation_type = request_headers.get("x-amz-invocation-type", "RequestResponse")
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            lambda_runner.submit(self.function_arn, event, source="lambda:Invoke")
            return b""
        result = lambda_runner.invoke_sync(self, event, source="lambda:Invoke")
        response_headers["x-amz-log-result"] = lambda_runner.log_tail(result)
        if not result.ok:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(result.error).encode()
        return json.dumps(result.payload).encode()
