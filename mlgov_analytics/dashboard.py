"""The governance dashboard's sheets and visuals: what QuickSight and the local page both show.

modules/governance_dashboard.py turns this into the aws_quicksight_dashboard definition and
mlgov_analytics/html.py into the local page, so the two cannot list different figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Visual:
    id: str          # stable identifier (QuickSight visual id)
    title: str
    view: str        # a name in mlgov_analytics.views.BY_NAME
    kind: str        # "kpi", "bar", "line" or "table"
    x: str = ""      # bar/line: category or time column; kpi: unused
    y: str = ""      # bar/line/kpi: the measure column
    color: str = ""  # bar/line: the series column


@dataclass(frozen=True)
class Sheet:
    id: str
    title: str
    visuals: tuple[Visual, ...]
    filters: tuple[str, ...] = ()  # columns a reader can filter this sheet by


SHEETS: tuple[Sheet, ...] = (
    Sheet("overview", "Overview", (
        Visual("overview-stage-status", "Versions by stage and status", "stage_status_counts", "bar", "stage", "versions", "status"),
        Visual("overview-risk-tier", "Versions by risk tier", "risk_tier_counts", "bar", "risk_tier", "versions", "stage"),
        Visual("overview-changes-per-day", "Changes per day", "changes_per_day", "line", "day", "changes", "item_type"),
    ), ("use_case",)),
    Sheet("inventory", "Inventory", (
        Visual("inventory-table", "Model inventory", "inventory", "table"),
    ), ("use_case", "stage", "status")),
    Sheet("audit", "Audit trail", (
        Visual("audit-sod-breaches", "Separation-of-duties breaches (must be 0)", "sod_breaches", "kpi", y="breaches"),
        Visual("audit-trail-table", "Audit trail", "audit_trail", "table"),
    ), ("model_group", "version", "day")),
    Sheet("quality", "Quality", (
        Visual("quality-qa-gates", "QA metrics against gates", "qa_against_gates", "table"),
        Visual("quality-production-metrics", "Production metrics per variant", "production_metrics", "line", "reported_at", "value", "variant"),
        Visual("quality-champion-challenger", "Champion against challenger", "champion_challenger", "bar", "metric", "value", "variant"),
    ), ("use_case", "model_group")),
    Sheet("monitoring", "Monitoring", (
        Visual("monitoring-table", "Production metrics against alarm thresholds", "monitoring", "table"),
    ), ("use_case",)),
)
