"""moto's bucket-policy check never sees the request's condition keys and counts any statement with a Condition as Deny, so a TLS-only or SSE Deny refuses every object request; AWS evaluates conditions and principals."""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import logging
import threading
from typing import Any

from ._common import caller_identity, wrap

log = logging.getLogger(__name__)
_request = threading.local()  # werkzeug serves each request in its own thread; S3Response.setup_class sets it

NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike")


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _match_one(op: str, expected: str, actual: str) -> bool:
    base = op.replace("Not", "")
    if base in ("StringEquals", "ArnEquals"):
        return actual == expected
    if base == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if base in ("StringLike", "ArnLike"):
        return _like(expected, actual)
    if base == "Bool":
        return actual.lower() == str(expected).lower()
    raise NotImplementedError(op)


def condition_holds(operator: str, key_values: dict[str, Any], context: dict[str, list[str]]) -> bool:
    """IAM semantics of one operator block: every key must hold; a key's values are alternatives.

    A missing key: `...IfExists` holds; `Null` tests presence; a negated operator holds; any other does not.
    """
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    for key, expected in key_values.items():
        actual = context.get(key.lower())
        expected = [str(v) if not isinstance(v, bool) else str(v).lower() for v in _as_list(expected)]
        if op == "Null":
            if (actual is None) != (expected[0].lower() == "true"):
                return False
            continue
        if actual is None:
            if if_exists or (op in NEGATED and qualifier != "ForAnyValue"):
                continue
            return qualifier == "ForAllValues"
        hits = [any(_match_one(op, e, a) for e in expected) for a in actual]
        negated = op in NEGATED
        if qualifier == "ForAllValues":
            ok = all((not h) if negated else h for h in hits)
        elif qualifier == "ForAnyValue":
            ok = any((not h) if negated else h for h in hits)
        else:
            ok = not any(hits) if negated else any(hits)
        if not ok:
            return False
    return True


def principal_matches(principal: Any, caller: dict[str, str]) -> bool:
    """Principal "*" / {"AWS": "*"}, the caller's account (id or :root), its role or its own ARN."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for value in _as_list(principal.get("AWS", [])):
        if value == "*" or (caller.get("account") and value in (caller["account"], f"arn:aws:iam::{caller['account']}:root")):
            return True
        if value and value in (caller.get("arn"), caller.get("role_arn")):
            return True
    return False


def statement_applies(stmt: dict[str, Any], action: str, resource: str, caller: dict[str, str],
                      context: dict[str, list[str]]) -> bool:  # fmt: skip
    def any_match(patterns: Any, value: str, case: bool = True) -> bool:
        return any(fnmatch.fnmatchcase(value if case else value.lower(), p if case else p.lower()) for p in _as_list(patterns))

    if "Action" in stmt and not any_match(stmt["Action"], action, case=False):
        return False
    if "NotAction" in stmt and any_match(stmt["NotAction"], action, case=False):
        return False
    if "Resource" in stmt and not any_match(stmt["Resource"], resource):
        return False
    if "NotResource" in stmt and any_match(stmt["NotResource"], resource):
        return False
    if "Principal" in stmt and not principal_matches(stmt["Principal"], caller):
        return False
    if "NotPrincipal" in stmt and principal_matches(stmt["NotPrincipal"], caller):
        return False
    try:
        return all(condition_holds(op, kv, context) for op, kv in (stmt.get("Condition") or {}).items())
    except NotImplementedError as exc:  # an operator this sandbox does not evaluate: the statement does not apply
        log.warning("bucket policy statement %s: condition operator %s not evaluated", stmt.get("Sid"), exc)
        return False


def evaluate(policy: dict[str, Any], action: str, resource: str, caller: dict[str, str],
             context: dict[str, list[str]]) -> str:  # fmt: skip
    """"DENIED" if a Deny statement applies, else "PERMITTED" if an Allow applies, else "NEUTRAL"."""
    applicable = [s for s in _as_list(policy.get("Statement", [])) if statement_applies(s, action, resource, caller, context)]
    denies = [s.get("Sid", "?") for s in applicable if s.get("Effect") == "Deny"]
    if denies:  # moto answers a bare 403: say in the server log which statement refused
        log.warning("bucket policy: %s on %s by %s denied by %s", action, resource, caller.get("arn") or "anonymous", denies)
        return "DENIED"
    return "PERMITTED" if any(s.get("Effect") == "Allow" for s in applicable) else "NEUTRAL"


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
        if caller["role_arn"] or arn:
            context["aws:principalarn"] = [caller["role_arn"] or arn]
    return caller, context


def apply() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    @wrap(S3Response, "setup_class")
    def setup_class(orig: Any, self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, request, *args, **kwargs)
        _request.value = (request, self.access_key, self.current_account)

    @wrap(FakeBucket, "get_permission")
    def get_permission(orig: Any, self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        current = getattr(_request, "value", None)
        caller, context = request_context(*current) if current else ({}, {})
        return PermissionResult[evaluate(json.loads(self.policy.decode()), action, resource, caller, context)]
