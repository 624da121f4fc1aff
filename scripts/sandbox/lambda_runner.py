"""Run a Lambda function deployed to the moto sandbox locally, without Docker.

`run(fn, event)` executes one invocation synchronously in a warm execution environment: a long-lived
worker subprocess of this Python interpreter (`lambda_worker.py`) per function ARN + code hash +
configuration (environment variables, role, handler, memory), started on the first invocation (cold
start: interpreter + handler import) and reused by the following ones (warm: module-level state such as
cached boto3 clients survives, as on Lambda). Workers run with the function's environment variables, the
sandbox endpoint and credentials of the function's account (sts:AssumeRole of its execution role inside
moto, renewed by recycling workers after WORKER_MAX_AGE_SECONDS). Requests and results travel as JSON
lines on dedicated pipes; the function's stdout/stderr are its logs, captured per invocation.
A worker serves one invocation at a time; up to MAX_WORKERS_PER_FUNCTION run concurrently per function,
further invocations wait for one to be free. A timeout kills the worker (the next call is cold), a
crashed worker is replaced, and `shutdown()` (also at interpreter exit) stops them all.

`submit(...)` queues an asynchronous invocation (EventBridge target, Invoke with InvocationType=Event)
handled by one background worker in order: function errors are retried per the function's event
invoke config (MaximumRetryAttempts, default 2; retries are immediate, AWS waits 1-2 minutes), then
the event goes to the on-failure destination or, failing that, the function's DeadLetterConfig.
`submit_task(...)` queues other ordered background work on the same worker (the DynamoDB stream poller's
batches, `stream_poller.py`), so that `drain()`, which waits for the queue to empty, also waits for it;
`invocations()` returns the log of every attempt (with `cold` and `duration_ms`).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
import queue
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_config: dict[str, Any] = {
    "endpoint_url": os.environ.get("MLGOV_SANDBOX_ENDPOINT", ""),
    "state_dir": None,
    "warm": os.environ.get("MLGOV_SANDBOX_LAMBDA_WARM", "1") != "0",  # 0: every invocation starts cold
}
_queue: queue.Queue[dict[str, Any]] = queue.Queue()
_log: list[dict[str, Any]] = []
_log_lock = threading.Lock()
_worker: threading.Thread | None = None
_seq = itertools.count(1)
INIT_TIMEOUT_SECONDS = 10  # cold start: interpreter start-up and handler import (Lambda's init limit is 10 s)
WARM_GRACE_SECONDS = 1.0  # pipe round trip, on top of the configured timeout
MAX_WORKERS_PER_FUNCTION = 4  # concurrent invocations of one function; more wait for a free worker
MAX_WORKERS = 16  # in all; beyond it the least recently used idle workers are stopped
WORKER_IDLE_SECONDS = 600  # idle workers are stopped after this (checked whenever a worker is taken)
WORKER_MAX_AGE_SECONDS = 1800  # recycle before the role credentials (1 h) expire

def configure(endpoint_url: str | None = None, state_dir: str | None = None, warm: bool | None = None) -> None:
    """Set the sandbox URL the functions talk to, where extracted code is kept, whether workers stay warm."""
    if endpoint_url and endpoint_url != _config["endpoint_url"]:
        _config["endpoint_url"] = endpoint_url
        shutdown()  # workers hold the old endpoint in their environment
    if state_dir:
        _config["state_dir"] = state_dir
    if warm is not None:
        _config["warm"] = warm


@dataclass
class Result:
    ok: bool
    payload: Any = None
    error: dict[str, Any] | None = None
    logs: str = ""
    duration_ms: int = 0
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    cold: bool = True  # a new worker was started (and the handler imported) for this invocation
    init_ms: int | None = None  # cold start: time to import the handler module
    worker_pid: int | None = None


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


def _environment(fn: Any, code_dir: str) -> dict[str, str]:
    """The function's process environment, without credentials and log stream (added per worker)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
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


def _pool_key(fn: Any, env: dict[str, str]) -> str:
    """Workers are reused only for the same function, code and configuration (environment, role, handler)."""
    material = json.dumps({"env": env, "role": fn.role, "handler": fn.handler, "memory": fn.memory_size}, sort_keys=True)
    return f"{fn.function_arn}|{fn.code_digest}|{hashlib.sha256(material.encode()).hexdigest()[:16]}"


def run(fn: Any, event: Any) -> Result:
    """Invoke fn (a moto LambdaFunction) once with event, synchronously, in a warm worker if one is idle."""
    if not _config["endpoint_url"]:
        raise RuntimeError("lambda_runner.configure(endpoint_url=...) was not called")
    request_id = str(uuid.uuid4())
    code_dir = _code_dir(fn)
    env = _environment(fn, code_dir)
    key = _pool_key(fn, env)
    for attempt in (1, 2):
        try:
            worker = _acquire(fn, key, code_dir, env)
        except _Throttled:
            error = {"errorType": "TooManyRequestsException",
                     "errorMessage": f"sandbox: {MAX_WORKERS_PER_FUNCTION} invocations of the function are already running"}
            return Result(False, error=error, request_id=request_id)  # fmt: skip
        try:
            return worker.invoke(event, fn.timeout, request_id)
        except _Lost as lost:  # a warm worker had died while idle: the handler did not run, try a fresh one
            if attempt == 2:
                return lost.result
        finally:
            _release(worker)
    raise AssertionError("unreachable")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# --- warm execution environments ----------------------------------------------------------

_WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambda_worker.py")
# -c (not the script path) so that sys.path[0] is the function's code, not scripts/sandbox
_WORKER_BOOT = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')"
_pool = threading.Condition()
_workers: list[_Worker] = []
_starting: dict[str, int] = {}
_current: dict[str, str] = {}  # function ARN -> pool key of its current code/configuration


class _Throttled(Exception):
    pass


class _Lost(Exception):
    def __init__(self, result: Result):
        super().__init__(result.error)
        self.result = result


class _Worker:
    """One execution environment: a lambda_worker.py subprocess (own session) serving one invocation at a time."""

    def __init__(self, fn: Any, key: str, code_dir: str, env: dict[str, str]):
        self.key, self.function_arn = key, fn.function_arn
        self.stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.dir = tempfile.mkdtemp(prefix="mlgov-lambda-")
        self.boot_log = os.path.join(self.dir, "worker.log")
        env = {**env, "AWS_LAMBDA_LOG_STREAM_NAME": self.stream, **_credentials(fn)}
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        args = [sys.executable, "-c", _WORKER_BOOT, _WORKER_SCRIPT, str(req_r), str(resp_w), code_dir, fn.handler,
                fn.function_arn, str(fn.memory_size), fn.logs_group_name, self.stream]  # fmt: skip
        try:
            with open(self.boot_log, "wb") as boot_log:
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=boot_log, stderr=subprocess.STDOUT, cwd=code_dir, env=env,
                    pass_fds=(req_r, resp_w), start_new_session=True,
                )  # fmt: skip
        except BaseException:
            os.close(req_w)
            os.close(resp_r)
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        finally:
            os.close(req_r)
            os.close(resp_w)
        self.pid = self.proc.pid
        self.requests = os.fdopen(req_w, "wb")
        self.responses = resp_r
        self.selector = selectors.DefaultSelector()
        self.selector.register(resp_r, selectors.EVENT_READ)
        self.buffer = b""
        self.created = self.last_used = time.monotonic()
        self.invocations = 0
        self.busy = False
        self.closed = False
        _pids.add(self.pid)

    def alive(self) -> bool:
        return not self.closed and self.proc.poll() is None

    def invoke(self, event: Any, timeout: int, request_id: str) -> Result:
        cold = self.invocations == 0
        self.invocations += 1
        log_path = os.path.join(self.dir, f"{request_id}.log")
        started = time.monotonic()

        def result(ok: bool, payload: Any = None, error: dict[str, Any] | None = None, init_ms: int | None = None) -> Result:
            logs = _read_text(log_path)
            if cold:
                logs = _read_text(self.boot_log) + logs
            with contextlib.suppress(OSError):
                os.unlink(log_path)
            return Result(ok, payload, error, logs, _ms(started), request_id, cold, init_ms, self.pid)

        def timed_out() -> Result:
            error = {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout} seconds"}
            failed = result(False, error=error)  # logs so far, before close() removes them
            self.close()
            return failed

        def exited() -> Result:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            error = {"errorType": "Runtime.ExitError", "errorMessage": f"exit status {self.proc.returncode}"}
            failed = result(False, error=error)
            self.close(kill=False)
            return failed

        request = {"request_id": request_id, "event": event, "timeout": timeout, "log_path": log_path}
        try:
            self.requests.write(json.dumps(request, default=str).encode() + b"\n")
            self.requests.flush()
            begun = self._read(started + (INIT_TIMEOUT_SECONDS if cold else WARM_GRACE_SECONDS))
        except TimeoutError:
            return timed_out()
        except (OSError, EOFError):
            if cold:
                return exited()
            raise _Lost(exited()) from None
        try:
            outcome = self._read(time.monotonic() + timeout + WARM_GRACE_SECONDS)
        except TimeoutError:
            return timed_out()
        except (OSError, EOFError):
            return exited()
        self.last_used = time.monotonic()
        done = result(outcome["ok"], outcome.get("payload"), outcome.get("error"), begun.get("init_ms"))
        if outcome.get("fatal"):  # the handler could not be loaded: the worker exits, the next call is cold
            self.close(kill=False)
        return done

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if self.selector.select(remaining):
                chunk = os.read(self.responses, 1 << 16)
                if not chunk:
                    raise EOFError
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def close(self, kill: bool = True) -> None:
        """Stop the worker (and anything it started, its process group) and free its pipes and files."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self.requests.close()  # EOF: an idle worker exits by itself
            if kill and self.proc.poll() is None:
                with contextlib.suppress(OSError):
                    os.killpg(self.pid, signal.SIGKILL)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait()
            self.selector.close()
            with contextlib.suppress(OSError):
                os.close(self.responses)
            shutil.rmtree(self.dir, ignore_errors=True)


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode(errors="replace")
    except OSError:
        return ""


def _expired(worker: _Worker, now: float) -> bool:
    return (
        not worker.alive()
        or worker.key != _current.get(worker.function_arn)  # code or configuration changed since
        or now - worker.created > WORKER_MAX_AGE_SECONDS  # credentials (AssumeRole, 1 h) must not expire
        or (not worker.busy and now - worker.last_used > WORKER_IDLE_SECONDS)
        or not _config["warm"]
    )


def _acquire(fn: Any, key: str, code_dir: str, env: dict[str, str]) -> _Worker:
    """An idle warm worker for key, else a new (cold) one; waits while MAX_WORKERS_PER_FUNCTION are busy."""
    deadline = time.monotonic() + fn.timeout + INIT_TIMEOUT_SECONDS
    retired: list[_Worker] = []
    try:
        with _pool:
            _current[fn.function_arn] = key
            while True:
                now = time.monotonic()
                for worker in [w for w in _workers if not w.busy and _expired(w, now)]:
                    _workers.remove(worker)
                    retired.append(worker)
                idle = [w for w in _workers if w.key == key and not w.busy]
                if idle:
                    worker = max(idle, key=lambda w: w.last_used)
                    worker.busy = True
                    return worker
                if sum(w.key == key for w in _workers) + _starting.get(key, 0) < MAX_WORKERS_PER_FUNCTION:
                    _starting[key] = _starting.get(key, 0) + 1
                    break
                if now >= deadline:
                    raise _Throttled
                _pool.wait(deadline - now)
            idle = sorted((w for w in _workers if not w.busy), key=lambda w: w.last_used)
            while idle and len(_workers) + sum(_starting.values()) > MAX_WORKERS:  # evict least recently used
                worker = idle.pop(0)
                _workers.remove(worker)
                retired.append(worker)
    finally:
        for worker in retired:
            worker.close()
    try:
        worker = _Worker(fn, key, code_dir, env)
    finally:
        with _pool:
            _starting[key] -= 1
            _pool.notify_all()
    with _pool:
        worker.busy = True
        _workers.append(worker)
    return worker


def _release(worker: _Worker) -> None:
    with _pool:
        worker.busy = False
        retire = worker in _workers and _expired(worker, time.monotonic())
        if retire or not worker.alive():
            with contextlib.suppress(ValueError):
                _workers.remove(worker)
        _pool.notify_all()
    if retire or not worker.alive():
        worker.close()


def workers() -> list[dict[str, Any]]:
    """The live execution environments (for tests and diagnostics)."""
    with _pool:
        return [{"pid": w.pid, "function_arn": w.function_arn, "key": w.key, "busy": w.busy, "invocations": w.invocations}
                for w in _workers]  # fmt: skip


def worker_pids() -> set[int]:
    """Every worker process this runner ever started (alive or not)."""
    return set(_pids)


def shutdown() -> None:
    """Stop every worker (busy ones are killed: their invocation fails with Runtime.ExitError).
    Runs at interpreter exit; the runner stays usable (the next invocation starts cold)."""
    with _pool:
        stopping = list(_workers)
        _workers.clear()
        _pool.notify_all()
    for worker in stopping:
        worker.close()


_pids: set[int] = set()
atexit.register(shutdown)

# --- asynchronous invocations -------------------------------------------------------------


def submit(function_arn: str, event: Any, *, source: str, dead_letter_arn: str | None = None) -> None:
    """Queue an asynchronous invocation. dead_letter_arn: the caller's DLQ for delivery failures
    (an EventBridge target's DeadLetterConfig), used when the function does not exist."""
    _enqueue({"function_arn": function_arn, "event": event, "source": source, "dead_letter_arn": dead_letter_arn})


def _enqueue(item: dict[str, Any]) -> None:
    global _worker
    _queue.put(item)
    with _log_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="mlgov-lambda-async", daemon=True)
            _worker.start()


def submit_task(task: Callable[[], None], *, source: str) -> None:
    """Queue task behind the asynchronous invocations (one worker: tasks and invocations run in order).
    A task may submit more work; drain() waits for that too, since it is queued before the task ends."""
    _enqueue({"task": task, "source": source})


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


def record(**entry: Any) -> dict[str, Any]:
    """Append an entry to the invocation log (for work that is not one invocation, e.g. a discarded batch)."""
    return _record(**entry)


def _record(**entry: Any) -> dict[str, Any]:
    entry = {"seq": next(_seq), "time": datetime.now(timezone.utc).isoformat(), **entry}
    with _log_lock:
        _log.append(entry)
    return entry


def _work() -> None:
    while True:
        item = _queue.get()
        try:
            if "task" in item:
                item["task"]()
            else:
                _invoke_async(**item)
        except Exception:
            log.exception("sandbox: async work failed unexpectedly: %s", item.get("function_arn") or item.get("source"))
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
            cold=result.cold, init_ms=result.init_ms, worker_pid=result.worker_pid,
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


def deliver(target: str, body: str, attributes: dict[str, Any] | None = None) -> str | None:
    """Send body to an SQS queue or SNS topic ARN (a destination); the ARN, or None if the type is unsupported."""
    return _deliver(target, body, attributes or {})


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
        cold=result.cold, init_ms=result.init_ms, worker_pid=result.worker_pid,
        logs=result.logs[-4000:], destination=None,
    )  # fmt: skip
    return result


def log_tail(result: Result) -> str:
    return base64.b64encode(result.logs[-4096:].encode()).decode()


def as_dict(result: Result) -> dict[str, Any]:
    return asdict(result)
