"""The governance dashboard at the end of the story: the lake the table's stream filled, the local
dashboard `mlgov dashboard` wrote from it, and the governance table itself must tell the same story."""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from boto3.dynamodb.types import TypeDeserializer

from mlgov_core import keys, rules
from mlgov_core.lake import METRICS_REPORT, REGISTRY_CHANGE, versions_key
from mlgov_core.lake_tables import HISTORY, METRICS, VERSIONS
from sandbox.demo import version_items

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from browser_kit import SCREENSHOTS, require_chromium  # noqa: E402
from page_check import check_page  # noqa: E402

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]
PROJECTED_ITEM_TYPES = (REGISTRY_CHANGE, METRICS_REPORT)


@pytest.fixture(scope="module")
def governance(sandbox_story):
    return sandbox_story.deployed.governance()


@pytest.fixture(scope="module")
def lake(sandbox_story, governance) -> dict[str, list[str]]:
    """Every lake key, by table."""
    s3 = governance.client("s3")
    bucket = sandbox_story.deployed.names.analytics_lake_bucket
    found: dict[str, list[str]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            found.setdefault(obj["Key"].split("/", 1)[0], []).append(obj["Key"])
    return found


def _table_counts(sandbox_story, governance) -> Counter:
    """Versions per (stage, status), from the table's by_stage_status index (state items only)."""
    dynamodb = governance.client("dynamodb")
    counts: Counter = Counter()
    for stage in [s.value for s in rules.STAGE_ORDER] + [rules.UNMAPPED]:
        for status in rules.StageStatus:
            answer = dynamodb.query(
                TableName=sandbox_story.deployed.names.governance_table, IndexName=keys.BY_STAGE_STATUS.name,
                Select="COUNT", KeyConditionExpression="#key = :value",
                ExpressionAttributeNames={"#key": keys.BY_STAGE_STATUS.partition_key},
                ExpressionAttributeValues={":value": {"S": keys.stage_status_key(stage, status.value)}})
            counts[(stage, status.value)] = answer["Count"]
    return +counts


def _table_decisions(sandbox_story, governance) -> Counter:
    """Approvals and rejections in the table's history, read with the core's one classifier."""
    lifecycle, decisions = sandbox_story.lifecycle, Counter()
    for version in (lifecycle.first, lifecycle.challenger):
        items = [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in version_items(
            governance, sandbox_story.deployed.names.governance_table, "credit-risk", version)]
        previous = None
        for item in sorted((i for i in items if i.get("item_type") == REGISTRY_CHANGE), key=lambda i: i["sk"]):
            decisions[rules.classify_change(previous, item)] += 1
            previous = item
    return decisions


def test_the_headline_counts_equal_the_governance_table(sandbox_story, governance):
    figures = sandbox_story.lifecycle.dashboard_headline
    shown = Counter({(stage, status): n for stage, by_status in figures["stage_status"].items()
                     for status, n in by_status.items() if n})
    table = _table_counts(sandbox_story, governance)
    assert shown == table, (shown, table)
    assert figures["versions"] == sum(table.values())
    assert figures["pending"] == sum(n for (_, status), n in table.items() if status == rules.StageStatus.PENDING.value)
    decisions = _table_decisions(sandbox_story, governance)
    assert (figures["approvals"], figures["rejections"]) == (decisions[rules.Change.APPROVED], decisions[rules.Change.REJECTED])
    assert figures["approvals"] >= 4 and figures["sod_breaches"] == 0  # Test and Prod, for both versions


def test_the_stream_filled_every_lake_table(sandbox_story, lake):
    lifecycle = sandbox_story.lifecycle
    for version in (lifecycle.first, lifecycle.challenger):
        assert versions_key(keys.version_id("credit-risk", version)) in lake.get(VERSIONS.prefix, []), lake
    assert lake.get(METRICS.prefix), "no metrics report reached the lake"
    assert all("/dt=" in k for k in lake[HISTORY.prefix] + lake[METRICS.prefix])


def test_each_lake_history_object_has_its_object_lock_twin(sandbox_story, governance, lake):
    """The lake's history and the archive use one key per history item: every projected item, none missing."""
    s3 = governance.client("s3")
    archive = sandbox_story.deployed.names.audit_archive_bucket
    archived = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=archive, Prefix="history/")
                for o in page.get("Contents", [])}
    projected = {key for key in archived if json.loads(gzip.decompress(
        s3.get_object(Bucket=archive, Key=key)["Body"].read()))["item_type"] in PROJECTED_ITEM_TYPES}
    assert projected and set(lake[HISTORY.prefix]) == projected


def test_lake_rows_name_who_decided(sandbox_story, governance, lake):
    s3 = governance.client("s3")
    bucket = sandbox_story.deployed.names.analytics_lake_bucket
    rows = [json.loads(line) for key in lake[HISTORY.prefix]
            for line in gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).splitlines()]
    decisions = [r for r in rows if r["is_decision"]]
    assert decisions and all(r["decider"] and not r["sod_breach"] for r in decisions)
    assert {r["item_type"] for r in rows} == set(PROJECTED_ITEM_TYPES)


@pytest.mark.browser
@pytest.mark.parametrize("page", ["dashboard", "report"])
def test_the_pages_load_in_a_real_browser(sandbox_story, page):
    require_chromium()
    lifecycle = sandbox_story.lifecycle
    path = lifecycle.dashboard_html if page == "dashboard" else lifecycle.report_html
    report = check_page(path, SCREENSHOTS / f"e2e-{page}.png")
    assert report.sections
    if page == "dashboard":
        assert report.charts >= sum(1 for kind in report.visuals.values() if kind != "table")
