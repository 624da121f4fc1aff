"""View results as run_views returns them (view name -> rows), built here so the page is tested
without the lake: every view, every column, and user text that must be escaped."""

from __future__ import annotations

from typing import Any

from mlgov_analytics.views import VIEWS

EVIL = "<script>alert('x')</script>"


def _row(view: str, **values: Any) -> dict[str, Any]:
    columns = next(v for v in VIEWS if v.name == view).column_names()
    assert set(values) == set(columns), (view, set(values) ^ set(columns))
    return {c: values[c] for c in columns}


def results() -> dict[str, list[dict[str, Any]]]:
    """credit-risk: v1 Prod/Approved, v2 Test/Approved, v3 Test/Rejected, v4 Dev/Pending; fraud v1 Test/Pending."""
    cr, fr = "credit-risk", "fraud"
    counts = [(cr, "high", "Prod", "Approved", 1), (cr, "high", "Test", "Approved", 1), (cr, "high", "Test", "Rejected", 1),
              (cr, "high", "Dev", "Pending", 1), (fr, "medium", "Test", "Pending", 1)]
    inventory = [(cr, 1, "Prod", "Approved", "alice", "carol"), (cr, 2, "Test", "Approved", "alice", "bob"),
                 (cr, 3, "Test", "Rejected", "dave", None), (cr, 4, "Dev", "Pending", EVIL, None),
                 (fr, 1, "Test", "Pending", "frank", None)]
    audit = [
        ("2025-02-01", cr, 1, "Dev", "Pending", "alice", None), ("2025-02-02", cr, 1, "Test", "Approved", "bob", "bob"),
        ("2025-02-04", cr, 1, "Prod", "Approved", "carol", "carol"), ("2025-02-06", cr, 2, "Dev", "Pending", "alice", None),
        ("2025-02-07", cr, 2, "Test", "Approved", "bob", "bob"), ("2025-02-10", cr, 3, "Test", "Rejected", "erin", "erin"),
        ("2025-02-11", cr, 4, "Dev", "Pending", EVIL, None), ("2025-02-13", fr, 1, "Test", "Pending", "frank", None),
    ]
    return {
        "stage_status_counts": [_row("stage_status_counts", use_case=u, risk_tier=t, stage=s, status=st, versions=n)
                                for u, t, s, st, n in counts],
        "risk_tier_counts": [_row("risk_tier_counts", risk_tier=t, stage=s, status=st, versions=n)
                             for _, t, s, st, n in counts],
        "changes_per_day": [_row("changes_per_day", day=day, use_case=u, item_type="history", changes=1)
                            for day, u, *_ in audit]
        + [_row("changes_per_day", day="2025-02-03", use_case=cr, item_type="metrics", changes=1)],
        "inventory": [_row("inventory", use_case=u, risk_tier="high" if u == cr else "medium", line_of_business="retail",
                           model_group=f"{u}-group", version=v, stage=s, status=st, registered_by=reg, approved_by=app,
                           last_change="2025-02-13T10:00:00.000Z", days_in_stage=3) for u, v, s, st, reg, app in inventory],
        "audit_trail": [_row("audit_trail", day=day, changed_at=f"{day}T10:00:00.000Z", use_case=u, model_group=f"{u}-group",
                             version=v, item_type="history", stage=s, status=st, changed_by=by, decider=decider,
                             registrant="alice", sod_breach=False) for day, u, v, s, st, by, decider in audit],
        "sod_breaches": [_row("sod_breaches", breaches=0)],
        "qa_against_gates": [
            _row("qa_against_gates", use_case=cr, model_group="credit-risk-group", version=1, gate_stage="Prod", metric="auc",
                 value=0.81, comparison=">=", threshold=0.75, passes=True),
            _row("qa_against_gates", use_case=cr, model_group="credit-risk-group", version=2, gate_stage="Prod", metric="auc",
                 value=0.70, comparison=">=", threshold=0.75, passes=False)],
        "production_metrics": [
            _row("production_metrics", reported_at=f"2025-02-0{d}T10:00:00.000Z", day=f"2025-02-0{d}", use_case=cr,
                 model_group="credit-risk-group", version=v, variant=variant, metric=m, value=val)
            for d in (5, 6) for v, variant in ((1, "champion"), (2, EVIL)) for m, val in (("auc", 0.8 + d / 100), ("latency_p95_ms", 40.0 + d))],
        "champion_challenger": [
            _row("champion_challenger", use_case=cr, metric=m, variant=variant, version=v, value=val, reported_at="2025-02-06T10:00:00.000Z")
            for v, variant in ((1, "champion"), (2, EVIL)) for m, val in (("auc", 0.8 + v / 100), ("latency_p95_ms", 40.0 + v))],
        "monitoring": [
            _row("monitoring", use_case=cr, model_group="credit-risk-group", variant="champion", version=1, metric="latency_p95_ms",
                 value=46.0, max_value=200.0, breaching=False, reported_at="2025-02-06T10:00:00.000Z")],
    }
