"""`mlgov analytics backfill` through the CLI against moto: the lake objects it writes are the ones
mlgov_core.lake computes from the table's items, a second run changes nothing, --dry-run writes
nothing and a bad --since is an input error that names it."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from governance_testkit import GROUP, OTHER_GROUP, TableFiller, aws_env, config_dir, run  # noqa: F401

from mlgov_cli.context import Context
from mlgov_cli.errors import EXIT_INPUT
from mlgov_config import AccountRole
from mlgov_core import keys, lake, lake_tables
from mlgov_core.queries import deserialize

START = (datetime.now(timezone.utc) - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)


def _at(days: int, seconds: int = 0) -> str:
    return (START + timedelta(days=days, seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def ctx(aws_env: None, config_dir: Path) -> Context:
    """Three versions over three days (registered, decided, QA metrics) and an empty lake bucket."""
    ctx = Context(config_dir=config_dir)
    filler = TableFiller(ctx.governance_client("dynamodb"), ctx.names.governance_table)
    filler.create_table()
    filler.change(GROUP, 1, _at(0), use_case="credit-risk")
    filler.change(GROUP, 1, _at(1), use_case="credit-risk", approval="Approved", stage="Test", status="Approved",
                  reason="tests green", decided_by="bob", metadata={"approved_by": "bob"})
    filler.metrics(GROUP, 1, _at(1, 60), {"auc": 0.81, "accuracy": 0.77, "p95_latency_ms": 120})
    filler.change(GROUP, 2, _at(2), use_case="credit-risk", registered_by="dave")
    filler.change(OTHER_GROUP, 1, _at(2, 30), use_case="fraud", registered_by="frank", stage="Test", status="Pending")
    filler.flush()
    ctx.governance_client("s3").create_bucket(Bucket=ctx.names.analytics_lake_bucket,
                                              CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return ctx


def _table_items(ctx: Context) -> list[dict[str, Any]]:
    """Every item (a test-side Scan: the backfill itself must not scan)."""
    client = ctx.session(AccountRole.GOVERNANCE, ctx.config.platform.terraform_role_name).client("dynamodb")
    return [deserialize(i) for page in client.get_paginator("scan").paginate(TableName=ctx.names.governance_table)
            for i in page["Items"]]


def _expected(ctx: Context) -> dict[str, bytes]:
    """What mlgov_core.lake makes of the whole table: each version's state, its registry changes (with the
    change before each) and metrics reports, and the config tables."""
    objects = dict(lake.config_objects(ctx.config))
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in _table_items(ctx):
        if not str(item["pk"]).startswith(keys.VERSION_PK_PREFIX):
            continue
        if item["sk"] == keys.STATE_SORT_KEY:
            write = lake.state_write(item)
            objects[write.key] = write.body
        elif str(item["sk"]).startswith(keys.HISTORY_PREFIX) and item.get("item_type") in (lake.REGISTRY_CHANGE,
                                                                                          lake.METRICS_REPORT):
            history[str(item["pk"])].append(item)
    for items in history.values():
        previous = lake.previous_in(items)
        for item in items:
            for write in lake.history_writes(item, previous.get(str(item["sk"]))):
                objects[write.key] = write.body
    return objects


def _lake(ctx: Context) -> dict[str, bytes]:
    s3, bucket = ctx.governance_client("s3"), ctx.names.analytics_lake_bucket
    listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in page.get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in listed}


def _rows(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


def test_backfill_writes_what_the_lake_projection_computes_and_a_rerun_changes_nothing(ctx: Context, config_dir: Path) -> None:
    result = run(config_dir, "--json", "analytics", "backfill", "--since", START.date().isoformat())
    assert result.exit_code == 0, result.output
    first = _lake(ctx)
    assert first == _expected(ctx)
    summary = json.loads(result.output)
    assert (summary["history_items"], summary["versions"], summary["objects"], summary["dry_run"]) == (5, 3, len(first), False)
    by_table = defaultdict(list)
    for key, body in first.items():
        by_table[key.split("/", 1)[0]].extend(_rows(body))
    prefix = {t.name: t.prefix for t in lake_tables.TABLES}
    assert len(by_table[prefix["versions"]]) == 3
    assert sorted(r["metric"] for r in by_table[prefix["metrics"]]) == ["accuracy", "auc", "p95_latency_ms"]
    decisions = [(r["version_id"], r["decider"]) for r in by_table[prefix["history"]] if r["is_decision"]]
    assert decisions == [(f"{GROUP}#000001", "bob")]

    again = run(config_dir, "--json", "analytics", "backfill", "--since", START.date().isoformat())
    assert again.exit_code == 0, again.output
    assert _lake(ctx) == first


def test_backfill_dry_run_counts_and_writes_nothing(ctx: Context, config_dir: Path) -> None:
    result = run(config_dir, "--json", "analytics", "backfill", "--since", START.date().isoformat(), "--dry-run")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["dry_run"], summary["objects"], summary["written"]) == (True, len(_expected(ctx)), 0)
    assert _lake(ctx) == {}


@pytest.mark.parametrize("since, why", [("2026-13-01", "not a date"), ("yesterday", "not a date"),
                                        ("2999-01-01", "in the future")])
def test_a_bad_since_is_an_input_error_naming_option_and_value(ctx: Context, config_dir: Path, since: str, why: str) -> None:
    result = run(config_dir, "analytics", "backfill", "--since", since)
    assert result.exit_code == EXIT_INPUT
    assert f"--since '{since}'" in result.output and why in result.output
    assert "Traceback" not in result.output
    assert _lake(ctx) == {}
