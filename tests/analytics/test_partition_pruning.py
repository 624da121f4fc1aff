"""A date filter on a history view's `day` opens only the files of the partitions it names.

DuckDB's file-system log (mlgov_analytics.local.scan_stats) lists every file a query opened; the
same filter on Athena becomes a predicate on the projected `dt` partition.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgov_analytics.local import connect, scan_stats, to_duckdb
from mlgov_analytics.views import BY_NAME

DAY_VIEWS = {"changes_per_day": "history", "audit_trail": "history", "production_metrics": "metrics"}
ALL_DAYS = {"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"}


def partitions_opened(stats, table: str) -> set[str]:
    return {Path(f).parent.name.removeprefix("dt=") for f in stats.files if f"/{table}/dt=" in f}


def filtered(name: str, where: str) -> str:
    return to_duckdb(f"SELECT * FROM ({BY_NAME[name].sql}) AS v WHERE {where}")


@pytest.mark.parametrize("name", DAY_VIEWS)
@pytest.mark.parametrize(("where", "days"), [
    ("day = '2026-11-02'", {"2026-11-02"}),
    ("day BETWEEN '2026-11-03' AND '2026-11-04'", {"2026-11-03", "2026-11-04"}),
    ("day IN ('2026-11-01', '2026-11-04')", {"2026-11-01", "2026-11-04"}),
])
def test_date_filter_reads_only_the_named_partitions(lake: Path, name: str, where: str, days: set[str]):
    table = DAY_VIEWS[name]
    stats = scan_stats(connect(lake), filtered(name, where))
    on_disk = {p.name.removeprefix("dt=") for p in (lake / table).iterdir()}
    assert partitions_opened(stats, table) == days & on_disk
    # Every file of the named partitions was read: pruning dropped partitions, not rows.
    assert {f for f in stats.files if f"/{table}/" in f} == \
        {str(p) for d in days & on_disk for p in (lake / table / f"dt={d}").glob("*.json.gz")}


@pytest.mark.parametrize("name", DAY_VIEWS)
def test_without_a_filter_every_partition_is_read(lake: Path, name: str):
    table = DAY_VIEWS[name]
    stats = scan_stats(connect(lake), to_duckdb(BY_NAME[name].sql))
    assert partitions_opened(stats, table) == {p.name.removeprefix("dt=") for p in (lake / table).iterdir()}


def test_pruned_read_is_smaller_and_returns_the_days_rows(lake: Path):
    con = connect(lake)
    full = scan_stats(con, to_duckdb(BY_NAME["audit_trail"].sql))
    one_day = scan_stats(con, filtered("audit_trail", "day = '2026-11-03'"))
    assert full.rows == 15 and one_day.rows == 2  # 11-03: v1's Prod approval and its first production report
    assert 0 < one_day.bytes_read < full.bytes_read


def test_a_filter_on_a_derived_day_would_not_prune(lake: Path):
    # The reason `day` must be dt itself: filtering an expression of another column reads everything.
    sql = to_duckdb("SELECT * FROM (SELECT substr(h.last_modified, 1, 10) AS d FROM history h) AS v WHERE d = '2026-11-03'")
    assert partitions_opened(scan_stats(connect(lake), sql), "history") == ALL_DAYS
