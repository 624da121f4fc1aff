"""The governance dashboard's views: each one's SQL, once, in the Athena (Trino) dialect.

The same text becomes the QuickSight data set's custom SQL, the Athena named query for analysts
(modules/analytics_catalog.py, modules/governance_dashboard.py) and, transpiled by sqlglot, the
DuckDB query run locally over the lake's files (mlgov_analytics/local.py). Tables are referred to
by their lake name (mlgov_core.lake_tables); the Glue database qualifies them on AWS.

The SQL both engines agree on is documented in docs/analytics.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlgov_core.lake_tables import Column


@dataclass(frozen=True)
class View:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]  # the result's columns, in order: QuickSight declares them
    sql: str

    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _cols(*specs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


# The SQL bodies are written by the views work (issue 10); names and columns are the contract the
# catalog, QuickSight and the local dashboard build on.
VIEWS: tuple[View, ...] = (
    View("stage_status_counts", "Versions by stage and status", "Per use case: how many versions are in each stage and status.",
         _cols(("use_case", "string"), ("risk_tier", "string"), ("stage", "string"), ("status", "string"), ("versions", "bigint")), ""),
    View("risk_tier_counts", "Versions by risk tier", "Per risk tier: versions in each stage and status.",
         _cols(("risk_tier", "string"), ("stage", "string"), ("status", "string"), ("versions", "bigint")), ""),
    View("changes_per_day", "Changes per day", "Registry changes and metrics reports recorded per day and use case.",
         _cols(("day", "string"), ("use_case", "string"), ("item_type", "string"), ("changes", "bigint")), ""),
    View("inventory", "Model inventory", "Every version: where it is, who registered and approved it, how long it has been in its stage.",
         _cols(("use_case", "string"), ("risk_tier", "string"), ("line_of_business", "string"), ("model_group", "string"),
               ("version", "bigint"), ("stage", "string"), ("status", "string"), ("registered_by", "string"),
               ("approved_by", "string"), ("last_change", "string"), ("days_in_stage", "bigint")), ""),
    View("audit_trail", "Audit trail", "Every recorded change, newest first, filterable by group, version and day.",
         _cols(("day", "string"), ("changed_at", "string"), ("use_case", "string"), ("model_group", "string"), ("version", "bigint"),
               ("item_type", "string"), ("stage", "string"), ("status", "string"), ("changed_by", "string"),
               ("decider", "string"), ("registrant", "string"), ("sod_breach", "boolean")), ""),
    View("sod_breaches", "Separation-of-duties breaches", "Decisions taken by the version's registrant: must be none.",
         _cols(("breaches", "bigint")), ""),
    View("qa_against_gates", "QA metrics against gates", "Each version's latest QA metric against the gates of its use case.",
         _cols(("use_case", "string"), ("model_group", "string"), ("version", "bigint"), ("gate_stage", "string"),
               ("metric", "string"), ("value", "double"), ("comparison", "string"), ("threshold", "double"),
               ("passes", "boolean")), ""),
    View("production_metrics", "Production metrics over time", "Production metrics per variant and report.",
         _cols(("reported_at", "string"), ("day", "string"), ("use_case", "string"), ("model_group", "string"),
               ("version", "bigint"), ("variant", "string"), ("metric", "string"), ("value", "double")), ""),
    View("champion_challenger", "Champion against challenger", "Latest production value per use case, metric and variant.",
         _cols(("use_case", "string"), ("metric", "string"), ("variant", "string"), ("version", "bigint"),
               ("value", "double"), ("reported_at", "string")), ""),
    View("monitoring", "Monitoring", "Latest production metric per variant against its alarm threshold, where one is configured.",
         _cols(("use_case", "string"), ("model_group", "string"), ("variant", "string"), ("version", "bigint"),
               ("metric", "string"), ("value", "double"), ("max_value", "double"), ("breaching", "boolean"),
               ("reported_at", "string")), ""),
)

BY_NAME = {view.name: view for view in VIEWS}
