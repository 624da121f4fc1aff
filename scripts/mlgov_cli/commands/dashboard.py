"""Compliance officer: `mlgov dashboard` writes the governance dashboard as one local HTML page.

The same sheets and visuals as the QuickSight dashboard (mlgov_analytics.dashboard), drawn from the
same views' SQL run by DuckDB (mlgov_analytics.local) over the analytics lake: downloaded from the
governance account's lake bucket, or a local copy given with --lake.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from mlgov_cli.context import Context
from mlgov_cli.errors import CliError, aws_errors
from mlgov_cli.options import read_role_option
from mlgov_cli.output import console


def _results(lake: Path, now: datetime) -> dict[str, list[dict[str, Any]]]:
    from mlgov_analytics.local import LakeError, run_views

    try:
        return run_views(lake, now=now)
    except LakeError as error:
        raise CliError(f"cannot read the lake at {lake}: {error}") from None


def _download(ctx: Context, as_role: str | None, dest: Path) -> tuple[Path, str]:
    from mlgov_analytics.local import LakeError, download_lake

    bucket = ctx.names.analytics_lake_bucket
    s3 = ctx.reader_client("s3", as_role)
    with aws_errors(f"downloading the analytics lake s3://{bucket}"):
        try:
            download_lake(s3, bucket, dest)
        except LakeError as error:
            raise CliError(f"the analytics lake s3://{bucket}: {error}") from None
    return dest, f"s3://{bucket}"


@click.command("dashboard")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder for dashboard.html.")
@click.option("--lake", "lake_dir", type=click.Path(path_type=Path),
              help="A local copy of the analytics lake (the bucket's layout) instead of downloading the bucket.")
@read_role_option
@click.pass_obj
def dashboard(ctx: Context, out_dir: Path, lake_dir: Path | None, as_role: str | None) -> None:
    """Write the governance dashboard (dashboard.html): Overview, Inventory, Audit trail, Quality and
    Monitoring, as in QuickSight, with the headline figures on top (--json prints them)."""
    from mlgov_analytics import html
    from mlgov_analytics.headline import headline

    now = datetime.now(timezone.utc)
    if lake_dir is not None and not lake_dir.is_dir():
        raise CliError(f"--lake {lake_dir}: not a folder (a local copy of the analytics lake, the bucket's layout)")
    with tempfile.TemporaryDirectory(prefix="mlgov-lake-") as scratch:
        if lake_dir is None:
            lake, source = _download(ctx, as_role, Path(scratch) / "lake")
        else:
            lake, source = lake_dir, f"the local lake {lake_dir}"
        results = _results(lake, now)
    try:
        path = html.write(results, out_dir, generated_at=now.isoformat(timespec="seconds"), source=source)
    except OSError as error:
        raise CliError(f"cannot write the dashboard to {out_dir}: {error}") from None
    figures = headline(results)
    if ctx.json_output:
        print(json.dumps({**figures, "source": source, "files": {"html": str(path)}}, indent=2, sort_keys=True))
        return
    console.print(f"governance dashboard from {source}: {figures['versions']} version(s), {figures['pending']} pending, "
                  f"{figures['approvals']} approval(s), {figures['rejections']} rejection(s), "
                  f"{figures['sod_breaches']} separation-of-duties breach(es)")
    click.echo(f"  HTML: {path}")  # plain echo: a path is never wrapped


COMMANDS = (dashboard,)
