"""Run a Lambda function deployed to the moto sandbox locally, without Docker.

`run(fn, event)` executes one invocation synchronously: the function's zip (as stored by moto) is
extracted once per code hash, and the handler runs in a subprocess of this Python interpreter with
the function's environment variables, the sandbox endpoint and credentials of the function's account
(obtained by sts:AssumeRole of its execution role inside moto). The event goes in on stdin; the
result or error comes back as JSON in a file (stdout/stderr are the function's logs).

`submit(...)` queues an asynchronous invocation (EventBridge target, Invoke with InvocationType=Event)
handled by one background worker in order: function errors are retried per the function's event
invoke config (MaximumRetryAttempts, default 2; retries are immediate, AWS waits 1-2 minutes), then
the event goes to the on-failure destination or, failing that, the function's DeadLetterConfig.
`drain()` waits for the queue to empty; `invocations()` returns the log of every attempt.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)

_config: dict[str, Any] = {"endpoint_url": os.environ.get("MLGOV_SANDBOX_ENDPOINT", ""), "state_dir": None}
_queue: queue.Queue[dict[str, Any]] = queue.Queue()
_log: list[dict[str, Any]] = []
_log_lock = threading.Lock()
_worker: threading.Thread | None = None
_seq = itertools.count(1)
START_GRACE_SECONDS = 5  # interpreter start-up and imports, on top of the configured timeout

_BOOTSTRAP = r"""
import importlib, json, sys, time, traceback
code_dir, handler, result_path, timeout_s, arn, memory, request_id, group, stream = sys.argv[1:10]
sys.path.insert(0, code_dir)
deadline = time.time() + float(timeout_s)

class Context:
    function_name = arn.split(":")[6]
    function_version = "$LATEST"
    invoked_function_arn = arn
    memory_limit_in_mb = int(memory)
    aws_request_id = request_id
    log_group_name = group
    log_stream_name = stream
    identity = None
    client_context = None
    @staticmethod
    def get_remaining_time_in_millis():
        return max(0, int((deadline - time.time()) * 1000))

try:
    module_name, func_name = handler.rsplit(".", 1)
    func = getattr(importlib.import_module(module_name), func_name)
    result = {"ok": True, "payload": func(json.load(sys.stdin), Context())}
    json.dumps(result)
except Exception as exc:
    result = {"ok": False, "error": {"errorType": type(exc).__name__, "errorMessage": str(exc),
                                     "stackTrace": traceback.format_exc().splitlines()}}
with open(result_path, "w") as fh:
    json.dump(result, fh, default=str)
"""


def configure(endpoint_url: str | None = None, state_dir: str | None = None) -> None:
    """Set the sandbox URL the functions talk to and where extracted code is kept."""
    if endpoint_url:
        _config["endpoint_url"] = endpoint_url
    if state_dir:
        _config["state_dir"] = state_dir


@dataclass
class Result:
    ok: bool
    payload: Any = None
    error: dict[str, Any] | None = None
    logs: str = ""
    duration_ms: int = 0
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def get_function(function_arn: str) -> Any:
    """The moto LambdaFunction for a (possibly qualified) function ARN."""
    from moto.awslambda.utils import get_backend

    parts = function_arn.split(":")
    return get_backend(parts[4], parts[3]).get_function(function_arn)


def _code_dir(fn: Any) -> str:
    root = _config["state_dir"] or os.path.join(tempfile.gettempdir(), "mlgov-sandbox")
    target = os.path.join(root, "lambda", fn.account_id, fn.region, f"{fn.function_name}-{fn.code_digest[:16]}")
    if not os.path.isdir(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = tempfile.mkdtemp(dir=os.path.dirname(target))
        zipfile.ZipFile(io.BytesIO(fn.code_bytes)).extractall(tmp)
        try:
            os.rename(tmp, target)
        except OSError:  # another invocation extracted it first
            pass
    return target


def _credentials(fn: Any) -> dict[str, str]:
    from moto.sts.models import sts_backends

    role = sts_backends[fn.account_id]["aws"].assume_role(
        region_name=fn.region, role_session_name=fn.function_name[:64], role_arn=fn.role,
        policy=None, duration=3600, external_id=None,
    )  # fmt: skip
    return {
        "AWS_ACCESS_KEY_ID": role.access_key_id,
        "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
        "AWS_SESSION_TOKEN": role.session_token,
    }


def _environment(fn: Any, code_dir: str, stream: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
    env.update(_credentials(fn))
    env.update(
        {
            "AWS_ENDPOINT_URL": _config["endpoint_url"],
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.logs_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "LAMBDA_TASK_ROOT": code_dir,
            "_HANDLER": fn.handler or "",
            "TZ": "UTC",
            "PYTHONPATH": code_dir,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run(fn: Any, event: Any) -> Result:
    """Invoke fn (a moto LambdaFunction) once with event, synchronously."""
    if not _config["endpoint_url"]:
        raise RuntimeError("lambda_runner.configure(endpoint_url=...) was not called")
    request_id = str(uuid.uuid4())
    code_dir = _code_dir(fn)
    stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp:
        result_path = os.path.join(tmp, "result.json")
        args = [sys.executable, "-c", _BOOTSTRAP, code_dir, fn.handler, result_path, str(fn.timeout),
                fn.function_arn, str(fn.memory_size), request_id, fn.logs_group_name, stream]  # fmt: skip
        started = time.monotonic()
        try:
            proc = subprocess.run(
                args, input=json.dumps(event), capture_output=True, text=True, cwd=code_dir,
                env=_environment(fn, code_dir, stream), timeout=fn.timeout + START_GRACE_SECONDS,
            )  # fmt: skip
            logs = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"") + (exc.stderr or b"")
            logs = out.decode(errors="replace") if isinstance(out, bytes) else out
            error = {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {fn.timeout} seconds"}
            return Result(False, error=error, logs=logs, duration_ms=_ms(started), request_id=request_id)
        duration = _ms(started)
        if not os.path.exists(result_path):
            error = {"errorType": "Runtime.ExitError", "errorMessage": f"exit status {proc.returncode}"}
            return Result(False, error=error, logs=logs, duration_ms=duration, request_id=request_id)
        with open(result_path) as fh:
            outcome = json.load(fh)
    return Result(outcome["ok"], outcome.get("payload"), outcome.get("error"), logs, duration, request_id)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# --- asynchronous invocations -------------------------------------------------------------


def submit(function_arn: str, event: Any, *, source: str, dead_letter_arn: str | None = None) -> None:
    """Queue an asynchronous invocation. dead_letter_arn: the caller's DLQ for delivery failures
    (an EventBridge target's DeadLetterConfig), used when the function does not exist."""
    global _worker
    _queue.put({"function_arn": function_arn, "event": event, "source": source, "dead_letter_arn": dead_letter_arn})
    with _log_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="mlgov-lambda-async", daemon=True)
            _worker.start()


def drain(timeout: float = 120.0) -> bool:
    """Wait until every queued invocation (and the ones they queued) is done; False on timeout."""
    deadline = time.monotonic() + timeout
    while _queue.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def invocations() -> list[dict[str, Any]]:
    with _log_lock:
        return list(_log)


def clear_invocations() -> None:
    with _log_lock:
        _log.clear()


def _record(**entry: Any) -> dict[str, Any]:
    entry = {"seq": next(_seq), "time": datetime.now(timezone.utc).isoformat(), **entry}
    with _log_lock:
        _log.append(entry)
    return entry


def _work() -> None:
    while True:
        item = _queue.get()
        try:
            _invoke_async(**item)
        except Exception:
            log.exception("sandbox: async invocation failed unexpectedly: %s", item.get("function_arn"))
        finally:
            _queue.task_done()


def _invoke_async(function_arn: str, event: Any, source: str, dead_letter_arn: str | None) -> None:
    try:
        fn = get_function(function_arn)
    except Exception as exc:
        error = {"errorType": "ResourceNotFoundException", "errorMessage": str(exc)}
        sent = _send(dead_letter_arn, event, error) if dead_letter_arn else None
        _record(function_arn=function_arn, source=source, status="NotFound", error=error, destination=sent)
        return
    config = fn.event_invoke_config[0].config if fn.event_invoke_config else {}
    attempts = 1 + int(config.get("MaximumRetryAttempts", 2))
    destinations = config.get("DestinationConfig", {})
    for attempt in range(1, attempts + 1):
        result = run(fn, event)
        last = result.ok or attempt == attempts
        sent = None
        if last and result.ok:
            sent = _send_record(destinations.get("OnSuccess", {}).get("Destination"), fn, event, result, attempt)
        elif last:
            target = destinations.get("OnFailure", {}).get("Destination")
            if target:
                sent = _send_record(target, fn, event, result, attempt)
            elif getattr(fn, "dead_letter_config", None):
                sent = _send(fn.dead_letter_config.get("TargetArn"), event, result.error)
        _record(
            function_arn=fn.function_arn, source=source, attempt=attempt, status="Success" if result.ok else "Error",
            request_id=result.request_id, payload=result.payload, error=result.error, duration_ms=result.duration_ms,
            logs=result.logs[-4000:], destination=sent,
        )  # fmt: skip
        if result.ok:
            return


def _send_record(target: str | None, fn: Any, event: Any, result: Result, attempt: int) -> str | None:
    """Lambda destination record (the shape AWS sends to OnSuccess/OnFailure destinations)."""
    if not target:
        return None
    record = {
        "version": "1.0",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "requestContext": {
            "requestId": result.request_id, "functionArn": f"{fn.function_arn}:$LATEST",
            "condition": "Success" if result.ok else "RetriesExhausted", "approximateInvokeCount": attempt,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            **({} if result.ok else {"functionError": "Unhandled"})},
        "responsePayload": result.payload if result.ok else result.error,
    }  # fmt: skip
    return _deliver(target, json.dumps(record, default=str), {})


def _send(target: str | None, event: Any, error: dict[str, Any] | None) -> str | None:
    """Dead-letter message: the original event, error details as message attributes."""
    if not target:
        return None
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": json.dumps(error or {})[:1000]},
    }
    return _deliver(target, json.dumps(event, default=str), attributes)


def _deliver(target: str, body: str, attributes: dict[str, Any]) -> str | None:
    parts = target.split(":")
    service, region, account, resource = parts[2], parts[3], parts[4], parts[5]
    if service == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[account][region].send_message(resource, body, message_attributes=attributes)
    elif service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[account][region].publish(body, arn=target)
    else:
        log.warning("sandbox: destination type %s not supported (%s)", service, target)
        return None
    return target


def invoke_sync(fn: Any, event: Any, source: str) -> Result:
    """Synchronous invocation (lambda Invoke RequestResponse), recorded in the invocation log."""
    result = run(fn, event)
    _record(
        function_arn=fn.function_arn, source=source, attempt=1, status="Success" if result.ok else "Error",
        request_id=result.request_id, payload=result.payload, error=result.error, duration_ms=result.duration_ms,
        logs=result.logs[-4000:], destination=None,
    )  # fmt: skip
    return result


def log_tail(result: Result) -> str:
    return base64.b64encode(result.logs[-4096:].encode()).decode()


def as_dict(result: Result) -> dict[str, Any]:
    return asdict(result)
