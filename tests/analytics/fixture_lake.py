"""The fixture lake: two use cases, four versions, their registry changes and metrics reports.

fraud (fraud-detector, high risk): v1 and v2 both approved to Prod and A/B tested (champion v1,
challenger v2); churn (churn-model, low risk): v1 registered in Dev (no history in the lake, as if
projected before its changes), v2 rejected in Test by dave. Days are 2026-11-01 .. 2026-11-04.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lake_kit import Lake

NOW = datetime(2026, 11, 10, tzinfo=timezone.utc)
FD, CM = "fraud-detector", "churn-model"
DECISION = {"is_decision": True, "sod_breach": False}


def build_lake(root: Path, *, breach: bool = False) -> Lake:
    lake = Lake(root)
    lake.use_case(use_case="fraud", model_group=FD, risk_tier="high", line_of_business="payments")
    lake.use_case(use_case="churn", model_group=CM, risk_tier="low", line_of_business="retail")
    lake.gate(use_case="fraud", model_group=FD, stage="Prod", metric="auc", comparison=">=", threshold=0.8)
    lake.gate(use_case="fraud", model_group=FD, stage="Prod", metric="latency_ms", comparison="<=", threshold=200)
    lake.gate(use_case="fraud", model_group=FD, stage="Prod", metric="f1", comparison=">", threshold=0.5)
    lake.alarm(use_case="fraud", model_group=FD, metric="error_rate", max_value=0.05, source="alarms.error_rate")
    lake.write_config()

    lake.version(FD, 1, use_case="fraud", stage="Prod", status="Approved", registered_by="alice",
                 approved_by="bob", last_modified="2026-11-03T12:00:00Z")
    lake.version(FD, 2, use_case="fraud", stage="Prod", status="Approved", registered_by="alice",
                 approved_by="bob", last_modified="2026-11-04T09:00:00Z")
    lake.version(CM, 1, use_case="churn", stage="Dev", status="Pending", registered_by="carol",
                 last_modified="2026-11-01T08:00:00Z")
    lake.version(CM, 2, use_case="churn", stage="Test", status="Rejected", registered_by="carol",
                 last_modified="2026-11-02T11:00:00Z")

    who = {"registrant": "alice", "registered_by": "alice"}
    lake.change(FD, 1, "2026-11-01T10:00:00Z", stage="Dev", status="Pending", changed_by="alice", is_decision=False, **who)
    lake.change(FD, 1, "2026-11-01T15:00:00Z", stage="Dev", status="Approved", changed_by="bob", decider="bob", **DECISION, **who)
    lake.change(FD, 1, "2026-11-02T08:00:00Z", stage="Test", status="Approved", changed_by="bob", decider="bob", **DECISION, **who)
    lake.change(FD, 1, "2026-11-03T12:00:00Z", stage="Prod", status="Approved", changed_by="bob", decider="bob", **DECISION, **who)
    lake.change(FD, 2, "2026-11-02T07:00:00Z", stage="Dev", status="Pending", changed_by="alice", is_decision=False, **who)
    lake.change(FD, 2, "2026-11-02T09:00:00Z", stage="Test", status="Approved", changed_by="bob", decider="bob", **DECISION, **who)
    lake.change(FD, 2, "2026-11-04T09:00:00Z", stage="Prod", status="Approved", changed_by="bob", decider="bob", **DECISION, **who)
    carol = {"registrant": "carol", "registered_by": "carol"}
    lake.change(CM, 2, "2026-11-02T10:00:00Z", stage="Test", status="Pending", changed_by="carol", is_decision=False, **carol)
    # The breach variant: carol rejects her own version; the projection marked it (sod_breach).
    decider = "carol" if breach else "dave"
    lake.change(CM, 2, "2026-11-02T11:00:00Z", stage="Test", status="Rejected", changed_by=decider, decider=decider,
                is_decision=True, sod_breach=breach, **carol)

    for at, version, kind, variant, values in (
        ("2026-11-01T18:00:00Z", 1, "qa", None, {"auc": 0.85, "latency_ms": 150.0}),
        ("2026-11-02T09:30:00Z", 2, "qa", None, {"auc": 0.70, "latency_ms": 180.0}),
        ("2026-11-02T10:00:00Z", 2, "qa", None, {"auc": 0.83, "latency_ms": 250.0}),
        ("2026-11-03T13:00:00Z", 1, "production", "champion", {"error_rate": 0.02, "latency_ms": 120.0}),
        ("2026-11-04T13:00:00Z", 1, "production", "champion", {"error_rate": 0.07}),
        ("2026-11-04T13:00:00Z", 2, "production", "challenger", {"error_rate": 0.03}),
    ):
        stage = "Test" if kind == "qa" else "Prod"
        lake.report(FD, version, at, kind, values, stage=stage, variant=variant, reported_by="metrics-ingest")
        lake.change(FD, version, at, item_type="metrics", stage=stage, changed_by="metrics-ingest", **who)
    return lake
