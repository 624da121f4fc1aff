"""lambda_runner warm execution environments: reuse, module state, timeout/crash recovery, config changes, shutdown."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sandbox_accounts import GOV, REGION
from sandbox_functions import create_python_function, python_zip

from sandbox import lambda_runner
from sandbox.accounts import assume
from sandbox.process import SandboxProcess

COUNTER = """
import os, time
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    print("call", COUNT)
    if event.get("raise"):
        raise ValueError("nope")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(3)
    return {"count": COUNT, "pid": os.getpid(), "color": os.environ.get("COLOR"), "version": VERSION}
VERSION = 1
"""


def _function(aws, source: str = COUNTER, timeout: int = 30, **extra) -> str:
    return create_python_function(aws, source, Timeout=timeout, **extra)


def _invoke(aws, fn: str, event: dict | None = None) -> tuple[dict, dict]:
    """(payload or error, invocation log entry) of one RequestResponse invocation."""
    response = aws("lambda", GOV).invoke(FunctionName=fn, Payload=json.dumps(event or {}))
    body = json.loads(response["Payload"].read())
    entry = [e for e in lambda_runner.invocations() if e["function_arn"] == fn][-1]
    assert ("FunctionError" in response) == (entry["status"] == "Error")
    return body, entry


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # an unreaped zombie is not a running worker
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _gone(pids: set[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_second_invocation_is_warm_and_module_state_persists(aws):
    fn = _function(aws)
    calls = [_invoke(aws, fn) for _ in range(3)]
    assert [body["count"] for body, _ in calls] == [1, 2, 3]
    assert [entry["cold"] for _, entry in calls] == [True, False, False]
    assert len({entry["worker_pid"] for _, entry in calls}) == 1 == len({body["pid"] for body, _ in calls})
    assert calls[0][0]["pid"] == calls[0][1]["worker_pid"]
    assert calls[0][1]["init_ms"] is not None and calls[1][1]["init_ms"] is None
    assert all(isinstance(entry["duration_ms"], int) for _, entry in calls)
    assert [entry["logs"].strip() for _, entry in calls] == ["call 1", "call 2", "call 3"]  # logs per invocation


def test_handler_exception_leaves_worker_usable(aws):
    fn = _function(aws)
    assert _invoke(aws, fn)[0]["count"] == 1
    error, entry = _invoke(aws, fn, {"raise": True})
    assert (error["errorType"], error["errorMessage"], entry["cold"]) == ("ValueError", "nope", False)
    body, entry = _invoke(aws, fn)
    assert (body["count"], entry["cold"]) == (3, False)


def test_timeout_kills_worker_and_next_call_is_cold(aws):
    fn = _function(aws, timeout=1)
    body, _ = _invoke(aws, fn)
    started = time.monotonic()
    error, entry = _invoke(aws, fn, {"sleep": 30})
    assert time.monotonic() - started < 10
    assert error == {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 1 seconds"}
    assert "call 2" in entry["logs"]
    assert not _alive(body["pid"])
    body, entry = _invoke(aws, fn)
    assert (body["count"], entry["cold"]) == (1, True)


def test_crashed_worker_is_replaced(aws):
    fn = _function(aws)
    _invoke(aws, fn)
    error, entry = _invoke(aws, fn, {"exit": True})
    assert (error["errorType"], error["errorMessage"], entry["cold"]) == ("Runtime.ExitError", "exit status 3", False)
    body, entry = _invoke(aws, fn)
    assert (body["count"], entry["cold"]) == (1, True)
    os.kill(body["pid"], signal.SIGKILL)  # dies while idle: the next invocation still succeeds, cold
    assert _gone({body["pid"]})
    body, entry = _invoke(aws, fn)
    assert (body["count"], entry["cold"]) == (1, True)


def test_environment_or_code_change_starts_new_worker(aws):
    lam = aws("lambda", GOV)
    fn = _function(aws, Environment={"Variables": {"COLOR": "blue"}})
    blue, _ = _invoke(aws, fn)
    assert _invoke(aws, fn)[1]["cold"] is False
    lam.update_function_configuration(FunctionName=fn, Environment={"Variables": {"COLOR": "green"}})
    green, entry = _invoke(aws, fn)
    assert (green["color"], green["count"], entry["cold"]) == ("green", 1, True)
    assert _gone({blue["pid"]})  # the stale worker is stopped
    lam.update_function_code(FunctionName=fn, ZipFile=python_zip(COUNTER.replace("VERSION = 1", "VERSION = 2")))
    body, entry = _invoke(aws, fn)
    assert (body["version"], body["count"], entry["cold"]) == (2, 1, True)
    assert _gone({green["pid"]})


def test_concurrent_invocations_get_separate_workers(aws):
    fn = _function(aws)
    with ThreadPoolExecutor(2) as pool:
        bodies = list(pool.map(lambda _: _invoke(aws, fn, {"sleep": 1})[0], range(2)))
    assert len({b["pid"] for b in bodies}) == 2
    assert [b["count"] for b in bodies] == [1, 1]
    assert _invoke(aws, fn)[1]["cold"] is False


def test_async_invocations_warm_and_recorded(aws, sandbox_url):
    fn = _function(aws)
    for n in range(2):
        aws("lambda", GOV).invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"n": n}))
    assert requests.post(f"{sandbox_url}/_mlgov/drain", timeout=60).json() == {"drained": True}
    log = requests.get(f"{sandbox_url}/_mlgov/invocations", timeout=10).json()["invocations"]
    mine = [e for e in log if e["function_arn"] == fn]
    assert [(e["status"], e["cold"], e["payload"]["count"]) for e in mine] == [("Success", True, 1), ("Success", False, 2)]


def test_workers_recycled_after_max_age(aws, monkeypatch):
    fn = _function(aws)
    first, _ = _invoke(aws, fn)
    monkeypatch.setattr(lambda_runner, "WORKER_MAX_AGE_SECONDS", 0)  # fresh credentials on every call
    body, entry = _invoke(aws, fn)
    assert (body["count"], entry["cold"]) == (1, True)
    assert _gone({first["pid"]})


def test_shutdown_stops_workers_and_runner_stays_usable(aws):
    fn = _function(aws)
    body, _ = _invoke(aws, fn)
    assert body["pid"] in {w["pid"] for w in lambda_runner.workers()}
    lambda_runner.shutdown()
    assert lambda_runner.workers() == []
    assert not _alive(body["pid"])
    body, entry = _invoke(aws, fn)
    assert (body["count"], entry["cold"]) == (1, True)


def _worker_pids(aws, url: str) -> set[int]:
    fns = [_function(aws) for _ in range(2)]
    for fn in fns:
        for _ in range(2):
            assert "FunctionError" not in aws("lambda").invoke(FunctionName=fn, Payload=b"{}")
    log = requests.get(f"{url}/_mlgov/invocations", timeout=10).json()["invocations"]
    assert [e["cold"] for e in log] == [True, False, True, False]
    pids = {e["worker_pid"] for e in log}
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    return pids


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_no_worker_outlives_the_server_process(tmp_path, stop):
    """SIGTERM: the server shuts its workers down on exit; SIGKILL: orphaned workers notice and exit."""
    with SandboxProcess(tmp_path / "state", tmp_path / "server.log") as sandbox:
        account = assume(sandbox.url, REGION, f"arn:aws:iam::{GOV}:role/sandbox-test", "test")
        try:
            pids = _worker_pids(lambda service, *_: account.client(service), sandbox.url)
        finally:
            sandbox.proc.send_signal(stop)  # before the context's own SIGTERM: this test chooses the signal
            sandbox.proc.wait(timeout=20)
    assert _gone(pids, timeout=10)


def test_import_error_is_reported_and_next_call_starts_cold(aws):
    fn = _function(aws, "import no_such_module_mlgov\ndef handler(event, context):\n    return 1\n")
    for _ in range(2):
        error, entry = _invoke(aws, fn)
        assert (error["errorType"], entry["cold"]) == ("ModuleNotFoundError", True)
