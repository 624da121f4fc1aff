"""Each view on the fixture lake (fixture_lake.py) returns the rows worked out by hand from that lake."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from fixture_lake import CM, FD, NOW, build_lake
from lake_kit import Lake

from mlgov_analytics.local import run_views
from mlgov_analytics.views import BY_NAME


@pytest.fixture
def result(lake: Path) -> dict[str, list[dict]]:
    return run_views(lake, now=NOW)


def tuples(rows: list[dict]) -> list[tuple]:
    return [tuple(row.values()) for row in rows]


def test_stage_status_counts(result):
    assert tuples(result["stage_status_counts"]) == [
        ("churn", "low", "Dev", "Pending", 1),
        ("churn", "low", "Test", "Rejected", 1),
        ("fraud", "high", "Prod", "Approved", 2),
    ]


def test_risk_tier_counts(result):
    assert tuples(result["risk_tier_counts"]) == [
        ("high", "Prod", "Approved", 2),
        ("low", "Dev", "Pending", 1),
        ("low", "Test", "Rejected", 1),
    ]


def test_changes_per_day_counts_history_items_not_metric_rows(result):
    # The 11-01 QA report has two metrics (two metrics rows) but is one history item: one change.
    assert tuples(result["changes_per_day"]) == [
        ("2026-11-01", "fraud", "history", 2), ("2026-11-01", "fraud", "metrics", 1),
        ("2026-11-02", "churn", "history", 2), ("2026-11-02", "fraud", "history", 3), ("2026-11-02", "fraud", "metrics", 2),
        ("2026-11-03", "fraud", "history", 1), ("2026-11-03", "fraud", "metrics", 1),
        ("2026-11-04", "fraud", "history", 1), ("2026-11-04", "fraud", "metrics", 2),
    ]


def test_inventory_days_in_stage_against_the_fixed_clock(result):
    # NOW is 2026-11-10T00:00Z. fraud v1 entered Prod 11-03T12:00 (6.5 days), v2 11-04T09:00 (5.6),
    # churn v2 entered Test 11-02T10:00 (7.6; the rejection at 11:00 is not an entry); churn v1 has
    # no history, so its last_modified 11-01T08:00 stands in (8.7).
    assert tuples(result["inventory"]) == [
        ("churn", "low", "retail", CM, 1, "Dev", "Pending", "carol", None, "2026-11-01T08:00:00Z", 8),
        ("churn", "low", "retail", CM, 2, "Test", "Rejected", "carol", None, "2026-11-02T11:00:00Z", 7),
        ("fraud", "high", "payments", FD, 1, "Prod", "Approved", "alice", "bob", "2026-11-03T12:00:00Z", 6),
        ("fraud", "high", "payments", FD, 2, "Prod", "Approved", "alice", "bob", "2026-11-04T09:00:00Z", 5),
    ]


def test_days_in_stage_restarts_when_a_version_comes_back_to_a_stage(tmp_path: Path):
    lake = Lake(tmp_path)
    lake.version(CM, 3, use_case="churn", stage="Dev", status="Pending", last_modified="2026-11-08T00:00:00Z")
    lake.change(CM, 3, "2026-11-01T00:00:00Z", stage="Dev", status="Pending")
    lake.change(CM, 3, "2026-11-02T00:00:00Z", stage="Test", status="Pending")
    lake.change(CM, 3, "2026-11-07T00:00:00Z", stage="Dev", status="Pending")
    lake.change(CM, 3, "2026-11-08T00:00:00Z", stage="Dev", status="Pending")
    (row,) = run_views(tmp_path, [BY_NAME["inventory"]], now=NOW)["inventory"]
    assert row["days_in_stage"] == 3  # since 11-07, not 11-01 (first Dev) nor 11-08 (latest Dev)


def test_days_in_stage_follows_the_clock(lake: Path):
    later = datetime(2026, 11, 20, tzinfo=timezone.utc)
    days = [r["days_in_stage"] for r in run_views(lake, [BY_NAME["inventory"]], now=later)["inventory"]]
    assert days == [18, 17, 16, 15]


def test_audit_trail_newest_first(result):
    h, m = "history", "metrics"
    assert [(r["changed_at"], r["model_group"], r["version"], r["item_type"], r["stage"], r["status"], r["decider"])
            for r in result["audit_trail"]] == [
        ("2026-11-04T13:00:00Z", FD, 1, m, "Prod", None, None),
        ("2026-11-04T13:00:00Z", FD, 2, m, "Prod", None, None),
        ("2026-11-04T09:00:00Z", FD, 2, h, "Prod", "Approved", "bob"),
        ("2026-11-03T13:00:00Z", FD, 1, m, "Prod", None, None),
        ("2026-11-03T12:00:00Z", FD, 1, h, "Prod", "Approved", "bob"),
        ("2026-11-02T11:00:00Z", CM, 2, h, "Test", "Rejected", "dave"),
        ("2026-11-02T10:00:00Z", CM, 2, h, "Test", "Pending", None),
        ("2026-11-02T10:00:00Z", FD, 2, m, "Test", None, None),
        ("2026-11-02T09:30:00Z", FD, 2, m, "Test", None, None),
        ("2026-11-02T09:00:00Z", FD, 2, h, "Test", "Approved", "bob"),
        ("2026-11-02T08:00:00Z", FD, 1, h, "Test", "Approved", "bob"),
        ("2026-11-02T07:00:00Z", FD, 2, h, "Dev", "Pending", None),
        ("2026-11-01T18:00:00Z", FD, 1, m, "Test", None, None),
        ("2026-11-01T15:00:00Z", FD, 1, h, "Dev", "Approved", "bob"),
        ("2026-11-01T10:00:00Z", FD, 1, h, "Dev", "Pending", None),
    ]
    first = result["audit_trail"][-1]
    assert (first["day"], first["use_case"], first["changed_by"], first["registrant"], first["sod_breach"]) == \
        ("2026-11-01", "fraud", "alice", "alice", None)


def test_sod_breaches_clean_lake_reads_zero(result):
    assert result["sod_breaches"] == [{"breaches": 0}]


def test_sod_breaches_counts_the_projected_breach(breach_lake: Path):
    result = run_views(breach_lake, [BY_NAME["sod_breaches"], BY_NAME["audit_trail"]], now=NOW)
    assert result["sod_breaches"] == [{"breaches": 1}]
    assert [(r["decider"], r["registrant"]) for r in result["audit_trail"] if r["sod_breach"]] == [("carol", "carol")]


def test_sod_breaches_uses_the_projected_flag_not_a_name_comparison(tmp_path: Path):
    # Same name, but the core did not call it a breach (say, two identities behind one display name):
    # the view reports what the core derived, it does not re-derive the rule.
    lake = Lake(tmp_path)
    lake.change(CM, 1, "2026-11-01T00:00:00Z", decider="carol", registrant="carol", is_decision=True, sod_breach=False)
    assert run_views(tmp_path, [BY_NAME["sod_breaches"]])["sod_breaches"] == [{"breaches": 0}]


def test_qa_against_gates_latest_report_and_missing_metric(result):
    # v2's later QA report (auc 0.83, latency 250) wins over its earlier one (0.70, 180); nobody
    # reported f1, so that gate is not passed; churn has no gates, so no rows.
    assert tuples(result["qa_against_gates"]) == [
        ("fraud", FD, 1, "Prod", "auc", 0.85, ">=", 0.8, True),
        ("fraud", FD, 1, "Prod", "f1", None, ">", 0.5, False),
        ("fraud", FD, 1, "Prod", "latency_ms", 150.0, "<=", 200.0, True),
        ("fraud", FD, 2, "Prod", "auc", 0.83, ">=", 0.8, True),
        ("fraud", FD, 2, "Prod", "f1", None, ">", 0.5, False),
        ("fraud", FD, 2, "Prod", "latency_ms", 250.0, "<=", 200.0, False),
    ]


@pytest.mark.parametrize(("comparison", "value", "passes"), [
    ("==", 0.8, True), ("==", 0.81, False), ("<", 0.79, True), ("<", 0.8, False), (">", 0.8, False), (">=", 0.8, True),
])
def test_qa_gate_comparisons(tmp_path: Path, comparison: str, value: float, passes: bool):
    lake = Lake(tmp_path)
    lake.gate(use_case="fraud", model_group=FD, stage="Prod", metric="auc", comparison=comparison, threshold=0.8)
    lake.write_config()
    lake.version(FD, 1, use_case="fraud", stage="Test")
    lake.report(FD, 1, "2026-11-01T00:00:00Z", "qa", {"auc": value})
    (row,) = run_views(tmp_path, [BY_NAME["qa_against_gates"]])["qa_against_gates"]
    assert row["passes"] is passes


def test_production_metrics(result):
    assert tuples(result["production_metrics"]) == [
        ("2026-11-03T13:00:00Z", "2026-11-03", "fraud", FD, 1, "champion", "error_rate", 0.02),
        ("2026-11-03T13:00:00Z", "2026-11-03", "fraud", FD, 1, "champion", "latency_ms", 120.0),
        ("2026-11-04T13:00:00Z", "2026-11-04", "fraud", FD, 2, "challenger", "error_rate", 0.03),
        ("2026-11-04T13:00:00Z", "2026-11-04", "fraud", FD, 1, "champion", "error_rate", 0.07),
    ]


def test_champion_challenger_latest_per_variant(result):
    assert tuples(result["champion_challenger"]) == [
        ("fraud", "error_rate", "challenger", 2, 0.03, "2026-11-04T13:00:00Z"),
        ("fraud", "error_rate", "champion", 1, 0.07, "2026-11-04T13:00:00Z"),
        ("fraud", "latency_ms", "champion", 1, 120.0, "2026-11-03T13:00:00Z"),
    ]


def test_monitoring_only_metrics_with_an_alarm(result):
    # latency_ms has no alarm configured: not shown. The champion's latest error rate 0.07 > 0.05.
    assert tuples(result["monitoring"]) == [
        ("fraud", FD, "challenger", 2, "error_rate", 0.03, 0.05, False, "2026-11-04T13:00:00Z"),
        ("fraud", FD, "champion", 1, "error_rate", 0.07, 0.05, True, "2026-11-04T13:00:00Z"),
    ]


def test_breach_lake_differs_only_in_the_breach(lake: Path, breach_lake: Path):
    clean, breach = run_views(lake, now=NOW), run_views(breach_lake, now=NOW)
    assert {name for name in clean if clean[name] != breach[name]} == {"audit_trail", "sod_breaches"}

