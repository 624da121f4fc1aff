"""IAM policy-statement evaluation shared by the patches that enforce policies moto stores but never evaluates."""

from __future__ import annotations

import fnmatch
import logging
from typing import Any

log = logging.getLogger(__name__)

NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike")


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _arn_like(pattern: str, value: str) -> bool:
    """IAM matches each of an ARN's six colon-separated parts on its own: a wildcard never spans a colon."""
    patterns, values = pattern.split(":", 5), value.split(":", 5)
    return len(patterns) == len(values) and all(_like(p, v) for p, v in zip(patterns, values))


def _match_one(op: str, expected: str, actual: str) -> bool:
    base = op.replace("Not", "")
    if base in ("StringEquals", "ArnEquals"):
        return actual == expected
    if base == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if base == "StringLike":
        return _like(expected, actual)
    if base == "ArnLike":
        return _arn_like(expected, actual)
    if base == "Bool":
        return actual.lower() == str(expected).lower()
    raise NotImplementedError(op)


def condition_holds(operator: str, key_values: dict[str, Any], context: dict[str, list[str]]) -> bool:
    """IAM semantics of one operator block: every key must hold; a key's values are alternatives.

    Context keys are lower case (IAM compares key names case-insensitively). A missing key:
    `...IfExists` holds; `Null` tests presence; a negated operator holds; any other does not.
    """
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    for key, expected in key_values.items():
        actual = context.get(key.lower())
        expected = [str(v) if not isinstance(v, bool) else str(v).lower() for v in as_list(expected)]
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


def principal_match(principal: Any, caller: dict[str, str]) -> str | None:
    """How a Principal element names the caller: "any" ("*"), "account" (id or :root), "principal"
    (its role, session or user ARN, or the caller's "service" name under "Service"), or None.

    The kind matters in the resource owner's own account: naming the account delegates to its IAM
    policies, naming the principal grants by itself.
    """
    if principal == "*":
        return "any"
    if not isinstance(principal, dict):
        return None
    if caller.get("service") and caller["service"] in as_list(principal.get("Service", [])):
        return "principal"  # a service principal (e.g. cloudtrail.amazonaws.com) named as such
    values = as_list(principal.get("AWS", []))
    if "*" in values:
        return "any"
    if any(v and v in (caller.get("arn"), caller.get("role_arn")) for v in values):
        return "principal"
    account = caller.get("account")
    if account and any(v in (account, f"arn:aws:iam::{account}:root") for v in values):
        return "account"
    return None


def principal_matches(principal: Any, caller: dict[str, str]) -> bool:
    """Principal "*" / {"AWS": "*"}, the caller's account (id or :root), its role or its own ARN."""
    return principal_match(principal, caller) is not None


def statement_applies(stmt: dict[str, Any], action: str, resource: str, caller: dict[str, str],
                      context: dict[str, list[str]]) -> bool:  # fmt: skip
    def any_match(patterns: Any, value: str, case: bool = True) -> bool:
        return any(fnmatch.fnmatchcase(value if case else value.lower(), p if case else p.lower()) for p in as_list(patterns))

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
        log.warning("policy statement %s: condition operator %s not evaluated", stmt.get("Sid"), exc)
        return False


def applicable(policy: dict[str, Any] | None, action: str, resource: str, caller: dict[str, str],
               context: dict[str, list[str]]) -> list[dict[str, Any]]:  # fmt: skip
    """The statements of a policy document that apply to this request."""
    statements = as_list((policy or {}).get("Statement", []))
    return [s for s in statements if statement_applies(s, action, resource, caller, context)]


def evaluate(policy: dict[str, Any], action: str, resource: str, caller: dict[str, str],
             context: dict[str, list[str]], label: str = "bucket policy") -> str:  # fmt: skip
    """"DENIED" if a Deny statement applies, else "PERMITTED" if an Allow applies, else "NEUTRAL"."""
    statements = applicable(policy, action, resource, caller, context)
    denies = [s.get("Sid", "?") for s in statements if s.get("Effect") == "Deny"]
    if denies:  # moto answers a bare 403: say in the server log which statement refused
        log.warning("%s: %s on %s by %s denied by %s", label, action, resource, caller.get("arn") or "anonymous", denies)
        return "DENIED"
    return "PERMITTED" if any(s.get("Effect") == "Allow" for s in statements) else "NEUTRAL"
