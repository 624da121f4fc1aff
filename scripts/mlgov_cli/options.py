"""Inputs every command takes the same way: stage and status names, use case names, the read role.

Stage and status names come from mlgov_core.rules (one source of truth) and are accepted in any
case (``prod``, ``PROD`` and ``Prod`` are the same stage); commands always get the canonical name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

import click

from mlgov_cli.context import Context
from mlgov_cli.errors import CliError
from mlgov_config import UseCaseConfig
from mlgov_core import rules

F = TypeVar("F", bound=Callable[..., Any])


class CanonicalName(click.ParamType):
    """One of a rules enum's values, matched ignoring case; the command receives the enum member."""

    def __init__(self, what: str, members: Iterable[Enum]) -> None:
        self.what = what
        self.members = tuple(members)
        self.name = what

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(str(m.value) for m in self.members) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Enum:
        if isinstance(value, Enum) and value in self.members:
            return value
        text = str(value).strip()
        for member in self.members:
            if str(member.value).lower() == text.lower():
                return member
        self.fail(f"{text[:40]!r} is not a {self.what}; use one of {', '.join(str(m.value) for m in self.members)} "
                  "(any case)", param, ctx)


def stage_type(*stages: rules.Stage) -> CanonicalName:
    """A stage name (all stages, or only ``stages``)."""
    return CanonicalName("stage", stages or rules.STAGE_ORDER)


def status_type(*statuses: rules.StageStatus) -> CanonicalName:
    return CanonicalName("status", statuses or tuple(rules.StageStatus))


def use_case_config(ctx: Context, name: str) -> UseCaseConfig:
    """The configured use case called ``name``; exit 2 naming it and the known ones otherwise."""
    found = ctx.config.use_cases.get(name)
    if found is None:
        known = ", ".join(sorted(ctx.config.use_cases)) or "none"
        raise CliError(f"unknown use case {name[:64]!r}; configured: {known}")
    return found


def read_role_option(command: F) -> F:
    """``--as-role``: the governance-account role a read command assumes (default: the compliance officer's)."""
    return click.option(
        "--as-role", "as_role", metavar="ROLE",
        help="Governance-account role for the reads (default: <prefix>-compliance-officer, read-only; "
             "assumed with $MLGOV_OPERATOR, else the login name, as source identity).")(command)
