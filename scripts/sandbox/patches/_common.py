"""Shared helpers for the sandbox patches: idempotent method wrapping, ARN parsing, caller identity."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

_ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>\d{12}):(?P<resource>.+)$")


def parse_arn(value: str | None) -> dict[str, str] | None:
    """Return service/region/account/resource of an ARN, or None if value is not an ARN."""
    if not isinstance(value, str):
        return None
    match = _ARN.match(value)
    return match.groupdict() if match else None


def wrap(owner: Any, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Replace owner.name by wrapper(orig, *args, **kwargs); applying twice is a no-op."""

    def decorate(wrapper: Callable[..., Any]) -> Callable[..., Any]:
        orig = owner.__dict__.get(name) or getattr(owner, name)
        tag = f"{wrapper.__module__}.{wrapper.__qualname__}"
        if tag in getattr(orig, "_mlgov_wrapped", ()):
            return orig

        @functools.wraps(orig)
        def method(*args: Any, **kwargs: Any) -> Any:
            return wrapper(orig, *args, **kwargs)

        method._mlgov_wrapped = (*getattr(orig, "_mlgov_wrapped", ()), tag)  # type: ignore[attr-defined]
        setattr(owner, name, method)
        return method

    return decorate


def add_method(owner: Any, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add a new method to a moto response class (moto dispatches actions by method name)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(owner, name, fn)
        return fn

    return decorate


def caller_identity(access_key: str, account_id: str) -> tuple[str, str]:
    """(principal id, ARN) of the caller, as moto's sts GetCallerIdentity would report it."""
    from moto.sts.models import sts_backends

    user_id, arn, _ = sts_backends[account_id]["aws"].get_caller_identity(access_key, "us-east-1")
    return user_id, arn
