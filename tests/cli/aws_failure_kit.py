"""An AWS that fails: a local HTTP endpoint answering with AWS's error documents, a closed port, no credentials.

The endpoint answers each request in its protocol's error shape, as botocore parses it: query
protocols (STS, IAM: a form body with Action=) get an <ErrorResponse> XML document, JSON protocols
(DynamoDB, SageMaker, API Gateway) a body with ``__type`` and the x-amzn-ErrorType header, S3
(rest-xml, told by the signature's credential scope) an <Error> document. With
``sts_ok`` set, sts:AssumeRole succeeds first, so the command's own service calls get the error.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

ASSUMED = """<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAFAILINGENDPOINT1</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>
<SessionToken>token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAFAILING:tester</AssumedRoleId>
<Arn>arn:aws:sts::111111111111:assumed-role/failing/tester</Arn></AssumedRoleUser>
</AssumeRoleResult></AssumeRoleResponse>"""
# Every variable through which botocore could find credentials (besides the two files and IMDS).
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                        "AWS_ENDPOINT_URL", "MLGOV_ENDPOINT_URL")


@dataclass
class Failing:
    code: str = "Throttling"
    status: int = 400
    sts_ok: bool = False  # answer sts:AssumeRole with credentials, fail everything after it
    requests: int = 0
    assumed: list[dict[str, str]] = field(default_factory=list)  # the AssumeRole requests' parameters


class FailingEndpoint(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failing = Failing()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FailingEndpoint

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        self._answer(body)

    def do_GET(self) -> None:  # noqa: N802
        self._answer("")

    def _answer(self, body: str) -> None:
        failing = self.server.failing
        failing.requests += 1
        message = f"emulated {failing.code}"
        if "Action=AssumeRole" in body:
            failing.assumed.append(dict(parse_qsl(body)))
        if failing.sts_ok and "Action=AssumeRole" in body:
            self._send(200, "text/xml", ASSUMED, {})
        elif "/s3/aws4_request" in (self.headers.get("Authorization") or ""):  # S3's rest-xml
            self._send(failing.status, "application/xml", (
                f"<Error><Code>{failing.code}</Code><Message>{message}</Message><RequestId>r1</RequestId></Error>"), {})
        elif "Action=" in body:  # query protocol
            self._send(failing.status, "text/xml", (
                '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                f"<Code>{failing.code}</Code><Message>{message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>"), {})
        else:  # JSON protocols, and rest-json through the header
            self._send(failing.status, "application/x-amz-json-1.1", json.dumps({"__type": failing.code, "message": message}),
                       {"x-amzn-ErrorType": failing.code})

    def _send(self, status: int, content_type: str, text: str, headers: dict[str, str]) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def failing_endpoint() -> Iterator[FailingEndpoint]:
    server = FailingEndpoint()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    """A local URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """botocore's whole chain finds nothing: no variables, empty files, no instance metadata."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty-aws-file"
    empty.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials that sign requests (the endpoint decides they are expired or throttled)."""
    no_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAILINGTEST00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "failing")
