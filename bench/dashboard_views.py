"""Dashboard views on DuckDB at 1,000 and 10,000 versions: lake size, time per view, bytes read.

Generates a lake in the contract's layout (one object per version, per history item and per metrics
report, as the projection writes them): per version 4 registry changes (Dev, Test, its approval,
Prod) and 2 metrics reports (QA with 2 metrics, production with 2), spread over 30 days. Then
compacts it as `mlgov dashboard` does when it downloads the bucket (mlgov_analytics.local.compact_lake:
one file per partition). Each view runs on a fresh connection (nothing cached between samples),
median of --runs, on the compacted copy and, up to --raw-max-versions, on the bucket's layout too.
For the views a reader filters by day, bytes and files read come from DuckDB's file-system log with
and without a one-day filter.

    python bench/dashboard_views.py [--versions 1000 10000] [--runs 3] [--raw-max-versions 1000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from mlgov_analytics.local import compact_lake, connect, scan_stats, to_duckdb
from mlgov_analytics.views import BY_NAME, VIEWS
from mlgov_core import keys
from mlgov_core.lake_tables import ALARMS, GATES, HISTORY, METRICS, USE_CASES, VERSIONS, LakeTable

DAYS = 30
GROUPS = 20
DAY_VIEWS = ("changes_per_day", "audit_trail", "production_metrics")


def _write(path: Path, table: LakeTable, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps({c: row.get(c) for c in table.column_names()}) + "\n" for row in rows)
    path.write_bytes(gzip.compress(lines.encode(), mtime=0))


def _day(i: int) -> str:
    return f"2026-11-{1 + i % DAYS:02d}"


def generate(root: Path, versions: int) -> None:
    groups = [f"group-{g:02d}" for g in range(GROUPS)]
    _write(root / "use_cases/use_cases.json.gz", USE_CASES,
           [{"use_case": f"uc-{g}", "model_group": g, "risk_tier": ("high", "low")[i % 2]} for i, g in enumerate(groups)])
    _write(root / "gates/gates.json.gz", GATES,
           [{"use_case": f"uc-{g}", "model_group": g, "stage": "Prod", "metric": "auc", "comparison": ">=", "threshold": 0.8}
            for g in groups])
    _write(root / "alarms/alarms.json.gz", ALARMS,
           [{"use_case": f"uc-{g}", "model_group": g, "metric": "error_rate", "max_value": 0.05} for g in groups])
    for n in range(versions):
        group, version = groups[n % GROUPS], n // GROUPS + 1
        vid, pk = keys.version_id(group, version), keys.version_pk(group, version)
        day = _day(n)
        base = {"version_id": vid, "model_group": group, "version": version}
        _write(root / f"versions/{quote(vid, safe='')}.json.gz", VERSIONS,
               [{**base, "use_case": f"uc-{group}", "stage": "Prod", "status": "Approved", "registered_by": "alice",
                 "approved_by": "bob", "last_modified": f"{day}T12:00:00Z"}])
        for hour, (stage, status, decider) in zip((8, 9, 10, 12), (("Dev", "Pending", None), ("Test", "Pending", None),
                                                                   ("Test", "Approved", "bob"), ("Prod", "Approved", "bob"))):
            at = f"{day}T{hour:02d}:00:00Z"
            sk = keys.history_sk(at, f"h{hour}")
            _write(root / f"history/dt={day}/{quote(pk, safe='')}__{quote(sk, safe='')}.json.gz", HISTORY,
                   [{**base, "pk": pk, "sk": sk, "item_type": "history", "stage": stage, "status": status,
                     "decider": decider, "registrant": "alice", "is_decision": decider is not None,
                     "sod_breach": False, "last_modified": at, "recorded_at": at}])
        for hour, kind, variant, metrics in ((11, "qa", None, {"auc": 0.85, "f1": 0.7}),
                                             (13, "production", "champion", {"error_rate": 0.02, "latency_ms": 120.0})):
            at = f"{day}T{hour}:00:00Z"
            sk = keys.history_sk(at, kind)
            _write(root / f"metrics/dt={day}/{quote(pk, safe='')}__{quote(sk, safe='')}.json.gz", METRICS,
                   [{**base, "kind": kind, "variant": variant, "metric": m, "value": v, "reported_at": at, "report_key": sk}
                    for m, v in metrics.items()])
            _write(root / f"history/dt={day}/{quote(pk, safe='')}__{quote(sk, safe='')}.json.gz", HISTORY,
                   [{**base, "pk": pk, "sk": sk, "item_type": "metrics", "last_modified": at, "recorded_at": at}])


def lake_size(root: Path) -> dict[str, tuple[int, int]]:
    sizes = {}
    for table in (VERSIONS, HISTORY, METRICS):
        files = list((root / table.prefix).rglob("*.json.gz"))
        sizes[table.name] = (len(files), sum(f.stat().st_size for f in files))
    return sizes


def time_view(root: Path, sql: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        con = connect(root)
        start = time.perf_counter()
        con.execute(sql).fetchall()
        samples.append(time.perf_counter() - start)
        con.close()
    return samples


def view_times(root: Path, runs: int) -> dict[str, list[float]]:
    return {view.name: time_view(root, to_duckdb(view.sql), runs) for view in VIEWS}


def pruning(root: Path, runs: int) -> None:
    print("| view | files read (all / one day) | KiB read (all / one day) | ratio | median s (all / one day) |")
    print("|---|---|---|---|---|")
    for name in DAY_VIEWS:
        full_sql = to_duckdb(BY_NAME[name].sql)
        day_sql = to_duckdb(f"SELECT * FROM ({BY_NAME[name].sql}) AS v WHERE day = '2026-11-15'")
        full, day = scan_stats(connect(root), full_sql), scan_stats(connect(root), day_sql)
        t_full, t_day = statistics.median(time_view(root, full_sql, runs)), statistics.median(time_view(root, day_sql, runs))
        print(f"| {name} | {len(full.files)} / {len(day.files)} | {full.bytes_read / 1024:.0f} / {day.bytes_read / 1024:.0f} "
              f"| {full.bytes_read / max(day.bytes_read, 1):.1f} | {t_full:.3f} / {t_day:.3f} |")


def _samples(samples: list[float]) -> str:
    return f"{statistics.median(samples):.3f} ({', '.join(f'{x:.3f}' for x in samples)})"


def bench(versions: int, runs: int, raw: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, compacted = Path(tmp) / "lake", Path(tmp) / "compacted"
        start = time.perf_counter()
        generate(root, versions)
        print(f"\n## {versions} versions (lake generated in {time.perf_counter() - start:.1f} s)")
        start = time.perf_counter()
        compact_lake(root, compacted)
        print(f"compacted in {time.perf_counter() - start:.1f} s")
        for layout, path in (("bucket", root), ("compacted", compacted)):
            for name, (files, size) in lake_size(path).items():
                print(f"{layout} {name}: {files} objects, {size / 1024:.0f} KiB")
        fast = view_times(compacted, runs)
        slow = view_times(root, runs) if raw else {}
        print("| view | compacted: median s (samples) | bucket layout: median s (samples) | ratio |\n|---|---|---|---|")
        for view in VIEWS:
            ratio = f"{statistics.median(slow[view.name]) / statistics.median(fast[view.name]):.0f}" if raw else ""
            print(f"| {view.name} | {_samples(fast[view.name])} | {_samples(slow[view.name]) if raw else 'not run'} | {ratio} |")
        print(f"| all views | {sum(statistics.median(v) for v in fast.values()):.3f} | "
              f"{sum(statistics.median(v) for v in slow.values()):.3f} |" if raw else
              f"| all views | {sum(statistics.median(v) for v in fast.values()):.3f} | not run | |")
        print("compacted:")
        pruning(compacted, runs)
        if raw:
            print("bucket layout:")
            pruning(root, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--raw-max-versions", type=int, default=1000,
                        help="time the bucket's layout (one file per row) only up to this many versions: it is slow")
    args = parser.parse_args()
    for versions in args.versions:
        bench(versions, args.runs, raw=versions <= args.raw_max_versions)


if __name__ == "__main__":
    main()
