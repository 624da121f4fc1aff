"""Platform operator: `mlgov analytics backfill` rebuilds the analytics lake from the governance table.

The stream keeps records 24 hours; whatever lake-projection missed (a DLQ'd batch, a lake created
after the table) is rebuilt from the table's by_change_day index, never a Scan.

Default --since: the governance table's creation day (DescribeTable). Our writers date history by the
change (registry LastModifiedTime, report time), and every writer runs against the table, so only a
registry change older than the table (a reconcile of a group that predates the platform) lies before
it; pass --since for those.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import click

from mlgov_cli import lake_backfill
from mlgov_cli.context import Context
from mlgov_cli.errors import CliError, aws_errors
from mlgov_cli.output import console, progress


@click.group("analytics")
def analytics() -> None:
    """The analytics lake behind the governance dashboard."""


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--since {text!r}: not a date; write YYYY-MM-DD") from None


@analytics.command("backfill")
@click.option("--since", metavar="YYYY-MM-DD", help="First change day to rebuild (default: the table's creation day).")
@click.option("--dry-run", is_flag=True, help="Read the table and count the objects; write nothing.")
@click.pass_obj
def backfill(ctx: Context, since: str | None, dry_run: bool) -> None:
    """Rebuild the lake (versions, history, metrics, config tables) from the table, idempotently."""
    first = _day(since)
    today = datetime.now(timezone.utc).date()
    if first is not None and first > today:
        raise CliError(f"--since {since!r}: in the future (today is {today.isoformat()} UTC)")
    table, bucket = ctx.names.governance_table, ctx.names.analytics_lake_bucket
    config = ctx.config
    dynamodb = ctx.governance_client("dynamodb")
    with progress(ctx, "rebuilding the analytics lake from the governance table"), aws_errors("analytics backfill"):
        if first is None:
            created = dynamodb.describe_table(TableName=table)["Table"]["CreationDateTime"]
            first = created.astimezone(timezone.utc).date()
        result = lake_backfill.build(dynamodb, table, first, today, config)
        if not dry_run:
            lake_backfill.write(result, ctx.governance_client("s3"), bucket)
    summary = {**result.to_dict(), "bucket": bucket, "dry_run": dry_run}
    if ctx.json_output:
        print(json.dumps(summary, indent=2, sort_keys=True))
        return
    verb = "would write" if dry_run else "wrote"
    console.print(f"{result.days} day(s) from {result.since}: {result.history_items} history item(s), "
                  f"{result.versions} version(s); {verb} {len(result.objects)} object(s) to s3://{bucket}")


COMMANDS = (analytics,)
