"""Human-readable tables by default, JSON for automation; progress only for a human watching."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table

from mlgov_cli.context import Context

console = Console(stderr=False)
progress_console = Console(stderr=True)


def emit(ctx: Context, rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> None:
    """Print rows as a table, or as a JSON list when --json is set."""
    if ctx.json_output:
        print(json.dumps(list(rows), default=str, indent=2, sort_keys=True))
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)


def emit_object(ctx: Context, value: dict[str, Any], message: str) -> None:
    """One result: a sentence for people, the object for machines."""
    if ctx.json_output:
        print(json.dumps(value, default=str, indent=2, sort_keys=True))
    else:
        console.print(message)


@contextmanager
def progress(ctx: Context, description: str) -> Iterator[None]:
    """A spinner on stderr for steps that take seconds; silent in --json mode or without a terminal."""
    if ctx.json_output or not sys.stderr.isatty():
        yield
        return
    with progress_console.status(description):
        yield


