"""moto's bucket-policy check never sees the request's condition keys and counts any statement with a Condition as Deny, so a TLS-only or SSE Deny refuses every object request; AWS evaluates conditions and principals."""

from __future__ import annotations

import ipaddress
import json
import threading
from typing import Any

from ._common import caller_identity, wrap
from ._organization import principal_org_context
from ._policy import evaluate

_request = threading.local()  # werkzeug serves each request in its own thread; S3Response.setup_class sets it


def request_context(request: Any, access_key: str, account: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(caller, condition keys) of an S3 request.

    aws:SecureTransport is true for HTTPS and for loopback clients: the sandbox serves plain HTTP on
    127.0.0.1 where real clients always use TLS, so a TLS-only policy must not refuse it.
    """
    headers = {k.lower(): v for k, v in request.headers.items()}
    remote = request.remote_addr or ""
    try:
        loopback = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        loopback = False
    context: dict[str, list[str]] = {
        "aws:securetransport": ["true" if request.scheme == "https" or loopback else "false"],
    }
    if remote:
        context["aws:sourceip"] = [remote]
    for name, value in headers.items():
        if name.startswith("x-amz-") and not name.startswith(("x-amz-date", "x-amz-security-token")):
            context[f"s3:{name}"] = [value]
    # Conditional writes (S3 user guide, "Enforce conditional writes"): the If-None-Match header is s3:if-none-match.
    if "if-none-match" in headers:
        context["s3:if-none-match"] = [headers["if-none-match"]]
    for name in ("prefix", "delimiter", "max-keys"):
        if name in request.args:
            context[f"s3:{name}"] = [request.args[name]]
    signed = "authorization" in headers or "X-Amz-Credential" in request.args
    caller = {"account": "", "arn": "", "role_arn": ""}
    if signed:
        caller["account"] = account
        try:
            _, arn = caller_identity(access_key, account)
        except Exception:  # noqa: BLE001 - unknown key: the account alone identifies the caller
            arn = ""
        caller["arn"] = arn
        if ":assumed-role/" in arn:
            role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
            caller["role_arn"] = f"arn:aws:iam::{account}:role/{role}"
        context["aws:principalaccount"] = [account]
        context.update(principal_org_context(account))
        if caller["role_arn"] or arn:
            context["aws:principalarn"] = [caller["role_arn"] or arn]
    return caller, context


ACCESS_DENIED = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")


def apply() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    @wrap(S3Response, "setup_class")
    def setup_class(orig: Any, self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, request, *args, **kwargs)
        _request.value = (request, self.access_key, self.current_account)

    @wrap(S3Response, "_key_response")
    def key_response(orig: Any, self: Any, request: Any, full_url: str) -> Any:
        # moto answers a policy denial with a bare 403; S3 sends the AccessDenied error document
        # (a HEAD answer has no body on S3 either).
        answer = orig(self, request, full_url)
        if answer == (403, {}, "") and request.method != "HEAD":
            return 403, {"Content-Type": "application/xml"}, ACCESS_DENIED
        return answer

    @wrap(FakeBucket, "get_permission")
    def get_permission(orig: Any, self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        current = getattr(_request, "value", None)
        caller, context = request_context(*current) if current else ({}, {})
        return PermissionResult[evaluate(json.loads(self.policy.decode()), action, resource, caller, context)]
