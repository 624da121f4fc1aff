"""Start the mlgov sandbox: moto server (pinned 5.2.5) with the sandbox patches, on 127.0.0.1.

    python -m sandbox.server --port 5055 [--state-dir DIR]

Prints "READY <port>" on stdout once listening; exits cleanly on SIGTERM/SIGINT.
Besides the AWS APIs it serves (JSON):
    POST   /_mlgov/drain[?timeout=S]  wait until queued async Lambda invocations are done
    GET    /_mlgov/invocations        every Lambda invocation attempt (function, status, result, error, logs)
    DELETE /_mlgov/invocations        clear that log
    GET    /_mlgov/health
    GET|PUT /_mlgov/organization      {"id": "o-...", "accounts": [...]}: who is in the organisation (aws:PrincipalOrgID)
    ANY    /_mlgov/execute-api/{rest_api_id}/{stage}/{path...}  call a deployed REST API (also host style:
           http://{rest_api_id}.execute-api.localhost:{port}/{stage}/{path...}); see patches/apigateway_execute.py
--state-dir holds extracted function code (moto state itself lives in memory only).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import Any
from urllib.parse import parse_qs

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # roles attach AWS-managed policies; before moto import

PREFIX = "/_mlgov/"


class SandboxApp:
    """WSGI app: /_mlgov/* control endpoints, everything else to moto's dispatcher."""

    def __init__(self, moto_app: Any):
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        from .patches import apigateway_execute

        execute_api = apigateway_execute.matches(environ)
        if execute_api:
            return apigateway_execute.handle(environ, start_response, execute_api)
        if not path.startswith(PREFIX):
            return self.moto_app(environ, start_response)
        from . import lambda_runner
        from .patches._organization import organization, set_organization

        method, name = environ["REQUEST_METHOD"], path[len(PREFIX) :].strip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        status, body = "200 OK", None
        if name == "drain" and method == "POST":
            drained = lambda_runner.drain(float(query.get("timeout", ["120"])[0]))
            body = {"drained": drained}
            status = "200 OK" if drained else "504 Gateway Timeout"
        elif name == "invocations" and method == "GET":
            body = {"invocations": lambda_runner.invocations()}
        elif name == "invocations" and method == "DELETE":
            lambda_runner.clear_invocations()
            body = {}
        elif name == "organization" and method == "GET":
            body = organization()
        elif name == "organization" and method == "PUT":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            wanted = json.loads(environ["wsgi.input"].read(length) or b"{}")
            set_organization(wanted.get("id"), list(wanted.get("accounts", [])))
            body = organization()
        elif name == "health":
            body = {"status": "ok"}
        else:
            status, body = "404 Not Found", {"error": f"unknown {method} {path}"}
        data = json.dumps(body, default=str).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def make_server(port: int, host: str = "127.0.0.1", state_dir: str | None = None) -> Any:
    """Patched moto + control endpoints as a threaded werkzeug server (not yet serving)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server as werkzeug_server

    from . import lambda_runner
    from .patches import apply_all

    apply_all()
    app = SandboxApp(DomainDispatcherApplication(create_backend_app))
    server = werkzeug_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    lambda_runner.configure(endpoint_url=f"http://{host}:{server.server_port}", state_dir=state_dir)
    return server


def start_in_thread(port: int = 0, state_dir: str | None = None) -> tuple[Any, str]:
    """For tests: start the sandbox in a daemon thread; returns (server, url). Stop with server.shutdown()."""
    server = make_server(port, state_dir=state_dir)
    threading.Thread(target=server.serve_forever, name="mlgov-sandbox", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir")
    args = parser.parse_args(argv)
    if args.state_dir:
        os.makedirs(args.state_dir, exist_ok=True)
    server = make_server(args.port, state_dir=args.state_dir)

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()
    server.server_close()
    from . import lambda_runner

    lambda_runner.shutdown()  # warm Lambda workers never outlive the server
    return 0


if __name__ == "__main__":
    sys.exit(main())
