"""One warm Lambda execution environment: the long-lived subprocess `lambda_runner` talks to.

Standalone (standard library only): `lambda_runner` starts it as
    python -c "<runpy of this file>" REQ_FD RESP_FD CODE_DIR HANDLER ARN MEMORY LOG_GROUP LOG_STREAM
with the function's environment, cwd = the extracted code, stdin = /dev/null. It is never imported by
the sandbox itself, and it is not run as a script (that would put scripts/sandbox on sys.path ahead of
the function's code).

Protocol: one JSON object per line on two dedicated pipes (REQ_FD in, RESP_FD out), so the function's
own stdout/stderr never mix with it.
    request   {"request_id", "event", "timeout", "log_path"}
    response  {"started": true, "init_ms": N | null}   when the handler is about to run (init_ms: the
                                                     handler module was imported now = cold start)
              {"ok": true, "payload": ...} | {"ok": false, "error": {errorType, errorMessage, stackTrace},
               "fatal": bool}                        when it returned or raised
While an invocation runs, fds 1 and 2 point at the request's log_path (the invocation's logs; the cold
start's import output lands in the first invocation's logs, like Lambda's INIT phase).
The handler module is imported once, on the first request; its module-level state (clients, settings,
counters) lives as long as the process. An import error is reported as that invocation's error and the
worker exits (`fatal`), so the next invocation starts cold. EOF on REQ_FD, or the parent process going
away, ends the worker.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any


def _watch_parent(parent: int) -> None:
    """Never outlive the sandbox: exit (with anything the handler started) once the parent is gone."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                try:
                    os.killpg(0, signal.SIGKILL)  # our own process group (started as a session leader)
                finally:
                    os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exc().splitlines(),
    }


def main(argv: list[str]) -> int:
    req_fd, resp_fd, code_dir, handler, arn, memory, group, stream = argv[:8]
    _watch_parent(os.getppid())
    sys.path.insert(0, code_dir)
    requests = os.fdopen(int(req_fd), "r", encoding="utf-8")
    responses = os.fdopen(int(resp_fd), "w", encoding="utf-8")
    saved_out, saved_err = os.dup(1), os.dup(2)
    func = None

    def send(message: dict[str, Any]) -> None:
        responses.write(json.dumps(message, default=str) + "\n")
        responses.flush()

    for line in requests:
        request = json.loads(line)
        log_fd = os.open(request["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        fatal = False
        try:
            init_ms = None
            if func is None:
                started = time.monotonic()
                try:
                    module_name, func_name = handler.rsplit(".", 1)
                    func = getattr(importlib.import_module(module_name), func_name)
                except Exception as exc:
                    outcome: dict[str, Any] = {"ok": False, "error": _error(exc)}
                    fatal = True
                init_ms = int((time.monotonic() - started) * 1000)
            send({"started": True, "init_ms": init_ms})
            if not fatal:
                deadline = time.time() + float(request["timeout"])

                class Context:
                    function_name = arn.split(":")[6]
                    function_version = "$LATEST"
                    invoked_function_arn = arn
                    memory_limit_in_mb = int(memory)
                    aws_request_id = request["request_id"]
                    log_group_name = group
                    log_stream_name = stream
                    identity = None
                    client_context = None

                    @staticmethod
                    def get_remaining_time_in_millis() -> int:
                        return max(0, int((deadline - time.time()) * 1000))

                try:
                    outcome = {"ok": True, "payload": func(request["event"], Context())}
                    json.dumps(outcome)  # a payload Lambda could not serialise is an error
                except Exception as exc:
                    outcome = {"ok": False, "error": _error(exc)}
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
        send({**outcome, "fatal": fatal})
        if fatal:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
