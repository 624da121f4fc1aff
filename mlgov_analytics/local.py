"""The local engine: the dashboard's views, as written for Athena, run by DuckDB over the lake's files.

Each lake table becomes a DuckDB view over read_json of its gzipped JSON Lines with the contract's
column types (mlgov_core.lake_tables), so a missing key reads as NULL and a wrong type fails loudly
instead of being guessed. Partitioned tables read their hive path (``dt=YYYY-MM-DD``) as a string
column, as the Glue table declares it, and a filter on it skips the other partitions' files, as
partition projection does on Athena. Each view's SQL is transpiled by sqlglot from the Athena
dialect; nothing here rewrites a view, except that ``now`` can pin current_timestamp so
time-relative columns (days_in_stage) are reproducible.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import duckdb
import sqlglot
from sqlglot import exp

from mlgov_analytics.views import VIEWS, View
from mlgov_core.lake_tables import PARTITION_COLUMN, TABLES, LakeTable

DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
SUFFIX = ".json.gz"
COMPACTED_NAME = f"rows{SUFFIX}"
DOWNLOAD_WORKERS = 8


class LakeError(Exception):
    """A lake the views cannot read; the message names the view or file and what is wrong."""


def table_glob(table: LakeTable) -> str:
    """The table's objects, relative to the lake root (the bucket's key layout)."""
    return f"{table.prefix}/{PARTITION_COLUMN}=*/*{SUFFIX}" if table.partitioned else f"{table.prefix}/*{SUFFIX}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_sql(lake: Path, table: LakeTable) -> str:
    """The DuckDB SELECT that reads one lake table, typed; typed and empty while no object exists."""
    pattern = table_glob(table)
    if next(iter(lake.glob(pattern)), None) is None:
        # read_json fails on a glob that matches nothing; the dashboard of a new lake is empty, not broken.
        cols = [f"CAST(NULL AS {DUCKDB_TYPES[c.type]}) AS {c.name}" for c in table.columns]
        if table.partitioned:
            cols.append(f"CAST(NULL AS VARCHAR) AS {PARTITION_COLUMN}")
        return f"SELECT {', '.join(cols)} WHERE false"
    columns = ", ".join(f"{_quote(c.name)}: {_quote(DUCKDB_TYPES[c.type])}" for c in table.columns)
    options = [f"columns = {{{columns}}}", "format = 'newline_delimited'", "compression = 'gzip'"]
    if table.partitioned:
        # hive_types keeps dt a string (the contract's type); autodetection would make it a DATE.
        options += ["hive_partitioning = true", f"hive_types = {{{_quote(PARTITION_COLUMN)}: 'VARCHAR'}}"]
    names = ", ".join(table.column_names() + ((PARTITION_COLUMN,) if table.partitioned else ()))
    return f"SELECT {names} FROM read_json({_quote((lake / pattern).as_posix())}, {', '.join(options)})"


def connect(lake: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per lake table, named as on Athena."""
    con = duckdb.connect(":memory:")
    for table in TABLES:
        con.execute(f"CREATE VIEW {table.name} AS {table_sql(Path(lake), table)}")
    return con


def to_duckdb(sql: str, now: datetime | None = None) -> str:
    """The Athena SQL in DuckDB's dialect; with ``now``, current_timestamp is that instant."""
    tree = sqlglot.parse_one(sql, read="athena")
    if now is not None:
        if now.tzinfo is None:
            raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
        instant = now.astimezone(timezone.utc).isoformat()
        tree = tree.transform(lambda node: exp.cast(exp.Literal.string(instant), "TIMESTAMPTZ")
                              if isinstance(node, exp.CurrentTimestamp) else node)
    return tree.sql(dialect="duckdb")


def run_view(con: duckdb.DuckDBPyConnection, view: View, now: datetime | None = None) -> list[dict]:
    try:
        cursor = con.execute(to_duckdb(view.sql, now))
    except duckdb.Error as error:
        raise LakeError(f"view {view.name}: {error}") from None
    # QuickSight declares the contract's columns; a view that drifts from them must fail here first.
    got = [(d[0], str(d[1])) for d in cursor.description]
    expected = [(c.name, DUCKDB_TYPES[c.type]) for c in view.columns]
    if got != expected:
        raise LakeError(f"view {view.name}: result columns {got}, the contract says {expected}")
    names = view.column_names()
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def run_views(lake: Path, views: Iterable[View] = VIEWS, now: datetime | None = None) -> dict[str, list[dict]]:
    """Every view's rows, by view name, read from the lake at ``lake`` (the bucket's layout on disk)."""
    con = connect(Path(lake))
    try:
        return {view.name: run_view(con, view, now) for view in views}
    finally:
        con.close()


def _safe_relative(key: str) -> PurePosixPath:
    path = PurePosixPath(key)
    if path.is_absolute() or ".." in path.parts or not key.endswith(SUFFIX):
        raise LakeError(f"object key {key!r}: not a lake object (expected a relative key ending {SUFFIX})")
    return path


def _lines(key: str, body: bytes) -> bytes:
    try:
        text = gzip.decompress(body)
    except (OSError, EOFError) as error:
        raise LakeError(f"object {key}: not gzip ({error})") from None
    return text if not text or text.endswith(b"\n") else text + b"\n"


def _write_compacted(objects: Iterable[tuple[str, bytes]], dest: Path) -> int:
    """One gzipped JSON Lines file per table folder (a partition, or an unpartitioned table) holding every
    object's rows, in the order given. DuckDB's cost is per file opened (bench/README.md): the lake keeps
    one object per row so a retry or backfill overwrites exactly its row, the local copy needs none of that."""
    writers: dict[PurePosixPath, gzip.GzipFile] = {}
    count = 0
    try:
        for key, body in objects:
            folder = _safe_relative(key).parent
            if folder not in writers:
                (dest / folder).mkdir(parents=True, exist_ok=True)
                writers[folder] = gzip.GzipFile(dest / folder / COMPACTED_NAME, "wb", mtime=0)
            writers[folder].write(_lines(key, body))
            count += 1
    finally:
        for writer in writers.values():
            writer.close()
    return count


def _bucket_objects(s3_client, bucket: str, prefixes: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    paginator = s3_client.get_paginator("list_objects_v2")
    keys = [obj["Key"] for prefix in prefixes for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}/")
            for obj in page.get("Contents", []) if not obj["Key"].endswith("/")]
    for key in keys:
        _safe_relative(key)  # before any download: a bad key fails the copy at once

    def fetch(key: str) -> tuple[str, bytes]:
        return key, s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()

    # One small object per row: the download is bound by request latency, not bandwidth.
    with ThreadPoolExecutor(max_workers=DOWNLOAD_WORKERS) as pool:
        yield from pool.map(fetch, keys)


def _replace(dest: Path, fill) -> int:
    """Build the copy in a sibling directory and swap it in only when complete, so a failure leaves the
    previous local lake as it was."""
    dest = Path(dest)
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        count = fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return count


def download_lake(s3_client, bucket: str, dest: Path) -> int:
    """Copy the lake's tables to ``dest``, compacted to one file per partition (same rows, same layout of
    folders, so the views read it unchanged). Returns the number of objects copied."""
    prefixes = tuple(t.prefix for t in TABLES)
    return _replace(dest, lambda staging: _write_compacted(_bucket_objects(s3_client, bucket, prefixes), staging))


def compact_lake(source: Path, dest: Path) -> int:
    """A local lake in the bucket's layout (one object per row, e.g. from `aws s3 sync`), compacted into ``dest``."""
    source = Path(source)
    files = sorted(p for table in TABLES for p in source.glob(table_glob(table)))
    objects = ((p.relative_to(source).as_posix(), p.read_bytes()) for p in files)
    return _replace(dest, lambda staging: _write_compacted(objects, staging))


@dataclass(frozen=True)
class ScanStats:
    """What one query read from the lake: the files it opened and the bytes it read from them."""

    files: tuple[str, ...]
    bytes_read: int
    rows: int


def scan_stats(con: duckdb.DuckDBPyConnection, duckdb_sql: str) -> ScanStats:
    """Run a query with DuckDB's file-system log on: the evidence that a date filter pruned partitions."""
    con.execute("CALL enable_logging('FileSystem')")
    con.execute("CALL truncate_duckdb_logs()")
    try:
        rows = len(con.execute(duckdb_sql).fetchall())
        files, read = con.execute(
            "SELECT list(DISTINCT path ORDER BY path) FILTER (WHERE op = 'OPEN'), "
            "coalesce(sum(bytes) FILTER (WHERE op = 'READ'), 0) FROM duckdb_logs_parsed('FileSystem')").fetchone()
    finally:
        con.execute("CALL disable_logging()")
    return ScanStats(tuple(files or ()), int(read), rows)
