"""The analytics lake's tables: where each lives, how it is partitioned and its columns.

The one description of the lake, read by the projection Lambda and the backfill (what to write),
the Glue catalog (modules/analytics_catalog.py: table definitions), the views (mlgov_analytics) and
the local DuckDB engine (what to read). Every object is gzipped JSON Lines, one JSON object per row,
with exactly these columns (a missing value is JSON null).

Keys are functions of the row alone, so a retried stream batch or a backfill overwrites, never
duplicates:
    versions/<version_id>.json.gz                     current state, one object per version
    history/dt=<change day>/<pk>__<sk>.json.gz        one object per history item (same key as the
                                                      Object Lock archive, modules/history_archive.py)
    metrics/dt=<report day>/<pk>__<sk>.json.gz        one object per metrics report, one row per metric
    use_cases/use_cases.json.gz, gates/gates.json.gz, alarms/alarms.json.gz   from config

Why the lake has its own history and does not read the archive directly: the archive line is the
table item exactly as hashed (the evidence), while the lake's history row is flat and carries what
the governance core derives from it (the registrant and decider as persons, separation-of-duties
breach, decision or not), so the dashboard SQL never re-implements a governance rule. Both use the
same key, so each lake history object has its archive twin and a check can compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

LAKE_BUCKET_ENV = "LAKE_BUCKET"
PARTITION_COLUMN = "dt"  # YYYY-MM-DD; Glue partition projection (type date) on the partitioned tables


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Athena/Hive type: string, bigint, double, boolean
    comment: str = ""


@dataclass(frozen=True)
class LakeTable:
    name: str
    prefix: str
    partitioned: bool
    columns: tuple[Column, ...]

    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _cols(*specs: tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


VERSIONS = LakeTable("versions", "versions", False, _cols(
    ("version_id", "string", "<group>#<zero-padded version>"),
    ("use_case", "string"), ("model_group", "string"), ("version", "bigint"), ("source", "string"),
    ("stage", "string"), ("status", "string"), ("approval_status", "string"),
    ("model_package_arn", "string"),
    ("registered_by", "string"), ("approved_by", "string"), ("changed_by", "string"),
    ("created_at", "string", "ISO 8601 UTC"), ("last_modified", "string", "ISO 8601 UTC"),
))

HISTORY = LakeTable("history", "history", True, _cols(
    ("pk", "string"), ("sk", "string"), ("item_type", "string", "history (registry change) or metrics"),
    ("version_id", "string"), ("model_group", "string"), ("version", "bigint"),
    ("stage", "string"), ("status", "string"), ("approval_status", "string"),
    ("changed_by", "string"), ("approved_by", "string"), ("registered_by", "string"),
    ("registrant", "string", "the person who registered (mlgov_core.identity)"),
    ("decider", "string", "the person behind an approval or rejection, else null"),
    ("is_decision", "boolean", "an approval or rejection"),
    ("sod_breach", "boolean", "the decider is the registrant (mlgov_core.identity.conflicting_identities)"),
    ("last_modified", "string", "ISO 8601 UTC: when the change happened"),
    ("recorded_at", "string", "ISO 8601 UTC: when the table recorded it"),
    ("chain_seq", "bigint"), ("chain_hash", "string"),
))

METRICS = LakeTable("metrics", "metrics", True, _cols(
    ("version_id", "string"), ("model_group", "string"), ("version", "bigint"),
    ("kind", "string", "qa or production"), ("stage", "string"), ("variant", "string"),
    ("metric", "string"), ("value", "double"),
    ("reported_at", "string", "ISO 8601 UTC"), ("reported_by", "string"),
    ("window_start", "string"), ("window_end", "string"), ("report_key", "string", "the report's history sort key"),
))

USE_CASES = LakeTable("use_cases", "use_cases", False, _cols(
    ("use_case", "string"), ("model_group", "string"), ("description", "string"),
    ("risk_tier", "string"), ("line_of_business", "string"),
    ("business_owner", "string"), ("data_science_lead", "string"), ("ml_engineer", "string"),
))

GATES = LakeTable("gates", "gates", False, _cols(
    ("use_case", "string"), ("model_group", "string"), ("stage", "string", "the stage the gate guards"),
    ("metric", "string"), ("comparison", "string", ">=, <=, >, < or =="), ("threshold", "double"),
))

ALARMS = LakeTable("alarms", "alarms", False, _cols(
    ("use_case", "string"), ("model_group", "string"), ("metric", "string", "a production metric name"),
    ("max_value", "double", "the alarm fires above this"), ("source", "string", "the config field"),
))

TABLES: tuple[LakeTable, ...] = (VERSIONS, HISTORY, METRICS, USE_CASES, GATES, ALARMS)
CONFIG_TABLES: tuple[LakeTable, ...] = (USE_CASES, GATES, ALARMS)
