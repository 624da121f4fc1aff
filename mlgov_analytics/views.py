"""The governance dashboard's views: each one's SQL, once, in the Athena (Trino) dialect.

The same text becomes the QuickSight data set's custom SQL, the Athena named query for analysts
(modules/analytics_catalog.py, modules/governance_dashboard.py) and, transpiled by sqlglot, the
DuckDB query run locally over the lake's files (mlgov_analytics/local.py). Tables are referred to
by their lake name (mlgov_core.lake_tables); the Glue database qualifies them on AWS.

The SQL both engines agree on is documented in docs/analytics.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from mlgov_core.lake_tables import TABLES, Column


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


# The SQL, one constant per view. Rules kept so both engines agree (docs/analytics.md): history and
# metrics expose their partition column `dt` unchanged (as `day`), so a filter on `day` from
# QuickSight or a caller becomes a filter on `dt` and prunes partitions; time arithmetic is epoch
# seconds (to_unixtime) against current_timestamp, never date_diff; timestamps are parsed with
# from_iso8601_timestamp; no map subscripts, no engine-specific functions. use_case and risk tier
# come from use_cases joined on model_group, the key every lake table carries.

_STAGE_STATUS_COUNTS = """
SELECT v.use_case, u.risk_tier, v.stage, v.status, count(*) AS versions
FROM versions v
LEFT JOIN use_cases u ON u.model_group = v.model_group
GROUP BY v.use_case, u.risk_tier, v.stage, v.status
ORDER BY v.use_case, v.stage, v.status
"""

_RISK_TIER_COUNTS = """
SELECT u.risk_tier, v.stage, v.status, count(*) AS versions
FROM versions v
LEFT JOIN use_cases u ON u.model_group = v.model_group
GROUP BY u.risk_tier, v.stage, v.status
ORDER BY u.risk_tier, v.stage, v.status
"""

# Counted from history, not metrics: metrics has one row per metric, history one per report.
_CHANGES_PER_DAY = """
SELECT h.dt AS day, u.use_case, h.item_type, count(*) AS changes
FROM history h
LEFT JOIN use_cases u ON u.model_group = h.model_group
GROUP BY h.dt, u.use_case, h.item_type
ORDER BY day, use_case, item_type
"""

# Days in stage counts from the version's entry into its current stage: the first registry change
# at that stage after its last change at any other stage (a version can come back to a stage).
# Without history (a lake filled before the version's changes), the state's last_modified stands in.
_INVENTORY = """
WITH changes AS (
    SELECT h.version_id, h.stage, to_unixtime(from_iso8601_timestamp(h.last_modified)) AS changed_epoch
    FROM history h
    WHERE h.item_type = 'history'
),
left_other AS (
    SELECT c.version_id, max(c.changed_epoch) AS left_epoch
    FROM changes c
    JOIN versions v ON v.version_id = c.version_id
    WHERE c.stage <> v.stage
    GROUP BY c.version_id
),
entered AS (
    SELECT c.version_id, min(c.changed_epoch) AS entered_epoch
    FROM changes c
    JOIN versions v ON v.version_id = c.version_id
    LEFT JOIN left_other l ON l.version_id = c.version_id
    WHERE c.stage = v.stage AND (l.left_epoch IS NULL OR c.changed_epoch > l.left_epoch)
    GROUP BY c.version_id
)
SELECT v.use_case, u.risk_tier, u.line_of_business, v.model_group, v.version, v.stage, v.status,
       v.registered_by, v.approved_by, v.last_modified AS last_change,
       CAST(floor((to_unixtime(current_timestamp)
                   - coalesce(e.entered_epoch, to_unixtime(from_iso8601_timestamp(v.last_modified)))) / 86400) AS bigint)
           AS days_in_stage
FROM versions v
LEFT JOIN use_cases u ON u.model_group = v.model_group
LEFT JOIN entered e ON e.version_id = v.version_id
ORDER BY v.use_case, v.model_group, v.version
"""

_AUDIT_TRAIL = """
SELECT h.dt AS day, h.last_modified AS changed_at, u.use_case, h.model_group, h.version, h.item_type,
       h.stage, h.status, h.changed_by, h.decider, h.registrant, h.sod_breach
FROM history h
LEFT JOIN use_cases u ON u.model_group = h.model_group
ORDER BY h.last_modified DESC, h.pk, h.sk
"""

# sod_breach is derived by the governance core when the row is projected; the SQL only counts it.
_SOD_BREACHES = """
SELECT count(*) AS breaches
FROM history h
WHERE h.sod_breach = true
"""

# Every gate of a version's group, with the version's latest QA value of the gate's metric; no value
# means the gate is not passed (passes = false), as the promotion rule treats missing evidence.
_QA_AGAINST_GATES = """
WITH latest_qa AS (
    SELECT m.version_id, m.metric, m.value,
           row_number() OVER (PARTITION BY m.version_id, m.metric
                              ORDER BY from_iso8601_timestamp(m.reported_at) DESC, m.report_key DESC) AS rn
    FROM metrics m
    WHERE m.kind = 'qa'
)
SELECT g.use_case, v.model_group, v.version, g.stage AS gate_stage, g.metric, q.value, g.comparison, g.threshold,
       coalesce(CASE g.comparison
                    WHEN '>=' THEN q.value >= g.threshold
                    WHEN '<=' THEN q.value <= g.threshold
                    WHEN '>' THEN q.value > g.threshold
                    WHEN '<' THEN q.value < g.threshold
                    WHEN '==' THEN q.value = g.threshold
                END, false) AS passes
FROM versions v
JOIN gates g ON g.model_group = v.model_group
LEFT JOIN latest_qa q ON q.version_id = v.version_id AND q.metric = g.metric AND q.rn = 1
ORDER BY g.use_case, v.model_group, v.version, g.stage, g.metric
"""

_PRODUCTION_METRICS = """
SELECT m.reported_at, m.dt AS day, u.use_case, m.model_group, m.version, m.variant, m.metric, m.value
FROM metrics m
LEFT JOIN use_cases u ON u.model_group = m.model_group
WHERE m.kind = 'production'
ORDER BY m.reported_at, m.model_group, m.variant, m.metric
"""

_CHAMPION_CHALLENGER = """
WITH ranked AS (
    SELECT u.use_case, m.metric, m.variant, m.version, m.value, m.reported_at,
           row_number() OVER (PARTITION BY m.model_group, m.metric, m.variant
                              ORDER BY from_iso8601_timestamp(m.reported_at) DESC, m.report_key DESC) AS rn
    FROM metrics m
    LEFT JOIN use_cases u ON u.model_group = m.model_group
    WHERE m.kind = 'production'
)
SELECT r.use_case, r.metric, r.variant, r.version, r.value, r.reported_at
FROM ranked r
WHERE r.rn = 1
ORDER BY r.use_case, r.metric, r.variant
"""

_MONITORING = """
WITH latest AS (
    SELECT m.model_group, m.variant, m.version, m.metric, m.value, m.reported_at,
           row_number() OVER (PARTITION BY m.model_group, m.variant, m.metric
                              ORDER BY from_iso8601_timestamp(m.reported_at) DESC, m.report_key DESC) AS rn
    FROM metrics m
    WHERE m.kind = 'production'
)
SELECT a.use_case, l.model_group, l.variant, l.version, l.metric, l.value, a.max_value,
       l.value > a.max_value AS breaching, l.reported_at
FROM latest l
JOIN alarms a ON a.model_group = l.model_group AND a.metric = l.metric
WHERE l.rn = 1
ORDER BY a.use_case, l.model_group, l.variant, l.metric
"""

# Names and columns are the contract the catalog, QuickSight and the local dashboard build on.
VIEWS: tuple[View, ...] = (
    View("stage_status_counts", "Versions by stage and status", "Per use case: how many versions are in each stage and status.",
         _cols(("use_case", "string"), ("risk_tier", "string"), ("stage", "string"), ("status", "string"), ("versions", "bigint")), _STAGE_STATUS_COUNTS.strip()),
    View("risk_tier_counts", "Versions by risk tier", "Per risk tier: versions in each stage and status.",
         _cols(("risk_tier", "string"), ("stage", "string"), ("status", "string"), ("versions", "bigint")), _RISK_TIER_COUNTS.strip()),
    View("changes_per_day", "Changes per day", "Registry changes and metrics reports recorded per day and use case.",
         _cols(("day", "string"), ("use_case", "string"), ("item_type", "string"), ("changes", "bigint")), _CHANGES_PER_DAY.strip()),
    View("inventory", "Model inventory", "Every version: where it is, who registered and approved it, how long it has been in its stage.",
         _cols(("use_case", "string"), ("risk_tier", "string"), ("line_of_business", "string"), ("model_group", "string"),
               ("version", "bigint"), ("stage", "string"), ("status", "string"), ("registered_by", "string"),
               ("approved_by", "string"), ("last_change", "string"), ("days_in_stage", "bigint")), _INVENTORY.strip()),
    View("audit_trail", "Audit trail", "Every recorded change, newest first, filterable by group, version and day.",
         _cols(("day", "string"), ("changed_at", "string"), ("use_case", "string"), ("model_group", "string"), ("version", "bigint"),
               ("item_type", "string"), ("stage", "string"), ("status", "string"), ("changed_by", "string"),
               ("decider", "string"), ("registrant", "string"), ("sod_breach", "boolean")), _AUDIT_TRAIL.strip()),
    View("sod_breaches", "Separation-of-duties breaches", "Decisions taken by the version's registrant: must be none.",
         _cols(("breaches", "bigint")), _SOD_BREACHES.strip()),
    View("qa_against_gates", "QA metrics against gates", "Each version's latest QA metric against the gates of its use case.",
         _cols(("use_case", "string"), ("model_group", "string"), ("version", "bigint"), ("gate_stage", "string"),
               ("metric", "string"), ("value", "double"), ("comparison", "string"), ("threshold", "double"),
               ("passes", "boolean")), _QA_AGAINST_GATES.strip()),
    View("production_metrics", "Production metrics over time", "Production metrics per variant and report.",
         _cols(("reported_at", "string"), ("day", "string"), ("use_case", "string"), ("model_group", "string"),
               ("version", "bigint"), ("variant", "string"), ("metric", "string"), ("value", "double")), _PRODUCTION_METRICS.strip()),
    View("champion_challenger", "Champion against challenger", "Latest production value per use case, metric and variant.",
         _cols(("use_case", "string"), ("metric", "string"), ("variant", "string"), ("version", "bigint"),
               ("value", "double"), ("reported_at", "string")), _CHAMPION_CHALLENGER.strip()),
    View("monitoring", "Monitoring", "Latest production metric per variant against its alarm threshold, where one is configured.",
         _cols(("use_case", "string"), ("model_group", "string"), ("variant", "string"), ("version", "bigint"),
               ("metric", "string"), ("value", "double"), ("max_value", "double"), ("breaching", "boolean"),
               ("reported_at", "string")), _MONITORING.strip()),
)

BY_NAME = {view.name: view for view in VIEWS}


def qualified_sql(view: View, database: str) -> str:
    """The view's SQL with each lake table qualified by the Glue database.

    QuickSight's custom SQL has no database setting (Athena would look in ``default``), while the
    named queries and DuckDB take the bare names; qualifying the parsed query keeps one source text.
    """
    lake_tables = {table.name for table in TABLES}
    tree = sqlglot.parse_one(view.sql, read="athena")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.name in lake_tables and table.name not in ctes and not table.db:
            table.set("db", exp.to_identifier(database))
    return tree.sql(dialect="athena", pretty=True)
