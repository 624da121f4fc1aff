"""Every view's SQL is Athena SQL that sqlglot parses and transpiles, and keeps to the shared rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from mlgov_analytics.local import DUCKDB_TYPES, LakeError, connect, run_view, to_duckdb
from mlgov_analytics.views import BY_NAME, VIEWS, qualified_sql
from mlgov_core.lake_tables import PARTITION_COLUMN, TABLES

LAKE_TABLES = {t.name for t in TABLES}
PARTITIONED = {t.name for t in TABLES if t.partitioned}
# The views a reader filters by day: their `day` must be the partition column itself.
DAY_VIEWS = ("changes_per_day", "audit_trail", "production_metrics")
# Functions the docs rule out because the engines disagree on them (docs/analytics.md).
DIVERGENT = (exp.DateDiff, exp.DatetimeDiff, exp.TimestampDiff, exp.Bracket, exp.Unnest, exp.TimeToStr, exp.StrToTime)


def test_there_are_ten_views_with_unique_names():
    assert len(VIEWS) == 10 and len(BY_NAME) == 10


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_parses_as_athena_and_transpiles_to_duckdb(view):
    assert view.sql.strip(), f"{view.name} has no SQL"
    tree = sqlglot.parse_one(view.sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
    assert isinstance(tree, exp.Query)
    assert to_duckdb(view.sql)
    # Round trip through Athena's own generator: nothing of the text was dropped by the parser.
    assert sqlglot.parse_one(tree.sql(dialect="athena"), read="athena") == tree


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_reads_only_lake_tables_by_bare_name(view):
    tree = sqlglot.parse_one(view.sql, read="athena")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = {t for t in tree.find_all(exp.Table)}
    assert all(not t.db and not t.catalog for t in tables), "qualify nothing: the Glue database does that"
    assert {t.name for t in tables} - ctes <= LAKE_TABLES


def divergent(sql: str) -> list[str]:
    tree = sqlglot.parse_one(sql, read="athena")
    # element_at parses as a "safe" bracket (NULL on a missing key in both engines); m['k'] does not.
    return [type(node).__name__ for node in tree.find_all(*DIVERGENT)
            if not (isinstance(node, exp.Bracket) and node.args.get("safe"))]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_avoids_constructs_the_engines_disagree_on(view):
    assert not divergent(view.sql), f"{view.name} uses {divergent(view.sql)}"


@pytest.mark.parametrize(("sql", "flagged"), [
    ("SELECT m['k'] FROM t", ["Bracket"]),
    ("SELECT element_at(m, 'k') FROM t", []),
    ("SELECT date_diff('day', a, b) FROM t", ["DateDiff"]),
    ("SELECT date_format(a, '%Y-%m-%d') FROM t", ["TimeToStr"]),
    ("SELECT k FROM t CROSS JOIN UNNEST(m) AS u(k, v)", ["Unnest"]),
    ("SELECT to_unixtime(from_iso8601_timestamp(a)) FROM t", []),
])
def test_the_rule_check_flags_what_the_docs_rule_out(sql, flagged):
    assert divergent(sql) == flagged


@pytest.mark.parametrize("name", DAY_VIEWS)
def test_day_is_the_partition_column_unchanged(name):
    tree = sqlglot.parse_one(BY_NAME[name].sql, read="athena")
    (day,) = [e for e in tree.selects if e.alias_or_name == "day"]
    assert isinstance(day.this, exp.Column) and day.this.name == PARTITION_COLUMN


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_result_columns_equal_the_contract_on_an_empty_lake(view, tmp_path: Path):
    con = connect(tmp_path)
    cursor = con.execute(to_duckdb(view.sql))
    assert [(d[0], str(d[1])) for d in cursor.description] == [(c.name, DUCKDB_TYPES[c.type]) for c in view.columns]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_result_columns_equal_the_contract_on_the_fixture_lake(view, lake: Path):
    con = connect(lake)
    cursor = con.execute(to_duckdb(view.sql))
    assert [(d[0], str(d[1])) for d in cursor.description] == [(c.name, DUCKDB_TYPES[c.type]) for c in view.columns]


def test_a_view_that_drifts_from_its_columns_is_refused(tmp_path: Path):
    view = BY_NAME["sod_breaches"]
    drifted = type(view)(view.name, view.title, view.description, view.columns,
                         "SELECT CAST(count(*) AS double) AS breaches FROM history")
    with pytest.raises(LakeError, match=r"view sod_breaches: result columns \[\('breaches', 'DOUBLE'\)\]"):
        run_view(connect(tmp_path), drifted)


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_the_quicksight_text_names_every_lake_table_in_the_glue_database(view):
    """QuickSight's custom SQL has no database setting: each lake table, and nothing else, is qualified."""
    def tables(sql: str) -> list[tuple[str, str]]:
        tree = sqlglot.parse_one(sql, read="athena")
        ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        return sorted((t.db, t.name) for t in tree.find_all(exp.Table) if t.name not in ctes)

    bare = tables(view.sql)
    assert bare and all(db == "" for db, _ in bare)
    assert tables(qualified_sql(view, "gov_db")) == [("gov_db", name) for _, name in bare]
